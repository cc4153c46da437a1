// analyzeTrace: every analysis over one trace's spans, as the CLI (`hotpath analyze --json`), the admin API and the
// extension show it. Pure: spans in, TraceAnalysis out.
import type { TraceAnalysis } from "../../api.js";
import type { Span } from "../span.js";
import { criticalPath, round } from "./critical-path.js";
import { latencyHeatmap } from "./heatmap.js";
import { findParallelism } from "./parallelism.js";
import { findHotspots } from "./hotspots.js";
import { findPrefixBreaks } from "./prefix.js";
import { buildTree } from "./tree.js";
import { findUnusedTools } from "./unused-tools.js";

export { buildTree } from "./tree.js";
export { criticalPath } from "./critical-path.js";
export { findParallelism } from "./parallelism.js";
export { latencyHeatmap } from "./heatmap.js";
export { findPrefixBreaks } from "./prefix.js";
export { findHotspots } from "./hotspots.js";
export { findUnusedTools } from "./unused-tools.js";

export function analyzeTrace(spans: Span[], traceId = spans[0]?.traceId ?? ""): TraceAnalysis {
  const tree = buildTree(spans);
  const path = criticalPath(tree);
  const parallel = findParallelism(tree);
  const llm = tree.spans.filter((s) => s.kind === "llm");
  return {
    traceId,
    durationMs: path.durationMs,
    spanCount: spans.length,
    criticalPath: { spanIds: path.spanIds, durationMs: path.durationMs, byKind: path.byKind, segments: path.segments },
    parallelGroups: parallel.groups,
    projectedSavingMs: round(parallel.projectedSavingMs),
    speculativeSavingMs: round(parallel.speculativeSavingMs),
    hotspots: findHotspots(path),
    mergeableLlmCalls: parallel.mergeableLlmCalls,
    dependencies: parallel.dependencies,
    duplicateSpanIds: [...tree.duplicates.keys()],
    prefixBreaks: findPrefixBreaks(llm),
    unusedTools: findUnusedTools(tree.spans),
    heatmap: latencyHeatmap(tree.spans),
  };
}
