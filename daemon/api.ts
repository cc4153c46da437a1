// The daemon's HTTP API: request schemas (validated with zod) and the response types, in one module.
// The extension and the webview import this file with `import type` only, so zod never reaches their bundles.
import { z } from "zod";

// ───────────────────────────── OpenAI-compatible: /v1/chat/completions ─────────────────────────────

const textPart = z.object({ type: z.literal("text"), text: z.string() });
const imagePart = z.object({
  type: z.literal("image_url"),
  image_url: z.object({ url: z.string(), detail: z.enum(["auto", "low", "high"]).optional() }),
});
const contentParts = z.array(z.discriminatedUnion("type", [textPart, imagePart]));

export const ToolCallSchema = z.object({
  id: z.string(),
  type: z.literal("function"),
  function: z.object({ name: z.string(), arguments: z.string() }),
});

export const ChatMessageSchema = z.discriminatedUnion("role", [
  z.object({ role: z.literal("system"), content: z.union([z.string(), z.array(textPart)]), name: z.string().optional() }),
  z.object({ role: z.literal("developer"), content: z.union([z.string(), z.array(textPart)]), name: z.string().optional() }),
  z.object({ role: z.literal("user"), content: z.union([z.string(), contentParts]), name: z.string().optional() }),
  z.object({
    role: z.literal("assistant"),
    content: z.union([z.string(), z.array(textPart), z.null()]).optional(),
    tool_calls: z.array(ToolCallSchema).optional(),
    name: z.string().optional(),
  }),
  z.object({ role: z.literal("tool"), content: z.union([z.string(), z.array(textPart)]), tool_call_id: z.string() }),
]);

export const ToolSchema = z.object({
  type: z.literal("function"),
  function: z.object({
    name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, "tool names are 1-64 letters, digits, '_' or '-'"),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullable().optional(),
  }),
});

export const ResponseFormatSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text") }),
  z.object({ type: z.literal("json_object") }),
  z.object({
    type: z.literal("json_schema"),
    json_schema: z.object({
      name: z.string(),
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullable().optional(),
    }),
  }),
]);

const samplingFields = {
  model: z.string().min(1),
  max_tokens: z.number().int().positive().nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().gt(0).max(1).nullable().optional(),
  seed: z.number().int().nullable().optional(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullable().optional(),
  stream: z.boolean().nullable().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullable().optional(),
  n: z.literal(1, { message: "only n=1 is supported" }).nullable().optional(),
  presence_penalty: z.number().min(-2).max(2).nullable().optional(),
  frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
  user: z.string().optional(),
};

export const ChatCompletionRequestSchema = z.object({
  ...samplingFields,
  messages: z.array(ChatMessageSchema).min(1, "messages must hold at least one message"),
  max_completion_tokens: z.number().int().positive().nullable().optional(),
  tools: z.array(ToolSchema).max(128).optional(),
  tool_choice: z
    .union([
      z.enum(["none", "auto", "required"]),
      z.object({ type: z.literal("function"), function: z.object({ name: z.string() }) }),
    ])
    .optional(),
  parallel_tool_calls: z.boolean().optional(),
  response_format: ResponseFormatSchema.optional(),
  metadata: z.record(z.string(), z.string()).optional(),
});

export const CompletionRequestSchema = z.object({
  ...samplingFields,
  prompt: z.union([z.string(), z.array(z.string()).length(1, "only one prompt per request is supported")]),
  echo: z.boolean().optional(),
});

export const EmbeddingRequestSchema = z.object({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string()).min(1).max(2048)]),
  encoding_format: z.enum(["float", "base64"]).optional(),
  dimensions: z.number().int().positive().optional(),
  user: z.string().optional(),
});

