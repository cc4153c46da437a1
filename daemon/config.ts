// Typed configuration: defaults < config file (JSON or YAML) < environment < command-line flags, validated with zod.
import { readFileSync } from "node:fs";
import { homedir, availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

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

export const ConfigSchema = z.object({
  host: z.string().default("127.0.0.1"),
  port: z.number().int().min(0).max(65535).default(8642),
  dataDir: z.string().default(join(homedir(), ".hotpath")),
  models: z.array(ModelRefSchema).default([]),
  threads: z.number().int().min(1).default(Math.max(1, availableParallelism())),
  gpu: GpuSchema.default("auto"),
  /** Browser origins allowed to call the API (exact match). Default none: no CORS. */
  allowOrigins: z.array(z.string()).default([]),
  bodyLimitBytes: z.number().int().positive().default(10 * 1024 * 1024),
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
  if (env.HOTPATH_THREADS) fromEnv.threads = Number(env.HOTPATH_THREADS);
  if (env.HOTPATH_GPU) fromEnv.gpu = env.HOTPATH_GPU;
  if (env.HOTPATH_MODELS) fromEnv.models = env.HOTPATH_MODELS.split(",").filter(Boolean).map(parseModelFlag);
  const merged: Record<string, unknown> = { ...fromFile, ...fromEnv };
  for (const [k, v] of Object.entries(flagValues)) if (v !== undefined) merged[k] = v;
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
    if (value === null || typeof value !== "object" || Array.isArray(value)) throw new Error("top level must be an object");
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
    log: join(dataDir, "daemon.log"),
  };
}
