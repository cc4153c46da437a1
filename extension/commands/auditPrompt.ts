import * as vscode from "vscode";
import type { AuditReportView, AuditSectionView } from "../../webview/protocol.js";
import type { Ctx } from "../ctx.js";
import { publishAuditDiagnostics } from "../audit.js";

/** Maps the daemon's audit reply onto the view model; tolerant of field names so older/newer daemons still render. */
export function toAuditView(raw: Record<string, unknown>, file?: string): AuditReportView {
  const r = ((raw.report as Record<string, unknown> | undefined) ?? raw) as Record<string, unknown>;
  const list = (Array.isArray(r.sections) ? r.sections : []) as Record<string, unknown>[];
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
  const sections: AuditSectionView[] = list.map((s, i) => {
    const range = (s.range ?? s.lines) as { start?: number; end?: number } | undefined;
    return {
      name: String(s.name ?? s.title ?? s.id ?? `section ${i + 1}`),
      verdict: String(s.verdict ?? s.status ?? "unknown"),
      tokens: num(s.tokens),
      scoreDelta: num(s.scoreDelta ?? s.delta),
      detail: typeof (s.detail ?? s.reason) === "string" ? String(s.detail ?? s.reason) : undefined,
      startLine: num(s.startLine ?? range?.start),
      endLine: num(s.endLine ?? range?.end),
    };
  });
  return {
    file,
    model: typeof r.model === "string" ? r.model : undefined,
    baselineScore: num(r.baselineScore ?? r.baseline),
    totalTokens: num(r.totalTokens ?? r.tokens),
    sections,
    note: typeof r.note === "string" ? r.note : undefined,
  };
}

/** Audits the prompt in the current file (or the selection): which sections matter, which can go. */
export function auditPrompt(ctx: Ctx) {
  return async (): Promise<AuditReportView | undefined> => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showWarningMessage("Open a prompt file (or select a prompt) to audit it.");
      return undefined;
    }
    const doc = editor.document;
    const selection = editor.selection.isEmpty ? undefined : editor.selection;
    const prompt = doc.getText(selection);
    if (!prompt.trim()) {
      void vscode.window.showWarningMessage("The prompt to audit is empty.");
      return undefined;
    }
    const client = await ctx.ensureDaemon();
    const raw = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: "Auditing the prompt (ablation runs)…" },
      () => client.audit(JSON.stringify({ prompt, file: doc.uri.fsPath, model: ctx.config.defaultModel || undefined })),
    );
    const report = toAuditView(raw, vscode.workspace.asRelativePath(doc.uri));
    // Section lines in the report are relative to the audited text: shift them when a selection was audited.
    const lineOffset = selection?.start.line ?? 0;
    publishAuditDiagnostics(ctx, doc.uri, report, lineOffset);
    ctx.panel("audit").post({ type: "audit", report });
    return report;
  };
}
