// LLM-as-judge through a route: the judge sees the rubric, the input, the baseline answer and the candidate,
// and answers PASS or FAIL on its first line.
import type { CheckContext, CheckResult } from "./types.js";

export async function judgeCheck(check: { model?: string; rubric: string }, ctx: CheckContext): Promise<CheckResult> {
  if (!ctx.complete) throw new Error("the judge check needs a completer");
  const reply = await ctx.complete(
    {
      model: check.model ?? ctx.model,
      temperature: 0,
      max_tokens: 64,
      messages: [
        {
          role: "system",
          content:
            "You grade an answer against a rubric. Reply with PASS or FAIL on the first line, then one sentence of reason.",
        },
        {
          role: "user",
          content: `Rubric:\n${check.rubric}\n\nInput:\n${ctx.input.user ?? "(none)"}\n\nReference answer:\n${ctx.baseline}\n\nCandidate answer:\n${ctx.output}`,
        },
      ],
    },
    ctx.signal,
  );
  const text = reply.choices[0]?.message.content?.trim() ?? "";
  const verdict = /^\W*(PASS|FAIL)\b/i.exec(text)?.[1]?.toUpperCase();
  if (!verdict)
    return { type: "judge", score: 0, detail: `judge gave no PASS/FAIL: ${JSON.stringify(text.slice(0, 120))}` };
  return { type: "judge", score: verdict === "PASS" ? 1 : 0, detail: text.slice(0, 200) };
}
