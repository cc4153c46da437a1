// JSON schema → GBNF grammar text off the event loop: one worker thread converts schemas one at a time, with a time
// budget (LIMITS.grammarMs) after which the worker is replaced and the request refused naming the limit. Small schemas
// convert inline (well under a millisecond; no round trip). Compiling the GBNF text stays with the caller: it is
// native and ~30 ms for the largest accepted schema.
import { InputLimitError, LIMITS } from "../../limits.js";
import { startWorker } from "../../worker-thread.js";
import { WorkerQueue } from "../../worker-queue.js";

export interface GbnfJob {
  id: number;
  schemaJson: string;
}
export type GbnfReply =
  { id: number; gbnf: string; error?: undefined } | { id: number; error: string; gbnf?: undefined };

/** A schema whose canonical JSON is up to this long converts inline: measured well under 1 ms. */
export const INLINE_SCHEMA_CHARS = 4096;
/** Worker start-up (loading the converter's modules) may take this long, apart from the job's own budget. */
const START_LIMIT_MS = 60_000;

/** A converter failure reads as a schema problem (the pipeline answers 400 unsupported_schema for these words). */
class SchemaGrammarError extends Error {
  constructor(message: string) {
    super(`the JSON schema cannot be turned into a grammar: ${message}`);
  }
}

const converter = new WorkerQueue<Omit<GbnfJob, "id">, string, GbnfReply>({
  start: () =>
    startWorker(import.meta.url, "./gbnf-worker.js", "./gbnf-worker.ts", {
      resourceLimits: { maxOldGenerationSizeMb: 512 },
      stdout: true,
      stderr: true,
    }),
  startLimitMs: START_LIMIT_MS,
  startTimeout: () => new Error(`the grammar worker did not start within ${START_LIMIT_MS / 1000} s`),
  startFailed: (e) => new Error(`the grammar worker could not start: ${e.message}`),
  stopped: () => new Error("the grammar worker stopped"),
  budget: () => ({
    ms: LIMITS.grammarMs,
    error: () =>
      new InputLimitError(
        "grammarMs",
        `turning the schema into a grammar took more than ${LIMITS.grammarMs} ms (limit grammarMs = ${LIMITS.grammarMs}); send a smaller schema`,
        "response_format",
      ),
  }),
  result: (reply) => (reply.error !== undefined ? new SchemaGrammarError(reply.error) : reply.gbnf),
});

/** GBNF text for a JSON schema given as JSON text (property order matters: it is the output's), written in the worker. */
export function gbnfForSchema(schemaJson: string): Promise<string> {
  return converter.run({ schemaJson });
}
