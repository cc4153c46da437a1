// Audit results in the editor: a diagnostic per removable or harmful section, and a quick fix that deletes it.
import * as vscode from "vscode";
import type { AuditReportView } from "../webview/protocol.js";
import type { Ctx } from "./ctx.js";

const REMOVABLE = /remov|unused|redundant|harm/i;

let collection: vscode.DiagnosticCollection | undefined;

export function registerAuditEditorSupport(ctx: Ctx): void {
  collection = vscode.languages.createDiagnosticCollection("hotpath-audit");
  ctx.subscriptions.push(
    collection,
    vscode.languages.registerCodeActionsProvider({ scheme: "file" }, new RemoveSectionFix(), {
      providedCodeActionKinds: [vscode.CodeActionKind.QuickFix],
    }),
  );
}

export function publishAuditDiagnostics(_ctx: Ctx, uri: vscode.Uri, report: AuditReportView, lineOffset: number): vscode.Diagnostic[] {
  const diags: vscode.Diagnostic[] = [];
  for (const s of report.sections) {
    if (s.startLine === undefined || !REMOVABLE.test(s.verdict)) continue;
    const start = lineOffset + s.startLine - 1;
    const end = lineOffset + (s.endLine ?? s.startLine) - 1;
    const range = new vscode.Range(start, 0, end, Number.MAX_SAFE_INTEGER);
    const delta = s.scoreDelta === undefined ? "" : `; removing it changed the score by ${s.scoreDelta >= 0 ? "+" : ""}${s.scoreDelta.toFixed(3)}`;
    const d = new vscode.Diagnostic(range, `Hotpath audit: section "${s.name}" is ${s.verdict}${s.tokens ? ` (${s.tokens} tokens per call)` : ""}${delta}.`, vscode.DiagnosticSeverity.Information);
    d.source = "hotpath";
    d.code = "removable-section";
    diags.push(d);
  }
  collection?.set(uri, diags);
  return diags;
}

class RemoveSectionFix implements vscode.CodeActionProvider {
  provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    return context.diagnostics
      .filter((d) => d.source === "hotpath" && d.code === "removable-section")
      .map((d) => {
        const fix = new vscode.CodeAction("Remove this prompt section (Hotpath audit)", vscode.CodeActionKind.QuickFix);
        const lastLine = Math.min(d.range.end.line + 1, doc.lineCount);
        const range = lastLine < doc.lineCount ? new vscode.Range(d.range.start.line, 0, lastLine, 0) : new vscode.Range(d.range.start.line, 0, d.range.end.line, doc.lineAt(d.range.end.line).text.length);
        fix.edit = new vscode.WorkspaceEdit();
        fix.edit.delete(doc.uri, range);
        fix.diagnostics = [d];
        fix.isPreferred = true;
        return fix;
      });
  }
}
