// Audit Prompt: the open prompt's sections and findings from the daemon's audit API (daemon/api.ts "Audit"), and with
// a <name>.hotpath-audit.json spec beside it an ablation run (start, poll with progress, cancel), shown as
// diagnostics, CodeLenses and the audit panel.
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import type {
  AuditFinding,
  AuditRange,
  AuditReport,
  AuditRunRequest,
  AuditSectionsResponse,
} from "../../daemon/api.js";
import type { AuditRangeView, AuditReportView } from "../../webview/protocol.js";
import type { DaemonClient } from "../client.js";
import type { Ctx } from "../ctx.js";

const rangeView = (r: AuditRange): AuditRangeView => ({
  startLine: r.startLine,
  startCharacter: r.startCharacter,
  endLine: r.endLine,
  endCharacter: r.endCharacter,
});

const findingsView = (findings: AuditFinding[]): AuditReportView["findings"] =>
  findings.map((f) => ({ kind: f.kind, message: f.message, tokens: f.tokens, sectionIds: f.sectionIds }));

/** The view of /hotpath/audit/sections' reply. */
export function sectionsView(r: AuditSectionsResponse, file?: string): AuditReportView {
  return {
    file,
    mode: "sections",
    tokenizer: r.tokenizer,
    totalTokens: r.totalTokens,
    sections: r.sections.map((s) => ({
      id: s.id,
      name: s.title,
      kind: s.kind,
      verdict: "not run",
      tokens: s.tokens,
      share: s.share,
      range: rangeView(s.range),
    })),
    findings: findingsView(r.findings),
    notes: r.exactTokens ? [] : ["Token counts are estimates (no tokenizer for this model)."],
  };
}

/** The view of a finished run's AuditReport. */
export function reportView(r: AuditReport, file?: string): AuditReportView {
  const c = r.combined;
  return {
    file,
    mode: "ablation",
    model: r.model,
    tokenizer: r.tokenizer,
    totalTokens: r.prompt.tokens,
    baselineQuality: r.baseline.quality,
    sections: r.sections.map((s) => ({
      id: s.id,
      name: s.title,
      kind: s.kind,
      verdict: s.verdict,
      tokens: s.tokens,
      qualityDelta: s.qualityDelta,
      promptTokensSaved: s.promptTokensSaved,
      latencyMsSaved: s.latencyMsSaved,
      detail: s.firstError,
      range: rangeView(s.range),
    })),
    findings: findingsView(r.findings),
    combined: `Removing ${c.removed.length} section(s) together: ${c.verdict}${c.verified ? " (verified)" : ""}; saves ${c.tokensSaved} tokens per call`,
    notes: r.notes,
  };
}

/** The audit spec next to a prompt: <name>.hotpath-audit.json (inputs and checks for ablation runs). */
function specFor(file: string): string | undefined {
  const dir = path.dirname(file);
  const base = path.basename(file).replace(/\.[^.]+$/, "");
  return [
    path.join(dir, `${base}.hotpath-audit.json`),
    path.join(dir, `${path.basename(file)}.hotpath-audit.json`),
  ].find((p) => existsSync(p));
}

/**
 * The run request for a spec file. The daemon never reads files named in a request, so a spec's `prompt` (a path
 * relative to the spec) is sent as `promptText`: the open document's text when it names that file (unsaved edits
 * included), else the file's contents.
 */
function runRequest(ctx: Ctx, specFile: string, doc: vscode.TextDocument): AuditRunRequest {
  const { prompt, ...spec } = JSON.parse(readFileSync(specFile, "utf8")) as Record<string, unknown>;
  const model = ctx.config.defaultModel || undefined;
  if (typeof prompt !== "string") return { spec, model };
  const file = path.resolve(path.dirname(specFile), prompt);
  const promptText = file === doc.fileName ? doc.getText() : readFileSync(file, "utf8");
  return { spec: { ...spec, promptText }, fileName: path.basename(file), model };
}

async function runAblation(client: DaemonClient, req: AuditRunRequest): Promise<AuditReport> {
  const started = await client.startAudit(req);
  return vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `Auditing (${started.estimate.calls} model calls)`,
      cancellable: true,
    },
    async (progress, token) => {
      let last = 0;
      for (;;) {
        if (token.isCancellationRequested) {
          await client.cancelAudit(started.id).catch(() => undefined);
          throw new Error("audit cancelled (running it again resumes where it stopped)");
        }
        const st = await client.auditStatus(started.id);
        const { phase, done, total } = st.progress;
        progress.report({
          message: `${phase} ${done}/${total}`,
          increment: ((done - last) / Math.max(1, total)) * 100,
        });
        last = done;
        if (st.status === "done" && st.report) return st.report;
        if (st.status === "failed" || st.status === "cancelled")
          throw new Error(`audit ${st.status}: ${st.error ?? ""}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    },
  );
}

/** Audits the prompt in the current file (or the selection): its sections and findings at once; with a
 * <name>.hotpath-audit.json spec beside it, also the ablation run's verdicts (which sections can go). */
export function auditPrompt(ctx: Ctx) {
  return async (options?: { ablation?: boolean }): Promise<AuditReportView | undefined> => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showWarningMessage("Open a prompt file (or select a prompt) to audit it.");
      return undefined;
    }
    const doc = editor.document;
    const selection = editor.selection.isEmpty ? undefined : editor.selection;
    const text = doc.getText(selection);
    if (!text.trim()) {
      void vscode.window.showWarningMessage("The prompt to audit is empty.");
      return undefined;
    }
    const client = await ctx.ensureDaemon();
    const rel = vscode.workspace.asRelativePath(doc.uri);
    const fileName = path.basename(doc.fileName);
    const model = ctx.config.defaultModel || undefined;
    let report = sectionsView(await client.auditSections({ text, fileName, model }), rel);
    const spec = !selection && doc.uri.scheme === "file" ? specFor(doc.uri.fsPath) : undefined;
    const ablate =
      options?.ablation ??
      (spec
        ? (await vscode.window.showInformationMessage(
            `Run the ablation audit from ${path.basename(spec)}? It calls the model once per section and input.`,
            "Run",
            "Sections only",
          )) === "Run"
        : false);
    if (spec && ablate) report = reportView(await runAblation(client, runRequest(ctx, spec, doc)), rel);
    else if (!spec)
      report.notes.push(
        `Verdicts need an ablation run: add ${path.basename(doc.fileName).replace(/\.[^.]+$/, "")}.hotpath-audit.json (inputs and checks) beside the prompt.`,
      );
    // Ranges are relative to the audited text: shift them when a selection was audited.
    ctx.audit.publish(doc.uri, report, selection?.start.line ?? 0);
    ctx.panel("audit").post({ type: "audit", report });
    return report;
  };
}
