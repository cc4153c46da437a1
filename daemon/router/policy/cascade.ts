// Cascade acceptance: is a cheap route's answer good enough to return, or must the request escalate?
// Checks: non-empty; valid JSON (and the schema's required top-level keys) when a JSON format was asked for;
// token-probability confidence (mean and/or minimum) when the backend reports it (the local engine does).
import type { ChatCompletionRequest } from "../../api.js";
import type { ChatEvent } from "../../chat.js";

export interface Verdict {
  accept: boolean;
  reason: string;
}

export function judge(
  request: ChatCompletionRequest,
  events: ChatEvent[],
  thresholds: { minMean?: number; minMin?: number },
): Verdict {
  let text = "";
  let tools = 0;
  let done: Extract<ChatEvent, { type: "done" }> | undefined;
  for (const e of events) {
    if (e.type === "text") text += e.text;
    else if (e.type === "tool_call_delta") tools++;
    else if (e.type === "done") done = e;
  }
  if (!text.trim() && tools === 0) return { accept: false, reason: "empty answer" };
  if (done?.finishReason === "length" && request.response_format && request.response_format.type !== "text") {
    return { accept: false, reason: "JSON answer cut off at max_tokens" };
  }
  const format = request.response_format;
  if (format && format.type !== "text" && tools === 0) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return { accept: false, reason: "answer is not valid JSON" };
    }
    const schema = format.type === "json_schema" ? format.json_schema.schema : undefined;
    const problem = schema ? topLevelProblem(value, schema) : undefined;
    if (problem) return { accept: false, reason: `answer does not fit the schema: ${problem}` };
  }
  const c = done?.confidence;
  const parts: string[] = [];
  if (c && thresholds.minMean !== undefined) {
    if (c.mean < thresholds.minMean)
      return { accept: false, reason: `mean token probability ${c.mean.toFixed(3)} < ${thresholds.minMean}` };
    parts.push(`mean ${c.mean.toFixed(3)} >= ${thresholds.minMean}`);
  }
  if (c && thresholds.minMin !== undefined) {
    if (c.min < thresholds.minMin)
      return { accept: false, reason: `min token probability ${c.min.toFixed(3)} < ${thresholds.minMin}` };
    parts.push(`min ${c.min.toFixed(3)} >= ${thresholds.minMin}`);
  }
  if (!c && (thresholds.minMean !== undefined || thresholds.minMin !== undefined))
    parts.push("no confidence reported; checks only");
  return { accept: true, reason: parts.length ? parts.join(", ") : "checks passed" };
}

/** A light structural check: the type of the top level and its required keys (a full validator is not needed to escalate). */
function topLevelProblem(value: unknown, schema: Record<string, unknown>): string | undefined {
  const type = schema.type;
  const actual = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
  if (typeof type === "string") {
    const ok =
      type === actual || (type === "integer" && Number.isInteger(value)) || (type === "number" && actual === "number");
    if (!ok) return `expected ${type}, got ${actual}`;
  }
  if (actual === "object" && Array.isArray(schema.required)) {
    const missing = (schema.required as unknown[]).filter((k) => typeof k === "string" && !(k in (value as object)));
    if (missing.length) return `missing ${missing.join(", ")}`;
  }
  return undefined;
}
