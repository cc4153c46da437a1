// Workload class of a request, which decides its time to live: from the x-hotpath-task header, else a cheap classifier.
import type { CacheConfig } from "../config.js";

export type Workload = "classification" | "extraction" | "code" | "conversation";
export const WORKLOADS: readonly Workload[] = ["classification", "extraction", "code", "conversation"];

export interface WorkloadSignals {
  /** x-hotpath-task header, if any. */
  header?: string;
  /** System prompt(s) and the last user text. */
  instructions: string;
  query: string;
  responseFormat?: string;
  hasTools: boolean;
}

const CLASSIFY =
  /\b(classify|classification|categori[sz]e|category|label|sentiment|intent|is (this|it) (spam|toxic)|yes or no|true or false)\b/i;
const EXTRACT = /\b(extract|parse|pull out|fill in|structured|json|fields?|entities)\b/i;
const CODE =
  /```|\b(function|class|method|compile|stack ?trace|refactor|bug|regex|script|typescript|javascript|python|rust|golang|java|sql|npm|pip|git)\b|[a-z][a-zA-Z0-9]*\(|\w+\.(ts|js|py|rs|go|java|c|cpp|rb|sh)\b/i;

export function classifyWorkload(s: WorkloadSignals): Workload {
  const h = s.header?.trim().toLowerCase();
  if (h && (WORKLOADS as readonly string[]).includes(h)) return h as Workload;
  const text = `${s.instructions}\n${s.query}`;
  if (CLASSIFY.test(s.instructions) || (s.responseFormat !== undefined && CLASSIFY.test(text))) return "classification";
  if (s.responseFormat === "json_schema" || s.responseFormat === "json_object" || EXTRACT.test(s.instructions))
    return "extraction";
  if (s.hasTools || CODE.test(text)) return "code";
  return "conversation";
}

export function ttlMs(workload: Workload, config: Pick<CacheConfig, "ttlSeconds">): number {
  return config.ttlSeconds[workload] * 1000;
}
