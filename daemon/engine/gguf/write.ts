// Deterministic GGUF v3 writer: llama-architecture models with random weights, loadable by llama.cpp / node-llama-cpp.
// Same parameters + seed → byte-identical file. Used for tests when ../shared/models is absent and for benchmarks.
import { createHash, randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import {
  alignUp,
  encodeHeader,
  FILE_TYPE,
  type MetadataValue,
  type TensorHeader,
  TensorType,
  type TensorTypeName,
} from "./format.js";
import { buildVocabulary, MIN_VOCAB_SIZE, TokenType } from "./vocab.js";
import { encodeF16, encodeF32, encodeQ8_0, fillUniform, tensorSeed } from "./weights.js";

/** A simple ChatML template; node-llama-cpp recognises it and renders <|im_start|>/<|im_end|> as control tokens. */
export const CHATML_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}" +
  "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

export type ModelParams = {
  /** PRNG seed for all weights (default 1). */
  seed?: number;
  /** `general.name` (default "hotpath-random-<dims>"). */
  name?: string;
  vocabSize?: number;
  nLayer?: number;
  nEmbd?: number;
  nFf?: number;
  nHead?: number;
  nHeadKv?: number;
  contextLength?: number;
  /** Type of the 2-D weight matrices; norms are always f32 (as in real models). Default f16. */
  type?: TensorTypeName;
  /** Approximate file size in bytes; picks nEmbd/nLayer/nFf/nHead for whichever of them is not given. */
  targetBytes?: number;
  /**
   * Multiplier for each layer's output projections (attn_output, ffn_down), by layer index; missing → 1.
   * A layer scaled by ~0 barely changes the residual stream: this is how draft/target pairs are made.
   */
  layerOutputScale?: readonly number[];
  /**
   * Make the model end its turn after a few tokens: the end-of-turn token's output row becomes a scaled copy of
   * some normal tokens' rows, so it wins whenever they would. For tests of clients that need answers that end
   * (agent CLIs treat an answer cut at max tokens as a failure).
   */
  endsTurns?: boolean;
  /** Metadata keys to leave out: only for producing broken files that test the validator. */
  omitMetadata?: readonly string[];
};

export type ModelDims = {
  seed: number;
  name: string;
  vocabSize: number;
  nLayer: number;
  nEmbd: number;
  nFf: number;
  nHead: number;
  nHeadKv: number;
  contextLength: number;
  type: TensorTypeName;
  layerOutputScale: number[];
};

export type WrittenModel = { path: string; bytes: number; sha256: string; dims: ModelDims };

const BYTES_PER_PARAM: Record<TensorTypeName, number> = { f32: 4, f16: 2, q8_0: 34 / 32 };
const HEAD_DIM = 64;

const roundTo = (n: number, m: number): number => Math.max(m, Math.round(n / m) * m);
const ffFor = (nEmbd: number): number => roundTo((nEmbd * 8) / 3, 32);

/** Approximate parameter count of a llama model with these dimensions. */
export function parameterCount(
  d: Pick<ModelDims, "vocabSize" | "nLayer" | "nEmbd" | "nFf" | "nHead" | "nHeadKv">,
): number {
  const kv = (d.nEmbd / d.nHead) * d.nHeadKv;
  const perLayer = 2 * d.nEmbd * d.nEmbd + 2 * d.nEmbd * kv + 3 * d.nEmbd * d.nFf + 2 * d.nEmbd;
  return 2 * d.vocabSize * d.nEmbd + d.nEmbd + d.nLayer * perLayer;
}

