// The daemon's HTTP API: request schemas (validated with zod) and the response types, in one module.
// The extension and the webview import this file with `import type` only, so zod never reaches their bundles.
import { z } from "zod";
import { LIMITS } from "./limits.js";
import { KeepAliveSchema } from "./models/keep-alive.js";

const tooMany = (what: string, limit: "messages" | "tools") =>
  `at most ${LIMITS[limit]} ${what} per request (limit ${limit} = ${LIMITS[limit]})`;

/** A request's model: an alias, route, file or hf: name, at most LIMITS.modelName characters. */
const ModelName = z
  .string()
  .min(1)
  .max(
    LIMITS.modelName,
    `a model name has at most ${LIMITS.modelName} characters (limit modelName = ${LIMITS.modelName}); use the alias or route name`,
  );

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
  z.object({
    role: z.literal("system"),
    content: z.union([z.string(), z.array(textPart)]),
    name: z.string().optional(),
  }),
  z.object({
    role: z.literal("developer"),
    content: z.union([z.string(), z.array(textPart)]),
    name: z.string().optional(),
  }),
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
  model: ModelName,
  max_tokens: z.number().int().positive().nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().gt(0).max(1).nullable().optional(),
  seed: z.number().int().nullable().optional(),
  stop: z
    .union([z.string(), z.array(z.string()).max(4)])
    .nullable()
    .optional(),
  stream: z.boolean().nullable().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullable().optional(),
  n: z.literal(1, { message: "only n=1 is supported" }).nullable().optional(),
  presence_penalty: z.number().min(-2).max(2).nullable().optional(),
  frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
  user: z.string().optional(),
  /** Ollama's keep_alive: how long the local model stays loaded after this request ("10m", seconds, 0, -1). */
  keep_alive: KeepAliveSchema.optional(),
};

/** The request's fields without cross-field checks (for derived schemas such as `.partial()`). */
export const ChatCompletionRequestObject = z.object({
  ...samplingFields,
  messages: z
    .array(ChatMessageSchema)
    .min(1, "messages must hold at least one message")
    .max(LIMITS.messages, tooMany("messages", "messages")),
  max_completion_tokens: z.number().int().positive().nullable().optional(),
  tools: z.array(ToolSchema).max(LIMITS.tools, tooMany("tools", "tools")).optional(),
  tool_choice: z
    .union([
      z.enum(["none", "auto", "required"]),
      z.object({ type: z.literal("function"), function: z.object({ name: z.string() }) }),
    ])
    .optional(),
  parallel_tool_calls: z.boolean().optional(),
  response_format: ResponseFormatSchema.optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  /** Accepted only when they ask for nothing (false, 0, {}): Hotpath returns no log probabilities and biases nothing. */
  logprobs: z.boolean().nullable().optional(),
  top_logprobs: z.number().int().min(0).max(20).nullable().optional(),
  logit_bias: z.record(z.string(), z.number()).nullable().optional(),
});

export const ChatCompletionRequestSchema = ChatCompletionRequestObject.superRefine((r, ctx) => {
  refuseUnsupportedSampling(r, ctx);
  const choice = r.tool_choice;
  if (choice === "required" && !r.tools?.length) {
    ctx.addIssue({
      code: "custom",
      path: ["tool_choice"],
      message: 'tool_choice "required" needs at least one entry in tools',
    });
  }
  if (typeof choice === "object" && !r.tools?.some((t) => t.function.name === choice.function.name)) {
    ctx.addIssue({
      code: "custom",
      path: ["tool_choice"],
      message: `tool_choice names "${choice.function.name}", which is not in tools`,
    });
  }
});

export const CompletionRequestSchema = z
  .object({
    ...samplingFields,
    prompt: z.union([z.string(), z.array(z.string()).length(1, "only one prompt per request is supported")]),
    echo: z.boolean().optional(),
    /** Legacy completions: the number of log probabilities per token (refused unless 0). */
    logprobs: z.number().int().min(0).max(5).nullable().optional(),
    logit_bias: z.record(z.string(), z.number()).nullable().optional(),
  })
  .superRefine((r, ctx) => refuseUnsupportedSampling(r, ctx));

