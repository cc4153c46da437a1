// A pool of resident context sequences for one model. A request takes the free sequence whose KV cache shares the
// longest token prefix with its prompt, so repeated system prompts, tool definitions and history are not re-evaluated.
import type { LlamaContext, LlamaContextSequence, Token } from "node-llama-cpp";
import type { PrefixFacts, Priority } from "../chat.js";
import { PRIORITY_RANK } from "./priority.js";
import { chooseSlot } from "./prefix/eviction.js";
import { prefixFacts } from "./prefix/divergence.js";
import { MIN_SNAPSHOT_TOKENS, type PrefixSnapshots } from "./prefix/snapshots.js";

const HOLD_SAMPLES = 32;

export class QueueFullError extends Error {
  constructor(readonly retryAfterS: number) {
    super("the model's request queue is full");
  }
}

interface Slot {
  sequence: LlamaContextSequence;
  busy: boolean;
  lastUsed: number;
  hits: number;
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
  /** Reuse facts for the span: reused tokens, and where the prompt diverged from what the sequence held. */
  prefix: PrefixFacts;
  release(): void;
}

export interface PoolOptions {
  maxQueued: number;
  detokenize: (tokens: Token[]) => string;
  /** Hot prefixes on disk (saved after reuse, loaded when no resident sequence holds as much). */
  snapshots?: PrefixSnapshots;
}

/** A snapshot is loaded only when it covers this many more tokens than the best resident sequence. */
const MIN_SNAPSHOT_GAIN = 64;

/** Copying a prefix between sequences is worth its lock round-trip only beyond this many tokens. */
const MIN_COPY_TOKENS = 16;

export class SequencePool {
  private readonly slots: Slot[] = [];
  private readonly waiting: Waiter[] = [];
  private order = 0;
  /** How long recent leases held their sequence (ms, a ring): the queue drains at slots / typical hold. */
  private readonly holdMs: number[] = [];
  private holdNext = 0;

  constructor(
    context: LlamaContext,
    private readonly options: PoolOptions,
  ) {
    for (let i = 0; i < context.totalSequences; i++) {
      this.slots.push({ sequence: context.getSequence(), busy: false, lastUsed: 0, hits: 0 });
    }
  }

  get size(): number {
    return this.slots.length;
  }

  get busyCount(): number {
    return this.slots.filter((s) => s.busy).length;
  }

  /** The pool's sequences, for disposal of what hangs off them (draft sequences). */
  get sequences(): LlamaContextSequence[] {
    return this.slots.map((s) => s.sequence);
  }

  queueDepth(priority?: Priority): number {
    return priority ? this.waiting.filter((w) => w.priority === priority).length : this.waiting.length;
  }

