// Routing rules: the first rule whose conditions all hold picks the target.
import type { Rule } from "../../config.js";
import type { RequestFeatures } from "./features.js";

const asList = (v: string | string[] | undefined) => (v === undefined ? undefined : Array.isArray(v) ? v : [v]);

/** The matching rule and a short account of why it matched, for the span and x-hotpath-route reasons. */
export function matchRule(
  rules: Rule[],
  model: string,
  f: RequestFeatures,
  isRouteId: (name: string) => boolean,
): { rule: Rule; why: string } | undefined {
  for (const rule of rules) {
    const w = rule.when;
    const models = asList(w.model);
    if (models ? !models.includes(model) : isRouteId(model)) continue;
    const tasks = asList(w.task);
    if (tasks && !tasks.includes(f.task)) continue;
    if (w.minPromptChars !== undefined && f.promptChars < w.minPromptChars) continue;
    if (w.maxPromptChars !== undefined && f.promptChars > w.maxPromptChars) continue;
    if (w.tools !== undefined && w.tools !== f.tools) continue;
    if (w.jsonSchema !== undefined && w.jsonSchema !== f.jsonSchema) continue;
    const why: string[] = [];
    if (tasks) why.push(`task=${f.task} (${f.taskSource})`);
    if (w.minPromptChars !== undefined || w.maxPromptChars !== undefined) why.push(`prompt ${f.promptChars} chars`);
    if (w.tools !== undefined) why.push(`tools ${f.tools ? "present" : "absent"}`);
    if (w.jsonSchema !== undefined) why.push(`json schema ${f.jsonSchema ? "present" : "absent"}`);
    return { rule, why: why.join(", ") || "matches all" };
  }
  return undefined;
}