export type ChatMessage = z.infer<typeof ChatMessageSchema>;
export type Tool = z.infer<typeof ToolSchema>;
export type ToolCall = z.infer<typeof ToolCallSchema>;
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;
export type CompletionRequest = z.infer<typeof CompletionRequestSchema>;
export type EmbeddingRequest = z.infer<typeof EmbeddingRequestSchema>;

/** llama-server's meanings: prompt_n counts prompt tokens actually evaluated (not reused from the KV cache). */
export interface Timings {
  queue_ms: number;
  prompt_n: number;
  prompt_ms: number;
  ttft_ms: number;
  predicted_n: number;
  predicted_ms: number;
  predicted_per_second: number;
  /** Speculative decoding: tokens proposed by the draft / prompt lookup, and how many the target accepted. */
  draft_n?: number;
  draft_n_accepted?: number;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
}

export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter";

export interface ChatCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  system_fingerprint: string;
  choices: {
    index: number;
    message: { role: "assistant"; content: string | null; tool_calls?: ToolCall[]; refusal: null };
    finish_reason: FinishReason;
    logprobs: null;
  }[];
  usage: Usage;
  timings: Timings;
}

export interface ChatCompletionChunk {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  system_fingerprint: string;
  choices: {
    index: number;
    delta: {
      role?: "assistant";
      content?: string | null;
      tool_calls?: { index: number; id?: string; type?: "function"; function: { name?: string; arguments?: string } }[];
    };
    finish_reason: FinishReason | null;
    logprobs: null;
  }[];
  usage?: Usage | null;
  timings?: Timings;
}

export interface Completion {
  id: string;
  object: "text_completion";
  created: number;
  model: string;
  choices: { index: number; text: string; finish_reason: FinishReason; logprobs: null }[];
  usage: Usage;
  timings: Timings;
}

export interface ModelInfo {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
  /** Hotpath extras: where the model lives and what it can do. */
  hotpath?: { route: string; path?: string; sizeBytes?: number; contextSize?: number; embedding?: boolean; loaded?: boolean };
}

/** OpenAI's error shape, used for every error the daemon returns. */
export interface ApiError {
  error: { message: string; type: string; code: string | null; param: string | null };
}

// ───────────────────────────── Hotpath: /healthz, /hotpath/* ─────────────────────────────

export interface Health {
  status: "ok";
  version: string;
}

/** One message on the WebSocket /hotpath/events. */
export type DaemonEvent =
  | {
      type: "request.started";
      requestId: string;
      at: number;
      endpoint: string;
      model: string;
      priority: string;
      stream: boolean;
    }
  | {
      type: "request.finished";
      requestId: string;
      at: number;
      endpoint: string;
      model: string;
      route: string;
      status: number;
      durationMs: number;
      timings?: Timings;
      usage?: Usage;
      cache?: string;
      error?: string;
    }
  | { type: "traces.changed"; traceIds: string[]; at: number };

// ───────────────────────────── Traces: /hotpath/traces*, `hotpath analyze --json` ─────────────────────────────
// GET  /hotpath/traces?limit=N&before=<startNs>      → TraceList
// GET  /hotpath/traces/:id                           → TraceDetail
// GET  /hotpath/traces/:id/analysis                  → TraceAnalysis
// POST /hotpath/traces/import?name=<file name>       body: the file's bytes → ImportResult
// POST /v1/traces                                    OTLP/HTTP (json or protobuf) → OTLP's ExportTraceServiceResponse

export type SpanKindName = "llm" | "tool" | "agent" | "chain" | "retriever" | "embedding" | "other";

export interface TraceSummaryDto {
  traceId: string;
  name?: string;
  source: string;
  origin?: string;
  startNs: number;
  endNs: number;
  spanCount: number;
}

export interface SpanDto {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: SpanKindName;
  startNs: number;
  endNs: number;
  status: "ok" | "error" | "unset";
  statusMessage?: string;
  requestId?: string;
  attributes: Record<string, string | number | boolean | null | string[] | number[] | boolean[]>;
}

export interface TraceList {
  traces: TraceSummaryDto[];
}

