// Calibrated thread counts, remembered per model file and CPU in <data-dir>/threads.json, so a model is measured
// once per machine rather than on every load.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg } from "node:os";
import { dirname } from "node:path";
import { z } from "zod";
import { modelFingerprint } from "../prefix/snapshots.js";
import type { Calibration } from "./calibrate.js";

const EntrySchema = z.object({
  prefill: z.number().int().min(1),
  decode: z.number().int().min(1),
  measurements: z.array(z.object({ threads: z.number(), prefillTokensPerS: z.number(), decodeTokensPerS: z.number() })),
  calibratedAt: z.string(),
  /** 1-minute load average when measured: a busy machine favours fewer threads. */
  loadAverage: z.number(),
  /** Share of all cores other processes used meanwhile (contention.ts); absent where not measurable, or older. */
  othersShare: z.number().optional(),
  model: z.string(),
  cpu: z.string(),
});
const FileSchema = z.object({ version: z.literal(1), entries: z.record(z.string(), EntrySchema) });

export type RememberedThreads = z.infer<typeof EntrySchema>;

/**
 * How choices are measured; a new method measures again rather than trust an old choice (2: decode after a prompt
 * batch, medians of rounds — method 1 kept each count's best round and could pick a count that is typically slower).
 */
const CALIBRATION_METHOD = 2;

/** What a calibration depends on: the model's bytes, the CPU, its core count, the GPU backend and the method. */
export function calibrationKey(modelPath: string, gpu: string): string {
  const cpu = `${cpus()[0]?.model ?? "unknown"} × ${availableParallelism()}`;
  return createHash("sha256")
    .update(`${modelFingerprint(modelPath)}|${cpu}|${gpu}|method ${CALIBRATION_METHOD}`)
    .digest("hex")
    .slice(0, 24);
}

export class ThreadChoices {
  constructor(private readonly file: string) {}

  get(key: string): RememberedThreads | undefined {
    return this.read().entries[key];
  }

  remember(key: string, modelPath: string, c: Calibration): RememberedThreads {
    const entry: RememberedThreads = {
      prefill: c.prefill,
      decode: c.decode,
      measurements: c.measurements,
      calibratedAt: new Date().toISOString(),
      loadAverage: Math.round(loadavg()[0] * 100) / 100,
      ...(c.othersShare !== undefined ? { othersShare: c.othersShare } : {}),
      model: modelPath,
      cpu: `${cpus()[0]?.model ?? "unknown"} × ${availableParallelism()}`,
    };
    const data = this.read();
    data.entries[key] = entry;
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(data, null, 2) + "\n");
    renameSync(tmp, this.file);
    return entry;
  }

  /** A missing or unreadable file is an empty one: the next load measures again and rewrites it. */
  private read(): z.infer<typeof FileSchema> {
    try {
      const parsed = FileSchema.safeParse(JSON.parse(readFileSync(this.file, "utf8")));
      if (parsed.success) return parsed.data;
    } catch {
      // absent or not JSON
    }
    return { version: 1, entries: {} };
  }
}