export const EmbeddingRequestSchema = z.object({
  model: ModelName,
  input: z.union([z.string(), z.array(z.string()).min(1).max(2048)]),
  encoding_format: z.enum(["float", "base64"]).optional(),
  dimensions: z.number().int().positive().optional(),
  user: z.string().optional(),
  keep_alive: KeepAliveSchema.optional(),
});

/**
 * Log probabilities and logit bias are refused when asked for, rather than silently ignored (llama-server, too, says
 * what it does not do): a client relying on them must not get an answer that looks like it honoured them.
 */
function refuseUnsupportedSampling(
  r: { logprobs?: boolean | number | null; top_logprobs?: number | null; logit_bias?: Record<string, number> | null },
  ctx: z.RefinementCtx,
): void {
  if (r.logprobs === true || (typeof r.logprobs === "number" && r.logprobs > 0)) {
    ctx.addIssue({
      code: "custom",
      path: ["logprobs"],
      message: "log probabilities are not supported by Hotpath (local or routed); remove logprobs",
    });
  }
  if (r.top_logprobs) {
    ctx.addIssue({
      code: "custom",
      path: ["top_logprobs"],
      message: "log probabilities are not supported by Hotpath (local or routed); remove top_logprobs",
    });
  }
  if (r.logit_bias && Object.keys(r.logit_bias).length) {
    ctx.addIssue({
      code: "custom",
      path: ["logit_bias"],
      message: "logit_bias is not supported by Hotpath (local or routed); remove it",
    });
  }
}

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
  hotpath?: {
    route: string;
    path?: string;
    sizeBytes?: number;
    contextSize?: number;
    embedding?: boolean;
    loaded?: boolean;
    /** unloaded (known, loads on its first request), loading, ready, unloading, error. */
    state?: LocalModelState;
  };
}

// ───────────────────────────── Models on demand: /hotpath/models* ─────────────────────────────
// GET    /hotpath/models                  → LocalModelList (known models: config and <data-dir>/models)
// POST   /hotpath/models/:alias/load      body: { keep_alive? } → LocalModelStatus once loaded (or failed)
// POST   /hotpath/models/:alias/unload    → LocalModelStatus once unloaded (after requests using it finish)
// POST   /hotpath/models/pull             body: PullRequest → 202 { id }; progress as model.pull events
// DELETE /hotpath/models/:alias           → 200 { deleted: path } (files under <data-dir>/models only)

export type LocalModelState = "unloaded" | "loading" | "ready" | "unloading" | "error";

export interface LocalModelStatus {
  alias: string;
  /** The --model/config source (path, hf:…, https://…) or the file in <data-dir>/models. */
  source: string;
  origin: "config" | "data-dir";
  /** The GGUF on disk, once known (a download has finished). */
  path?: string;
  fileBytes?: number;
  /** GGUF file type, e.g. Q4_K_M, Q8_0, F16. */
  quantization?: string;
  /** What is wrong with the file, read from its header (corrupt, truncated, not GGUF): it cannot load as it is. */
  fileError?: string;
  state: LocalModelState;
  error?: string;
  /** Requests using the model right now. */
  inUse: number;
  loadedAt?: number;
  lastUsedAt?: number;
  /** Seconds since the last request finished (loaded models). */
  idleS?: number;
  /** When the idle timer unloads it (epoch ms); absent while in use or kept loaded for ever. */
  expiresAt?: number;
  /** The keep-alive that applies after the last request, in ms (-1: for ever). */
  keepAliveMs: number;
  /** Loaded models: memory and where they run. */
  memoryBytes?: number;
  contextBytes?: number;
  contextSize?: number;
  sequences?: number;
  gpu?: string | false;
  gpuLayers?: number;
  /** Why it runs on the CPU although a GPU backend was found (--gpu auto, the GPU check failed; docs/models.md#gpu). */
  gpuFallback?: string;
  threads?: { prefill: number; decode: number };
}

export interface LocalModelList {
  object: "list";
  data: LocalModelStatus[];
}

export const PullRequestSchema = z.object({
  /** https://…/file.gguf or hf:owner/repo/file.gguf (hf:owner/repo:quant) */
  source: z.string().regex(/^(https?:\/\/|hf:)/, "source must be an https://… URL or hf:owner/repo/file.gguf"),
  /** File name under <data-dir>/models (default: the downloader's). */
  fileName: z
    .string()
    .regex(/^[\w.-]+\.gguf$/, "fileName must be a plain file name ending in .gguf")
    .optional(),
});
export type PullRequest = z.infer<typeof PullRequestSchema>;

