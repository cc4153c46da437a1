// Typed configuration: defaults < config file (JSON or YAML) < environment < command-line flags, validated with zod.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { KeepAliveSchema } from "./models/keep-alive.js";

export const GpuSchema = z.enum(["auto", "cuda", "vulkan", "metal", "off"]);

export const ModelRefSchema = z.object({
  /** Name clients use in `model`, e.g. "stories". */
  alias: z.string().min(1),
  /** A GGUF path, or hf:owner/repo/file.gguf (downloaded into <dataDir>/models). */
  source: z.string().min(1),
  /** Speculative decoding: a draft GGUF (path or alias), or "lookup" for prompt lookup. */
  draft: z.string().optional(),
  contextSize: z.number().int().min(64).optional(),
  embedding: z.boolean().optional(),
});

// ───────────── router: providers, routes, aliases, rules, prices (see daemon/router/) ─────────────

/** Keys are never written in the config file: only references to where they live. */
export const SecretRefSchema = z
  .string()
  .regex(
    /^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+)$/,
    "must be a secret reference like env:OPENAI_API_KEY or file:/path/to/key — put the key itself in an environment variable or a file, never in the config",
  );

export const ProviderConfigSchema = z
  .object({
    type: z.enum(["openai", "anthropic", "openai-compatible"]),
    /** OpenAI-style base URL including /v1 (e.g. http://gpu-box:8000/v1); Anthropic: the host root. */
    baseURL: z.url({ message: "must be an http(s) URL, e.g. http://127.0.0.1:8000/v1" }).optional(),
    apiKey: SecretRefSchema.optional(),
    /** Requests in flight to this provider at once (keep-alive sockets); more wait in line. */
    maxConcurrency: z.number().int().min(1).max(1024).default(16),
    /** Anthropic only: the anthropic-version header. */
    anthropicVersion: z.string().default("2023-06-01"),
  })
  .refine((p) => p.type !== "openai-compatible" || p.baseURL !== undefined, {
    message: "an openai-compatible provider needs a baseURL, e.g. http://127.0.0.1:8000/v1",
    path: ["baseURL"],
  });

/** USD per 1M tokens. */
export const PriceSchema = z.object({
  input: z.number().min(0),
  output: z.number().min(0),
  cachedInput: z.number().min(0).optional(),
});

export const RouteOptionsSchema = z.object({
  /** Longest silence allowed from the backend: before its first event and between events. */
  timeoutMs: z.number().int().positive().optional(),
  /** Retries of this route on 408/409/429/5xx/connection errors before falling back. */
  maxRetries: z.number().int().min(0).max(10).optional(),
  /** Routes (or aliases) tried in order when this one fails before its first streamed byte. */
  fallbacks: z.array(z.string().min(1)).optional(),
  /** USD per UTC day; once spent, the route is skipped (or the request refused with 402). */
  dailyBudgetUsd: z.number().positive().optional(),
  price: PriceSchema.optional(),
  /** Priority class for requests to this route that send no x-hotpath-priority header (default interactive). */
  priority: z.enum(["interactive", "workflow", "background"]).optional(),
});

export const CascadeSchema = z.object({
  /** Routes tried in order, cheapest first; the last one is the answer of last resort. */
  cascade: z.array(z.string().min(1)).min(2, "a cascade needs at least two routes"),
  /** Accept a step whose mean token probability reaches this (backends that report confidence: the local engine). */
  minMean: z.number().min(0).max(1).optional(),
  /** Accept a step whose least likely token reaches this. */
  minMin: z.number().min(0).max(1).optional(),
});

/** Where a request goes: a route id ("openai:gpt-4o-mini", "local:stories"), an alias name, or a cascade. */
export const TargetSchema = z.union([z.string().min(1), CascadeSchema]);

export const RuleSchema = z.object({
  name: z.string().optional(),
  when: z
    .object({
      /** Requested model names this rule applies to (default: any name that is not a concrete route id). */
      model: z.union([z.string(), z.array(z.string())]).optional(),
      /** Task type: the x-hotpath-task header, else a keyword classifier (summarize, translate, classify, extract, code, chat). */
      task: z.union([z.string(), z.array(z.string())]).optional(),
      minPromptChars: z.number().int().min(0).optional(),
      maxPromptChars: z.number().int().min(0).optional(),
      tools: z.boolean().optional(),
      jsonSchema: z.boolean().optional(),
    })
    .strict(),
  target: TargetSchema,
});

