// The hotspots panel that leads the profiler: the items that cost the most on the critical path (repeats of one
// command folded together), each with its share of the path and the analysis's one-line why; picking one jumps to
// its span in the timeline and highlights every span folded into it.
import type { Hotspot, TraceAnalysis } from "../../daemon/api.js";
import { fmtMs, fmtShare, h } from "../dom.js";
import { ownerLabel } from "../owners.js";

const FIRST = 5;

export function renderHotspots(
  analysis: TraceAnalysis | null,
  pick: (spot: Hotspot, index: number) => void,
): HTMLElement | null {
  if (!analysis) return null;
  const spots = analysis.hotspots ?? [];
  const section = h("section", { class: "hotspots", "aria-label": "Hotspots", "data-hotspot-count": spots.length });
  section.append(
    h("h2", {}, "Hotspots ", h("span", { class: "muted small" }, "— what cost the most on the critical path")),
  );
  if (!analysis.hotspots) {
    section.append(h("p", { class: "empty" }, "This daemon's analysis has no hotspots (update Hotpath to see them)."));
    return section;
  }
  if (!spots.length) {
    section.append(h("p", { class: "empty" }, "Nothing on the critical path stands out."));
    return section;
  }
  const list = h("ol", { class: "hot-list" });
  const item = (s: Hotspot, i: number) => {
    const share = Math.max(0, Math.min(1, s.share));
    const fill = h("span", { class: `hot-fill o-${s.kind}` });
    fill.style.width = `${Math.max(1, share * 100)}%`;
    return h(
      "li",
      { class: "hot", "data-span-id": s.spanId, "data-index": i },
      h(
        "button",
        { type: "button", class: "hot-btn", title: `Show ${s.name} in the timeline`, onclick: () => pick(s, i) },
        h(
          "span",
          { class: "hot-share", "aria-label": `${Math.round(share * 100)} percent of the critical path` },
          h("span", { class: "hot-bar" }, fill),
          h("strong", {}, fmtShare(share)),
        ),
        h("span", { class: "hot-dur" }, fmtMs(s.durationMs)),
        h(
          "span",
          { class: "hot-text" },
          h("span", { class: "hot-name" }, s.name),
          h("span", { class: `hot-kind o-${s.kind}` }, ownerLabel(s.kind)),
          h("span", { class: "hot-why muted", title: s.why }, whyAfterName(s)),
        ),
      ),
    );
  };
  spots.slice(0, FIRST).forEach((s, i) => list.append(item(s, i)));
  section.append(list);
  if (spots.length > FIRST) {
    const more = h("button", { type: "button", class: "link" }, `Show all ${spots.length}`);
    more.addEventListener("click", () => {
      spots.slice(FIRST).forEach((s, i) => list.append(item(s, FIRST + i)));
      more.remove();
    });
    section.append(more);
  }
  return section;
}

/** The why without the name it usually opens with (the name is shown just before it). */
function whyAfterName(s: Hotspot): string {
  if (!s.why.startsWith(s.name)) return s.why;
  const rest = s.why
    .slice(s.name.length)
    .replace(/^[,:;]\s*|^\s+[—–-]\s*/, "")
    .trim();
  return rest || s.why;
}
