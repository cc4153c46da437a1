// Trace and span ids: W3C/OTLP hex form everywhere in the store. Imported formats get deterministic ids (a hash of
// where the record came from), so importing the same file twice writes the same rows instead of duplicates.
import { hash, randomFillSync } from "node:crypto";

const HEX = /^[0-9a-f]+$/;

/** 32 hex chars derived from the given parts (stable across runs and machines). */
export function deriveTraceId(...parts: string[]): string {
  return digest(parts).slice(0, 32);
}

/** 16 hex chars derived from the given parts. */
export function deriveSpanId(...parts: string[]): string {
  return flat16(digest(parts));
}

/**
 * The first 16 characters of `hex` as a string of their own. V8 keeps a slice of 13 or more characters as a view of the
 * whole string: each span id an import keeps (100k until it is written and analysed) held its 64-character digest too.
 * Slices shorter than that are copies; joined, reading a character makes them one flat string (the join is let go).
 */
function flat16(hex: string): string {
  const id = hex.slice(0, 8) + hex.slice(8, 16);
  id.charCodeAt(0);
  return id;
}

function digest(parts: string[]): string {
  return hash("sha256", `${parts.join("\u0000")}\u0000`, "hex");
}

// Random ids come from a pool refilled 4 KiB at a time from the CSPRNG: one randomBytes() call per id cost ~15 µs on a
// busy 2-core machine, and every request takes three (request, trace and span id) on its way through the daemon.
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

/** `bytes` random bytes (at most 4096) as lower-case hex. */
export function randomHex(bytes: number): string {
  if (poolOffset + bytes > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const hex = pool.toString("hex", poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return hex;
}

export function randomTraceId(): string {
  return randomHex(16);
}

export function randomSpanId(): string {
  return randomHex(8);
}

/**
 * An OTLP id as the store keeps it: lower-case hex of `bytes` bytes. Accepts hex (OTLP/JSON as the spec writes it),
 * base64 (protobuf-JSON mapping, which many exporters emit) and raw bytes (protobuf decoding). Returns undefined for
 * empty or all-zero ids (OTLP's "no parent"), throws for anything else that is not an id.
 */
export function normalizeOtlpId(value: unknown, bytes: 8 | 16): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  let hex: string;
  if (value instanceof Uint8Array) {
    if (value.length === 0) return undefined;
    hex = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex");
  } else if (typeof value === "string") {
    const lower = value.toLowerCase();
    if (lower.length === bytes * 2 && HEX.test(lower)) hex = lower;
    else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) hex = Buffer.from(value, "base64").toString("hex");
    else throw new Error(`not a hex or base64 id: ${JSON.stringify(value.slice(0, 80))}`);
  } else {
    throw new Error(`expected an id string, got ${typeof value}`);
  }
  if (hex.length !== bytes * 2) throw new Error(`id must be ${bytes} bytes, got ${hex.length / 2}`);
  if (/^0+$/.test(hex)) return undefined;
  return hex;
}

/** Hex ids of another format (e.g. "trace_98b1…", "span_0a4e…") mapped onto OTLP lengths; non-hex ids are hashed. */
export function foreignId(value: string, bytes: 8 | 16, namespace: string): string {
  const bare = value.replace(/^(trace|span)_/, "").toLowerCase();
  if (bare.length === bytes * 2 && HEX.test(bare)) return bare;
  return bytes === 16 ? deriveTraceId(namespace, value) : deriveSpanId(namespace, value);
}