/** Resolve defaults and `targetBytes` into concrete dimensions, and check they make a valid llama model. */
export function resolveDims(p: ModelParams): ModelDims {
  const type = p.type ?? "f16";
  if (!(type in TensorType)) throw new Error(`tensor type "${type}" is not supported: use f32, f16 or q8_0`);
  const vocabSize = p.vocabSize ?? (p.targetBytes !== undefined && p.targetBytes > 20e6 ? 8192 : 1024);
  let nEmbd = p.nEmbd;
  let nLayer = p.nLayer;
  if (p.targetBytes !== undefined && (nEmbd === undefined || nLayer === undefined)) {
    if (!(p.targetBytes > 0)) throw new Error(`targetBytes must be positive, got ${p.targetBytes}`);
    const params = p.targetBytes / BYTES_PER_PARAM[type];
    // Try widths in steps of one head; keep the one whose layer count is closest to a typical aspect ratio
    // (about one layer per 64 of width), so that both tiny and large targets get plausible shapes.
    let best: { e: number; l: number; score: number } | undefined;
    for (let e = HEAD_DIM; e <= 8192; e += HEAD_DIM) {
      if (nEmbd !== undefined && e !== nEmbd) continue;
      const ff = p.nFf ?? ffFor(e);
      const perLayer = 4 * e * e + 3 * e * ff;
      const l = nLayer ?? Math.round((params - 2 * vocabSize * e) / perLayer);
      if (l < 1) continue;
      const size = parameterCount({
        vocabSize,
        nLayer: l,
        nEmbd: e,
        nFf: ff,
        nHead: e / HEAD_DIM,
        nHeadKv: e / HEAD_DIM,
      });
      const score = Math.abs(Math.log(l / Math.max(1, e / HEAD_DIM))) + 4 * Math.abs(Math.log(size / params));
      if (!best || score < best.score) best = { e, l, score };
    }
    if (!best)
      throw new Error(
        `targetBytes ${p.targetBytes} is too small for vocabulary ${vocabSize}: raise it or lower vocabSize`,
      );
    nEmbd ??= best.e;
    nLayer ??= best.l;
  }
  nEmbd ??= 64;
  nLayer ??= 2;
  const nHead = p.nHead ?? Math.max(1, Math.round(nEmbd / HEAD_DIM));
  const nHeadKv = p.nHeadKv ?? nHead;
  const nFf = p.nFf ?? ffFor(nEmbd);
  const contextLength = p.contextLength ?? 2048;
  const dims: ModelDims = {
    seed: p.seed ?? 1,
    vocabSize,
    nLayer,
    nEmbd,
    nFf,
    nHead,
    nHeadKv,
    contextLength,
    type,
    name: p.name ?? `hotpath-random-${nLayer}L-${nEmbd}E-${type}`,
    layerOutputScale: Array.from({ length: nLayer }, (_, i) => p.layerOutputScale?.[i] ?? 1),
  };
  const problems: string[] = [];
  const positiveInt = (k: keyof ModelDims, v: number): void => {
    if (!Number.isInteger(v) || v < 1) problems.push(`${k} must be a positive integer (got ${v})`);
  };
  for (const k of ["nLayer", "nEmbd", "nFf", "nHead", "nHeadKv", "contextLength"] as const) positiveInt(k, dims[k]);
  if (!Number.isInteger(dims.seed) || dims.seed < 0 || dims.seed > 0xffffffff)
    problems.push(`seed must be an integer in 0..2^32-1 (got ${dims.seed})`);
  if (vocabSize < MIN_VOCAB_SIZE) problems.push(`vocabSize must be at least ${MIN_VOCAB_SIZE} (got ${vocabSize})`);
  if (nEmbd % nHead !== 0) problems.push(`nEmbd (${nEmbd}) must be divisible by nHead (${nHead})`);
  else if ((nEmbd / nHead) % 2 !== 0)
    problems.push(`head dimension nEmbd/nHead (${nEmbd / nHead}) must be even for RoPE`);
  if (nHead % nHeadKv !== 0) problems.push(`nHead (${nHead}) must be divisible by nHeadKv (${nHeadKv})`);
  if (type === "q8_0" && (nEmbd % 32 !== 0 || nFf % 32 !== 0))
    problems.push(`q8_0 needs nEmbd and nFf divisible by 32 (got ${nEmbd}, ${nFf})`);
  if (dims.layerOutputScale.some((s) => !Number.isFinite(s)))
    problems.push("layerOutputScale must hold finite numbers");
  if (problems.length) throw new Error(`invalid model parameters: ${problems.join("; ")}`);
  return dims;
}

type TensorPlan = TensorHeader & { elements: number; std: number; constant?: number; zeroRows?: number[] };

