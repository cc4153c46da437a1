// A pool of resident context sequences for one model. A request takes the free sequence whose KV cache shares the
// longest token prefix with its prompt, so repeated system prompts, tool definitions and history are not re-evaluated.
import type { LlamaContext, LlamaContextSequence, Token } from "node-llama-cpp";
import type { Priority } from "../chat.js";
import { PRIORITY_RANK } from "./priority.js";

export class QueueFullError extends Error {
  constructor(readonly retryAfterS: number) {
    super("the model's request queue is full");
  }
}

interface Slot {
  sequence: LlamaContextSequence;
  busy: boolean;
  lastUsed: number;
  uses: number;
}

interface Waiter {
  tokens: Token[];
  priority: Priority;
  enqueuedAt: number;
  order: number;
  resolve: (lease: SequenceLease) => void;
  reject: (e: unknown) => void;
}

export interface SequenceLease {
  sequence: LlamaContextSequence;
  /** Prompt tokens already in this sequence's KV cache. */
  reusableTokens: number;
  queueMs: number;
  release(): void;
}

export class SequencePool {
  private readonly slots: Slot[] = [];
  private readonly waiting: Waiter[] = [];
  private order = 0;

  constructor(
    context: LlamaContext,
    private readonly maxQueued: number,
  ) {
    for (let i = 0; i < context.totalSequences; i++) {
      this.slots.push({ sequence: context.getSequence(), busy: false, lastUsed: 0, uses: 0 });
    }
  }

  get size(): number {
    return this.slots.length;
  }

  get busyCount(): number {
    return this.slots.filter((s) => s.busy).length;
  }

  queueDepth(priority?: Priority): number {
    return priority ? this.waiting.filter((w) => w.priority === priority).length : this.waiting.length;
  }

  acquire(tokens: Token[], priority: Priority, signal: AbortSignal): Promise<SequenceLease> {
    const enqueuedAt = performance.now();
    const free = this.pickFree(tokens);
    if (free && this.waiting.length === 0) return Promise.resolve(this.lease(free, tokens, enqueuedAt));
    if (this.waiting.length >= this.maxQueued) return Promise.reject(new QueueFullError(this.estimateRetryAfterS()));
    return new Promise<SequenceLease>((resolve, reject) => {
      const waiter: Waiter = { tokens, priority, enqueuedAt, order: this.order++, resolve, reject };
      this.waiting.push(waiter);
      this.waiting.sort((a, b) => PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority] || a.order - b.order);
      signal.addEventListener(
        "abort",
        () => {
          const i = this.waiting.indexOf(waiter);
          if (i >= 0) {
            this.waiting.splice(i, 1);
            reject(signal.reason);
          }
        },
        { once: true },
      );
    });
  }

  /** The free slot sharing the longest prefix with `tokens`; among equals the least recently used (an empty one first). */
  private pickFree(tokens: Token[]): Slot | undefined {
    let best: Slot | undefined;
    let bestShared = -1;
    for (const slot of this.slots) {
      if (slot.busy) continue;
      const shared = sharedPrefix(slot.sequence, tokens);
      if (shared > bestShared || (shared === bestShared && best && slot.lastUsed < best.lastUsed)) {
        best = slot;
        bestShared = shared;
      }
    }
    return best;
  }

  private lease(slot: Slot, tokens: Token[], enqueuedAt: number): SequenceLease {
    slot.busy = true;
    slot.uses++;
    let released = false;
    return {
      sequence: slot.sequence,
      reusableTokens: sharedPrefix(slot.sequence, tokens),
      queueMs: performance.now() - enqueuedAt,
      release: () => {
        if (released) return;
        released = true;
        slot.busy = false;
        slot.lastUsed = performance.now();
        this.dispatch();
      },
    };
  }

  private dispatch(): void {
    while (this.waiting.length) {
      const next = this.waiting[0];
      const slot = this.pickFree(next.tokens);
      if (!slot) return;
      this.waiting.shift();
      next.resolve(this.lease(slot, next.tokens, next.enqueuedAt));
    }
  }

  private estimateRetryAfterS(): number {
    return Math.max(1, Math.ceil(this.waiting.length / Math.max(1, this.slots.length)));
  }
}

export function sharedPrefix(sequence: LlamaContextSequence, tokens: Token[]): number {
  if (sequence.nextTokenIndex === 0) return 0;
  return sequence.compareContextTokens(tokens).firstDifferentIndex;
}
