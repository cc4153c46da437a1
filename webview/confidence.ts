// How sure the analysis is that a parallel group's calls could have run together (ParallelGroup.confidence), in words.
import type { ParallelGroup } from "../daemon/api.js";

export function confidenceLabel(c: ParallelGroup["confidence"] | undefined): string {
  return c === "independent" ? "independent" : c === "speculative" ? "speculative" : "confidence unknown";
}

export function confidenceHelp(c: ParallelGroup["confidence"] | undefined): string {
  return c === "independent"
    ? "No data or control dependence found: these calls could have been issued together."
    : c === "speculative"
      ? "A later call followed an earlier one that came back empty, failed or was denied: only issuing it speculatively saves this."
      : "The analysis did not say how sure it is.";
}