export interface TraceDetail {
  trace: TraceSummaryDto;
  spans: SpanDto[];
}

export interface ImportResult {
  format: string;
  traceIds: string[];
  spanCount: number;
}

export interface ParallelGroup {
  spanIds: string[];
  toolCallIds: string[];
  recordedMs: number;
  projectedMs: number;
  reason: string;
}

export interface PrefixBreak {
  /** The later of the two consecutive LLM spans whose prompts diverged. */
  spanId: string;
  previousSpanId: string;
  /** Characters (or tokens, see `unit`) the two prompts share before diverging. */
  commonPrefix: number;
  unit: "chars" | "tokens";
  /** Text around the first difference on each side. */
  before: string;
  after: string;
  cause?: string;
}

export interface UnusedTool {
  name: string;
  /** Estimated tokens of its definition, sent with every call. */
  tokensPerCall: number;
  callsSentWith: number;
}

export interface Heatmap {
  /** Bucket edges: time in ns since epoch (x), latency in ms (y). counts[y][x]. */
  timeBuckets: number[];
  latencyBucketsMs: number[];
  counts: number[][];
  percentilesMs: { p50: number; p90: number; p99: number };
  /** Rows by span name (or run × step): name → per time bucket median latency ms (null when empty). */
  byName?: { name: string; medianMs: (number | null)[] }[];
}

export interface TraceAnalysis {
  traceId: string;
  durationMs: number;
  spanCount: number;
  criticalPath: {
    spanIds: string[];
    durationMs: number;
    /** ms on the path per span kind, plus "gap" for client/think time between spans. */
    byKind: Record<string, number>;
    /** The path in time order: span pieces and labelled gaps (client work, waiting for the user, uninstrumented). */
    segments?: CriticalPathSegment[];
  };
  parallelGroups: ParallelGroup[];
  projectedSavingMs: number;
  /** LLM round-trips that could have been merged: all their inputs were available earlier. */
  mergeableLlmCalls?: { spanIds: string[]; reason: string }[];
  prefixBreaks: PrefixBreak[];
  unusedTools: UnusedTool[];
  heatmap: Heatmap;
  /** Data flow found between tool calls: the later call's arguments use `value` from the earlier call's result. */
  dependencies?: { fromSpanId: string; toSpanId: string; value: string }[];
  /** LLM spans left out as second recordings of the same call (two instrumentations of one request). */
  duplicateSpanIds?: string[];
}

export interface CriticalPathSegment {
  /** Absent for gaps of the run itself. */
  spanId?: string;
  /** A span kind, or "gap". */
  kind: string;
  startNs: number;
  endNs: number;
  label?: "client" | "user" | "uninstrumented";
}

// ───────────────────────────── Anthropic-compatible: POST /v1/messages (router) ─────────────────────────────
// Hotpath accepts the Anthropic Messages API for every route (local engine included) and answers in its format.

const anthropicCacheControl = z.object({ type: z.literal("ephemeral"), ttl: z.string().optional() }).nullable().optional();
const anthropicText = z.object({ type: z.literal("text"), text: z.string(), cache_control: anthropicCacheControl }).passthrough();
const anthropicImage = z.object({
  type: z.literal("image"),
  source: z.discriminatedUnion("type", [
    z.object({ type: z.literal("base64"), media_type: z.string(), data: z.string() }),
    z.object({ type: z.literal("url"), url: z.string() }),
  ]),
  cache_control: anthropicCacheControl,
});
const anthropicToolUse = z.object({
  type: z.literal("tool_use"),
  id: z.string(),
  name: z.string(),
  input: z.unknown(),
  cache_control: anthropicCacheControl,
});
const anthropicToolResult = z.object({
  type: z.literal("tool_result"),
  tool_use_id: z.string(),
  content: z.union([z.string(), z.array(z.union([anthropicText, anthropicImage]))]).optional(),
  is_error: z.boolean().optional(),
  cache_control: anthropicCacheControl,
});
/** Thinking blocks a client sends back are accepted and dropped: no route Hotpath serves consumes them. */
const anthropicThinking = z.object({ type: z.enum(["thinking", "redacted_thinking"]) }).passthrough();
const anthropicBlock = z.union([anthropicText, anthropicImage, anthropicToolUse, anthropicToolResult, anthropicThinking]);

