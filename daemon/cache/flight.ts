// Single-flight: while one request for an exact key is at the backend, identical requests wait for its answer
// instead of computing it again. The leader settles the flight by storing (answer) or abandoning (no answer).
export class Flights<T> {
  private readonly pending = new Map<
    string,
    { promise: Promise<T | undefined>; settle: (v: T | undefined) => void; timer: NodeJS.Timeout }
  >();

  /** Becomes the leader for key; false if someone else already is. The flight ends by itself after maxMs. */
  lead(key: string, maxMs: number): boolean {
    if (this.pending.has(key)) return false;
    let settle!: (v: T | undefined) => void;
    const promise = new Promise<T | undefined>((resolve) => (settle = resolve));
    const timer = setTimeout(() => this.settle(key, undefined), maxMs);
    timer.unref();
    this.pending.set(key, { promise, settle, timer });
    return true;
  }

  has(key: string): boolean {
    return this.pending.has(key);
  }

  /** Waits for the leader's answer; undefined when it failed, gave up, or the wait was aborted. */
  async wait(key: string, maxMs: number, signal?: AbortSignal): Promise<T | undefined> {
    const f = this.pending.get(key);
    if (!f) return undefined;
    if (signal?.aborted) return undefined;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const stop = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), maxMs);
      onAbort = () => resolve(undefined);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
    try {
      return await Promise.race([f.promise, stop]);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener("abort", onAbort);
    }
  }

  settle(key: string, value: T | undefined): void {
    const f = this.pending.get(key);
    if (!f) return;
    clearTimeout(f.timer);
    this.pending.delete(key);
    f.settle(value);
  }

  get size(): number {
    return this.pending.size;
  }
}
