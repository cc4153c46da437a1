// A semantic-cache verifier backed by a model: for candidates near the similarity threshold, a model (any route or
// alias: a small local model is the cheap choice) is asked whether one answer serves both requests. Embedding
// similarity barely separates "capital of France" from "capital of Germany"; a model can tell them apart.
import { createHash } from "node:crypto";
import type { ChatCompletionRequest } from "../api.js";
import type { Verifier } from "./service.js";

/** Sends a chat request and returns the answer's text; the daemon routes it (see server/daemon.ts). */
export type Ask = (request: ChatCompletionRequest, signal: AbortSignal) => Promise<string>;

/** Longest request text shown to the verifier, each side: keeps the check cheaper than the request it saves. */
const MAX_CHARS = 4000;
/** Verdicts remembered, so a near-duplicate asked again does not cost another check. */
const MEMO_SIZE = 1000;

const SYSTEM =
  "You check a response cache. Given two requests to an AI assistant, decide whether one and the same answer would " +
  "correctly and fully serve both. Different entities, numbers, languages, formats or constraints mean no. " +
  "Reply with one word: yes or no.";

export function verifierPrompt(model: string, query: string, candidate: string): ChatCompletionRequest {
  const clip = (s: string) => (s.length > MAX_CHARS ? `${s.slice(0, MAX_CHARS)}…` : s);
  return {
    model,
    messages: [
      { role: "system", content: SYSTEM },
      {
        role: "user",
        content: `Request A:\n<<<\n${clip(query)}\n>>>\n\nRequest B:\n<<<\n${clip(candidate)}\n>>>\n\nSame answer for both? yes or no`,
      },
    ],
    temperature: 0,
    max_tokens: 3,
  } as ChatCompletionRequest;
}

/** true for yes, false for no; anything else (an unclear answer) counts as no: a miss is safe, a wrong hit is not. */
export function parseVerdict(answer: string): boolean {
  return /^\W*yes\b/i.test(answer.trim());
}

export function modelVerifier(
  ask: Ask,
  o: { model: string; timeoutMs: number; log?: (message: string) => void },
): Verifier {
  const memo = new Map<string, boolean>();
  return async ({ query, candidate }) => {
    const key = createHash("sha256").update(query).update("\u0000").update(candidate).digest("hex");
    const known = memo.get(key);
    if (known !== undefined) return known;
    let same: boolean;
    try {
      same = parseVerdict(await ask(verifierPrompt(o.model, query, candidate), AbortSignal.timeout(o.timeoutMs)));
    } catch (e) {
      // Not remembered: the verifier may be back next time.
      o.log?.(`cache verifier ${o.model} failed (${(e as Error).message}); treating the candidate as different`);
      return false;
    }
    if (memo.size >= MEMO_SIZE) memo.delete(memo.keys().next().value!);
    memo.set(key, same);
    return same;
  };
}