function planTensors(d: ModelDims, specialTokens: number[]): TensorPlan[] {
  const mat = TensorType[d.type];
  const kv = (d.nEmbd / d.nHead) * d.nHeadKv;
  const list: Omit<TensorPlan, "offset" | "elements">[] = [
    { name: "token_embd.weight", dims: [d.nEmbd, d.vocabSize], type: mat, std: 1 },
    { name: "output_norm.weight", dims: [d.nEmbd], type: TensorType.f32, std: 0, constant: 1 },
    // Logit std ≈ 3 keeps greedy/top-k decoding peaked. Special and byte tokens get zero rows (logit 0, far below
    // the best token): random models then neither stop early (benchmarks decode the requested number of tokens)
    // nor emit stray bytes (output is readable words).
    {
      name: "output.weight",
      dims: [d.nEmbd, d.vocabSize],
      type: mat,
      std: 3 / Math.sqrt(d.nEmbd),
      zeroRows: specialTokens,
    },
  ];
  for (let i = 0; i < d.nLayer; i++) {
    const s = d.layerOutputScale[i]!;
    list.push(
      { name: `blk.${i}.attn_norm.weight`, dims: [d.nEmbd], type: TensorType.f32, std: 0, constant: 1 },
      { name: `blk.${i}.attn_q.weight`, dims: [d.nEmbd, d.nEmbd], type: mat, std: 1 / Math.sqrt(d.nEmbd) },
      { name: `blk.${i}.attn_k.weight`, dims: [d.nEmbd, kv], type: mat, std: 1 / Math.sqrt(d.nEmbd) },
      { name: `blk.${i}.attn_v.weight`, dims: [d.nEmbd, kv], type: mat, std: 1 / Math.sqrt(d.nEmbd) },
      { name: `blk.${i}.attn_output.weight`, dims: [d.nEmbd, d.nEmbd], type: mat, std: s / Math.sqrt(d.nEmbd) },
      { name: `blk.${i}.ffn_norm.weight`, dims: [d.nEmbd], type: TensorType.f32, std: 0, constant: 1 },
      { name: `blk.${i}.ffn_gate.weight`, dims: [d.nEmbd, d.nFf], type: mat, std: 1 / Math.sqrt(d.nEmbd) },
      { name: `blk.${i}.ffn_down.weight`, dims: [d.nFf, d.nEmbd], type: mat, std: s / Math.sqrt(d.nFf) },
      { name: `blk.${i}.ffn_up.weight`, dims: [d.nEmbd, d.nFf], type: mat, std: 1 / Math.sqrt(d.nEmbd) },
    );
  }
  let offset = 0;
  return list.map((t) => {
    const elements = t.dims.reduce((a, b) => a * b, 1);
    const plan = { ...t, elements, offset };
    offset = alignUp(offset + byteLength(t.type, elements));
    return plan;
  });
}

function byteLength(type: number, elements: number): number {
  return type === TensorType.f32 ? elements * 4 : type === TensorType.f16 ? elements * 2 : (elements / 32) * 34;
}

function metadataFor(d: ModelDims): Array<[string, MetadataValue]> {
  const v = buildVocabulary(d.vocabSize);
  const u32 = (value: number): MetadataValue => ({ type: "u32", value });
  return [
    ["general.architecture", { type: "string", value: "llama" }],
    ["general.name", { type: "string", value: d.name }],
    ["general.file_type", u32(FILE_TYPE[d.type])],
    ["general.alignment", u32(32)],
    ["hotpath.generator", { type: "string", value: `seed=${d.seed}` }],
    ["llama.vocab_size", u32(d.vocabSize)],
    ["llama.context_length", u32(d.contextLength)],
    ["llama.embedding_length", u32(d.nEmbd)],
    ["llama.block_count", u32(d.nLayer)],
    ["llama.feed_forward_length", u32(d.nFf)],
    ["llama.rope.dimension_count", u32(d.nEmbd / d.nHead)],
    ["llama.rope.freq_base", { type: "f32", value: 10000 }],
    ["llama.attention.head_count", u32(d.nHead)],
    ["llama.attention.head_count_kv", u32(d.nHeadKv)],
    ["llama.attention.layer_norm_rms_epsilon", { type: "f32", value: 1e-5 }],
    ["tokenizer.ggml.model", { type: "string", value: "llama" }],
    ["tokenizer.ggml.tokens", { type: "string[]", value: v.tokens }],
    ["tokenizer.ggml.scores", { type: "f32[]", value: v.scores }],
    ["tokenizer.ggml.token_type", { type: "i32[]", value: v.types }],
    ["tokenizer.ggml.unknown_token_id", u32(v.unk)],
    ["tokenizer.ggml.bos_token_id", u32(v.bos)],
    ["tokenizer.ggml.eos_token_id", u32(v.eos)],
    ["tokenizer.ggml.eot_token_id", u32(v.imEnd)],
    ["tokenizer.ggml.add_bos_token", { type: "bool", value: true }],
    ["tokenizer.ggml.add_eos_token", { type: "bool", value: false }],
    ["tokenizer.chat_template", { type: "string", value: CHATML_TEMPLATE }],
  ];
}

