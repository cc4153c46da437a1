// Canonical JSON: object keys sorted at every depth, so the same value always renders to the same bytes, and hashes
// of it. Hotpath renders tool definitions this way so it never breaks a prompt's KV prefix itself, and keys the
// response cache on it, so equal requests hash equally however their keys were ordered.
//
// Values come from JSON bodies a client wrote, where "__proto__" is an ordinary key (JSON.parse makes it an own
// property). Assigning it on a plain object would instead set the copy's prototype and drop the key, so two different
// bodies would hash alike: the sorted copy defines that key as an own property.
import { createHash } from "node:crypto";
import { stringifiesAsIs } from "./json-text.js";

export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

export function sortKeys(value: unknown): unknown {
  if (value && typeof value === "object" && typeof (value as { toJSON?: unknown }).toJSON === "function")
    return (value as { toJSON(): unknown }).toJSON(); // as JSON.stringify would (a Date is its ISO string, not {})
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value as object).sort()) {
      const v = sortKeys((value as Record<string, unknown>)[key]);
      if (key === "__proto__")
        Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      else out[key] = v;
    }
    return out;
  }
  return value;
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * sha256 of canonicalJson(value), without building either the sorted copy or the whole text: the canonical JSON is
 * written into the hash a piece at a time. A cache key covers a whole request, and for a 9 MB body the copy, the text
 * and its UTF-8 encoding cost ~3× the hashing itself on the event loop (issue #15). Byte for byte the same text as
 * canonicalJson: test/unit/cache/key-pinned.test.ts pins keys computed before, and compares the two on generated values.
 */
export function hashCanonical(value: unknown): string {
  const out = new HashWriter();
  if (!writeCanonical(prepared(value), out)) throw new TypeError("hashCanonical: the value has no JSON form");
  return out.digest();
}

/**
 * The most characters handed to the hash at once. hash.update(string) first encodes the string into a buffer of its
 * own: for a 9 MB prompt that is a 9 MB allocation, which the daemon's malloc settings (daemon/allocator.ts) serve with
 * fresh pages from the OS every time — 120–250 ms per key on this project's VMs, against 8–12 ms in pieces whose
 * buffers (≤ 48 KB UTF-8) malloc reuses. Same digest: hashing is a stream.
 */
const HASH_PIECE = 16_384;

/** Pieces gathered into ~16K-character strings before each hash update (one update per small piece costs more). */
class HashWriter {
  private readonly hash = createHash("sha256");
  private pending = "";

  write(piece: string): void {
    this.pending += piece;
    if (this.pending.length >= HASH_PIECE) this.flush();
  }

  /**
   * A long string goes to the hash after what is pending, in pieces, not through the pending buffer. Only for strings
   * without surrogates (writeCanonical sends only strings that stringifiesAsIs): any cut is then between whole characters.
   */
  writeLong(text: string): void {
    this.flush();
    for (let i = 0; i < text.length; i += HASH_PIECE) this.hash.update(text.slice(i, i + HASH_PIECE));
  }

  digest(): string {
    this.flush();
    return this.hash.digest("hex");
  }

  private flush(): void {
    if (!this.pending) return;
    this.hash.update(this.pending);
    this.pending = "";
  }
}

/** What sortKeys does first to a value with toJSON: its result, serialized as JSON.stringify would (unsorted). */
function prepared(value: unknown): unknown {
  if (value && typeof value === "object" && typeof (value as { toJSON?: unknown }).toJSON === "function") {
    const result = (value as { toJSON(): unknown }).toJSON();
    return result === undefined || typeof result === "function" || typeof result === "symbol"
      ? undefined
      : new AsIs(result);
  }
  return value;
}

/** A toJSON result: sortKeys returns it as is, so canonicalJson renders it with JSON.stringify's own order. */
class AsIs {
  constructor(readonly value: unknown) {}
}

const LONG = 4096;

/**
 * Writes what JSON.stringify(sortKeys(value)) writes; false for what it leaves out (undefined, functions, symbols).
 * Keys come out in the order JSON.stringify gives the sorted copy's keys: array-index keys ("2", "10") first in
 * numeric order, as every object orders them, then the rest sorted. Bodies are depth-checked before they get here.
 */
function writeCanonical(value: unknown, out: HashWriter): boolean {
  if (value instanceof AsIs) {
    const text = JSON.stringify(value.value) as string | undefined;
    if (text === undefined) return false;
    out.write(text);
    return true;
  }
  if (typeof value === "string") {
    if (value.length >= LONG && stringifiesAsIs(value)) {
      out.write('"');
      out.writeLong(value);
      out.write('"');
    } else out.write(JSON.stringify(value));
    return true;
  }
  if (value === null || typeof value !== "object") {
    const text = JSON.stringify(value) as string | undefined;
    if (text === undefined) return false;
    out.write(text);
    return true;
  }
  if (Array.isArray(value)) {
    out.write("[");
    for (let i = 0; i < value.length; i++) {
      if (i) out.write(",");
      if (!writeCanonical(prepared(value[i]), out)) out.write("null");
    }
    out.write("]");
    return true;
  }
  out.write("{");
  let first = true;
  for (const key of objectKeyOrder(Object.keys(value).sort())) {
    const v = prepared((value as Record<string, unknown>)[key]);
    if (v === undefined || typeof v === "function" || typeof v === "symbol") continue;
    out.write(first ? JSON.stringify(key) + ":" : "," + JSON.stringify(key) + ":");
    first = false;
    writeCanonical(v, out);
  }
  out.write("}");
  return true;
}

/** Array-index keys (canonical integers below 2^32 - 1) first, ascending, then the others in the order given. */
function objectKeyOrder(sorted: string[]): string[] {
  const indices: string[] = [];
  const names: string[] = [];
  for (const key of sorted) (isArrayIndex(key) ? indices : names).push(key);
  if (!indices.length) return sorted;
  indices.sort((a, b) => Number(a) - Number(b));
  return indices.concat(names);
}

function isArrayIndex(key: string): boolean {
  return /^(?:0|[1-9]\d{0,9})$/.test(key) && Number(key) < 4_294_967_295;
}
