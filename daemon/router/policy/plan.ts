// The route decision for one request: rules, then aliases, then the name itself; the result is either a chain
// (a route and its fallbacks) or a cascade, plus the reason shown on the span and in x-hotpath-route-reason.
import type { ChatCompletionRequest } from "../../api.js";
import type { RouterConfig, Target } from "../../config.js";
import { resolveAlias } from "./aliases.js";
import { fallbackChain } from "./fallback.js";
import { requestFeatures } from "./features.js";
import { matchRule } from "./rules.js";

export type Plan =
  | { kind: "chain"; routes: string[]; reason: string }
  | {
      kind: "cascade";
      steps: string[];
      minMean?: number;
      minMin?: number;
      reason: string;
      /** of the last step */ fallbacks: string[];
    };

export class UnknownModel extends Error {}

export interface RouteNames {
  /** Whether `name` is a concrete route id ("<provider>:<model>" of a known provider, or "local:<alias>"). */
  isRouteId(name: string): boolean;
  /** A bare model name's route, if any: a local model alias, or a vendor's model name (gpt-*, claude-*). */
  routeForModel(name: string): string | undefined;
  localAliases(): string[];
}

export function plan(
  request: ChatCompletionRequest,
  headers: { task?: string },
  config: RouterConfig,
  names: RouteNames,
): Plan {
  const model = request.model;
  let target: Target = model;
  const why: string[] = [];
  if (config.rules.length) {
    const hit = matchRule(config.rules, model, requestFeatures(request, headers.task), (n) => names.isRouteId(n));
    if (hit) {
      target = hit.rule.target;
      why.push(`rule${hit.rule.name ? ` '${hit.rule.name}'` : ""} (${hit.why})`);
    }
  }
  const { target: resolved, via } = resolveAlias(target, config.aliases);
  if (via.length) why.push(`alias ${via.join(" -> ")}`);

  if (typeof resolved !== "string") {
    const steps = resolved.cascade.map((s) => concrete(s, config, names));
    const last = steps[steps.length - 1];
    return {
      fallbacks: fallbackChain(last, config.routes, config.aliases)
        .slice(1)
        .map((r) => concrete(r, config, names))
        .filter((r) => r !== last),
      kind: "cascade",
      steps,
      minMean: resolved.minMean,
      minMin: resolved.minMin,
      reason: [...why, `cascade ${steps.join(" -> ")}`].join("; "),
    };
  }
  const route = concrete(resolved, config, names);
  if (!why.length) why.push(route === model ? "requested route" : `model ${model}`);
  const routes = fallbackChain(route, config.routes, config.aliases).map((r) => concrete(r, config, names));
  if (routes.length > 1) why.push(`fallbacks ${routes.slice(1).join(", ")}`);
  return { kind: "chain", routes: [...new Set(routes)], reason: why.join("; ") };
}

function concrete(name: string, config: RouterConfig, names: RouteNames): string {
  const { target } = resolveAlias(name, config.aliases);
  if (typeof target !== "string") return concrete(target.cascade[target.cascade.length - 1], config, names);
  if (names.isRouteId(target)) return target;
  const route = names.routeForModel(target);
  if (route) return route;
  const local = names.localAliases();
  throw new UnknownModel(
    `model "${target}" does not exist here; use ${local.length ? `a local model (${local.join(", ")}), ` : ""}an alias or rule from the router config, or "<provider>:<model>" of a configured provider (e.g. openai:gpt-4o-mini)`,
  );
}