/** OpenAI's error shape, used for every error the daemon returns. */
export interface ApiError {
  error: { message: string; type: string; code: string | null; param: string | null };
}

// ───────────────────────────── Hotpath: /healthz, /hotpath/* ─────────────────────────────

export interface Health {
  status: "ok";
  version: string;
  /** The daemon's process id: `hotpath serve` names the daemon holding a port it wanted. */
  pid?: number;
}

/** <dataDir>/daemon.json: the daemon serving from a data dir, for `hotpath stop` and the extension. */
export interface RunningDaemonInfo {
  pid: number;
  url: string;
  port: number;
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
  | { type: "traces.changed"; traceIds: string[]; at: number }
  | {
      type: "model.state";
      alias: string;
      state: LocalModelState;
      /** What caused it: a request, an admin call, start-up, the idle timer, shutdown. */
      reason: string;
      error?: string;
      at: number;
    }
  | {
      type: "model.pull";
      id: string;
      source: string;
      state: "downloading" | "done" | "error";
      downloadedBytes: number;
      totalBytes: number;
      /** When done: the file and the alias it is known by. */
      path?: string;
      alias?: string;
      error?: string;
      at: number;
    };

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

/**
 * GET /hotpath/traces/:id?attributeChars=N&argumentChars=M: string attributes longer than `chars` (those whose key
 * ends in ".arguments": `argumentChars`) come cut, ending "… (K more characters)" (daemon/traces/view-caps.ts).
 */
export interface AttributeCaps {
  chars: number;
  argumentChars: number;
}

export interface TraceDetail {
  trace: TraceSummaryDto;
  spans: SpanDto[];
  /** The caps the spans' attributes were cut to, when the request asked for them. */
  attributeCaps?: AttributeCaps;
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
  /**
   * "independent": no data or control dependence found between the calls. "speculative": a later call was issued
   * after an earlier one came back empty, failed or was denied (a follow-up or retry), so only issuing it
   * speculatively would have saved the time. Calls whose arguments or effects are unknown are never "independent".
   */
  confidence: "independent" | "speculative";
}

/** Who owned a stretch of the critical path. Keys of `criticalPath.byKind`; they sum to the path's duration. */
export type TimeOwner = "llm" | "tool" | "human" | "idle" | "compaction" | "gap";

/** One of the costliest items on the critical path (repeats of the same command or tool folded together). */
export interface Hotspot {
  /** The longest span of the item (the one to jump to). */
  spanId: string;
  /** E.g. "git commit" or "Read"; repeats carry "×N" in `why`, not in the name. */
  name: string;
  kind: TimeOwner;
  /** Time on the critical path, summed over every span folded into this item. */
  durationMs: number;
  /** durationMs / criticalPath.durationMs, 0..1. */
  share: number;
  /** One line a person can act on, e.g. "git commit ×3: pre-commit hooks, 535 s (21%)". */
  why: string;
  /** Every span folded into this item (at least spanId). */
  spanIds: string[];
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
    /** ms on the path per owner; every key present, summing to durationMs. */
    byKind: Record<TimeOwner, number>;
    /** The path in time order: span pieces and labelled gaps (client work, waiting for the user, uninstrumented). */
    segments?: CriticalPathSegment[];
  };
  parallelGroups: ParallelGroup[];
  /** Sum over "independent" groups only. */
  projectedSavingMs: number;
  /** Sum over "speculative" groups. */
  speculativeSavingMs: number;
  /** Costliest items on the critical path, largest first. */
  hotspots: Hotspot[];
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
  /** Who owned this stretch. */
  kind: TimeOwner;
  startNs: number;
  endNs: number;
  label?: "client" | "user" | "uninstrumented";
}

// ───────────────────────────── Anthropic-compatible: POST /v1/messages (router) ─────────────────────────────
// Hotpath accepts the Anthropic Messages API for every route (local engine included) and answers in its format.

const anthropicCacheControl = z
  .object({ type: z.literal("ephemeral"), ttl: z.string().optional() })
  .nullable()
  .optional();
