// Validate a GGUF file before llama.cpp sees it. llama.cpp aborts the whole process on some malformed files
// (missing feed_forward_length / head_count, tensor data past the end of the file), so the engine calls this first.
// We parse the header ourselves: node-llama-cpp's readGgufFileInfo silently returns garbage for a file cut inside its
// header (measured with 3.22.1), and we need strict bounds checks. Only the header is read, never tensor data.
import { open, type FileHandle } from "node:fs/promises";
import { alignUp, GGUF_ALIGNMENT, GGUF_MAGIC, tensorByteSize, ValueType } from "./format.js";

export type GgufInfo = {
  path: string;
  version: number;
  architecture: string;
  name: string | undefined;
  contextLength: number;
  embeddingLength: number;
  blockCount: number;
  vocabSize: number | undefined;
  fileType: number | undefined;
  tensorCount: number;
  /** Size of the file on disk. */
  sizeBytes: number;
  /** Where tensor data starts (= header size including padding). */
  dataOffset: number;
  hasChatTemplate: boolean;
  /** Non-fatal oddities (e.g. no tokenizer: fine for some uses, not for chat). */
  warnings: string[];
};

export type GgufVerdict = { ok: true; info: GgufInfo } | { ok: false; error: GgufValidationError };

export class GgufValidationError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
    readonly hint: string,
  ) {
    super(`${path}: ${problem}. ${hint}`);
    this.name = "GgufValidationError";
  }
}

// Architectures with no feed-forward / attention-head hyperparameters (state-space and RWKV models).
const NO_ATTENTION_ARCHS = new Set(["mamba", "mamba2", "rwkv6", "rwkv6qwen2", "rwkv7", "arwkv7"]);
const MAX_COUNT = 1_000_000n;
const MAX_STRING = 64n * 1024n * 1024n;

class Truncated extends Error {}

/** Bounds-checked sequential reader over a file handle, reading ahead in chunks. */
class HeaderReader {
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  pos = 0;
  constructor(
    private readonly fh: FileHandle,
    readonly size: number,
  ) {}

  private async need(n: number): Promise<Buffer> {
    if (this.pos + n > this.size) throw new Truncated();
    const rel = this.pos - this.bufStart;
    if (rel + n <= this.buf.length) return this.buf.subarray(rel, rel + n);
    const len = Math.min(Math.max(n, 1 << 20), this.size - this.pos);
    const chunk = Buffer.alloc(len);
    const { bytesRead } = await this.fh.read(chunk, 0, len, this.pos);
    if (bytesRead < n) throw new Truncated();
    this.buf = chunk.subarray(0, bytesRead);
    this.bufStart = this.pos;
    return this.buf.subarray(0, n);
  }
  async u8(): Promise<number> {
    const b = await this.need(1);
    this.pos += 1;
    return b[0]!;
  }
  async u32(): Promise<number> {
    const b = await this.need(4);
    this.pos += 4;
    return b.readUInt32LE(0);
  }
  async u64(): Promise<bigint> {
    const b = await this.need(8);
    this.pos += 8;
    return b.readBigUInt64LE(0);
  }
  async string(): Promise<string> {
    const len = await this.u64();
    if (len > MAX_STRING) throw new Error(`a string of ${len} bytes at offset ${this.pos - 8} (corrupt header)`);
    const b = await this.need(Number(len));
    this.pos += Number(len);
    return b.toString("utf8");
  }
  async skip(n: number): Promise<void> {
    await this.need(0);
    if (this.pos + n > this.size) throw new Truncated();
    this.pos += n;
  }
}

const SCALAR_SIZE: Partial<Record<number, number>> = {
  [ValueType.Uint8]: 1,
  [ValueType.Int8]: 1,
  [ValueType.Uint16]: 2,
  [ValueType.Int16]: 2,
  [ValueType.Uint32]: 4,
  [ValueType.Int32]: 4,
  [ValueType.Float32]: 4,
  [ValueType.Bool]: 1,
  [ValueType.Uint64]: 8,
  [ValueType.Int64]: 8,
  [ValueType.Float64]: 8,
};

type Value = number | bigint | boolean | string | { arrayOf: number; length: number; first?: Value[] };

async function readScalar(r: HeaderReader, type: number): Promise<Value> {
  switch (type) {
    case ValueType.String:
      return r.string();
    case ValueType.Uint32:
      return r.u32();
    case ValueType.Int32:
      return (await r.u32()) | 0;
    case ValueType.Uint64:
      return r.u64();
    case ValueType.Bool:
      return (await r.u8()) !== 0;
    case ValueType.Uint8:
      return r.u8();
    default: {
      const size = SCALAR_SIZE[type];
      if (size === undefined)
        throw new Error(`unknown metadata value type ${type} at offset ${r.pos - 4} (corrupt header)`);
      await r.skip(size);
      return NaN; // a type we never need the value of (f32/f64/i8/i16/u16/i64)
    }
  }
}

