// Whether one known model is in memory: loaded on first use, unloaded once it has been idle for its keep-alive.
// Requests count as uses from the moment they are handed the model until their answer ends, so an idle unload never
// pulls a model from under a running generation; the keep-alive of the last request to finish decides (Ollama).
import { FOREVER } from "./keep-alive.js";

export type ResidencyState = "unloaded" | "loading" | "ready" | "unloading" | "error";

/** Why a model's state changed (events, logs). */
export type ResidencyReason = "request" | "admin" | "startup" | "idle" | "shutdown";

export interface Disposable {
  dispose(): Promise<void>;
}

export interface ResidencyOptions<T> {
  load: () => Promise<T>;
  defaultKeepAliveMs: number;
  onChange: (state: ResidencyState, reason: ResidencyReason, detail?: { error?: string; loaded?: T }) => void;
}

export class Residency<T extends Disposable> {
  private current:
    | { state: Exclude<ResidencyState, "ready" | "error"> }
    | { state: "ready"; value: T }
    | { state: "error"; message: string } = { state: "unloaded" };
  /** The load or unload under way. */
  private transition: Promise<void> | undefined;
  private uses = 0;
  /** After shutdown nothing loads again. */
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private keepAliveMs: number;
  /** An unload asked for while requests used the model: done when the last one ends. */
  private unloadWhenIdle: { reason: ResidencyReason; done: () => void; promise: Promise<void> } | undefined;
  loadedAt: number | undefined;
  lastUsedAt: number | undefined;
  /** When the idle timer will unload the model (epoch ms); undefined while in use, unloaded, or kept forever. */
  expiresAt: number | undefined;

  constructor(private readonly o: ResidencyOptions<T>) {
    this.keepAliveMs = o.defaultKeepAliveMs;
  }

  get state(): ResidencyState {
    return this.current.state;
  }

  get value(): T | undefined {
    return this.current.state === "ready" ? this.current.value : undefined;
  }

  get error(): string | undefined {
    return this.current.state === "error" ? this.current.message : undefined;
  }

  get inUse(): number {
    return this.uses;
  }

  /** The keep-alive the idle timer uses next (the last finished request's, else the default). */
  get keepAlive(): number {
    return this.keepAliveMs;
  }

  /**
   * Loads the model unless it is loaded; settles when it is ready or has failed. A failed model stays failed for
   * requests (reloading a broken file on every request helps no one) until `retry` (an explicit load) is asked.
   */
  load(reason: ResidencyReason, retry = false): Promise<void> {
    const s = this.current.state;
    if (s === "ready") return Promise.resolve();
    if (s === "loading") return this.transition!;
    if (s === "unloading") return this.transition!.then(() => this.load(reason, retry));
    if ((s === "error" && !retry) || this.closed) return Promise.resolve();
    this.current = { state: "loading" };
    this.o.onChange("loading", reason);
    this.transition = this.o.load().then(
      (value) => {
        this.current = { state: "ready", value };
        this.loadedAt = Date.now();
        this.lastUsedAt = this.loadedAt;
        this.o.onChange("ready", reason, { loaded: value });
        this.scheduleIdle();
      },
      (e: Error) => {
        this.current = { state: "error", message: e.message };
        this.o.onChange("error", reason, { error: e.message });
      },
    );
    return this.transition;
  }

  /** A request takes the loaded model; it must call the returned `end` when its answer is over (or failed). */
  begin(): { value: T; end: (keepAliveMs?: number) => void } | undefined {
    if (this.current.state !== "ready") return undefined;
    this.uses++;
    this.clearTimer();
    let ended = false;
    return {
      value: this.current.value,
      end: (keepAliveMs) => {
        if (ended) return;
        ended = true;
        this.uses--;
        this.lastUsedAt = Date.now();
        this.keepAliveMs = keepAliveMs ?? this.o.defaultKeepAliveMs;
        if (this.uses === 0) {
          if (this.unloadWhenIdle) void this.unload(this.unloadWhenIdle.reason);
          else this.scheduleIdle();
        }
      },
    };
  }

  /** Frees the model's memory; waits for requests using it to finish first. A failed model goes back to unloaded. */
  unload(reason: ResidencyReason): Promise<void> {
    const s = this.current.state;
    if (s === "loading") return this.transition!.then(() => this.unload(reason));
    if (s === "unloading") return this.transition!;
    if (s === "error") {
      this.current = { state: "unloaded" };
      this.o.onChange("unloaded", reason);
      return Promise.resolve();
    }
    if (s !== "ready") return Promise.resolve();
    if (this.uses > 0) {
      if (!this.unloadWhenIdle) {
        let done!: () => void;
        const promise = new Promise<void>((r) => (done = r));
        this.unloadWhenIdle = { reason, done, promise };
      }
      return this.unloadWhenIdle.promise;
    }
    const value = (this.current as { value: T }).value;
    const waiting = this.unloadWhenIdle;
    this.unloadWhenIdle = undefined;
    this.clearTimer();
    this.current = { state: "unloading" };
    this.o.onChange("unloading", reason);
    this.transition = value
      .dispose()
      .catch(() => undefined)
      .then(() => {
        this.current = { state: "unloaded" };
        this.loadedAt = undefined;
        this.o.onChange("unloaded", reason);
        waiting?.done();
      });
    return this.transition;
  }

  /** Shutdown: waits for a load under way, then frees the model whether or not a request still holds it. */
  async close(): Promise<void> {
    this.clearTimer();
    this.closed = true;
    await this.transition;
    if (this.current.state === "ready") {
      const value = this.current.value;
      this.current = { state: "unloaded" };
      await value.dispose().catch(() => undefined);
    }
  }

  private scheduleIdle(): void {
    this.clearTimer();
    if (this.current.state !== "ready" || this.uses > 0 || this.keepAliveMs === FOREVER || this.closed) return;
    const ms = this.keepAliveMs;
    this.expiresAt = Date.now() + ms;
    // unref: an idle timer must not keep a process alive that is otherwise done.
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.expiresAt = undefined;
      if (this.uses === 0) void this.unload("idle");
    }, ms);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.expiresAt = undefined;
  }
}
