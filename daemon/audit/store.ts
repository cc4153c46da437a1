// Audit runs and their samples in the one SQLite file. A run is keyed by its spec hash: a rerun of the same spec
// finds the samples already taken and only makes the calls that are missing.
import { applyMigrations, type Db, sqlMigration } from "../db.js";
import type { AuditReport } from "../api.js";
import type { CheckResult } from "./checks/index.js";

/** This module's tables, created when its store first opens a database. */
const TABLES = sqlMigration(
  "audit:1-runs",
  `
      CREATE TABLE audit_runs (
        spec_hash TEXT PRIMARY KEY,
        status TEXT NOT NULL,            -- running | done | cancelled | failed
        model TEXT NOT NULL,
        prompt_path TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        report TEXT                      -- JSON AuditReport once done
      );
      CREATE TABLE audit_samples (
        spec_hash TEXT NOT NULL REFERENCES audit_runs(spec_hash) ON DELETE CASCADE,
        variant TEXT NOT NULL,           -- baseline | <section id> | combined:<ids>
        input_index INTEGER NOT NULL,
        sample_index INTEGER NOT NULL,
        output TEXT,
        score REAL NOT NULL,
        checks TEXT NOT NULL,            -- JSON CheckResult[]
        prompt_tokens INTEGER,
        completion_tokens INTEGER,
        latency_ms REAL NOT NULL,
        error TEXT,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (spec_hash, variant, input_index, sample_index)
      );
    `,
);

export interface Sample {
  variant: string;
  inputIndex: number;
  sampleIndex: number;
  output: string | null;
  score: number;
  checks: CheckResult[];
  promptTokens: number | null;
  completionTokens: number | null;
  latencyMs: number;
  error: string | null;
}

export type RunStatus = "running" | "done" | "cancelled" | "failed";

export class AuditStore {
  constructor(private readonly db: Db) {
    applyMigrations(db, [TABLES]);
  }

  /** Creates the run row, or marks an existing one running again (its samples are kept unless `fresh`). */
  begin(specHash: string, model: string, promptPath: string | undefined, fresh: boolean): void {
    if (fresh) this.db.prepare("DELETE FROM audit_runs WHERE spec_hash = ?").run(specHash);
    const now = Date.now();
    this.db
      .prepare(
        `INSERT INTO audit_runs (spec_hash, status, model, prompt_path, created_at, updated_at) VALUES (?, 'running', ?, ?, ?, ?)
         ON CONFLICT (spec_hash) DO UPDATE SET status = 'running', updated_at = excluded.updated_at`,
      )
      .run(specHash, model, promptPath ?? null, now, now);
  }

  finish(specHash: string, status: RunStatus, report?: AuditReport): void {
    this.db
      .prepare("UPDATE audit_runs SET status = ?, updated_at = ?, report = COALESCE(?, report) WHERE spec_hash = ?")
      .run(status, Date.now(), report ? JSON.stringify(report) : null, specHash);
  }

  status(specHash: string): { status: RunStatus; report?: AuditReport } | undefined {
    const row = this.db.prepare("SELECT status, report FROM audit_runs WHERE spec_hash = ?").get(specHash) as
      { status: RunStatus; report: string | null } | undefined;
    return row
      ? { status: row.status, ...(row.report ? { report: JSON.parse(row.report) as AuditReport } : {}) }
      : undefined;
  }

  samples(specHash: string): Sample[] {
    const rows = this.db.prepare("SELECT * FROM audit_samples WHERE spec_hash = ?").all(specHash) as Record<
      string,
      any
    >[];
    return rows.map((r) => ({
      variant: r.variant,
      inputIndex: r.input_index,
      sampleIndex: r.sample_index,
      output: r.output,
      score: r.score,
      checks: JSON.parse(r.checks) as CheckResult[],
      promptTokens: r.prompt_tokens,
      completionTokens: r.completion_tokens,
      latencyMs: r.latency_ms,
      error: r.error,
    }));
  }

  countSamples(specHash: string): number {
    return (
      this.db.prepare("SELECT COUNT(*) AS n FROM audit_samples WHERE spec_hash = ?").get(specHash) as { n: number }
    ).n;
  }

  save(specHash: string, s: Sample): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO audit_samples (spec_hash, variant, input_index, sample_index, output, score, checks,
           prompt_tokens, completion_tokens, latency_ms, error, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
      )
      .run(
        specHash,
        s.variant,
        s.inputIndex,
        s.sampleIndex,
        s.output,
        s.score,
        JSON.stringify(s.checks),
        s.promptTokens,
        s.completionTokens,
        s.latencyMs,
        s.error,
        Date.now(),
      );
  }
}
