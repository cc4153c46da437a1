// `hotpath serve`: run the daemon in the foreground.
import { resolve } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { existsSync, statSync } from "node:fs";
import { loadConfig, parseModelFlag, type ModelRef } from "../config.js";
import { checkGguf } from "../engine/gguf/validate.js";
import { integer } from "./flags.js";
import { parseKeepAlive } from "../models/keep-alive.js";
import { startDaemon } from "../server/daemon.js";
import { watchConfigFile } from "../router/reload.js";
import { VERSION } from "../version.js";
import { missingAllocatorEnv } from "../allocator.js";

export function register(program: Command): void {
  program
    .command("serve")
    .description("run the daemon: OpenAI/Anthropic-compatible API on 127.0.0.1, local GGUF models, traces")
    .option(
      "--host <host>",
      "address to bind (env HOTPATH_HOST); anything but loopback is exposed to the network",
      undefined,
    )
    .option("--port <port>", "port (env HOTPATH_PORT; default 8642; 0 picks a free one)", integer)
    .option(
      "--model <path|hf:owner/repo/file.gguf>",
      "a GGUF model, optionally as alias=path; repeatable",
      collectModel,
    )
    .option(
      "--draft-model <alias=path|alias=lookup>",
      'speculative decoding for a model: a draft GGUF sharing its tokenizer, or "lookup" (prompt lookup, for copy-heavy work); a bare value applies to the only model; repeatable',
      collect,
    )
    .option(
      "--threads <n|auto>",
      "CPU threads for inference; auto (default) measures each model once and remembers the best prefill and decode counts",
      parseThreads,
    )
    .addOption(
      new Option("--gpu <backend>", "GPU backend (env HOTPATH_GPU)").choices([
        "auto",
        "cuda",
        "vulkan",
        "metal",
        "off",
      ]),
    )
    .option(
      "--keep-alive <duration>",
      'how long a model stays loaded after its last request: "10m" (default), "30s", 0 (unload after each answer), -1 (never unload); env HOTPATH_KEEP_ALIVE; requests may send keep_alive',
      keepAliveFlag,
    )
    .option("--context-size <tokens>", "context size per model (default 4096)", integer)
    .option(
      "--sequences <n>",
      "parallel sequences per model: conversations kept resident for prefix reuse (default 4)",
      integer,
    )
    .option(
      "--kv-budget-mb <mb>",
      "disk budget for prefix KV snapshots under <data-dir>/kv (default 2048; 0 disables)",
      integer,
    )
    .option("--max-queued <n>", "requests allowed to wait for a sequence before 429 (default 64)", integer)
    .option("--allow-origin <origin>", "a browser Origin allowed to call the API; repeatable (default none)", collect)
    .option("--body-limit <bytes>", "largest request body in bytes (default 10 MB)", integer)
    .option("--log-level <level>", "debug | info | warn | error")
    .option("--no-response-cache", "turn the semantic response cache off (every request reaches a model)")
    .option(
      "--embedding-model <gguf>",
      "embed cache lookups with this GGUF embedding model (node-llama-cpp) instead of the bundled Universal Sentence Encoder",
    )
    .option(
      "--otlp-export <url>",
      "also forward every span to this OTLP/HTTP collector, e.g. http://localhost:4318/v1/traces (env HOTPATH_OTLP_EXPORT, or the standard OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT)",
    )
    .option(
      "--otlp-header <name=value>",
      'a header for every export request, e.g. "authorization=Basic …"; repeatable (OTEL_EXPORTER_OTLP_HEADERS adds more)',
      collectHeader,
    )
    .addOption(
      new Option(
        "--otlp-protocol <protocol>",
        "OTLP encoding (default: OTEL_EXPORTER_OTLP_PROTOCOL, else http/json)",
      ).choices(["http/json", "http/protobuf"]),
    )
    .action(async (opts, cmd: Command) => {
      const globals = cmd.optsWithGlobals();
      opts.model ??= [];
      opts.draftModel ??= [];
      opts.allowOrigin ??= [];
      // A model named on the command line that cannot load is a mistake to report now, not a 500 on the first request.
      for (const ref of opts.model as ModelRef[]) await checkModelFile(ref);
      const flags = {
        config: globals.config,
        dataDir: globals.dataDir,
        host: opts.host,
        port: opts.port,
        models: opts.model.length ? withDrafts(opts.model, opts.draftModel) : undefined,
        threads: opts.threads,
        keepAlive: opts.keepAlive,
        gpu: opts.gpu,
        contextSize: opts.contextSize,
        sequences: opts.sequences,
        maxQueued: opts.maxQueued,
        kvBudgetMb: opts.kvBudgetMb,
        allowOrigins: opts.allowOrigin.length ? opts.allowOrigin : undefined,
        bodyLimitBytes: opts.bodyLimit,
        logLevel: opts.logLevel,
        cache:
          opts.responseCache === false || opts.embeddingModel
            ? ({
                ...(opts.responseCache === false ? { enabled: false } : {}),
                ...(opts.embeddingModel ? { embedder: "gguf", embeddingModel: resolve(opts.embeddingModel) } : {}),
              } as never)
            : undefined,
        traces:
          opts.otlpExport || opts.otlpHeader || opts.otlpProtocol
            ? ({
                ...(opts.otlpExport ? { otlpExport: opts.otlpExport } : {}),
                ...(opts.otlpHeader ? { otlpHeaders: opts.otlpHeader } : {}),
                ...(opts.otlpProtocol ? { otlpProtocol: opts.otlpProtocol } : {}),
              } as never)
            : undefined,
      };
      const config = loadConfig({ flags });
      const daemon = await startDaemon(config, VERSION, { interactive: process.stderr.isTTY });
      const lines = [
        config.models.length === 0
          ? "no local model configured: add one with --model <file.gguf> (or alias=path, or hf:owner/repo/file.gguf)"
          : undefined,
        `token file: ${daemon.tokenFile}`,
        `OpenAI base URL: ${daemon.url}/v1`,
        // Last, and in one write: scripts (and the extension) wait for this line.
        `Hotpath ${VERSION} listening on ${daemon.url}`,
      ];
      process.stdout.write(lines.filter(Boolean).join("\n") + "\n");
      const allocator = missingAllocatorEnv();
      if (allocator.length)
        daemon.services.log(
          "warn",
          `started without ${allocator.join(" ")}: glibc may keep the memory of large request bodies after they are freed (RSS grew ~370 MB over the fuzz corpus without them, ~100 MB with); start the daemon as \`hotpath serve\` (its shebang sets them) or set them in its environment`,
        );
      // Router policies (providers, routes, aliases, rules, prices) follow edits of the config file without a restart.
      const configWatch = globals.config
        ? watchConfigFile(
            globals.config,
            () => loadConfig({ flags }).router,
            (c) => daemon.services.router.reload(c),
            daemon.services.log,
          )
        : undefined;
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) process.exit(1); // second Ctrl-C: leave now
        stopping = true;
        configWatch?.close();
        process.stderr.write(`${signal}: shutting down\n`);
        daemon.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      daemon.services.requestShutdown = () => stop("hotpath stop");
      process.on("SIGINT", () => stop("SIGINT"));
      process.on("SIGTERM", () => stop("SIGTERM"));
    });
}

