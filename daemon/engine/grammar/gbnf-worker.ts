// The worker side of schema → grammar: writes the GBNF text for one JSON schema at a time with node-llama-cpp's own
// converter, so a large accepted schema (5,000 properties: ~0.6 s of string building) never runs on the event loop.
import { parentPort } from "node:worker_threads";
import type { GbnfJob, GbnfReply } from "./gbnf.js";

type Convert = (schema: unknown) => string;

/**
 * node-llama-cpp does not export its converter by name (its package exports hide dist/utils), so it is loaded by file
 * next to the package's entry. That is the code `llama.createGrammarForJsonSchema` runs, so the grammar is the same.
 */
async function loadConverter(): Promise<Convert> {
  const entry = import.meta.resolve("node-llama-cpp");
  const mod = (await import(new URL("./utils/gbnfJson/getGbnfGrammarForGbnfJsonSchema.js", entry).href)) as {
    getGbnfGrammarForGbnfJsonSchema: Convert;
  };
  return mod.getGbnfGrammarForGbnfJsonSchema;
}

const port = parentPort!;
loadConverter().then(
  (convert) => {
    port.on("message", (job: GbnfJob) => {
      let reply: GbnfReply;
      try {
        reply = { id: job.id, gbnf: convert(JSON.parse(job.schemaJson)) };
      } catch (e) {
        reply = { id: job.id, error: (e as Error).message };
      }
      port.postMessage(reply);
    });
    port.postMessage({ ready: true });
  },
  (e: Error) => port.postMessage({ ready: false, error: e.message }),
);
