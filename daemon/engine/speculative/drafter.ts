// A drafter proposes the tokens it expects the target model to produce next; the target verifies them in one batch
// (verify.ts). Strategies: a small draft model (draft-model.ts) or prompt lookup (prompt-lookup.ts).
import type { Token } from "node-llama-cpp";

export interface Drafter {
  /**
   * Up to `count` tokens expected to follow `state` (every token the target holds plus the one it is about to
   * evaluate). Fewer, or none, when the drafter has no good guess.
   */
  draft(state: readonly Token[], count: number): Promise<Token[]> | Token[];
}
