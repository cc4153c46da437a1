// Hot prefixes on disk: a sequence's KV state saved with saveStateToFile under <data-dir>/kv/<model>/<tokens>.bin, so
// that after a restart a request sharing the prefix loads it instead of evaluating it again. Every snapshot is checked
// before and after loading (model fingerprint, file checksum, the exact prefix tokens); anything that does not match
// is deleted and ignored — a snapshot can cost a re-evaluation, never a wrong answer.
import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { LlamaContextSequence, Token } from "node-llama-cpp";
import { z } from "zod";

/** Prefixes shorter than this are cheap to evaluate and not worth a file. */
export const MIN_SNAPSHOT_TOKENS = 256;

const MetaSchema = z.object({
  model: z.string(),
  prefixTokens: z.number().int().positive(),
  tokenHash: z.string(),
  fileSha256: z.string(),
  bytes: z.number().int().nonnegative(),
  lastUsed: z.number(),
});
type Meta = z.infer<typeof MetaSchema>;

export function tokenHash(tokens: readonly Token[]): string {
  return createHash("sha256")
    .update(new Uint8Array(Uint32Array.from(tokens as unknown as number[]).buffer))
    .digest("hex");
}

/**
 * A model file's identity without reading gigabytes: size plus SHA-256 of its first and last 4 MiB (the GGUF header
 * with all metadata, and the last tensors). Any re-quantization or different model changes it.
 */
export function modelFingerprint(path: string): string {
  const size = statSync(path).size;
  const chunk = 4 * 1024 * 1024;
  const hash = createHash("sha256").update(String(size));
  const fd = openSync(path, "r");
  try {
    for (const start of size <= 2 * chunk ? [0] : [0, size - chunk]) {
      const buf = Buffer.alloc(Math.min(size <= 2 * chunk ? size : chunk, size - start));
      readSync(fd, buf, 0, buf.length, start);
      hash.update(buf);
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex").slice(0, 32);
}

export class PrefixSnapshots {
  private readonly dir: string;
  private readonly index = new Map<string, Meta>();
  private readonly saving = new Set<string>();

  constructor(
    root: string,
    private readonly model: string,
    private readonly budgetBytes: number,
    private readonly log: (message: string) => void = () => {},
  ) {
    this.dir = join(root, model);
    mkdirSync(this.dir, { recursive: true });
    for (const file of readdirSync(this.dir)) {
      if (!file.endsWith(".json")) continue;
      const meta = this.readMeta(join(this.dir, file));
      if (meta && meta.model === this.model && existsSync(this.binPath(meta.tokenHash)))
        this.index.set(meta.tokenHash, meta);
      else this.remove(file.replace(/\.json$/, ""), "unreadable or mismatched metadata");
    }
  }

  get count(): number {
    return this.index.size;
  }

  get bytes(): number {
    let total = 0;
    for (const m of this.index.values()) total += m.bytes;
    return total;
  }

  /** Whether a snapshot of exactly this prefix exists or is being written. */
  has(prefix: readonly Token[]): boolean {
    const h = tokenHash(prefix);
    return this.index.has(h) || this.saving.has(h);
  }

  /** The longest snapshot whose prefix `tokens` starts with and that is longer than `atLeast`. */
  find(tokens: readonly Token[], atLeast: number): Meta | undefined {
    const lengths = [...new Set([...this.index.values()].map((m) => m.prefixTokens))]
      .filter((n) => n > atLeast && n <= tokens.length)
      .sort((a, b) => b - a);
    for (const n of lengths) {
      const meta = this.index.get(tokenHash(tokens.slice(0, n)));
      if (meta) return meta;
    }
    return undefined;
  }

  /** Saves `sequence` (which must start with `prefix`) unless this prefix is already on disk. */
  async save(sequence: LlamaContextSequence, prefix: readonly Token[]): Promise<void> {
    const h = tokenHash(prefix);
    if (this.budgetBytes <= 0 || this.index.has(h) || this.saving.has(h)) return;
    const held = sequence.contextTokens;
    if (held.length < prefix.length || tokenHash(held.slice(0, prefix.length)) !== h) return;
    this.saving.add(h);
    const tmp = `${this.binPath(h)}.tmp`;
    try {
      const { fileSize } = await sequence.saveStateToFile(tmp);
      const fileSha256 = createHash("sha256").update(readFileSync(tmp)).digest("hex");
      renameSync(tmp, this.binPath(h));
      const meta: Meta = {
        model: this.model,
        prefixTokens: prefix.length,
        tokenHash: h,
        fileSha256,
        bytes: fileSize,
        lastUsed: Date.now(),
      };
      writeFileSync(this.metaPath(h), JSON.stringify(meta));
      this.index.set(h, meta);
      this.enforceBudget();
    } catch (e) {
      rmSync(tmp, { force: true });
      this.log(`could not save a prefix snapshot: ${(e as Error).message}`);
    } finally {
      this.saving.delete(h);
    }
  }

  /**
   * Loads the snapshot into `sequence` and returns how many prompt tokens it now holds, or 0 (sequence cleared) when
   * the snapshot failed any check — it is then deleted.
   */
  async load(sequence: LlamaContextSequence, meta: Meta, tokens: readonly Token[]): Promise<number> {
    const path = this.binPath(meta.tokenHash);
    try {
      const sha = createHash("sha256").update(readFileSync(path)).digest("hex");
      if (sha !== meta.fileSha256) throw new Error("checksum mismatch (file corrupt or changed)");
      await sequence.loadStateFromFile(path, { acceptRisk: true });
      const held = sequence.contextTokens;
      if (held.length < meta.prefixTokens || tokenHash(held.slice(0, meta.prefixTokens)) !== meta.tokenHash)
        throw new Error("tokens in the file do not match its prefix");
      for (let i = 0; i < meta.prefixTokens; i++)
        if (held[i] !== tokens[i]) throw new Error("prefix does not match the prompt");
      meta.lastUsed = Date.now();
      writeFileSync(this.metaPath(meta.tokenHash), JSON.stringify(meta));
      return meta.prefixTokens;
    } catch (e) {
      this.remove(meta.tokenHash, (e as Error).message);
      await sequence.clearHistory().catch(() => undefined);
      return 0;
    }
  }

  private enforceBudget(): void {
    const byAge = [...this.index.values()].sort((a, b) => a.lastUsed - b.lastUsed);
    let total = this.bytes;
    for (const m of byAge) {
      if (total <= this.budgetBytes) break;
      total -= m.bytes;
      this.remove(m.tokenHash, "over the disk budget (least recently used)");
    }
  }

  private remove(hash: string, why: string): void {
    this.index.delete(hash);
    rmSync(this.binPath(hash), { force: true });
    rmSync(this.metaPath(hash), { force: true });
    this.log(`prefix snapshot ${hash.slice(0, 12)} removed: ${why}`);
  }

  private readMeta(path: string): Meta | undefined {
    try {
      const parsed = MetaSchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  private binPath(hash: string): string {
    return join(this.dir, `${hash}.bin`);
  }

  private metaPath(hash: string): string {
    return join(this.dir, `${hash}.json`);
  }
}
