// The prompt-audit report: one row per prompt section with its tokens and, after an ablation run, its verdict and
// the quality change when removed; the static findings; the combined removal.
import type { AuditReportView } from "../protocol.js";
import { empty, fmtMs, fmtNum, h } from "../dom.js";

/** 1-based inclusive lines; a range ending at column 0 ends on the line before (the daemon's section ranges do). */
function lines(r: NonNullable<AuditReportView["sections"][number]["range"]>): string {
  const last = r.endCharacter === 0 && r.endLine > r.startLine ? r.endLine : r.endLine + 1;
  return `${r.startLine + 1}–${last}`;
}

const pp = (x: number) => `${x >= 0 ? "+" : ""}${x.toFixed(1)}`;

function verdictHelp(v: string): string {
  if (v === "removable") return "Safe to cut: outputs scored the same without this section (within the interval).";
  if (v === "essential") return "Keep: outputs scored worse without this section.";
  if (v.startsWith("inconclusive")) return "Not enough samples to tell; run the audit with more samples.";
  return v;
}

export function renderAudit(report: AuditReportView): HTMLElement {
  const root = h(
    "section",
    { class: "audit-view", "data-mode": report.mode },
    h("h1", {}, `Prompt audit${report.file ? ` — ${report.file}` : ""}`),
  );
  root.append(
    h(
      "div",
      { class: "facts" },
      h("span", { class: "fact" }, report.mode === "ablation" ? "ablation run" : "sections (no model run)"),
      report.model ? h("span", { class: "fact" }, `model ${report.model}`) : null,
      report.totalTokens !== undefined
        ? h(
            "span",
            { class: "fact" },
            `${fmtNum(report.totalTokens)} tokens${report.tokenizer ? ` (${report.tokenizer})` : ""}`,
          )
        : null,
      report.baselineQuality !== undefined
        ? h("span", { class: "fact" }, `baseline quality ${report.baselineQuality.toFixed(1)}`)
        : null,
    ),
  );
  if (report.combined) root.append(h("p", { class: "combined" }, report.combined));
  if (!report.sections.length) root.append(empty("The audit found no sections."));
  else {
    const ablation = report.mode === "ablation";
    root.append(
      h(
        "table",
        { class: "grid audit" },
        h(
          "tr",
          {},
          h("th", {}, "section"),
          h("th", {}, "kind"),
          h("th", {}, "tokens"),
          ablation ? h("th", {}, "verdict") : h("th", {}, "share"),
          ablation ? h("th", {}, "quality Δ without it (pp)") : null,
          ablation ? h("th", {}, "saved per call") : null,
          h("th", {}, "lines"),
        ),
        ...report.sections.map((s) =>
          h(
            "tr",
            { class: `verdict-${s.verdict.toLowerCase().replace(/[^a-z]+/g, "-")}`, "data-section": s.id },
            h("td", {}, s.name),
            h("td", { class: "muted" }, s.kind ?? ""),
            h("td", {}, s.tokens === undefined ? "–" : fmtNum(s.tokens)),
            ablation
              ? h("td", {}, h("span", { class: "badge", title: verdictHelp(s.verdict) }, s.verdict))
              : h("td", {}, s.share === undefined ? "–" : `${Math.round(s.share * 100)}%`),
            ablation
              ? h(
                  "td",
                  {},
                  s.qualityDelta
                    ? `${pp(s.qualityDelta.mean)} [${pp(s.qualityDelta.low)}, ${pp(s.qualityDelta.high)}]`
                    : "–",
                )
              : null,
            ablation
              ? h(
                  "td",
                  {},
                  [
                    s.promptTokensSaved !== undefined ? `${fmtNum(s.promptTokensSaved)} tok` : "",
                    s.latencyMsSaved !== undefined ? fmtMs(s.latencyMsSaved) : "",
                  ]
                    .filter(Boolean)
                    .join(" · ") || "–",
                )
              : null,
            h("td", {}, s.range ? lines(s.range) : "–"),
          ),
        ),
      ),
    );
  }
  if (report.mode === "ablation" && report.sections.length) {
    root.append(
      h(
        "p",
        { class: "verdict-legend muted" },
        h("span", { class: "badge verdict-removable" }, "removable"),
        " safe to cut: quality held without it · ",
        h("span", { class: "badge verdict-essential" }, "essential"),
        " keep: quality drops without it · ",
        h("span", { class: "badge verdict-inconclusive" }, "inconclusive"),
        " not enough samples to say",
      ),
    );
  }
  root.append(h("h2", {}, `Findings (${report.findings.length})`));
  if (!report.findings.length) root.append(empty("No findings."));
  else
    root.append(
      h(
        "ul",
        { class: "findings" },
        ...report.findings.map((f) =>
          h(
            "li",
            { class: `finding ${f.kind}` },
            h("span", { class: "badge", title: f.kind }, f.kind.replace(/[-_]+/g, " ")),
            ` ${f.message}`,
            f.tokens ? h("span", { class: "muted" }, ` (${fmtNum(f.tokens)} tokens)`) : null,
          ),
        ),
      ),
    );
  for (const n of report.notes) root.append(h("p", { class: "muted note" }, n));
  return root;
}