  acquire(tokens: Token[], priority: Priority, signal: AbortSignal): Promise<SequenceLease> {
    const enqueuedAt = performance.now();
    // Served now unless someone of the same or a higher class waits first (held-back background waiters do not block
    // an interactive request).
    const ahead = this.waiting.some((w) => PRIORITY_RANK[w.priority] <= PRIORITY_RANK[priority]);
    if (!ahead && this.canTake(priority)) return this.assign(tokens, enqueuedAt);
    if (this.waiting.length >= this.options.maxQueued)
      return Promise.reject(new QueueFullError(this.estimateRetryAfterS()));
    return new Promise<SequenceLease>((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) {
          this.waiting.splice(i, 1);
          reject(signal.reason);
        }
      };
      // The listener goes when the wait ends either way: callers may share one signal across many requests.
      const settle =
        <T>(fn: (value: T) => void) =>
        (value: T) => {
          signal.removeEventListener("abort", onAbort);
          fn(value);
        };
      const waiter: Waiter = {
        tokens,
        priority,
        enqueuedAt,
        order: this.order++,
        resolve: settle(resolve),
        reject: settle(reject),
      };
      this.waiting.push(waiter);
      this.waiting.sort((a, b) => PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority] || a.order - b.order);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /**
   * Takes a free sequence for `tokens` (synchronously marked busy, so callers may assign several in a row) and, where
   * another free sequence holds a longer prefix, copies that prefix into it first.
   */
  private async assign(tokens: Token[], enqueuedAt: number): Promise<SequenceLease> {
    const free = this.slots.filter((s) => !s.busy);
    const views = free.map((s) => ({
      length: s.sequence.nextTokenIndex,
      shared: sharedPrefix(s.sequence, tokens),
      hits: s.hits,
      lastUsed: s.lastUsed,
    }));
    // Pool sequences carry no token predictor, so node-llama-cpp can share KV cells between them.
    const choice = chooseSlot(views, true)!;
    const target = free[choice.target];
    const donor = free[choice.donor];
    const previous = donor.sequence.contextTokens;
    target.busy = true;
    let reused = views[choice.target].shared;
    let source: PrefixFacts["source"] = "resident";
    try {
      const snapshot = this.options.snapshots?.find(tokens, choice.reused + MIN_SNAPSHOT_GAIN);
      if (snapshot) {
        const loaded = await this.options.snapshots!.load(target.sequence, snapshot, tokens);
        reused = loaded > 0 ? sharedPrefix(target.sequence, tokens) : 0;
        if (loaded > 0) source = "snapshot";
      } else if (donor !== target && choice.reused - reused >= MIN_COPY_TOKENS) {
        donor.busy = true; // pinned: nobody may change the donor while its cells are being shared
        try {
          const copied = await (target.sequence as unknown as InternalSequence)._copyStateFromOtherSequence(
            donor.sequence,
            choice.reused,
          );
          if (copied) {
            reused = choice.reused;
            source = "copy";
            donor.hits++;
          } else {
            await target.sequence.clearHistory(); // partial copy: start clean rather than trust it
            reused = 0;
          }
        } finally {
          donor.busy = false;
          queueMicrotask(() => this.dispatch());
        }
      } else if (reused > 0 && reused * 2 >= views[choice.target].length) {
        target.hits++;
      }
    } catch (e) {
      this.free(target);
      throw e;
    }
    const prefix = prefixFacts(previous, tokens, reused, this.options.detokenize);
    prefix.source = source;
    let released = false;
    const leasedAt = performance.now();
    return {
      sequence: target.sequence,
      reusableTokens: reused,
      queueMs: performance.now() - enqueuedAt,
      prefix,
      release: () => {
        if (released) return;
        released = true;
        this.recordHold(performance.now() - leasedAt);
        // A prefix that proved reusable goes to disk unless a snapshot already covers most of it; the sequence stays
        // busy while it is written so that its state is the one saved.
        const snapshots = this.options.snapshots;
        const prefix = tokens.slice(0, reused);
        if (
          snapshots &&
          reused >= MIN_SNAPSHOT_TOKENS &&
          !snapshots.find(tokens, Math.floor(reused / 2)) &&
          !snapshots.has(prefix)
        ) {
          void snapshots.save(target.sequence, prefix).finally(() => this.free(target));
        } else this.free(target);
      },
    };
  }

  private free(slot: Slot): void {
    slot.busy = false;
    slot.lastUsed = performance.now();
    this.dispatch();
  }

  /**
   * Background work never takes the last free sequence (with more than one), so an interactive request arriving
   * while background generations run starts at once instead of queueing behind them.
   */
  private canTake(priority: Priority): boolean {
    const free = this.slots.reduce((n, s) => n + (s.busy ? 0 : 1), 0);
    return free > (priority === "background" && this.slots.length > 1 ? 1 : 0);
  }

  private dispatch(): void {
    // Waiters are in priority order; a background waiter held back by the reserve lets nobody behind it pass but
    // other background waiters, who are held back too.
    for (let i = 0; i < this.waiting.length && this.slots.some((s) => !s.busy);) {
      const next = this.waiting[i];
      if (!this.canTake(next.priority)) {
        i++;
        continue;
      }
      this.waiting.splice(i, 1);
      this.assign(next.tokens, next.enqueuedAt).then(next.resolve, next.reject);
    }
  }

  private recordHold(ms: number): void {
    this.holdMs[this.holdNext] = ms;
    this.holdNext = (this.holdNext + 1) % HOLD_SAMPLES;
  }

  /**
   * When the queue will have room again, from how fast it drains: the waiters ahead, spread over the sequences, each
   * taking the median hold of recent leases. With no history yet, one second per waiter and sequence.
   */
  estimateRetryAfterS(): number {
    const slots = Math.max(1, this.slots.length);
    const sorted = [...this.holdMs].sort((a, b) => a - b);
    const holdS = sorted.length ? sorted[Math.floor(sorted.length / 2)] / 1000 : 1;
    return Math.max(1, Math.ceil(((this.waiting.length + 1) * holdS) / slots));
  }
}

/** node-llama-cpp 3.22 internal (used by its own chat sessions); shares KV cells, no recomputation. */
interface InternalSequence {
  _copyStateFromOtherSequence(other: LlamaContextSequence, upToTokenIndex: number): Promise<boolean>;
}

export function sharedPrefix(sequence: LlamaContextSequence, tokens: Token[]): number {
  if (sequence.nextTokenIndex === 0) return 0;
  return sequence.compareContextTokens(tokens).firstDifferentIndex;
}
