// Direction: "convert Celsius to Fahrenheit" vs "convert Fahrenheit to Celsius" hold the same words in another order.
import { entities } from "./entities.js";
import { languagesMentioned } from "./languages.js";
import { words, type Guard } from "./guard.js";

const DIRECTIONAL = /\b(to|into|from|than|over|vs\.?|versus|before|after|instead of|rather than|->|→)\b|->|→/i;

/** Positions of the salient terms both sides share, in the order each side mentions them. */
function salientOrder(text: string, shared: Set<string>): string[] {
  const seen: string[] = [];
  for (const w of words(text)) if (shared.has(w) && !seen.includes(w)) seen.push(w);
  return seen;
}

function salient(text: string): Set<string> {
  const s = new Set<string>(entities(text).map((e) => e.toLowerCase()));
  for (const l of languagesMentioned(text)) s.add(l.split(":")[1]);
  for (const w of words(text)) if (/^(celsius|fahrenheit|kelvin|utc|json|xml|yaml|toml|csv|markdown|html|pdf|png|jpeg|svg|mp3|mp4|wav)$/.test(w)) s.add(w);
  return s;
}

export const orderGuard: Guard = {
  kind: "order",
  compare(a, b) {
    if (!DIRECTIONAL.test(a) || !DIRECTIONAL.test(b)) return undefined;
    const sa = salient(a);
    const sb = salient(b);
    const shared = new Set([...sa].filter((x) => sb.has(x)));
    if (shared.size < 2) return undefined;
    const oa = salientOrder(a, shared);
    const ob = salientOrder(b, shared);
    if (oa.length === ob.length && oa.some((x, i) => x !== ob[i])) return { guard: "order", detail: `${oa.join(" → ")} vs ${ob.join(" → ")}` };
    return undefined;
  },
};
