// Audit results in the editor: diagnostics on removable sections (after an ablation run) and on static findings
// (large sections, duplicates), a quick fix that deletes a removable section, and a CodeLens per section.
import * as vscode from "vscode";
import type { AuditReportView, AuditSectionView } from "../webview/protocol.js";

/** The CodeLenses of audited documents: one per section, from the last report published for each document. */
class AuditLenses implements vscode.CodeLensProvider {
  readonly reports = new Map<string, { report: AuditReportView; lineOffset: number }>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  set(uri: vscode.Uri, report: AuditReportView, lineOffset: number): void {
    this.reports.set(uri.toString(), { report, lineOffset });
    this.changed.fire();
  }

  /** One lens per audited section: its tokens and (after an ablation run) verdict; a lens on line 1 re-runs. */
  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const entry = this.reports.get(doc.uri.toString());
    if (!entry) return [];
    const out: vscode.CodeLens[] = [];
    for (const s of entry.report.sections) {
      if (!s.range) continue;
      const line = Math.min(doc.lineCount - 1, entry.lineOffset + s.range.startLine);
      const q = s.qualityDelta
        ? ` · quality ${s.qualityDelta.mean >= 0 ? "+" : ""}${s.qualityDelta.mean.toFixed(1)} pp without it`
        : "";
      const share = s.share !== undefined ? ` · ${Math.round(s.share * 100)}% of the prompt` : "";
      out.push(
        new vscode.CodeLens(new vscode.Range(line, 0, line, 0), {
          title: `Hotpath: ${s.verdict === "not run" ? "" : `${s.verdict} · `}${s.tokens ?? "?"} tokens${share}${q}`,
          command: "hotpath.auditPrompt",
          tooltip: "Run the prompt audit again",
        }),
      );
    }
    return out;
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** Audit results in the editors, owned by the extension's context (ctx.audit): diagnostics, quick fix, lenses. */
export class AuditEditor implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection("hotpath-audit");
  private readonly lenses = new AuditLenses();
  private readonly registrations: vscode.Disposable[] = [
    vscode.languages.registerCodeActionsProvider({ scheme: "file" }, new RemoveSectionFix(), {
      providedCodeActionKinds: [vscode.CodeActionKind.QuickFix],
    }),
    vscode.languages.registerCodeLensProvider({ scheme: "file" }, this.lenses),
  ];

  /** Shows a report on `uri` (its ranges shifted by `lineOffset` when a selection was audited). */
  publish(uri: vscode.Uri, report: AuditReportView, lineOffset: number): vscode.Diagnostic[] {
    const diags = auditDiagnostics(report, lineOffset);
    this.collection.set(uri, diags);
    this.lenses.set(uri, report, lineOffset);
    return diags;
  }

  dispose(): void {
    for (const d of this.registrations) d.dispose();
    this.lenses.dispose();
    this.collection.dispose();
  }
}

function rangeOf(s: AuditSectionView, lineOffset: number): vscode.Range | undefined {
  const r = s.range;
  return r
    ? new vscode.Range(lineOffset + r.startLine, r.startCharacter, lineOffset + r.endLine, r.endCharacter)
    : undefined;
}

function auditDiagnostics(report: AuditReportView, lineOffset: number): vscode.Diagnostic[] {
  const diags: vscode.Diagnostic[] = [];
  const byId = new Map(report.sections.map((s) => [s.id, s]));
  for (const s of report.sections) {
    const range = rangeOf(s, lineOffset);
    if (!range || s.verdict !== "removable") continue;
    const q = s.qualityDelta
      ? `; quality ${s.qualityDelta.mean >= 0 ? "+" : ""}${s.qualityDelta.mean.toFixed(1)} pp [${s.qualityDelta.low.toFixed(1)}, ${s.qualityDelta.high.toFixed(1)}] without it`
      : "";
    const d = new vscode.Diagnostic(
      range,
      `Hotpath audit: "${s.name}" is removable (${s.tokens ?? "?"} tokens per call${q}).`,
      vscode.DiagnosticSeverity.Warning,
    );
    d.source = "hotpath";
    d.code = "removable-section";
    diags.push(d);
  }
  for (const f of report.findings) {
    const ids = f.sectionIds ?? [];
    const target =
      ids.map((id) => byId.get(id)).find((s) => s?.range) ??
      report.sections.find((s) => s.range && f.message.includes(s.name));
    const range = target && rangeOf(target, lineOffset);
    if (!range) continue;
    const d = new vscode.Diagnostic(range, `Hotpath audit: ${f.message}`, vscode.DiagnosticSeverity.Information);
    d.source = "hotpath";
    d.code = f.kind;
    diags.push(d);
  }
  return diags;
}

class RemoveSectionFix implements vscode.CodeActionProvider {
  provideCodeActions(
    doc: vscode.TextDocument,
    _range: vscode.Range,
    context: vscode.CodeActionContext,
  ): vscode.CodeAction[] {
    return context.diagnostics
      .filter((d) => d.source === "hotpath" && d.code === "removable-section")
      .map((d) => {
        const fix = new vscode.CodeAction("Remove this prompt section (Hotpath audit)", vscode.CodeActionKind.QuickFix);
        // Whole lines, including the line break after the section, so no blank hole is left. The daemon's ranges
        // already end at column 0 of the next section's line; a range ending mid-line extends to the next line.
        const end =
          d.range.end.character === 0
            ? d.range.end
            : d.range.end.line + 1 < doc.lineCount
              ? new vscode.Position(d.range.end.line + 1, 0)
              : doc.lineAt(d.range.end.line).range.end;
        fix.edit = new vscode.WorkspaceEdit();
        fix.edit.delete(doc.uri, new vscode.Range(new vscode.Position(d.range.start.line, 0), end));
        fix.diagnostics = [d];
        fix.isPreferred = true;
        return fix;
      });
  }
}