const anthropicText = z
  .object({ type: z.literal("text"), text: z.string(), cache_control: anthropicCacheControl })
  .passthrough();
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
/** Any other content block (document, search_result, tool_reference, server tool blocks, and types added later). */
const KNOWN_BLOCKS = new Set(["text", "image", "tool_use", "tool_result", "thinking", "redacted_thinking"]);
const anthropicOtherBlock = z
  .object({
    type: z
      .string()
      .refine((t) => !KNOWN_BLOCKS.has(t), { message: "this block does not have the fields its type needs" }),
  })
  .passthrough();
const anthropicToolResult = z.object({
  type: z.literal("tool_result"),
  tool_use_id: z.string(),
  content: z.union([z.string(), z.array(z.union([anthropicText, anthropicImage, anthropicOtherBlock]))]).optional(),
  is_error: z.boolean().optional(),
  cache_control: anthropicCacheControl,
});
/** Thinking blocks a client sends back are accepted and dropped: no route Hotpath serves consumes them. */
const anthropicThinking = z.object({ type: z.enum(["thinking", "redacted_thinking"]) }).passthrough();
const anthropicBlock = z.union([
  anthropicText,
  anthropicImage,
  anthropicToolUse,
  anthropicToolResult,
  anthropicThinking,
  anthropicOtherBlock,
]);

/** A client-defined tool (no type, or "custom"): it needs an input schema. */
const anthropicCustomTool = z.object({
  name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, "tool names are 1-64 letters, digits, '_' or '-'"),
  description: z.string().optional(),
  input_schema: z.record(z.string(), z.unknown()),
  type: z.literal("custom").optional(),
  cache_control: anthropicCacheControl,
});
/** A server tool Anthropic runs itself (web_search_20250305, code_execution_…, tool_search_…): typed, schema-less. */
const anthropicServerTool = z
  .object({
    type: z.string().regex(/_\d{8}$/, "a server tool's type names its version, e.g. web_search_20250305"),
    name: z.string(),
  })
  .passthrough();

