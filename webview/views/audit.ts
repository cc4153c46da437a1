// The prompt-audit report: one row per prompt section with its verdict, tokens and score change when removed.
import type { AuditReportView } from "../protocol.js";
import { empty, fmtNum, h } from "../dom.js";

export function renderAudit(report: AuditReportView): HTMLElement {
  const root = h("section", { class: "audit-view" }, h("h1", {}, `Prompt audit${report.file ? ` — ${report.file}` : ""}`));
  root.append(h("div", { class: "facts" },
    report.model ? h("span", { class: "fact" }, `model ${report.model}`) : null,
    report.baselineScore !== undefined ? h("span", { class: "fact" }, `baseline score ${report.baselineScore.toFixed(3)}`) : null,
    report.totalTokens !== undefined ? h("span", { class: "fact" }, `${fmtNum(report.totalTokens)} tokens`) : null));
  if (report.note) root.append(h("p", { class: "muted" }, report.note));
  if (!report.sections.length) return root.appendChild(empty("The audit found no sections.")) && root;
  root.append(h("table", { class: "grid audit" },
    h("tr", {}, h("th", {}, "section"), h("th", {}, "verdict"), h("th", {}, "tokens"), h("th", {}, "score Δ when removed"), h("th", {}, "lines"), h("th", {}, "why")),
    ...report.sections.map((s) => h("tr", { class: `verdict-${s.verdict.toLowerCase().replace(/[^a-z]+/g, "-")}` },
      h("td", {}, s.name),
      h("td", {}, h("span", { class: "badge" }, s.verdict)),
      h("td", {}, s.tokens === undefined ? "–" : fmtNum(s.tokens)),
      h("td", {}, s.scoreDelta === undefined ? "–" : `${s.scoreDelta >= 0 ? "+" : ""}${s.scoreDelta.toFixed(3)}`),
      h("td", {}, s.startLine === undefined ? "–" : `${s.startLine}–${s.endLine ?? s.startLine}`),
      h("td", { class: "muted" }, s.detail ?? "")))));
  return root;
}
