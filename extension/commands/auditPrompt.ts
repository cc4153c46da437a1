import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import type { AuditRangeView, AuditReportView, AuditSectionView } from "../../webview/protocol.js";
import { publishAuditDiagnostics } from "../audit.js";
import type { DaemonClient } from "../client.js";
import type { Ctx } from "../ctx.js";

// The daemon's audit API (daemon/api.ts "Audit" section): POST /hotpath/audit/sections (static, instant) and
// POST /hotpath/audit/run + GET /hotpath/audit/:id (ablation runs against a model, with progress).
type Json = Record<string, unknown>;
const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const str = (v: unknown) => (typeof v === "string" ? v : undefined);

function rangeOf(v: unknown): AuditRangeView | undefined {
  const r = v as Json | undefined;
  if (!r || num(r.startLine) === undefined || num(r.endLine) === undefined) return undefined;
  return {
    startLine: r.startLine as number,
    startCharacter: num(r.startCharacter) ?? 0,
    endLine: r.endLine as number,
    endCharacter: num(r.endCharacter) ?? 0,
  };
}

function findingsOf(v: unknown): AuditReportView["findings"] {
  return (Array.isArray(v) ? (v as Json[]) : []).map((f) => ({
    kind: String(f.kind ?? "finding"),
    message: String(f.message ?? ""),
    tokens: num(f.tokens),
    sectionIds: Array.isArray(f.sectionIds) ? f.sectionIds.map(String) : undefined,
  }));
}

/** Maps /hotpath/audit/sections' reply (AuditSectionsResponse) onto the view. */
export function sectionsView(raw: Json, file?: string): AuditReportView {
  const sections: AuditSectionView[] = (Array.isArray(raw.sections) ? (raw.sections as Json[]) : []).map((s) => ({
    id: str(s.id),
    name: String(s.title ?? s.id ?? "section"),
    kind: str(s.kind),
    verdict: "not run",
    tokens: num(s.tokens),
    share: num(s.share),
    range: rangeOf(s.range),
  }));
  return {
    file,
    mode: "sections",
    tokenizer: str(raw.tokenizer),
    totalTokens: num(raw.totalTokens),
    sections,
    findings: findingsOf(raw.findings),
    notes: raw.exactTokens === false ? ["Token counts are estimates (no tokenizer for this model)."] : [],
  };
}

/** Maps a finished run's AuditReport onto the view. */
export function reportView(raw: Json, file?: string): AuditReportView {
  const sections: AuditSectionView[] = (Array.isArray(raw.sections) ? (raw.sections as Json[]) : []).map((s) => {
    const q = s.qualityDelta as Json | undefined;
    return {
      id: str(s.id),
      name: String(s.title ?? s.id ?? "section"),
      kind: str(s.kind),
      verdict: String(s.verdict ?? "unknown"),
      tokens: num(s.tokens),
      qualityDelta:
        q && num(q.mean) !== undefined
          ? { mean: q.mean as number, low: num(q.low) ?? (q.mean as number), high: num(q.high) ?? (q.mean as number) }
          : undefined,
      promptTokensSaved: num(s.promptTokensSaved),
      latencyMsSaved: num(s.latencyMsSaved),
      detail: str(s.firstError),
      range: rangeOf(s.range),
    };
  });
  const c = raw.combined as Json | undefined;
  const baseline = raw.baseline as Json | undefined;
  const prompt = raw.prompt as Json | undefined;
  return {
    file,
    mode: "ablation",
    model: str(raw.model),
    tokenizer: str(raw.tokenizer),
    totalTokens: num(prompt?.tokens),
    baselineQuality: num(baseline?.quality),
    sections,
    findings: findingsOf(raw.findings),
    combined: c
      ? `Removing ${(c.removed as string[] | undefined)?.length ?? 0} section(s) together: ${String(c.verdict)}${c.verified ? " (verified)" : ""}; saves ${num(c.tokensSaved) ?? 0} tokens per call`
      : undefined,
    notes: Array.isArray(raw.notes) ? (raw.notes as unknown[]).map(String) : [],
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

async function runAblation(ctx: Ctx, client: DaemonClient, specFile: string): Promise<Json> {
  const spec = JSON.parse(readFileSync(specFile, "utf8")) as Json;
  const started = await client.request<{ id: string; estimate: Json }>(
    "POST",
    "/hotpath/audit/run",
    JSON.stringify({ spec, baseDir: path.dirname(specFile), model: ctx.config.defaultModel || undefined }),
    60_000,
  );
  return vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `Auditing (${num(started.estimate.calls) ?? "?"} model calls)`,
      cancellable: true,
    },
    async (progress, token) => {
      let last = 0;
      for (;;) {
        if (token.isCancellationRequested) {
          await client.request("DELETE", `/hotpath/audit/${encodeURIComponent(started.id)}`).catch(() => undefined);
          throw new Error("audit cancelled (running it again resumes where it stopped)");
        }
        const st = await client.request<Json>("GET", `/hotpath/audit/${encodeURIComponent(started.id)}`);
        const p = st.progress as Json | undefined;
        const done = num(p?.done) ?? 0;
        const total = num(p?.total) ?? 1;
        progress.report({
          message: `${String(p?.phase ?? "")} ${done}/${total}`,
          increment: ((done - last) / Math.max(1, total)) * 100,
        });
        last = done;
        if (st.status === "done" && st.report) return st.report as Json;
        if (st.status === "failed" || st.status === "cancelled")
          throw new Error(`audit ${String(st.status)}: ${String(st.error ?? "")}`);
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
    let report = sectionsView(
      await client.request<Json>(
        "POST",
        "/hotpath/audit/sections",
        JSON.stringify({ text, fileName: path.basename(doc.fileName), model: ctx.config.defaultModel || undefined }),
      ),
      rel,
    );
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
    if (spec && ablate) report = reportView(await runAblation(ctx, client, spec), rel);
    else if (!spec)
      report.notes.push(
        `Verdicts need an ablation run: add ${path.basename(doc.fileName).replace(/\.[^.]+$/, "")}.hotpath-audit.json (inputs and checks) beside the prompt.`,
      );
    // Ranges are relative to the audited text: shift them when a selection was audited.
    publishAuditDiagnostics(doc.uri, report, selection?.start.line ?? 0);
    ctx.panel("audit").post({ type: "audit", report });
    return report;
  };
}
