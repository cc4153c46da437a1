// kv-cache-tester conversation traces (Weka): one JSON object per conversation with per-request token counts,
// timings relative to the conversation start, and hash_ids (one per 64-token prompt block: equal ids = equal prefix).
// No tool calls are recorded; the client time before a tool_result request (think_time) becomes an inferred tool span.
import { z } from "zod";
import { deriveSpanId, deriveTraceId } from "../ids.js";
import type { Attributes, Span } from "../span.js";
import { ImportError, issuePath, wholeJson, type ParsedTrace, type TraceImporter } from "./format.js";

interface Request {
  t: number;
  type: string;
  model?: string;
  in?: number;
  out?: number;
  hash_ids?: number[];
  input_types?: string[];
  stop?: string;
  api_time?: number;
  think_time?: number;
  ttft?: number;
  agent_id?: string;
  subagent_type?: string;
  duration_ms?: number;
  requests?: Request[];
}

/**
 * Times are seconds from the conversation's start; past this (about 31 years) they are refused: 1e300 seconds became
 * Infinity nanoseconds, and a span starting at the previous one's Infinity end ended NaN (issue #15).
 */
const MAX_SECONDS = 1e9;
const seconds = () =>
  z.number().min(0).max(MAX_SECONDS, `at most ${MAX_SECONDS} seconds from the conversation's start`);

const RequestSchema: z.ZodType<Request> = z.lazy(() =>
  z
    .object({
      t: seconds(),
      type: z.string(),
      model: z.string().optional(),
      in: z.number().optional(),
      out: z.number().optional(),
      hash_ids: z.array(z.number()).optional(),
      input_types: z.array(z.string()).optional(),
      stop: z
        .string()
        .nullable()
        .optional()
        .transform((v) => v ?? undefined),
      api_time: seconds()
        .nullable()
        .optional()
        .transform((v) => v ?? undefined),
      think_time: seconds()
        .nullable()
        .optional()
        .transform((v) => v ?? undefined),
      ttft: seconds()
        .nullable()
        .optional()
        .transform((v) => v ?? undefined),
      agent_id: z.string().optional(),
      subagent_type: z.string().optional(),
      duration_ms: z
        .number()
        .max(MAX_SECONDS * 1000)
        .optional(),
      requests: z.array(RequestSchema).optional(),
    })
    .passthrough(),
) as z.ZodType<Request>;

const Conversation = z
  .object({
    id: z.string().min(1),
    block_size: z.number().int().positive().default(64),
    requests: z.array(RequestSchema),
  })
  .passthrough();

export const kvCacheReplayImporter: TraceImporter = {
  format: "kv-cache-replay",
  detect(_name, _head, first) {
    return typeof first === "object" && first !== null && "requests" in first && "block_size" in first;
  },
  parse(text, ctx): ParsedTrace[] {
    const doc = wholeJson(text, ctx);
    const r = Conversation.safeParse(doc);
    if (!r.success)
      throw new ImportError(ctx.file, undefined, issuePath(r.error.issues[0].path), r.error.issues[0].message);
    const conv = r.data;
    const traceId = deriveTraceId("kv-cache-replay", conv.id);
    const spans: Span[] = [];
    const s = (sec: number) => Math.round(sec * 1e9); // the format has no wall clock: times count from the epoch
    const build = (requests: Request[], parentSpanId: string, key: string, offset: number) => {
      let prevEnd: number | undefined;
      requests.forEach((req, i) => {
        const t = offset + req.t;
        if (req.type === "subagent") {
          const agentId = deriveSpanId(traceId, key, "subagent", req.agent_id ?? String(i));
          const children = req.requests ?? [];
          const last = children.reduce((m, c) => Math.max(m, c.t + (c.api_time ?? 0)), 0);
          spans.push({
            traceId,
            spanId: agentId,
            parentSpanId,
            name: `invoke_agent ${req.subagent_type ?? "subagent"}`,
            kind: "agent",
            startNs: s(t),
            endNs: s(t + Math.max(last, (req.duration_ms ?? 0) / 1000)),
            status: "ok",
            attributes: {
              "gen_ai.operation.name": "invoke_agent",
              "gen_ai.agent.name": req.subagent_type ?? "subagent",
            },
          });
          build(children, agentId, `${key}/${req.agent_id ?? i}`, t);
          return;
        }
        // think_time is the client's time before this request: running tools before a tool_result request, the
        // person writing before a request that carries only their text (idle: the gap before it is theirs).
        const personTyped = !!req.input_types?.includes("text") && !req.input_types.includes("tool_result");
        if (req.input_types?.includes("tool_result") && req.think_time) {
          spans.push({
            traceId,
            spanId: deriveSpanId(traceId, key, "tool", String(i)),
            parentSpanId,
            name: "execute_tool (unrecorded)",
            kind: "tool",
            startNs: s(Math.max(prevEnd ?? 0, t - req.think_time)),
            endNs: s(t),
            status: "unset",
            attributes: { "gen_ai.operation.name": "execute_tool", "hotpath.inferred": true },
          });
        }
        const end = t + (req.api_time ?? 0);
        const attrs: Attributes = {
          "gen_ai.operation.name": "chat",
          "gen_ai.provider.name": "anthropic",
          "hotpath.stream": req.type === "s",
        };
        if (req.model) attrs["gen_ai.request.model"] = req.model;
        if (req.in !== undefined) attrs["gen_ai.usage.input_tokens"] = req.in;
        if (req.out !== undefined) attrs["gen_ai.usage.output_tokens"] = req.out;
        if (req.stop) attrs["gen_ai.response.finish_reasons"] = [req.stop];
        if (req.ttft !== undefined) attrs["hotpath.timings.ttft_ms"] = req.ttft * 1000;
        if (personTyped) attrs["hotpath.user_prompt"] = ""; // the text itself is not in the format
        if (req.hash_ids) {
          attrs["hotpath.prefix.block_hashes"] = req.hash_ids;
          attrs["hotpath.prefix.block_tokens"] = conv.block_size;
        }
        spans.push({
          traceId,
          spanId: deriveSpanId(traceId, key, "llm", String(i)),
          parentSpanId,
          name: `chat ${req.model ?? ""}`.trim(),
          kind: "llm",
          startNs: s(t),
          endNs: s(end),
          status: "ok",
          attributes: attrs,
        });
        prevEnd = end;
      });
    };
    const rootId = deriveSpanId(traceId, "conversation");
    build(conv.requests, rootId, "main", 0);
    const endNs = spans.reduce((m, x) => Math.max(m, x.endNs), 0);
    spans.unshift({
      traceId,
      spanId: rootId,
      name: `conversation ${conv.id}`,
      kind: "agent",
      startNs: 0,
      endNs,
      status: "ok",
      attributes: { "gen_ai.operation.name": "invoke_agent", "gen_ai.conversation.id": conv.id },
    });
    return [{ spans, source: "import:kv-cache-replay", origin: ctx.file, name: conv.id }];
  },
};
