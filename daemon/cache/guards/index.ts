// All false-hit guards, in the order their findings are reported.
import { operationGuard } from "./actions.js";
import { antonymGuard } from "./antonyms.js";
import { dateGuard } from "./dates.js";
import { entityGuard } from "./entities.js";
import type { Guard, GuardFinding } from "./guard.js";
import { identifierGuard } from "./identifiers.js";
import { languageGuard } from "./languages.js";
import { negationGuard } from "./negation.js";
import { numberGuard } from "./numbers.js";
import { orderGuard } from "./order.js";
import { pathGuard } from "./paths.js";
import { quoteGuard } from "./quotes.js";

export type { Guard, GuardFinding } from "./guard.js";

export const GUARDS: readonly Guard[] = [
  negationGuard, antonymGuard, numberGuard, dateGuard, quoteGuard, identifierGuard, pathGuard, languageGuard, entityGuard, orderGuard, operationGuard,
];

/** The first critical difference between a query and a cached candidate, or undefined when none is found. */
export function findCriticalDifference(query: string, candidate: string, guards: readonly Guard[] = GUARDS): GuardFinding | undefined {
  for (const g of guards) {
    const f = g.compare(query, candidate);
    if (f) return f;
  }
  return undefined;
}
