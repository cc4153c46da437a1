// Audit results in the editor: diagnostics on removable sections (after an ablation run) and on static findings
// (large sections, duplicates), and a quick fix that deletes a removable section.
import * as vscode from "vscode";
import type { AuditReportView, AuditSectionView } from "../webview/protocol.js";
import type { Ctx } from "./ctx.js";

let collection: vscode.DiagnosticCollection | undefined;

export function registerAuditEditorSupport(ctx: Ctx): void {
  collection = vscode.languages.createDiagnosticCollection("hotpath-audit");
  ctx.subscriptions.push(
    collection,
    vscode.languages.registerCodeActionsProvider({ scheme: "file" }, new RemoveSectionFix(), { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] }),
  );
}

function rangeOf(s: AuditSectionView, lineOffset: number): vscode.Range | undefined {
  const r = s.range;
  return r ? new vscode.Range(lineOffset + r.startLine, r.startCharacter, lineOffset + r.endLine, r.endCharacter) : undefined;
}

export function publishAuditDiagnostics(uri: vscode.Uri, report: AuditReportView, lineOffset: number): vscode.Diagnostic[] {
  const diags: vscode.Diagnostic[] = [];
  const byId = new Map(report.sections.map((s) => [s.id, s]));
  for (const s of report.sections) {
    const range = rangeOf(s, lineOffset);
    if (!range || s.verdict !== "removable") continue;
    const q = s.qualityDelta ? `; quality ${s.qualityDelta.mean >= 0 ? "+" : ""}${s.qualityDelta.mean.toFixed(1)} pp [${s.qualityDelta.low.toFixed(1)}, ${s.qualityDelta.high.toFixed(1)}] without it` : "";
    const d = new vscode.Diagnostic(range, `Hotpath audit: "${s.name}" is removable (${s.tokens ?? "?"} tokens per call${q}).`, vscode.DiagnosticSeverity.Warning);
    d.source = "hotpath";
    d.code = "removable-section";
    diags.push(d);
  }
  for (const f of report.findings) {
    const ids = f.sectionIds ?? [];
    const target = ids.map((id) => byId.get(id)).find((s) => s?.range) ?? report.sections.find((s) => s.range && f.message.includes(s.name));
    const range = target && rangeOf(target, lineOffset);
    if (!range) continue;
    const d = new vscode.Diagnostic(range, `Hotpath audit: ${f.message}`, vscode.DiagnosticSeverity.Information);
    d.source = "hotpath";
    d.code = f.kind;
    diags.push(d);
  }
  collection?.set(uri, diags);
  return diags;
}

export function auditDiagnostics(uri: vscode.Uri): readonly vscode.Diagnostic[] {
  return collection?.get(uri) ?? [];
}

class RemoveSectionFix implements vscode.CodeActionProvider {
  provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    return context.diagnostics
      .filter((d) => d.source === "hotpath" && d.code === "removable-section")
      .map((d) => {
        const fix = new vscode.CodeAction("Remove this prompt section (Hotpath audit)", vscode.CodeActionKind.QuickFix);
        // Whole lines, including the line break after the section, so no blank hole is left.
        const end = d.range.end.line + 1 < doc.lineCount ? new vscode.Position(d.range.end.line + 1, 0) : doc.lineAt(d.range.end.line).range.end;
        fix.edit = new vscode.WorkspaceEdit();
        fix.edit.delete(doc.uri, new vscode.Range(new vscode.Position(d.range.start.line, 0), end));
        fix.diagnostics = [d];
        fix.isPreferred = true;
        return fix;
      });
  }
}
