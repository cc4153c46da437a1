// The messages between a panel host (extension/panels) and its webview. Both sides import these types only.
import type { DaemonEvent, TraceAnalysis, TraceDetail, TraceSummaryDto } from "../daemon/api.js";

export type ViewName = "profiler" | "heatmap" | "parallelism" | "cacheBreakers" | "audit" | "dashboard";

/** Audit reports come from the audit area; the webview renders whatever sections it is given. */
export interface AuditSectionView {
  name: string;
  verdict: string;
  tokens?: number;
  scoreDelta?: number;
  detail?: string;
  startLine?: number;
  endLine?: number;
}
export interface AuditReportView {
  file?: string;
  model?: string;
  baselineScore?: number;
  totalTokens?: number;
  sections: AuditSectionView[];
  note?: string;
}

/** Host → webview. */
export type HostMessage =
  | { type: "trace"; detail: TraceDetail; analysis: TraceAnalysis | null; analysisError?: string }
  | { type: "traces"; traces: TraceSummaryDto[] }
  | { type: "audit"; report: AuditReportView }
  | { type: "stats"; serving: Record<string, unknown> | null; cache: Record<string, unknown> | null; errors: string[] }
  | { type: "event"; event: DaemonEvent }
  | { type: "connection"; state: string }
  | { type: "selectSpan"; spanId: string }
  | { type: "query"; id: number };

/** Webview → host. */
export type WebviewMessage =
  | { type: "ready"; view: ViewName }
  | { type: "openFile"; path: string; line?: number }
  | { type: "spanSelected"; spanId: string; name: string }
  | { type: "openTrace"; traceId: string }
  | { type: "rendered"; view: ViewName; summary: RenderSummary }
  | { type: "queryResult"; id: number; summary: RenderSummary };

/** What the webview's DOM shows, read back from the DOM (used by the extension's tests and its log). */
export interface RenderSummary {
  view: ViewName;
  traceId?: string;
  spanRowsInDom: number;
  spanIdsInDom: string[];
  criticalInDom: number;
  parallelGroupsListed: number;
  selectedSpanId?: string;
  text: string;
}
