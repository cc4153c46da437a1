// Labelled pairs for the cache bench: the project's own (test/fixtures/cache-pairs.json) and PAWS-Wiki dev
// (../shared/data/paws-wiki-dev, Google LLC, see its SOURCE.md), divided ONCE up front: odd ids are for developing and
// tuning the false-hit defences, even ids are held out and only ever reported. Embeddings are remembered on disk
// (keyed by embedder id and text) because 16,000 PAWS sentences take minutes to embed on a 2-core machine.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Embedder } from "../../daemon/cache/embedder.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export interface Pair {
  a: string;
  b: string;
  label: "hit" | "miss";
  kind: string;
  split?: string;
  id?: number;
}

export function ownPairs(): Pair[] {
  return (JSON.parse(readFileSync(join(root, "test/fixtures/cache-pairs.json"), "utf8")) as { pairs: Pair[] }).pairs;
}

export const PAWS_DIR = resolve(root, "../shared/data/paws-wiki-dev");

/** PAWS sentences are pre-tokenised ("Paris , France ."); a user types "Paris, France.". */
export function detokenize(s: string): string {
  return s
    .replace(/ ([,.;:!?%)\]}])/g, "$1")
    .replace(/([([{$]) /g, "$1")
    .replace(/ ?`` ?(.*?) ?'' ?/g, ' "$1" ')
    .replace(/ (n't|'s|'re|'ve|'ll|'d|'m)\b/g, "$1")
    .replace(/ {2,}/g, " ")
    .trim();
}

/** PAWS dev pairs, or undefined when ../shared is absent. dev = odd ids (tune here), heldout = even ids (report only). */
export function pawsPairs(): { dev: Pair[]; heldout: Pair[] } | undefined {
  const file = join(PAWS_DIR, "dev.tsv");
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, "utf8").replace(/\r/g, "").split("\n").slice(1).filter(Boolean);
  const dev: Pair[] = [];
  const heldout: Pair[] = [];
  for (const line of lines) {
    const [id, s1, s2, label] = line.split("\t");
    const p: Pair = {
      id: Number(id),
      a: detokenize(s1),
      b: detokenize(s2),
      label: label === "1" ? "hit" : "miss",
      kind: "paws",
    };
    (Number(id) % 2 === 1 ? dev : heldout).push(p);
  }
  return { dev, heldout };
}

/** Embeds texts through `embedder`, reusing vectors remembered on disk from earlier runs. */
export async function embedAll(
  embedder: Embedder,
  texts: string[],
  log?: (m: string) => void,
): Promise<Map<string, Float32Array>> {
  const dir = join(tmpdir(), "hotpath-bench-embeddings");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${createHash("sha256").update(embedder.id).digest("hex").slice(0, 16)}.json`);
  const known: Record<string, number[]> = existsSync(file)
    ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, number[]>)
    : {};
  const out = new Map<string, Float32Array>();
  const missing: string[] = [];
  for (const t of new Set(texts)) {
    const v = known[t];
    if (v) out.set(t, Float32Array.from(v));
    else missing.push(t);
  }
  for (let i = 0; i < missing.length; i += 64) {
    const batch = missing.slice(i, i + 64);
    const vs = await embedder.embed(batch);
    batch.forEach((t, j) => {
      out.set(t, vs[j]);
      known[t] = Array.from(vs[j], (x) => Math.round(x * 1e6) / 1e6);
    });
    if (i % 1024 === 0) {
      log?.(`  embedded ${i + batch.length}/${missing.length}\n`);
      writeFileSync(file, JSON.stringify(known));
    }
  }
  if (missing.length) writeFileSync(file, JSON.stringify(known));
  return out;
}
