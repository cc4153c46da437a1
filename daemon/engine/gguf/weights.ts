// Deterministic random weights: one PRNG stream per tensor, seeded from (seed, tensor name), so the same tensor name
// gets identical weights in every file generated with the same seed (this is what makes draft/target pairs share layers).

/** FNV-1a over the UTF-8 of `${seed}:${name}`, then a murmur finalizer: a 32-bit stream seed. */
export function tensorSeed(seed: number, name: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(`${seed}:${name}`, "utf8")) {
    h ^= b;
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Fill `out` with uniform values of standard deviation `std` (mulberry32 stream). */
export function fillUniform(out: Float32Array, streamSeed: number, std: number): void {
  const a = std * Math.sqrt(3);
  let s = streamSeed >>> 0;
  for (let i = 0; i < out.length; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = (u * 2 - 1) * a;
  }
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half-precision bits of a float (round to nearest, ties away; values here are far from overflow). */
export function toHalf(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  let mant = x & 0x7fffff;
  if (exp >= 31) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - exp;
    let h = mant >>> shift;
    if ((mant >>> (shift - 1)) & 1) h++;
    return sign | h;
  }
  let h = sign | (exp << 10) | (mant >>> 13);
  if (mant & 0x1000) h++;
  return h;
}

// GGUF is little-endian; typed-array views are used on little-endian hosts (all llama.cpp targets) for speed.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function encodeF32(values: Float32Array): Buffer {
  if (LITTLE_ENDIAN) return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  const out = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) out.writeFloatLE(values[i]!, i * 4);
  return out;
}

export function encodeF16(values: Float32Array): Buffer {
  const out = Buffer.alloc(values.length * 2);
  if (LITTLE_ENDIAN) {
    const h = new Uint16Array(out.buffer, out.byteOffset, values.length);
    for (let i = 0; i < values.length; i++) h[i] = toHalf(values[i]!);
  } else {
    for (let i = 0; i < values.length; i++) out.writeUInt16LE(toHalf(values[i]!), i * 2);
  }
  return out;
}

/** ggml Q8_0: blocks of 32 values → f16 scale + 32 int8 (34 bytes). Length must be a multiple of 32. */
export function encodeQ8_0(values: Float32Array): Buffer {
  const blocks = values.length / 32;
  const out = Buffer.alloc(blocks * 34);
  const q = new Int8Array(out.buffer, out.byteOffset, out.length);
  for (let b = 0; b < blocks; b++) {
    const base = b * 32;
    let amax = 0;
    for (let j = 0; j < 32; j++) {
      const a = Math.abs(values[base + j]!);
      if (a > amax) amax = a;
    }
    const d = amax / 127;
    const id = d ? 1 / d : 0;
    const o = b * 34;
    out.writeUInt16LE(toHalf(d), o);
    for (let j = 0; j < 32; j++) q[o + 2 + j] = Math.round(values[base + j]! * id);
  }
  return out;
}
