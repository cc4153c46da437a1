// The worker side of the USE embedder (see use.ts): loads the model once, then embeds one batch of texts at a time.
// TensorFlow.js runs on this thread, so ~20 ms (idle) to ~1 s (busy machine) per embed never holds the daemon's loop.
import { parentPort } from "node:worker_threads";
import { embedWith, loadUseModel } from "./use-model.js";
import type { EmbedJob, EmbedReply } from "./use.js";

const port = parentPort!;
loadUseModel().then(
  (model) => {
    port.on("message", (job: EmbedJob) => {
      embedWith(model, job.texts).then(
        (vectors) => {
          const reply: EmbedReply = { id: job.id, vectors };
          port.postMessage(
            reply,
            vectors.map((v) => v.buffer as ArrayBuffer),
          );
        },
        (e: Error) => port.postMessage({ id: job.id, error: e.message } satisfies EmbedReply),
      );
    });
    port.postMessage({ ready: true });
  },
  (e: Error) => port.postMessage({ ready: false, error: e.message }),
);
