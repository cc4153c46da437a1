// Resolves secret references (env:NAME, file:/path) to key values at request time, and scrubs every value it ever
// handed out from text that may reach a client, a log, a span or the DB.
import { readFileSync } from "node:fs";

const known = new Set<string>();

/** Vendor key shapes, scrubbed even when the value was never resolved here (e.g. echoed back by an upstream). */
const KEY_PATTERNS = [
  /sk-ant-[A-Za-z0-9_-]{8,}/g,
  /sk-(?:proj-)?[A-Za-z0-9_-]{16,}/g,
  /Bearer\s+[A-Za-z0-9._~+/=-]{8,}/gi,
];

export class SecretError extends Error {}

/** Returns the key, or undefined when the reference points at nothing (unset variable, missing file). */
export function resolveSecret(ref: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!ref) return undefined;
  let value: string | undefined;
  if (ref.startsWith("env:")) value = env[ref.slice(4)];
  else if (ref.startsWith("file:")) {
    try {
      value = readFileSync(ref.slice(5), "utf8").trim();
    } catch {
      value = undefined;
    }
  } else throw new SecretError("a key must be given as a secret reference (env:NAME or file:/path)");
  value = value?.trim();
  if (!value) return undefined;
  if (value.length >= 6) known.add(value);
  return value;
}

/** What to do about a provider whose key reference resolves to nothing, naming the variable or file. */
export function missingKeyMessage(provider: string, ref: string | undefined): string {
  if (ref?.startsWith("env:")) {
    const name = ref.slice(4);
    return (
      `no API key for provider ${provider}: the environment variable ${name} is not set (or empty) in the daemon's ` +
      `environment; set it where you start \`hotpath serve\` (export ${name}=…), or in VS Code run "Hotpath: Set Provider API Key…"`
    );
  }
  if (ref?.startsWith("file:")) {
    return `no API key for provider ${provider}: the file ${ref.slice(5)} (its apiKey) is missing, unreadable or empty`;
  }
  return `no API key for provider ${provider}: give it apiKey: env:NAME (an environment variable) or file:/path in the config`;
}

/** Replaces every known key value and anything shaped like a vendor key with [redacted]. */
export function redact(text: string): string {
  let out = text;
  for (const v of known) if (out.includes(v)) out = out.split(v).join("[redacted]");
  for (const p of KEY_PATTERNS) out = out.replace(p, "[redacted]");
  return out;
}
