// The smallest streaming server on node-llama-cpp, for `bench serve`: the same model, thread count and context size as
// the daemon under test, one sequence, and per token only what streaming needs (node-llama-cpp's own evaluate loop,
// the token's text with up to 4 earlier tokens as context, one SSE frame written). It answers POST /v1/completions
// (stream: true) in the daemon's wire format, so the bench's clients read both alike, and reports its decode time
// the way the daemon does (first token's arrival to the last token handed on) in the final event's `timings`.
//
// Why: on a 2-core machine a streamed answer costs decode speed whoever serves it (the client's process and the
// server's event loop share the cores with llama.cpp's thread), and a direct loop without a client pays none of it.
// Hotpath ÷ this server is the daemon's own overhead; this server ÷ direct is what streaming to a client costs here.
//
// Usage: node serve-reference.mjs <model.gguf> <threads> <context-size>; prints "listening on <url>".
import { createServer } from "node:http";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";

const [modelPath, threadsArg, contextArg] = process.argv.slice(2);
const threads = Number(threadsArg);
const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: threads });
const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
// As the daemon sizes it (engine/model.ts): the asked size, capped at the model's training context.
const context = await model.createContext({
  contextSize: Math.min(Number(contextArg), model.trainContextSize || Number(contextArg)),
  threads,
});
const sequence = context.getSequence();

/** The prompt's tokens as the daemon's /v1/completions makes them (BOS prepended where the model wants one). */
function promptTokens(prompt) {
  const tokens = model.tokenize(prompt);
  const bos = model.tokens.bos;
  if (bos !== null && model.tokens.shouldPrependBosToken && tokens[0] !== bos) tokens.unshift(bos);
  return tokens;
}

const frame = (text, finish) =>
  `data: ${JSON.stringify({
    id: "cmpl-reference",
    object: "text_completion",
    created: Math.floor(Date.now() / 1000),
    model: "reference",
    choices: [{ index: 0, text, finish_reason: finish, logprobs: null }],
  })}\n\n`;

let busy = false;
const server = createServer((req, res) => {
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (chunk) => (body += chunk));
  req.on("end", async () => {
    // One sequence, as the daemon runs with --sequences 1 in the bench: requests come one at a time.
    if (busy) return void res.writeHead(503).end();
    busy = true;
    try {
      const { prompt, max_tokens: maxTokens, temperature } = JSON.parse(body);
      await sequence.clearHistory();
      const tokens = promptTokens(prompt);
      const started = performance.now();
      res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
      res.flushHeaders();
      const generated = [];
      // Tokens whose text ends inside a UTF-8 character wait for the rest (as the daemon's stream does).
      let waiting = 0;
      let first = 0;
      for await (const token of sequence.evaluate(tokens, { temperature })) {
        if (!first) first = performance.now();
        generated.push(token);
        const end = generated.length;
        const text = model.detokenize(
          generated.slice(end - 1 - waiting),
          false,
          generated.slice(Math.max(0, end - 5 - waiting), end - 1 - waiting),
        );
        if (text.endsWith("\ufffd")) waiting++;
        else {
          waiting = 0;
          if (text) res.write(frame(text, null));
        }
        if (end >= maxTokens) break;
      }
      const ended = performance.now();
      const n = generated.length;
      const final = JSON.parse(frame("", n >= maxTokens ? "length" : "stop").slice(6));
      final.timings = {
        prompt_n: tokens.length,
        prompt_ms: first - started,
        predicted_n: n,
        predicted_ms: ended - first,
        predicted_per_second: n > 1 ? ((n - 1) * 1000) / (ended - first) : 0,
      };
      res.write(`data: ${JSON.stringify(final)}\n\n`);
      res.end("data: [DONE]\n\n");
    } catch (e) {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(e));
    } finally {
      busy = false;
    }
  });
});
server.listen(0, "127.0.0.1", () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
// The bench holds this process's stdin open: when the bench ends, however it ends, so does this server (an orphan
// would keep its model and a core's worth of wake-ups on a machine that later benches measure).
process.stdin.on("end", () => process.exit(0));
process.stdin.on("error", () => process.exit(0));
process.stdin.resume();