async function readValue(r: HeaderReader, type: number): Promise<Value> {
  if (type !== ValueType.Array) return readScalar(r, type);
  const elemType = await r.u32();
  const count = await r.u64();
  if (count > 64n * MAX_COUNT) throw new Error(`an array of ${count} elements (corrupt header)`);
  const n = Number(count);
  const fixed = SCALAR_SIZE[elemType];
  if (fixed !== undefined) {
    await r.skip(fixed * n);
    return { arrayOf: elemType, length: n };
  }
  if (elemType !== ValueType.String) throw new Error(`unsupported array element type ${elemType} (corrupt header)`);
  const first: Value[] = [];
  for (let i = 0; i < n; i++) {
    const s = await r.string();
    if (i < 4) first.push(s);
  }
  return { arrayOf: elemType, length: n, first };
}

/** Read and check a GGUF file's header. Never throws: returns a verdict naming what is wrong and what to do. */
export async function checkGguf(path: string): Promise<GgufVerdict> {
  const fail = (problem: string, hint: string): GgufVerdict => ({
    ok: false,
    error: new GgufValidationError(path, problem, hint),
  });
  const REDOWNLOAD = "Download or convert the model again";
  let fh: FileHandle;
  try {
    fh = await open(path, "r");
  } catch (err) {
    return fail(
      `cannot open the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      "Check the path and its permissions",
    );
  }
  try {
    const stat = await fh.stat();
    if (!stat.isFile()) return fail("is not a regular file", "Pass the path of a .gguf file");
    const size = stat.size;
    const r = new HeaderReader(fh, size);
    const meta = new Map<string, Value>();
    let tensorCount: number;
    const tensors: Array<{ name: string; dims: bigint[]; type: number; offset: bigint }> = [];
    try {
      if (size < 24) return fail(`is ${size} bytes, too small to be a GGUF file`, REDOWNLOAD);
      const magic = await r.u32();
      if (magic !== GGUF_MAGIC) {
        const shown = Buffer.alloc(4);
        shown.writeUInt32LE(magic);
        return fail(
          `is not a GGUF file (magic ${JSON.stringify(shown.toString("latin1"))}, expected "GGUF")`,
          "Pass a .gguf model (convert other formats with llama.cpp's convert_hf_to_gguf.py)",
        );
      }
      const version = await r.u32();
      if (version !== 2 && version !== 3)
        return fail(`has GGUF version ${version}; supported: 2 and 3`, "Convert the model with a current llama.cpp");
      const tc = await r.u64();
      const kc = await r.u64();
      if (tc > MAX_COUNT || kc > MAX_COUNT)
        return fail(`claims ${tc} tensors and ${kc} metadata keys (corrupt header)`, REDOWNLOAD);
      tensorCount = Number(tc);
      for (let i = 0; i < Number(kc); i++) {
        const key = await r.string();
        meta.set(key, await readValue(r, await r.u32()));
      }
      for (let i = 0; i < tensorCount; i++) {
        const name = await r.string();
        const nDims = await r.u32();
        if (nDims < 1 || nDims > 4)
          return fail(`tensor "${name}" has ${nDims} dimensions (corrupt header)`, REDOWNLOAD);
        const dims: bigint[] = [];
        for (let d = 0; d < nDims; d++) dims.push(await r.u64());
        tensors.push({ name, dims, type: await r.u32(), offset: await r.u64() });
      }
      meta.set("\0version", version);
    } catch (err) {
      if (err instanceof Truncated)
        return fail(`is truncated inside its header (file is ${size} bytes)`, `${REDOWNLOAD}; the copy is incomplete`);
      return fail((err as Error).message, REDOWNLOAD);
    }

    const alignment =
      typeof meta.get("general.alignment") === "number" ? (meta.get("general.alignment") as number) : GGUF_ALIGNMENT;
    if (alignment < 1 || (alignment & (alignment - 1)) !== 0)
      return fail(`general.alignment is ${alignment}, not a power of two`, REDOWNLOAD);
    const dataOffset = alignUp(r.pos, alignment);

    const arch = meta.get("general.architecture");
    if (typeof arch !== "string" || arch === "")
      return fail("has no general.architecture", "The file is not a complete model; convert it again with llama.cpp");
    const num = (key: string): number | undefined => {
      const v = meta.get(key);
      if (typeof v === "number" || typeof v === "bigint") return Number(v);
      if (typeof v === "object" && v.length > 0 && v.arrayOf !== ValueType.String) return v.length; // per-layer array
      return undefined;
    };
    const required = ["context_length", "embedding_length", "block_count"];
    if (!NO_ATTENTION_ARCHS.has(arch)) required.push("feed_forward_length", "attention.head_count");
    const missing = required.map((k) => `${arch}.${k}`).filter((k) => num(k) === undefined);
    if (missing.length) {
      return fail(
        `lacks required metadata ${missing.join(", ")} (llama.cpp would abort the process loading it)`,
        "Use a complete model file: re-convert it with a current llama.cpp",
      );
    }
    const contextLength = num(`${arch}.context_length`)!;
    const embeddingLength = num(`${arch}.embedding_length`)!;
    const blockCount = num(`${arch}.block_count`)!;
    for (const [k, v] of [
      ["context_length", contextLength],
      ["embedding_length", embeddingLength],
      ["block_count", blockCount],
    ] as const) {
      if (!(v > 0))
        return fail(`${arch}.${k} is ${v}`, "Use a complete model file: re-convert it with a current llama.cpp");
    }
    if (tensorCount === 0)
      return fail("contains no tensors", "Use a model file, not a vocabulary-only or metadata-only GGUF");

    let dataEnd = dataOffset;
    const names = new Set<string>();
    for (const t of tensors) {
      if (names.has(t.name)) return fail(`tensor "${t.name}" appears twice (corrupt header)`, REDOWNLOAD);
      names.add(t.name);
      if (t.dims.some((d) => d < 1n || d > 1n << 40n))
        return fail(`tensor "${t.name}" has shape [${t.dims.join(", ")}]`, REDOWNLOAD);
      if (t.offset % BigInt(alignment) !== 0n)
        return fail(`tensor "${t.name}" is at unaligned offset ${t.offset}`, REDOWNLOAD);
      const bytes = tensorByteSize(t.type, t.dims);
      if (bytes === undefined) continue; // a ggml type newer than this table: llama.cpp will judge it
      dataEnd = Math.max(dataEnd, dataOffset + Number(t.offset) + bytes);
    }
    if (dataEnd > size) {
      return fail(
        `is truncated: its tensors need ${dataEnd} bytes but the file has ${size} (${((100 * size) / dataEnd).toFixed(1)}%)`,
        `${REDOWNLOAD}; the copy is incomplete`,
      );
    }
    const tokens = meta.get("tokenizer.ggml.tokens");
    const vocabSize = typeof tokens === "object" ? tokens.length : undefined;
    const embd = tensors.find((t) => t.name === "token_embd.weight");
    if (embd && Number(embd.dims[0]) !== embeddingLength) {
      return fail(
        `token_embd.weight has width ${embd.dims[0]} but ${arch}.embedding_length is ${embeddingLength}`,
        REDOWNLOAD,
      );
    }
    if (embd && vocabSize !== undefined && embd.dims.length > 1 && Number(embd.dims[1]) !== vocabSize) {
      return fail(`token_embd.weight has ${embd.dims[1]} rows but the vocabulary has ${vocabSize} tokens`, REDOWNLOAD);
    }
    let maxBlock = -1;
    for (const n of names) {
      const m = /^blk\.(\d+)\./.exec(n);
      if (m) maxBlock = Math.max(maxBlock, Number(m[1]));
    }
    if (maxBlock >= blockCount)
      return fail(`has tensors for block ${maxBlock} but ${arch}.block_count is ${blockCount}`, REDOWNLOAD);
    const warnings: string[] = [];
    if (maxBlock >= 0 && maxBlock + 1 < blockCount)
      warnings.push(`tensors exist for ${maxBlock + 1} of ${blockCount} blocks`);
    if (vocabSize === undefined) warnings.push("no tokenizer.ggml.tokens: the model cannot tokenize text");
    if (!meta.has("tokenizer.chat_template"))
      warnings.push("no tokenizer.chat_template: chat falls back to a generic template");
    const nameValue = meta.get("general.name");
    const fileType = meta.get("general.file_type");
    return {
      ok: true,
      info: {
        path,
        version: meta.get("\0version") as number,
        architecture: arch,
        name: typeof nameValue === "string" ? nameValue : undefined,
        contextLength,
        embeddingLength,
        blockCount,
        vocabSize,
        fileType: typeof fileType === "number" ? fileType : undefined,
        tensorCount,
        sizeBytes: size,
        dataOffset,
        hasChatTemplate: meta.has("tokenizer.chat_template"),
        warnings,
      },
    };
  } finally {
    await fh.close();
  }
}

/** Like checkGguf, but throws the GgufValidationError: for callers that load right after (the engine). */
export async function validateGguf(path: string): Promise<GgufInfo> {
  const verdict = await checkGguf(path);
  if (!verdict.ok) throw verdict.error;
  return verdict.info;
}
