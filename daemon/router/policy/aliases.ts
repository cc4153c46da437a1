// Aliases: names clients use ("fast", "smart", "auto") that stand for a route id, another alias or a cascade.
import type { Target } from "../../config.js";

export class AliasError extends Error {}

/** Follows aliases until a route id or a cascade; `via` lists the names passed through, for the reason text. */
export function resolveAlias(target: Target, aliases: Record<string, Target>): { target: Target; via: string[] } {
  const via: string[] = [];
  let current = target;
  while (typeof current === "string" && Object.hasOwn(aliases, current)) {
    if (via.includes(current)) throw new AliasError(`alias loop: ${[...via, current].join(" -> ")}`);
    via.push(current);
    current = aliases[current];
  }
  return { target: current, via };
}
