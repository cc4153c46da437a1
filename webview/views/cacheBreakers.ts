// Prompt-cache breakers: where consecutive prompts diverged (so a provider's prefix cache could not be reused),
// tools sent with every call but never used, and LLM round-trips that could have been merged.
import type { TraceAnalysis, TraceDetail } from "../../daemon/api.js";
import { empty, fmtNum, h } from "../dom.js";

export function renderCacheBreakers(detail: TraceDetail, analysis: TraceAnalysis | null): HTMLElement {
  const root = h(
    "section",
    { class: "breakers-view", "data-trace-id": detail.trace.traceId },
    h("h1", {}, `Prompt cache breakers — ${detail.trace.name || detail.trace.traceId}`),
  );
  if (!analysis) return root.appendChild(empty("No analysis for this trace.")) && root;
  const names = new Map(detail.spans.map((s) => [s.spanId, s.name]));
  root.append(h("h2", {}, `Prefix breaks (${analysis.prefixBreaks.length})`));
  if (!analysis.prefixBreaks.length)
    root.append(empty("Every prompt extended the previous one: the prefix cache could be reused throughout."));
  else {
    const list = h("ol", { class: "breaks" });
    for (const b of analysis.prefixBreaks) {
      list.append(
        h(
          "li",
          { class: "break", "data-span-id": b.spanId },
          h(
            "div",
            {},
            h("strong", {}, names.get(b.spanId) ?? b.spanId),
            ` diverged from ${names.get(b.previousSpanId) ?? b.previousSpanId} after ${fmtNum(b.commonPrefix)} ${b.unit}`,
          ),
          b.cause ? h("div", { class: "cause" }, `cause: ${b.cause}`) : null,
          h(
            "div",
            { class: "diff" },
            h("div", {}, h("div", { class: "muted" }, "previous prompt"), h("pre", { class: "before" }, b.before)),
            h("div", {}, h("div", { class: "muted" }, "this prompt"), h("pre", { class: "after" }, b.after)),
          ),
        ),
      );
    }
    root.append(list);
  }
  root.append(h("h2", {}, `Unused tools (${analysis.unusedTools.length})`));
  if (!analysis.unusedTools.length) root.append(empty("Every tool sent was used."));
  else {
    root.append(
      h(
        "table",
        { class: "grid" },
        h(
          "tr",
          {},
          h("th", {}, "tool"),
          h("th", {}, "tokens per call"),
          h("th", {}, "calls sent with"),
          h("th", {}, "tokens wasted"),
        ),
        ...analysis.unusedTools.map((t) =>
          h(
            "tr",
            {},
            h("td", {}, t.name),
            h("td", {}, fmtNum(t.tokensPerCall)),
            h("td", {}, fmtNum(t.callsSentWith)),
            h("td", {}, fmtNum(t.tokensPerCall * t.callsSentWith)),
          ),
        ),
      ),
    );
  }
  if (analysis.mergeableLlmCalls?.length) {
    root.append(
      h("h2", {}, `Mergeable LLM calls (${analysis.mergeableLlmCalls.length})`),
      h(
        "ul",
        {},
        ...analysis.mergeableLlmCalls.map((m) =>
          h(
            "li",
            {},
            m.spanIds.map((id) => names.get(id) ?? id).join(" + "),
            h("span", { class: "muted" }, ` — ${m.reason}`),
          ),
        ),
      ),
    );
  }
  return root;
}