export const RouterConfigSchema = z
  .object({
    providers: z
      .record(
        z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, "provider names are lowercase letters, digits, '_' or '-'"),
        ProviderConfigSchema,
      )
      .refine((p) => !("local" in p), "'local' is reserved for the local engine")
      .default({}),
    routes: z.record(z.string(), RouteOptionsSchema).default({}),
    aliases: z.record(z.string(), TargetSchema).default({}),
    rules: z.array(RuleSchema).default([]),
    /** Overrides of the shipped price table, keyed by route id or model name prefix. */
    prices: z.record(z.string(), PriceSchema).default({}),
    timeoutMs: z.number().int().positive().default(60_000),
    maxRetries: z.number().int().min(0).max(10).default(2),
    backoff: z
      .object({ baseMs: z.number().int().min(0).default(250), maxMs: z.number().int().min(0).default(8_000) })
      .prefault({}),
    /** A retry-after longer than this is not waited for: the route is given up (fallback) instead. */
    maxRetryAfterMs: z.number().int().min(0).default(30_000),
    breaker: z
      .object({
        /** Consecutive failures (429, 5xx, timeouts, connection errors) that open a route's circuit. */
        failureThreshold: z.number().int().min(1).default(5),
        /** How long an open circuit skips its route before letting one trial request through. */
        cooldownMs: z.number().int().min(0).default(30_000),
      })
      .prefault({}),
  })
  .superRefine((r, ctx) => {
    // Route ids name a provider: catch typos at load time rather than at the first request.
    const providers = new Set(["local", "openai", "anthropic", ...Object.keys(r.providers)]);
    const check = (name: string, path: (string | number)[]) => {
      const i = name.indexOf(":");
      if (i > 0 && !providers.has(name.slice(0, i)) && !(name in r.aliases)) {
        ctx.addIssue({
          code: "custom",
          path,
          message: `'${name}' names provider '${name.slice(0, i)}', which is not configured (known: ${[...providers].join(", ")})`,
        });
      }
    };
    const checkTarget = (t: Target, path: (string | number)[]) =>
      typeof t === "string" ? check(t, path) : t.cascade.forEach((s, i) => check(s, [...path, "cascade", i]));
    for (const [name, t] of Object.entries(r.aliases)) checkTarget(t, ["aliases", name]);
    r.rules.forEach((rule, i) => checkTarget(rule.target, ["rules", i, "target"]));
    for (const [name, opts] of Object.entries(r.routes)) {
      check(name, ["routes", name]);
      opts.fallbacks?.forEach((f, i) => check(f, ["routes", name, "fallbacks", i]));
    }
  });

export type RouterConfig = z.infer<typeof RouterConfigSchema>;
export type ProviderConfig = z.infer<typeof ProviderConfigSchema>;
export type RouteOptions = z.infer<typeof RouteOptionsSchema>;
export type Price = z.infer<typeof PriceSchema>;
export type Target = z.infer<typeof TargetSchema>;
export type Rule = z.infer<typeof RuleSchema>;
/** Time to live per workload class, in seconds (seed 001's table). */
export const CacheTtlSchema = z.object({
  classification: z
    .number()
    .int()
    .positive()
    .default(30 * 24 * 3600),
  extraction: z
    .number()
    .int()
    .positive()
    .default(7 * 24 * 3600),
  code: z
    .number()
    .int()
    .positive()
    .default(24 * 3600),
  conversation: z.number().int().positive().default(3600),
});

