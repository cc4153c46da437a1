// The messages between a panel host (extension/panels) and its webview. Both sides import these types only.
import type {
  CacheStats,
  DaemonEvent,
  ServingStats,
  TraceAnalysis,
  TraceDetail,
  TraceSummaryDto,
} from "../daemon/api.js";

export type ViewName = "profiler" | "heatmap" | "parallelism" | "cacheBreakers" | "audit" | "dashboard";

/** Audit results as the webview shows them (mapped from the daemon's /hotpath/audit/* replies by the host). */
export interface AuditRangeView {
  /** 0-based, as VS Code's Range. */
  startLine: number;
  startCharacter: number;
  endLine: number;
  endCharacter: number;
}
export interface AuditSectionView {
  id?: string;
  name: string;
  kind?: string;
  /** "removable" | "essential" | "inconclusive — needs more samples" | "not audited" | "not run" (sections only). */
  verdict: string;
  tokens?: number;
  /** Share of the prompt's tokens, 0–1. */
  share?: number;
  /** Quality change in percentage points when removed, with its interval. */
  qualityDelta?: { mean: number; low: number; high: number };
  promptTokensSaved?: number;
  latencyMsSaved?: number;
  detail?: string;
  range?: AuditRangeView;
}
export interface AuditReportView {
  file?: string;
  model?: string;
  /** "sections": static analysis only; "ablation": sections were removed and the outputs scored. */
  mode: "sections" | "ablation";
  tokenizer?: string;
  totalTokens?: number;
  baselineQuality?: number;
  sections: AuditSectionView[];
  findings: { kind: string; message: string; tokens?: number; sectionIds?: string[] }[];
  combined?: string;
  notes: string[];
}

/** Host → webview. */
export type HostMessage =
  | { type: "trace"; detail: TraceDetail; analysis: TraceAnalysis | null; analysisError?: string }
  /**
   * The same as "trace", as the daemon answered it: the UTF-8 JSON of GET /hotpath/traces/:id (with the views' caps)
   * and of its analysis, parsed here. A message's objects are serialised and parsed again at each hop to the webview
   * (VS Code's JSON between its processes, the browser's structured clone into the frame: ~1 s at 100k spans), its
   * byte arrays passed as they are. `encoding` "gzip": both are gzip-compressed (extension/panels/webview-bytes.ts).
   */
  | {
      type: "traceJson";
      detail: Uint8Array;
      analysis: Uint8Array | null;
      analysisError?: string;
      encoding?: "gzip";
    }
  | { type: "traces"; traces: TraceSummaryDto[] }
  | { type: "audit"; report: AuditReportView }
  | { type: "stats"; serving: ServingStats | null; cache: CacheStats | null; errors: string[] }
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