export const AnthropicMessagesRequestSchema = z.object({
  model: ModelName,
  max_tokens: z.number().int().positive(),
  messages: z
    // Current clients (Claude Code) also send role "system" turns mid-conversation.
    .array(
      z.object({
        role: z.enum(["user", "assistant", "system"]),
        content: z.union([z.string(), z.array(anthropicBlock)]),
      }),
    )
    .min(1, "messages must hold at least one message")
    .max(LIMITS.messages, tooMany("messages", "messages"))
    .refine(
      (ms) => ms.some((m) => m.role !== "system"),
      "messages must hold a user or assistant turn, not only system turns",
    ),
  system: z.union([z.string(), z.array(anthropicText)]).optional(),
  stop_sequences: z.array(z.string()).max(4, "at most 4 stop sequences are supported").optional(),
  stream: z.boolean().optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().gt(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
  metadata: z.object({ user_id: z.string().nullable().optional() }).optional(),
  tools: z
    .array(z.union([anthropicCustomTool, anthropicServerTool]))
    .max(LIMITS.tools, tooMany("tools", "tools"))
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
  output_config: z.object({ effort: z.string().optional() }).passthrough().optional(),
  context_management: z.unknown().optional(),
});

export type AnthropicMessagesRequest = z.infer<typeof AnthropicMessagesRequestSchema>;

/** POST /v1/messages/count_tokens: a Messages body without the need for max_tokens. */
export const AnthropicCountTokensRequestSchema = AnthropicMessagesRequestSchema.extend({
  max_tokens: z.number().int().positive().optional(),
});
export type AnthropicCountTokensRequest = z.infer<typeof AnthropicCountTokensRequestSchema>;

/** Answer of /v1/messages/count_tokens (Anthropic's shape). */
export interface AnthropicCountTokensResponse {
  input_tokens: number;
}

export type AnthropicContentBlock =
  { type: "text"; text: string } | { type: "tool_use"; id: string; name: string; input: unknown };

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
  providers: {
    name: string;
    type: "openai" | "anthropic" | "openai-compatible";
    baseURL: string;
    maxConcurrency: number;
    keyPresent: boolean;
  }[];
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

// ───────────────────────────── Cache: /hotpath/cache*, `hotpath cache stats|inspect|clear` ─────────────────────────────
// GET    /hotpath/cache/stats                          → CacheStats
// GET    /hotpath/cache/entries?namespace=&limit=      → CacheEntries
// DELETE /hotpath/cache?namespace=&scope=              → CacheClearResult
// Chat/completions responses carry x-hotpath-cache: hit|miss|bypass and, when a candidate was scored,
// x-hotpath-cache-similarity; spans carry hotpath.cache.verdict / .similarity / .guard.

export type CacheVerdict = "hit" | "miss" | "bypass";

export interface CacheCounters {
  hits: number;
  misses: number;
  bypasses: number;
  /** Hits found by similarity rather than the exact request hash. */
  semanticHits: number;
  /** Hits on the ladder's second rung: the same request up to case, spacing, Unicode form or JSON layout. */
  normalizedHits: number;
  /** Candidates above the threshold that a false-hit guard (or the verifier) refused. */
  guardRejections: number;
  /** hits / (hits + misses); bypasses do not count. 0 when nothing was looked up. */
  hitRate: number;
  /** Prompt + completion tokens the backend did not have to process. */
  tokensSaved: number;
  /** Sum of the measured latency of the original (missed) requests that hits replaced. */
  msSaved: number;
  usdSaved: number;
}

export interface CacheNamespaceStats extends CacheCounters {
  namespace: string;
  /** Route, model, start of the system prompt, earlier turns and tools: what this partition is. */
  label: string;
  route: string;
  model: string;
  /** Similarity a semantic hit needs here (namespace override, else route, else global). */
  threshold: number;
  entries: number;
  bytes: number;
}

export interface CacheStats {
  enabled: boolean;
  embedder: string;
  /** Whether the embedding model has been loaded yet (it loads on the first semantic lookup). */
  embedderLoaded: boolean;
  threshold: number;
  entries: number;
  bytes: number;
  maxEntries: number;
  maxBytes: number;
  evictions: number;
  totals: CacheCounters;
  namespaces: CacheNamespaceStats[];
}

export interface CacheEntryDto {
  id: number;
  namespace: string;
  kind: "chat" | "completion";
  route: string;
  model: string;
  workload: string;
  match: "semantic" | "exact";
  embedder: string | null;
  /** User/tenant scope of the entry ("" when shared). */
  scope: string;
  queryText: string;
  /** The first 500 characters of the cached answer's text. */
  answerPreview: string;
  createdMs: number;
  expiresMs: number;
  lastUsedMs: number;
  hits: number;
  bytes: number;
  promptTokens: number;
  completionTokens: number;
  latencyMs: number;
  costUsd: number;
}

export interface CacheEntries {
  entries: CacheEntryDto[];
}

export interface CacheClearResult {
  cleared: number;
  namespace: string | null;
  /** The user/tenant scope cleared, when one was given. */
  scope?: string | null;
}

// ───────────────────────────── Audit: /hotpath/audit/*, `hotpath audit --json` ─────────────────────────────
// POST /hotpath/audit/sections   AuditSectionsRequest → AuditSectionsResponse   (static: nothing is run)
// POST /hotpath/audit/run        AuditRunRequest      → AuditRunStarted
// GET  /hotpath/audit/:id                             → AuditRunStatus          (progress, then the report)
// DELETE /hotpath/audit/:id                           → AuditRunStatus          (cancels; a new run of the same spec resumes)

/** 0-based, UTF-16 columns (VS Code's Range); start/end are character offsets into the prompt file. */
export interface AuditRange {
  start: number;
  end: number;
  startLine: number;
  startCharacter: number;
  endLine: number;
  endCharacter: number;
}

export type AuditVerdict = "removable" | "essential" | "inconclusive — needs more samples";

export interface AuditSectionDto {
  id: string;
  title: string;
  kind: "heading" | "tag" | "paragraph" | "bullets" | "example" | "turn" | "tool" | "message";
  tokens: number;
  /** Share of the prompt's counted tokens, 0–1. */
  share: number;
  range: AuditRange;
  /** What a quick fix deletes (JSON array elements include their separating comma, so the file stays valid). */
  deleteRange: AuditRange;
}

export interface AuditFinding {
  kind: "duplicate-sentence" | "unused-tool" | "oversized-example" | "large-section";
  message: string;
  sectionIds: string[];
  /** Tokens this finding would save if acted on (an estimate). */
  tokens?: number;
}

export interface PromptTokenStats {
  /** Recorded LLM calls whose system prompt matched this prompt. */
  calls: number;
  avgPromptTokens: number;
  p95PromptTokens: number;
}

export const AuditSectionsRequestSchema = z
  .object({
    /** The prompt's text (a file's contents), or `span`: a recorded LLM call's system prompt and tools. */
    text: z.string().min(1).max(1_000_000).optional(),
    span: z
      .object({
        traceId: z
          .string()
          .min(1)
          .max(200)
          .regex(/^[^/\s]+$/),
        spanId: z
          .string()
          .min(1)
          .max(200)
          .regex(/^[^/\s]+$/),
      })
      .optional(),
    /** File name, for format detection (".json" → chat JSON, ".md" → Markdown). */
    fileName: z.string().max(1000).optional(),
    /** Model (alias, route or name) whose tokenizer counts; default: an estimate. */
    model: z.string().max(500).optional(),
    granularity: z.enum(["auto", "paragraphs"]).optional(),
  })
  .refine((r) => (r.text === undefined) !== (r.span === undefined), { message: "give exactly one of text or span" });
export type AuditSectionsRequest = z.infer<typeof AuditSectionsRequestSchema>;

export interface AuditSectionsResponse {
  format: string;
  /** For a span: the virtual document (system text, then each tool's JSON) that the ranges refer to. */
  source?: string;
  tokenizer: string;
  /** False when counts are an estimate (no tokenizer for that model). */
  exactTokens: boolean;
  totalTokens: number;
  sections: AuditSectionDto[];
  findings: AuditFinding[];
  recorded?: PromptTokenStats;
}

export const AuditRunRequestSchema = z.object({
  /** An audit spec as an object (same schema as *.hotpath-audit.json) with `promptText` or `span`, never a `prompt` path. */
  spec: z.record(z.string(), z.unknown()),
  /** The prompt's file name (format detection: ".json" is a JSON chat), echoed as the report's prompt.path. */
  fileName: z.string().max(4096).optional(),
  /** Model override (route, alias). */
  model: z.string().max(500).optional(),
  /** Start over instead of resuming / reusing a finished run of the same spec. */
  fresh: z.boolean().optional(),
});
export type AuditRunRequest = z.infer<typeof AuditRunRequestSchema>;

export interface AuditEstimate {
  calls: number;
  promptTokens: number;
  completionTokens: number;
  /** null when the model's price is unknown; 0 for local models. */
  costUsd: number | null;
  /** Calls already recorded by an earlier, interrupted run of the same spec. */
  callsDone: number;
}

export interface AuditProgress {
  phase: "baseline" | "ablation" | "verification" | "done";
  done: number;
  total: number;
  /** The variant a sample just finished for: "baseline", a section id, or "combined". */
  variant?: string;
}

export interface AuditSectionResult {
  id: string;
  title: string;
  kind: AuditSectionDto["kind"];
  /** Counted with `report.tokenizer`. */
  tokens: number;
  range: AuditRange;
  deleteRange: AuditRange;
  verdict: AuditVerdict | "not audited";
  /** Quality change in percentage points (variant − baseline) with its bootstrap interval. */
  qualityDelta: { mean: number; low: number; high: number };
  quality: number;
  /** Measured: baseline prompt tokens − this variant's (median over calls). */
  promptTokensSaved: number;
  /** Median latency, baseline − variant (negative: slower without the section). */
  latencyMsSaved: number;
  costSavedUsdPerCall: number | null;
  samples: number;
  errors: number;
  /** Every sample of every input gave the same output (temperature 0 on a deterministic backend). */
  deterministic: boolean;
  firstError?: string;
}

export interface AuditReport {
  version: 1;
  runId: string;
  createdAt: number;
  model: string;
  prompt: { path?: string; format: string; tokens: number };
  tokenizer: string;
  exactTokens: boolean;
  inputs: number;
  samples: number;
  tolerance: number;
  confidence: number;
  checks: string[];
  baseline: { quality: number; promptTokens: number; latencyMs: number; errors: number; deterministic: boolean };
  sections: AuditSectionResult[];
  combined: {
    removed: string[];
    verified: boolean;
    verdict: AuditVerdict | "nothing to remove";
    qualityDelta: { mean: number; low: number; high: number };
    /** Counted tokens of the removed sections, and their share of the prompt. */
    tokensSaved: number;
    share: number;
    /** Measured: baseline prompt tokens − combined variant's (median). */
    promptTokensSaved: number;
    latencyMsSaved: number;
    costSavedUsdPerCall: number | null;
    /** Verification rounds (the worst section is put back after a failed round). */
    rounds: number;
  };
  estimate: AuditEstimate;
  calls: number;
  findings: AuditFinding[];
  notes: string[];
}

export interface AuditRunStarted {
  id: string;
  estimate: AuditEstimate;
}

export interface AuditRunStatus {
  id: string;
  status: "running" | "done" | "cancelled" | "failed";
  progress: AuditProgress;
  estimate: AuditEstimate;
  report?: AuditReport;
  markdown?: string;
  error?: string;
}

// ───────────────────────────── Serving: GET /hotpath/stats ─────────────────────────────

export interface ModelServingStats {
  alias: string;
  state: LocalModelState;
  error?: string;
  contextSize?: number;
  sequences?: number;
  busySequences?: number;
  queued?: { interactive: number; workflow: number; background: number };
  /** Only for models with a draft model or prompt lookup. enabled: the adaptive switch's current verdict. */
  speculation?: {
    kind: "draft" | "lookup";
    enabled: boolean;
    drafted: number;
    accepted: number;
    acceptance: number;
    draftLength: number;
  };
  /**
   * CPU threads for prompt evaluation and for decoding. source: fixed (--threads N), calibrated (measured at this
   * load), remembered (measured on an earlier load on this machine), cores (auto without calibration support).
   * provisional: calibrated while other processes kept the machine busy; not remembered, measured again next load.
   */
  threads?: {
    prefill: number;
    decode: number;
    source: "fixed" | "calibrated" | "remembered" | "cores";
    provisional?: boolean;
  };
}

/** Facts over the daemon's own request spans in the window. */
export interface ServingWindowStats {
  windowS: number;
  requests: number;
  errors: number;
  ttftMs: { p50: number | null; p95: number | null };
  decodeTokensPerSecond: { p50: number | null };
  promptTokens: number;
  /** Prompt tokens served from the KV cache (prefix reuse), and their share of all prompt tokens. */
  cachedPromptTokens: number;
  prefixReuse: number | null;
  completionTokens: number;
  cacheHits: number;
  costUsd: number;
}

/** Event-loop delay over one window: how long a ready callback waited (0 when the loop is never held). */
export interface EventLoopDelayWindow {
  /** Length of the window so far. */
  seconds: number;
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface ServingStats {
  version: string;
  uptimeS: number;
  /** The daemon's event loop: the 60 s window in progress and the last complete one. */
  eventLoop?: { current: EventLoopDelayWindow; previous?: EventLoopDelayWindow };
  models: ModelServingStats[];
  window: ServingWindowStats;
}

// ───────────────────────────── OpenAI Responses API: POST/GET/DELETE /v1/responses ─────────────────────────────
// What Codex and the OpenAI Agents SDK speak. Validation checks what Hotpath itself reads; every other field
// (present and future) is kept in the raw body and forwarded unchanged on a pass-through route.

const responsesContent = z.union([z.string(), z.array(z.object({ type: z.string() }).passthrough())]);
/** One input item; `type` may be omitted on messages ("easy input message"). */
export const ResponsesInputItemSchema = z
  .object({
    type: z.string().optional(),
    role: z.enum(["user", "assistant", "system", "developer"]).optional(),
    content: responsesContent.optional(),
    call_id: z.string().optional(),
    name: z.string().optional(),
    arguments: z.string().optional(),
    input: z.string().optional(),
    output: z.union([z.string(), z.array(z.object({ type: z.string() }).passthrough())]).optional(),
    id: z.string().optional(),
  })
  .passthrough()
  .superRefine((item, ctx) => {
    const type = item.type ?? (item.role ? "message" : undefined);
    const need = (keys: string[]) => {
      for (const k of keys) {
        if ((item as Record<string, unknown>)[k] === undefined)
          ctx.addIssue({ code: "custom", path: [k], message: `a ${type} item needs ${k}` });
      }
    };
    if (type === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["type"],
        message: "an input item needs a type (or a role, for a message)",
      });
    else if (type === "message") need(["role", "content"]);
    else if (type === "function_call") need(["call_id", "name", "arguments"]);
    else if (type === "function_call_output" || type === "custom_tool_call_output") need(["call_id", "output"]);
    else if (type === "custom_tool_call") need(["call_id", "name", "input"]);
  });
export type ResponsesInputItem = z.infer<typeof ResponsesInputItemSchema>;

export const ResponsesToolSchema = z
  .object({
    type: z.string(),
    name: z.string().optional(),
    description: z.string().nullable().optional(),
    parameters: z.record(z.string(), z.unknown()).nullable().optional(),
    strict: z.boolean().nullable().optional(),
  })
  .passthrough();
export type ResponsesTool = z.infer<typeof ResponsesToolSchema>;

export const ResponsesRequestSchema = z
  .object({
    model: ModelName,
    input: z.union([z.string(), z.array(ResponsesInputItemSchema)]).optional(),
    instructions: z.string().nullable().optional(),
    tools: z.array(ResponsesToolSchema).max(256).optional(),
    tool_choice: z
      .union([
        z.enum(["none", "auto", "required"]),
        z.object({ type: z.string(), name: z.string().optional() }).passthrough(),
      ])
      .optional(),
    parallel_tool_calls: z.boolean().nullable().optional(),
    max_output_tokens: z.number().int().positive().nullable().optional(),
    temperature: z.number().min(0).max(2).nullable().optional(),
    top_p: z.number().gt(0).max(1).nullable().optional(),
    text: z
      .object({
        format: z
          .union([
            z.object({ type: z.literal("text") }),
            z.object({ type: z.literal("json_object") }),
            z.object({
              type: z.literal("json_schema"),
              name: z.string(),
              schema: z.record(z.string(), z.unknown()),
              description: z.string().optional(),
              strict: z.boolean().nullable().optional(),
            }),
          ])
          .optional(),
      })
      .passthrough()
      .nullable()
      .optional(),
    reasoning: z.object({ effort: z.string().nullable().optional() }).passthrough().nullable().optional(),
    previous_response_id: z.string().nullable().optional(),
    store: z.boolean().nullable().optional(),
    stream: z.boolean().nullable().optional(),
    metadata: z.record(z.string(), z.string()).nullable().optional(),
    user: z.string().optional(),
    prompt_cache_key: z.string().optional(),
  })
  .passthrough();
export type ResponsesRequest = z.infer<typeof ResponsesRequestSchema>;

export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export type ResponsesOutputItem =
  | {
      type: "message";
      id: string;
      role: "assistant";
      status: "completed" | "incomplete" | "in_progress";
      content: { type: "output_text"; text: string; annotations: unknown[]; logprobs?: unknown[] }[];
    }
  | {
      type: "function_call";
      id: string;
      call_id: string;
      name: string;
      arguments: string;
      status: "completed" | "in_progress" | "incomplete";
    }
  | {
      type: "custom_tool_call";
      id: string;
      call_id: string;
      name: string;
      input: string;
      status?: "completed" | "in_progress";
    };

/** The Response object (what POST returns unstreamed, what response.completed carries, what GET returns). */
export interface ResponsesResponse {
  id: string;
  object: "response";
  created_at: number;
  status: "completed" | "incomplete" | "in_progress" | "failed";
  error: { code: string; message: string } | null;
  incomplete_details: { reason: string } | null;
  instructions: string | null;
  max_output_tokens: number | null;
  model: string;
  output: ResponsesOutputItem[];
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  reasoning: { effort: string | null; summary: string | null };
  store: boolean;
  temperature: number | null;
  text: { format: Record<string, unknown> };
  tool_choice: unknown;
  tools: unknown[];
  top_p: number | null;
  truncation: "disabled" | "auto";
  usage: ResponsesUsage | null;
  user: string | null;
  metadata: Record<string, string>;
  [extra: string]: unknown;
}
