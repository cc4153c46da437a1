// The worker side of token counting (see token-count.ts): counts one request's texts at a time with the BPE it names.
import { parentPort } from "node:worker_threads";
import { BPE_ENCODE, countBpe } from "./bpe.js";
import type { TokenCountJob, TokenCountReply } from "./token-count.js";

const port = parentPort!;
port.on("message", (job: TokenCountJob) => {
  let reply: TokenCountReply;
  try {
    const encode = BPE_ENCODE[job.bpe];
    reply = { id: job.id, counts: job.texts.map((t) => countBpe(encode, t)) };
  } catch (e) {
    reply = { id: job.id, error: (e as Error).message };
  }
  port.postMessage(reply);
});
port.postMessage({ ready: true });