/** The semantic response cache (daemon/cache). */
export const CacheConfigSchema = z.object({
  enabled: z.boolean().default(true),
  /** "use": Universal Sentence Encoder lite shipped in npm (offline); "gguf": a GGUF embedding model; "cloud": an OpenAI-compatible /v1/embeddings route. */
  embedder: z.enum(["use", "gguf", "cloud"]).default("use"),
  /** GGUF path for embedder "gguf" (`--embedding-model`). */
  embeddingModel: z.string().optional(),
  /** Embedder "cloud": base URL (…/v1), model, and the environment variable holding the key. */
  cloudEmbeddings: z
    .object({ baseUrl: z.string().url(), model: z.string().min(1), apiKeyEnv: z.string().optional() })
    .optional(),
  /** Cosine similarity a semantic candidate needs; overridable per route and per namespace. */
  threshold: z.number().min(0).max(1).default(0.9),
  routeThresholds: z.record(z.string(), z.number().min(0).max(1)).default({}),
  /**
   * Routes whose answers are cached per user/tenant only. "header": the scope is the x-hotpath-cache-scope header;
   * "user": that header, else the request's `user` field. A request of such a route without a scope is not cached.
   * Elsewhere a request that sends x-hotpath-cache-scope is scoped, and one that does not shares the cache.
   */
  routeScopes: z.record(z.string(), z.enum(["header", "user"])).default({}),
  /** Only temperature 0 or seeded requests are cached; false caches sampled answers too. */
  onlyDeterministic: z.boolean().default(true),
  /** Semantic matching for chat; completions prompts are continued verbatim, so exact only by default. */
  semanticChat: z.boolean().default(true),
  semanticCompletions: z.boolean().default(false),
  /** Run the false-hit guards after KNN (turning them off is for benchmarks). */
  guards: z.boolean().default(true),
  /** With a verifier configured it judges every semantic candidate; the band adds those up to `band` below the threshold. */
  verifierBand: z.number().min(0).max(0.5).default(0.03),
  /** A model (route id or alias, e.g. "local:qwen-0.5b") asked whether a semantic candidate answers the request. */
  verifier: z.object({ model: z.string().min(1), timeoutMs: z.number().int().positive().default(5000) }).optional(),
  ttlSeconds: CacheTtlSchema.default(CacheTtlSchema.parse({})),
  /** Size cap: least recently used entries are evicted beyond either limit. */
  maxEntries: z.number().int().positive().default(200_000),
  maxBytes: z
    .number()
    .int()
    .positive()
    .default(1024 * 1024 * 1024),
  /** Candidates the binary-quantized coarse search hands to the float re-score. */
  coarseCandidates: z.number().int().min(1).max(4096).default(32),
  /** How long a request waits for an identical in-flight request before it goes to the backend itself. */
  singleFlightWaitMs: z.number().int().min(0).default(120_000),
});

export type CacheConfig = z.infer<typeof CacheConfigSchema>;

export const ConfigSchema = z.object({
  host: z.string().default("127.0.0.1"),
  port: z.number().int().min(0).max(65535).default(8642),
  dataDir: z.string().default(join(homedir(), ".hotpath")),
  models: z.array(ModelRefSchema).default([]),
  /** How long a local model stays loaded after its last request ("10m", seconds, 0, -1 = for ever); per request: keep_alive. */
  keepAlive: KeepAliveSchema.default("10m"),
  /** CPU threads for local models: a count, or "auto" (measured per model on first load; see engine/threads). */
  threads: z.union([z.literal("auto"), z.number().int().min(1)]).default("auto"),
  gpu: GpuSchema.default("auto"),
  /** Browser origins allowed to call the API (exact match). Default none: no CORS. */
  allowOrigins: z.array(z.string()).default([]),
  bodyLimitBytes: z
    .number()
    .int()
    .positive()
    .default(10 * 1024 * 1024),
  /** Parallel sequences per local model context (each holds one conversation's KV state). */
  sequences: z.number().int().min(1).max(64).default(4),
  contextSize: z.number().int().min(64).default(4096),
  /** Requests waiting for a sequence beyond this are refused with 429. */
  maxQueued: z.number().int().min(0).default(64),
  /** Disk budget for prefix KV snapshots under <dataDir>/kv, in MB (least recently used go first; 0 disables). */
  kvBudgetMb: z.number().int().min(0).default(2048),
  /** Seconds a request may take in total before it is aborted. */
  requestTimeoutS: z.number().positive().default(600),
  logLevel: z.enum(["debug", "info", "warn", "error"]).default("info"),
  traces: z
    .object({
      /** Traces whose last span ended longer ago than this are deleted (0 keeps them forever). */
      retentionDays: z.number().min(0).default(30),
      /** Oldest traces are deleted once the store holds more spans than this (0: no limit). */
      maxSpans: z.number().int().min(0).default(2_000_000),
      /** Longer attribute strings (prompts, tool results) are cut to this many characters when stored. */
      maxAttributeChars: z.number().int().min(1024).default(1_000_000),
      /** Forward every stored span to this OTLP/HTTP collector (…/v1/traces), e.g. Jaeger, Tempo, Langfuse, Phoenix. */
      otlpExport: z.string().url().optional(),
      /** Headers for every export request, e.g. { authorization: "Basic …" } (Langfuse) or { "x-honeycomb-team": "…" }. */
      otlpHeaders: z
        .record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "not a valid HTTP header name"), z.string())
        .default({}),
      /** http/json or http/protobuf (default: OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL, else http/json). */
      otlpProtocol: z.enum(["http/json", "http/protobuf"]).optional(),
    })
    .prefault({}),
  router: RouterConfigSchema.prefault({}),
  cache: CacheConfigSchema.default(CacheConfigSchema.parse({})),
});

