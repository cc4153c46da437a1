// `hotpath gen-model`: write a deterministic random-weight llama GGUF (or a draft/target pair) for tests and benchmarks.
import { Command, InvalidArgumentError, Option } from "commander";
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { loadConfig, dataPaths } from "../config.js";
import { writeDraftPair, writeGguf, type ModelParams, type WrittenModel } from "../engine/gguf/write.js";

/** "60MB", "1.5GB", "500k", "123456" → bytes (decimal units, as file managers show). */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?\s*$/i.exec(text);
  if (!m) throw new InvalidArgumentError(`"${text}" is not a size: use e.g. 60MB, 500KB, 1GB or a byte count`);
  const unit = (m[2] ?? "b").toLowerCase();
  const base = unit.includes("i") ? 1024 : 1000;
  const power = unit.startsWith("k") ? 1 : unit.startsWith("m") ? 2 : unit.startsWith("g") ? 3 : 0;
  return Math.round(Number(m[1]) * base ** power);
}

function int(min: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`"${text}" must be an integer ≥ ${min}`);
    return n;
  };
}

function float(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`"${text}" is not a number`);
  return n;
}

const describe = (m: WrittenModel): string =>
  `${m.path}\n  ${(m.bytes / 1e6).toFixed(1)} MB, ${m.dims.type}, ${m.dims.nLayer} layers × ${m.dims.nEmbd} wide (ff ${m.dims.nFf}, ` +
  `${m.dims.nHead} heads, ${m.dims.nHeadKv} kv), vocab ${m.dims.vocabSize}, context ${m.dims.contextLength}, seed ${m.dims.seed}\n  sha256 ${m.sha256}\n`;

export function register(program: Command): void {
  program
    .command("gen-model")
    .description(
      "write a deterministic llama-architecture GGUF with random weights (same options + seed → identical file)",
    )
    .option(
      "--out <file>",
      "output file (default <data-dir>/models/hotpath-random-<size>.gguf); with --draft-pair, the target (draft gets -draft before .gguf)",
    )
    .option("--size <bytes>", "approximate file size, e.g. 60MB; picks width and depth not given explicitly", parseSize)
    .option("--seed <n>", "random seed (default 1)", int(0))
    .option("--layers <n>", "transformer layers (with --draft-pair: the target's total)", int(1))
    .option("--embd <n>", "embedding width", int(2))
    .option("--ff <n>", "feed-forward width", int(1))
    .option("--heads <n>", "attention heads", int(1))
    .option("--kv-heads <n>", "key/value heads (grouped-query attention when fewer than --heads)", int(1))
    .option("--vocab <n>", "vocabulary size (default 1024; 8192 for --size above 20MB)", int(262))
    .option("--context <n>", "training context length written to the metadata (default 2048)", int(1))
    .addOption(new Option("--type <type>", "weight matrix type").choices(["f32", "f16", "q8_0"]).default("f16"))
    .option(
      "--draft-pair <draftLayers>",
      "also write a draft with this many layers, shared with the target's first layers",
      int(1),
    )
    .option(
      "--epsilon <x>",
      "with --draft-pair: output scale of the target's extra layers (0 → identical predictions; default 0.05)",
      float,
    )
    .action((opts, cmd: Command) => {
      const globals = cmd.optsWithGlobals();
      const params: ModelParams = {
        seed: opts.seed,
        targetBytes: opts.size,
        nEmbd: opts.embd,
        nFf: opts.ff,
        nHead: opts.heads,
        nHeadKv: opts.kvHeads,
        vocabSize: opts.vocab,
        contextLength: opts.context,
        type: opts.type,
      };
      let out: string = opts.out;
      if (!out) {
        const config = loadConfig({ flags: { config: globals.config, dataDir: globals.dataDir } });
        out = join(
          dataPaths(config.dataDir).models,
          `hotpath-random-${opts.size ? `${Math.round(opts.size / 1e6)}MB` : "small"}-${opts.type}-s${opts.seed ?? 1}.gguf`,
        );
      }
      out = resolve(out);
      mkdirSync(dirname(out), { recursive: true });
      const started = performance.now();
      if (opts.draftPair !== undefined) {
        const total: number = opts.layers ?? opts.draftPair + 2;
        if (total <= opts.draftPair)
          throw new InvalidArgumentError(`--layers (${total}) must exceed --draft-pair (${opts.draftPair})`);
        const draftPath = out.replace(/(\.gguf)?$/i, "-draft.gguf");
        const { draft, target } = writeDraftPair(draftPath, out, {
          ...params,
          draftLayers: opts.draftPair,
          extraLayers: total - opts.draftPair,
          epsilon: opts.epsilon,
        });
        process.stdout.write(`draft:  ${describe(draft)}target: ${describe(target)}`);
      } else {
        process.stdout.write(describe(writeGguf(out, { ...params, nLayer: opts.layers })));
      }
      process.stdout.write(`generated in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    });
}
