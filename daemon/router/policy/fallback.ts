// Fallback chains: a route, then its configured fallbacks (each resolved through aliases, and their own fallbacks
// after them), without repeats.
import type { RouteOptions, Target } from "../../config.js";
import { resolveAlias } from "./aliases.js";

export function fallbackChain(
  primary: string,
  routes: Record<string, RouteOptions>,
  aliases: Record<string, Target>,
): string[] {
  const chain: string[] = [];
  const visit = (name: string) => {
    const { target } = resolveAlias(name, aliases);
    // A cascade is a plan of its own; as a fallback only its last (strongest) route makes sense.
    const route = typeof target === "string" ? target : target.cascade[target.cascade.length - 1];
    if (chain.includes(route)) return;
    chain.push(route);
    for (const next of routes[route]?.fallbacks ?? []) visit(next);
  };
  visit(primary);
  return chain;
}