export const AnthropicMessagesRequestSchema = z.object({
  model: z.string().min(1),
  max_tokens: z.number().int().positive(),
  messages: z
    .array(z.object({ role: z.enum(["user", "assistant"]), content: z.union([z.string(), z.array(anthropicBlock)]) }))
    .min(1, "messages must hold at least one message"),
  system: z.union([z.string(), z.array(anthropicText)]).optional(),
  stop_sequences: z.array(z.string()).max(4, "at most 4 stop sequences are supported").optional(),
  stream: z.boolean().optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().gt(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
  metadata: z.object({ user_id: z.string().nullable().optional() }).optional(),
  tools: z
    .array(
      z.object({
        name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, "tool names are 1-64 letters, digits, '_' or '-'"),
        description: z.string().optional(),
        input_schema: z.record(z.string(), z.unknown()),
        type: z.literal("custom").optional(),
        cache_control: anthropicCacheControl,
      }),
    )
    .max(128)
    .optional(),
  tool_choice: z
    .discriminatedUnion("type", [
      z.object({ type: z.literal("auto"), disable_parallel_tool_use: z.boolean().optional() }),
      z.object({ type: z.literal("any"), disable_parallel_tool_use: z.boolean().optional() }),
      z.object({ type: z.literal("tool"), name: z.string(), disable_parallel_tool_use: z.boolean().optional() }),
      z.object({ type: z.literal("none") }),
    ])
    .optional(),
  thinking: z.unknown().optional(),
  service_tier: z.string().optional(),
});

export type AnthropicMessagesRequest = z.infer<typeof AnthropicMessagesRequestSchema>;

export type AnthropicContentBlock =
  | { type: "text"; text: string }
  | { type: "tool_use"; id: string; name: string; input: unknown };

export type AnthropicStopReason = "end_turn" | "max_tokens" | "stop_sequence" | "tool_use" | "pause_turn" | "refusal";

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export interface AnthropicMessage {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: AnthropicContentBlock[];
  stop_reason: AnthropicStopReason | null;
  stop_sequence: string | null;
  usage: AnthropicUsage;
}

/** Anthropic's error shape, used for every error on /v1/messages. */
export interface AnthropicError {
  type: "error";
  error: { type: string; message: string };
}

// ───────────────────────────── Router: x-hotpath-route, attempts ─────────────────────────────

/** One try of one route while serving a request (retries and fallbacks each add one). */
export interface RouteAttempt {
  route: string;
  /** HTTP status from the upstream (200 when it answered), 0 when there was none. */
  status: number;
  outcome: "ok" | "error" | "timeout" | "skipped" | "escalated" | "cancelled";
  error?: string;
  /** From the attempt's start to its end (or to now, while streaming). */
  ms: number;
  /** From the attempt's start to its first event. */
  ttfbMs?: number;
  costUsd?: number;
}

/** GET /hotpath/router: providers, route health (circuits) and today's spend against budgets. */
export interface RouterStatus {
  providers: { name: string; type: "openai" | "anthropic" | "openai-compatible"; baseURL: string; maxConcurrency: number; keyPresent: boolean }[];
  routes: {
    route: string;
    circuit: "closed" | "open" | "half-open";
    spentTodayUsd: number;
    dailyBudgetUsd?: number;
    /** USD per 1M tokens, when the price table knows the route. */
    price?: { input: number; output: number; cachedInput?: number };
  }[];
  aliases: string[];
  rules: number;
}
