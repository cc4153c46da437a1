// A request's audit prompt read off the event loop: parsePrompt walks every line, tag and heading of up to 1 MB (a JSON
// chat prompt is parsed twice, validated and mapped string by string), and the static findings read every sentence —
// for the costliest shapes seconds of CPU on a busy 2-core machine (#15: 1 MB of one-line headings parsed in 4.8 s,
// its duplicate sentences 0.6 s, with the load average at 2). A prompt past a few kilobytes is read on one worker
// thread, one prompt at a time, with a time budget (LIMITS.promptParseMs) and a heap limit, after which the worker is
// replaced and the request refused naming the limit. The worker runs the same functions, so the results are the same;
// a prompt of more sections than LIMITS.promptSections is refused there, before its sections are cloned back.
import { InputLimitError, LIMITS } from "../limits.js";
import { startWorker } from "../worker-thread.js";
import { WorkerQueue } from "../worker-queue.js";
import { docSystemText } from "./recorded.js";
import { checkPromptSize, parsePrompt, PromptError, type Granularity, type PromptDoc } from "./sections/index.js";
import { duplicateSentences, type DuplicateSentence } from "./static.js";

export interface PromptOptions {
  fileName?: string;
  granularity?: Granularity;
}

/** A prompt's sections, and what the static findings and recorded use need of it (see static.ts, recorded.ts). */
export interface PromptFacts {
  doc: PromptDoc;
  duplicates: DuplicateSentence[];
  systemText: string;
}

export interface PromptJob extends PromptOptions {
  id: number;
  source: string;
}
export type PromptReply = { id: number } & (
  PromptFacts | { promptError: string } | { sectionLimit: string } | { error: string }
);

/**
 * Prompts up to this many characters are read inline: a few milliseconds at worst, less than the round trip to the
 * worker (and a small prompt is what an editor sends while typing).
 */
export const INLINE_PROMPT_CHARS = 16 * 1024;
/** The worker's V8 heap: 1 MB of prompt (the limit) of the costliest shapes left ~200–260 MB behind (before a GC). */
const HEAP_MB = 768;
/** Worker start-up may take this long, apart from the job's own budget. */
const START_LIMIT_MS = 60_000;

const reader = new WorkerQueue<Omit<PromptJob, "id">, PromptFacts, PromptReply>({
  start: () =>
    // The event loop answers other requests meanwhile: the worker runs 5 nice values below it (startWorker).
    startWorker(
      import.meta.url,
      "./prompt-worker.js",
      "./prompt-worker.ts",
      { resourceLimits: { maxOldGenerationSizeMb: HEAP_MB }, stdout: true, stderr: true },
      5,
    ),
  startLimitMs: START_LIMIT_MS,
  startTimeout: () => new Error(`the prompt worker did not start within ${START_LIMIT_MS / 1000} s`),
  startFailed: (e) => new Error(`the prompt worker could not start: ${e.message}`),
  stopped: (e) =>
    (e as NodeJS.ErrnoException | undefined)?.code === "ERR_WORKER_OUT_OF_MEMORY"
      ? new PromptError(
          `reading the prompt needed more than the worker's ${HEAP_MB} MB of memory; send a shorter prompt`,
        )
      : new Error(`the prompt worker stopped${e ? ` (${e.message})` : ""}`),
  budget: () => ({
    ms: LIMITS.promptParseMs,
    error: () =>
      new InputLimitError(
        "promptParseMs",
        `reading the prompt took more than ${LIMITS.promptParseMs} ms (limit promptParseMs = ${LIMITS.promptParseMs}); send a shorter prompt`,
      ),
  }),
  result: (reply) => {
    if ("promptError" in reply) return new PromptError(reply.promptError);
    if ("sectionLimit" in reply) return new InputLimitError("promptSections", reply.sectionLimit);
    if ("error" in reply) return new Error(`reading the prompt failed: ${reply.error}`);
    return { doc: reply.doc, duplicates: reply.duplicates, systemText: reply.systemText };
  },
});

/** What the worker does with a job, and the inline path with a small prompt. */
export function readPrompt(source: string, opts: PromptOptions): PromptFacts {
  const doc = withinSectionLimit(parsePrompt(source, opts));
  return { doc, duplicates: duplicateSentences(doc), systemText: docSystemText(doc) };
}

/** A request's prompt with its facts, off the event loop past INLINE_PROMPT_CHARS (see the module comment). */
export async function promptFactsOffLoop(source: string, opts: PromptOptions = {}): Promise<PromptFacts> {
  if (source.length <= INLINE_PROMPT_CHARS) return readPrompt(source, opts);
  checkPromptSize(source); // refused before anything is copied to the worker
  return reader.run({ source, ...opts });
}

/** `doc`, or InputLimitError when it has more sections than LIMITS.promptSections. */
export function withinSectionLimit(doc: PromptDoc): PromptDoc {
  if (doc.sections.length > LIMITS.promptSections)
    throw new InputLimitError(
      "promptSections",
      `the prompt splits into ${doc.sections.length} sections (limit promptSections = ${LIMITS.promptSections}); audit a shorter prompt, or one with fewer headings or paragraphs`,
    );
  return doc;
}
