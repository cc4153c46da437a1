// Canonical JSON: object keys sorted at every depth, so the same value always renders to the same bytes, and hashes
// of it. Hotpath renders tool definitions this way so it never breaks a prompt's KV prefix itself, and keys the
// response cache on it, so equal requests hash equally however their keys were ordered.
//
// Values come from JSON bodies a client wrote, where "__proto__" is an ordinary key (JSON.parse makes it an own
// property). Assigning it on a plain object would instead set the copy's prototype and drop the key, so two different
// bodies would hash alike: the sorted copy defines that key as an own property.
import { createHash } from "node:crypto";

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

export function hashCanonical(value: unknown): string {
  return sha256(canonicalJson(value));
}