/** Write a model to `path` atomically (temp file + rename). Returns its size and sha256. */
export function writeGguf(path: string, params: ModelParams = {}): WrittenModel {
  const dims = resolveDims(params);
  const vocab = buildVocabulary(dims.vocabSize);
  const quiet = [...vocab.types.keys()].filter((i) => vocab.types[i] !== TokenType.normal);
  const tensors = planTensors(dims, quiet);
  const omit = new Set(params.omitMetadata ?? []);
  const header = encodeHeader(
    metadataFor(dims).filter(([k]) => !omit.has(k)),
    tensors,
  );
  const hash = createHash("sha256");
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const fd = openSync(tmp, "w");
  let written = 0;
  const put = (b: Buffer): void => {
    let off = 0;
    while (off < b.length) off += writeSync(fd, b, off, b.length - off);
    hash.update(b);
    written += b.length;
  };
  try {
    put(header);
    const dataStart = written;
    for (const t of tensors) {
      const pad = dataStart + t.offset - written;
      if (pad > 0) put(Buffer.alloc(pad));
      const values = new Float32Array(t.elements);
      if (t.constant !== undefined) values.fill(t.constant);
      else fillUniform(values, tensorSeed(dims.seed, t.name), t.std);
      for (const row of t.zeroRows ?? []) values.fill(0, row * t.dims[0]!, (row + 1) * t.dims[0]!);
      if (params.endsTurns && t.name === "output.weight") {
        // The sum of a few normal tokens' rows, scaled: the end of turn outranks them when any of them is likely.
        const width = t.dims[0]!;
        const end = vocab.imEnd * width;
        for (let k = 1; k <= 4; k++) {
          const from = (vocab.imEnd + k) * width;
          for (let i = 0; i < width; i++) values[end + i] += 1.5 * values[from + i]!;
        }
      }
      put(
        t.type === TensorType.f32
          ? encodeF32(values)
          : t.type === TensorType.f16
            ? encodeF16(values)
            : encodeQ8_0(values),
      );
    }
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
  } catch (err) {
    try {
      closeSync(fd);
    } catch {
      /* already closed */
    }
    rmSync(tmp, { force: true });
    throw err;
  }
  return { path, bytes: written, sha256: hash.digest("hex"), dims };
}

export type DraftPairParams = Omit<ModelParams, "nLayer" | "layerOutputScale" | "name"> & {
  /** Layers of the draft; the target shares them (identical weights). */
  draftLayers: number;
  /** Extra layers the target has on top of the draft's. */
  extraLayers: number;
  /**
   * Scale of the extra layers' output projections. ~0 → target ≈ draft (high greedy agreement); 1 → a fully
   * independent random layer stack on top (low agreement). Default 0.05.
   */
  epsilon?: number;
};

/**
 * A draft/target pair for speculative decoding: same tokenizer, embeddings, output head and norms, the target's first
 * `draftLayers` layers identical to the draft's, plus `extraLayers` whose residual contribution is scaled by epsilon.
 */
export function writeDraftPair(
  draftPath: string,
  targetPath: string,
  p: DraftPairParams,
): { draft: WrittenModel; target: WrittenModel } {
  const { draftLayers, extraLayers, epsilon = 0.05, ...shared } = p;
  if (!Number.isInteger(draftLayers) || draftLayers < 1)
    throw new Error(`draftLayers must be a positive integer (got ${draftLayers})`);
  if (!Number.isInteger(extraLayers) || extraLayers < 0)
    throw new Error(`extraLayers must be a non-negative integer (got ${extraLayers})`);
  if (!Number.isFinite(epsilon)) throw new Error(`epsilon must be a finite number (got ${epsilon})`);
  // targetBytes sizes the target; the draft then takes the target's width so that the shared tensors match.
  const targetDims = resolveDims({ ...shared, nLayer: draftLayers + extraLayers });
  const fixed = {
    ...shared,
    targetBytes: undefined,
    nEmbd: targetDims.nEmbd,
    nFf: targetDims.nFf,
    nHead: targetDims.nHead,
    nHeadKv: targetDims.nHeadKv,
    vocabSize: targetDims.vocabSize,
  };
  const draft = writeGguf(draftPath, {
    ...fixed,
    nLayer: draftLayers,
    name: `hotpath-draft-${draftLayers}L-${targetDims.nEmbd}E`,
  });
  const target = writeGguf(targetPath, {
    ...fixed,
    nLayer: draftLayers + extraLayers,
    name: `hotpath-target-${draftLayers}+${extraLayers}L-${targetDims.nEmbd}E-eps${epsilon}`,
    layerOutputScale: Array.from({ length: draftLayers + extraLayers }, (_, i) => (i < draftLayers ? 1 : epsilon)),
  });
  return { draft, target };
}
