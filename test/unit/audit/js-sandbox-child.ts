// Child process of js-sandbox.test.ts: runs a regex and a js check in the sandbox worker, prints the scores and
// returns; the process must then exit on its own (`hotpath audit` with such checks stayed up after its report).
import { runCheck } from "../../../daemon/audit/checks/index.js";
import { CheckSchema } from "../../../daemon/audit/spec.js";

const ctx = {
  output: "Paris is the capital",
  input: { name: "i", user: "question" },
  baseline: "Paris",
  model: "m",
  signal: new AbortController().signal,
};
const regex = await runCheck(CheckSchema.parse({ type: "regex", pattern: "^Paris" }), ctx);
const js = await runCheck(CheckSchema.parse({ type: "js", code: "output.includes(baseline)" }), ctx);
console.log(`scores ${regex.score} ${js.score}`);
