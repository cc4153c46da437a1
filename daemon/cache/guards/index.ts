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
import { pathGuard } from "./paths.js";
import { quoteGuard } from "./quotes.js";
import { modifierGuard, subjectGuard, swapGuard } from "./structure/arguments.js";
import { factGuard, negationScopeGuard, replacementGuard, roleGuard } from "./structure/defences.js";

export type { Guard, GuardFinding } from "./guard.js";

/**
 * Fact guards first (they name the fact: a number, a date, a path, an operation), then the structural defences that read the word
 * alignment (negation per clause, a name on one side only, a replaced word, a word in another role).
 * The structural role guard replaced the old set-based order guard (order.ts), which only ran with a direction word.
 */
export const GUARDS: readonly Guard[] = [
  negationGuard,
  antonymGuard,
  numberGuard,
  dateGuard,
  quoteGuard,
  identifierGuard,
  pathGuard,
  languageGuard,
  entityGuard,
  operationGuard,
  negationScopeGuard,
  factGuard,
  replacementGuard,
  roleGuard,
  swapGuard,
  subjectGuard,
  modifierGuard,
];

/** The first critical difference between a query and a cached candidate, or undefined when none is found. */
export function findCriticalDifference(
  query: string,
  candidate: string,
  guards: readonly Guard[] = GUARDS,
): GuardFinding | undefined {
  for (const g of guards) {
    const f = g.compare(query, candidate);
    if (f) return f;
  }
  return undefined;
}
