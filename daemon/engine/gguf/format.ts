// GGUF v3 binary format: constants, tensor type sizes and the header encoder shared by the writer and validator.
// Reference: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as little-endian u32
export const GGUF_VERSION = 3;
export const GGUF_ALIGNMENT = 32;

export const enum ValueType {
  Uint8 = 0,
  Int8 = 1,
  Uint16 = 2,
  Int16 = 3,
  Uint32 = 4,
  Int32 = 5,
  Float32 = 6,
  Bool = 7,
  String = 8,
  Array = 9,
  Uint64 = 10,
  Int64 = 11,
  Float64 = 12,
}

/** Tensor element types the writer produces (ggml type ids). */
export const TensorType = { f32: 0, f16: 1, q8_0: 8 } as const;
export type TensorTypeName = keyof typeof TensorType;

/** llama.cpp `general.file_type` (LLAMA_FTYPE_*) for a model whose matrices use the given type. */
export const FILE_TYPE: Record<TensorTypeName, number> = { f32: 0, f16: 1, q8_0: 7 };

/** [elements per block, bytes per block] for the ggml types the validator can size; others are skipped. */
export const GGML_BLOCK: Record<number, [number, number]> = {
  0: [1, 4],
  1: [1, 2],
  2: [32, 18],
  3: [32, 20],
  6: [32, 22],
  7: [32, 24],
  8: [32, 34],
  9: [32, 40],
  10: [256, 84],
  11: [256, 110],
  12: [256, 144],
  13: [256, 176],
  14: [256, 210],
  15: [256, 292],
  16: [256, 66],
  17: [256, 74],
  18: [256, 98],
  19: [256, 50],
  20: [32, 18],
  21: [256, 110],
  22: [256, 82],
  23: [256, 136],
  24: [1, 1],
  25: [1, 2],
  26: [1, 4],
  27: [1, 8],
  28: [1, 8],
  29: [256, 56],
  30: [1, 2],
  34: [256, 54],
  35: [256, 66],
};

/** Bytes one tensor occupies, or undefined for a ggml type we do not know the block size of. */
export function tensorByteSize(ggmlType: number, dims: readonly (number | bigint)[]): number | undefined {
  const block = GGML_BLOCK[ggmlType];
  if (!block) return undefined;
  const [perBlock, bytes] = block;
  const n = dims.reduce<number>((acc, d) => acc * Number(d), 1);
  return Math.ceil(n / perBlock) * bytes;
}

export const alignUp = (n: number, a = GGUF_ALIGNMENT): number => Math.ceil(n / a) * a;

export type MetadataValue =
  | { type: "u32"; value: number }
  | { type: "i32"; value: number }
  | { type: "f32"; value: number }
  | { type: "bool"; value: boolean }
  | { type: "string"; value: string }
  | { type: "string[]"; value: readonly string[] }
  | { type: "f32[]"; value: ArrayLike<number> }
  | { type: "i32[]"; value: ArrayLike<number> };

export type TensorHeader = { name: string; dims: number[]; type: number; offset: number };

/** Growable little-endian byte sink for the header (metadata + tensor infos). */
class ByteSink {
  private buf = Buffer.alloc(1 << 16);
  length = 0;
  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = Buffer.alloc(size);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v, this.length);
    this.length += 4;
  }
  i32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32LE(v, this.length);
    this.length += 4;
  }
  f32(v: number): void {
    this.ensure(4);
    this.buf.writeFloatLE(v, this.length);
    this.length += 4;
  }
  u64(v: number): void {
    this.ensure(8);
    this.buf.writeBigUInt64LE(BigInt(v), this.length);
    this.length += 8;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v;
  }
  str(s: string): void {
    const bytes = Buffer.from(s, "utf8");
    this.u64(bytes.length);
    this.ensure(bytes.length);
    bytes.copy(this.buf, this.length);
    this.length += bytes.length;
  }
  pad(to: number): void {
    const n = alignUp(this.length, to) - this.length;
    this.ensure(n);
    this.length += n;
  }
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

/** Encode the GGUF header, metadata and tensor infos, padded to the alignment (where tensor data starts). */
export function encodeHeader(
  metadata: ReadonlyArray<[string, MetadataValue]>,
  tensors: readonly TensorHeader[],
): Buffer {
  const s = new ByteSink();
  s.u32(GGUF_MAGIC);
  s.u32(GGUF_VERSION);
  s.u64(tensors.length);
  s.u64(metadata.length);
  for (const [key, v] of metadata) {
    s.str(key);
    switch (v.type) {
      case "u32":
        s.u32(ValueType.Uint32);
        s.u32(v.value);
        break;
      case "i32":
        s.u32(ValueType.Int32);
        s.i32(v.value);
        break;
      case "f32":
        s.u32(ValueType.Float32);
        s.f32(v.value);
        break;
      case "bool":
        s.u32(ValueType.Bool);
        s.u8(v.value ? 1 : 0);
        break;
      case "string":
        s.u32(ValueType.String);
        s.str(v.value);
        break;
      case "string[]":
        s.u32(ValueType.Array);
        s.u32(ValueType.String);
        s.u64(v.value.length);
        for (const x of v.value) s.str(x);
        break;
      case "f32[]":
        s.u32(ValueType.Array);
        s.u32(ValueType.Float32);
        s.u64(v.value.length);
        for (let i = 0; i < v.value.length; i++) s.f32(v.value[i]!);
        break;
      case "i32[]":
        s.u32(ValueType.Array);
        s.u32(ValueType.Int32);
        s.u64(v.value.length);
        for (let i = 0; i < v.value.length; i++) s.i32(v.value[i]!);
        break;
    }
  }
  for (const t of tensors) {
    s.str(t.name);
    s.u32(t.dims.length);
    for (const d of t.dims) s.u64(d);
    s.u32(t.type);
    s.u64(t.offset);
  }
  s.pad(GGUF_ALIGNMENT);
  return Buffer.from(s.bytes());
}
