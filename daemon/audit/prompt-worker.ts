// The worker side of reading a request's audit prompt (see prompt-thread.ts): one prompt at a time.
import { parentPort } from "node:worker_threads";
import { InputLimitError } from "../limits.js";
import { readPrompt, type PromptJob, type PromptReply } from "./prompt-thread.js";
import { PromptError } from "./sections/index.js";

const port = parentPort!;
port.on("message", ({ id, source, fileName, granularity }: PromptJob) => {
  let reply: PromptReply;
  try {
    reply = { id, ...readPrompt(source, { fileName, granularity }) };
  } catch (e) {
    reply =
      e instanceof PromptError
        ? { id, promptError: e.message }
        : e instanceof InputLimitError && e.limit === "promptSections"
          ? { id, sectionLimit: e.message }
          : { id, error: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(reply);
});
port.postMessage({ ready: true });
