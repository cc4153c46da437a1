// Cosine similarity of the output's embedding to the baseline output's; passes at or above the threshold.
import type { CheckContext, CheckResult } from "./types.js";

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

export async function similarityCheck(check: { threshold: number }, ctx: CheckContext): Promise<CheckResult> {
  if (!ctx.embed) throw new Error("the similarity check needs an embedder, and none is configured");
  if (ctx.output === ctx.baseline) return { type: "similarity", score: 1, detail: "identical" };
  const [a, b] = await Promise.all([ctx.embed(ctx.output), ctx.embed(ctx.baseline)]);
  const sim = cosine(a, b);
  return { type: "similarity", score: sim >= check.threshold ? 1 : 0, detail: `cosine ${sim.toFixed(3)}` };
}