export type Config = z.infer<typeof ConfigSchema>;
export type ModelRef = z.infer<typeof ModelRefSchema>;

/** Parses `alias=path`, or derives the alias from the file name (stories260K.gguf → stories260K). */
export function parseModelFlag(value: string): ModelRef {
  const eq = value.indexOf("=");
  if (eq > 0 && !value.slice(0, eq).includes("/") && !value.startsWith("hf:")) {
    return { alias: value.slice(0, eq), source: value.slice(eq + 1) };
  }
  const file = value.split("/").pop() ?? value;
  return { alias: file.replace(/\.gguf$/i, ""), source: value };
}

export interface ConfigInputs {
  /** Already-parsed flags; undefined means "not given". */
  flags?: Partial<Omit<Config, "models">> & { models?: ModelRef[]; config?: string };
  env?: NodeJS.ProcessEnv;
}

export class ConfigError extends Error {}

export function loadConfig({ flags = {}, env = process.env }: ConfigInputs = {}): Config {
  const { config: configFile, ...flagValues } = flags;
  const fromFile = configFile ? readConfigFile(configFile) : {};
  const fromEnv: Record<string, unknown> = {};
  if (env.HOTPATH_PORT) fromEnv.port = Number(env.HOTPATH_PORT);
  if (env.HOTPATH_HOST) fromEnv.host = env.HOTPATH_HOST;
  if (env.HOTPATH_DATA_DIR) fromEnv.dataDir = env.HOTPATH_DATA_DIR;
  if (env.HOTPATH_THREADS) fromEnv.threads = env.HOTPATH_THREADS === "auto" ? "auto" : Number(env.HOTPATH_THREADS);
  if (env.HOTPATH_GPU) fromEnv.gpu = env.HOTPATH_GPU;
  if (env.HOTPATH_KEEP_ALIVE) fromEnv.keepAlive = env.HOTPATH_KEEP_ALIVE;
  if (env.HOTPATH_OTLP_EXPORT)
    fromEnv.traces = { ...(fromFile.traces as object | undefined), otlpExport: env.HOTPATH_OTLP_EXPORT };
  if (env.HOTPATH_MODELS) fromEnv.models = env.HOTPATH_MODELS.split(",").filter(Boolean).map(parseModelFlag);
  const merged: Record<string, unknown> = { ...fromFile, ...fromEnv };
  for (const [k, v] of Object.entries(flagValues)) {
    if (v === undefined) continue;
    // Sections merge (a flag sets one field of `traces`, the file may set the others).
    merged[k] =
      (k === "traces" || k === "cache") && typeof v === "object" ? { ...(merged[k] as object | undefined), ...v } : v;
  }
  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `  ${i.path.join(".") || "(root)"}: ${i.message}`).join("\n");
    throw new ConfigError(`invalid configuration:\n${issues}`);
  }
  return { ...parsed.data, dataDir: resolve(parsed.data.dataDir) };
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ConfigError(`cannot read config file ${file}: ${(e as Error).message}`);
  }
  try {
    const value = file.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
    if (value === null || typeof value !== "object" || Array.isArray(value))
      throw new Error("top level must be an object");
    return value as Record<string, unknown>;
  } catch (e) {
    throw new ConfigError(`cannot parse config file ${file}: ${(e as Error).message}`);
  }
}

/** Where things live under the data dir. */
export function dataPaths(dataDir: string) {
  return {
    db: join(dataDir, "hotpath.db"),
    token: join(dataDir, "token"),
    models: join(dataDir, "models"),
    kv: join(dataDir, "kv"),
    threads: join(dataDir, "threads.json"),
    log: join(dataDir, "daemon.log"),
    /** Written while a daemon serves from this data dir: its pid, URL and version (`hotpath stop`, the extension). */
    running: join(dataDir, "daemon.json"),
  };
}
