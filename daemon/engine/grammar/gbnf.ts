// JSON schema → GBNF grammar text off the event loop: one worker thread converts schemas one at a time, with a time
// budget (LIMITS.grammarMs) after which the worker is replaced and the request refused naming the limit. Small schemas
// convert inline (well under a millisecond; no round trip). Compiling the GBNF text stays with the caller: it is
// native and ~30 ms for the largest accepted schema.
import type { Worker } from "node:worker_threads";
import { InputLimitError, LIMITS } from "../../limits.js";
import { startWorker } from "../../worker-thread.js";

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

interface Pending {
  job: GbnfJob;
  resolve: (gbnf: string) => void;
  reject: (e: Error) => void;
}

class GbnfConverter {
  private worker?: Worker;
  private ready?: Promise<void>;
  private readonly queue: Pending[] = [];
  private running?: Pending;
  private timer?: NodeJS.Timeout;
  private nextId = 1;

  convert(schemaJson: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.queue.push({ job: { id: this.nextId++, schemaJson }, resolve, reject });
      this.pump();
    });
  }

  private start(): Promise<void> {
    const worker = startWorker(import.meta.url, "./gbnf-worker.js", "./gbnf-worker.ts", {
      resourceLimits: { maxOldGenerationSizeMb: 512 },
      stdout: true,
      stderr: true,
    });
    this.worker = worker;
    worker.unref();
    return new Promise<void>((resolve, reject) => {
      worker.once("message", (m: { ready?: boolean; error?: string }) =>
        m.ready ? resolve() : reject(new Error(m.error ?? "unexpected first message")),
      );
      worker.once("error", reject);
      worker.once("exit", (code) => reject(new Error(`the grammar worker exited with ${code} while starting`)));
    }).then(() => {
      worker.on("message", (reply: GbnfReply) => this.finish(reply));
      worker.on("error", () => undefined);
      worker.on("exit", () => this.lost(worker));
    });
  }

  private pump(): void {
    if (this.running || !this.queue.length) return;
    const current = (this.running = this.queue.shift()!);
    const cold = !this.worker;
    if (cold) this.ready = this.start();
    const arm = (ms: number, error: () => Error) => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        void this.worker?.terminate();
        this.worker = undefined;
        this.complete(current, undefined, error());
      }, ms);
    };
    if (cold)
      arm(START_LIMIT_MS, () => new Error(`the grammar worker did not start within ${START_LIMIT_MS / 1000} s`));
    this.ready!.then(
      () => {
        if (this.running !== current) return;
        arm(
          LIMITS.grammarMs,
          () =>
            new InputLimitError(
              "grammarMs",
              `turning the schema into a grammar took more than ${LIMITS.grammarMs} ms (limit grammarMs = ${LIMITS.grammarMs}); send a smaller schema`,
              "response_format",
            ),
        );
        this.worker?.postMessage(current.job);
      },
      (e: Error) => {
        this.worker = undefined;
        this.complete(current, undefined, new Error(`the grammar worker could not start: ${e.message}`));
      },
    );
  }

  private finish(reply: GbnfReply): void {
    if (this.running?.job.id !== reply.id) return;
    this.complete(
      this.running,
      reply.gbnf,
      reply.error !== undefined ? new SchemaGrammarError(reply.error) : undefined,
    );
  }

  private lost(worker: Worker): void {
    if (this.worker !== worker) return; // one the timer already replaced
    this.worker = undefined;
    if (this.running) this.complete(this.running, undefined, new Error("the grammar worker stopped"));
  }

  private complete(p: Pending, gbnf: string | undefined, error: Error | undefined): void {
    if (this.running !== p) return;
    clearTimeout(this.timer);
    this.running = undefined;
    if (error) p.reject(error);
    else p.resolve(gbnf!);
    this.pump();
  }
}

let converter: GbnfConverter | undefined;

/** GBNF text for a JSON schema given as JSON text (property order matters: it is the output's), written in the worker. */
export function gbnfForSchema(schemaJson: string): Promise<string> {
  return (converter ??= new GbnfConverter()).convert(schemaJson);
}