/** Attaches --draft-model values to their models: "alias=path", or a bare path/"lookup" when there is one model. */
export function withDrafts(models: ModelRef[], drafts: string[]): ModelRef[] {
  const out = models.map((m) => ({ ...m }));
  for (const value of drafts) {
    const eq = value.indexOf("=");
    const alias = eq > 0 ? value.slice(0, eq) : undefined;
    const draft = eq > 0 ? value.slice(eq + 1) : value;
    const target = alias ? out.find((m) => m.alias === alias) : out.length === 1 ? out[0] : undefined;
    if (!target) {
      throw new Error(
        alias
          ? `--draft-model ${value}: no --model has the alias "${alias}" (aliases: ${out.map((m) => m.alias).join(", ")})`
          : `--draft-model ${value}: with several models, name one as alias=path`,
      );
    }
    target.draft = draft;
  }
  return out;
}

/** Refuses a --model file that is missing or not a GGUF llama.cpp can load (hf: sources download later). */
export async function checkModelFile(ref: ModelRef): Promise<void> {
  if (ref.source.startsWith("hf:") || /^https?:\/\//.test(ref.source)) return;
  const path = resolve(ref.source);
  if (!existsSync(path)) {
    throw new Error(`--model ${ref.source}: no such file (${path}); give the path of a .gguf file, or alias=path`);
  }
  if (statSync(path).isDirectory())
    throw new Error(`--model ${ref.source}: is a directory; give the path of a .gguf file`);
  const verdict = await checkGguf(path);
  if (!verdict.ok)
    throw new Error(
      `--model ${ref.source}: not a loadable GGUF model: ${verdict.error.problem}. ${verdict.error.hint}`,
    );
}

function collectHeader(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf("=");
  if (eq <= 0) throw new InvalidArgumentError(`"${value}" is not name=value (e.g. "authorization=Bearer …")`);
  return { ...previous, [value.slice(0, eq).trim().toLowerCase()]: value.slice(eq + 1).trim() };
}

function keepAliveFlag(value: string): string {
  if (parseKeepAlive(value) === undefined)
    throw new InvalidArgumentError(`"${value}" is not a duration (e.g. 10m, 30s, 0, or -1 to keep models loaded)`);
  return value;
}

function parseThreads(value: string): number | "auto" {
  if (value === "auto") return "auto";
  const n = integer(value);
  if (n < 1) throw new InvalidArgumentError(`give a count of at least 1, or auto`);
  return n;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function collectModel(value: string, previous: ModelRef[] = []): ModelRef[] {
  return [...previous, parseModelFlag(value)];
}
