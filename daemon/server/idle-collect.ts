// Garbage the daemon's thread left behind, collected once the event loop goes quiet. Request bodies, inflated chunks
// and parsed JSON are Buffers and objects that die with their request, but V8 collects them only when it next needs
// room: its heap by allocation, and Buffers' memory (outside its heap, up to 10 MB a body and 64 MB an OTLP body or
// refused bomb) when that "external" memory has grown ~64 MB past what the last full collection left. After a burst
// nothing allocates, so nothing collects: after the 2,192-request fuzz the thread held 138 MB of dead Buffers and a
// 112 MB heap for good; one full collection (forced from the inspector) took RSS from 540 to 382 MB.
// So: every CHECK_MS, when the loop was nearly idle over that time and the heap plus external memory have grown by
// GROWTH_BYTES since the last collection, one full collection runs (41–58 ms after 9 MB bodies at load 2.5, an atomic
// pause, at a time the loop has nothing else to do: the collection V8 would run at the next allocation anyway; a
// request arriving meanwhile waits that long). Memory that is still
// in use survives it and raises the floor, so live growth is not collected again until it grows as much once more.
// Not while a request body is still arriving: an upload (a 64 MB trace import) keeps the loop nearly idle while its
// chunks pile up, and a collection then (37 ms, seen mid-import) is a pause for every request meanwhile and frees
// nothing the upload is done with.
import type { IncomingMessage, Server } from "node:http";
import { performance, type EventLoopUtilization } from "node:perf_hooks";
import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** How often the loop's idleness and the memory are read. */
export const CHECK_MS = 500;
/** Growth of heap + external memory since the last full collection that makes one worth running. */
export const GROWTH_BYTES = 32 * 1024 * 1024;
/** The loop counts as quiet when it was busy less than this share of the last CHECK_MS (event-loop utilization). */
export const IDLE_UTILIZATION = 0.1;

/**
 * The rule, apart from the clock and V8 (tests drive it): `check` gets the loop's utilization over the last interval
 * and the bytes in use now, and says whether to collect.
 */
export class IdleCollection {
  constructor(
    /** The least in use since the last collection (what survived it, or what V8's own collections left). */
    private floor = Infinity,
    private readonly growthBytes = GROWTH_BYTES,
    private readonly idleUtilization = IDLE_UTILIZATION,
  ) {}

  check(utilization: number, usedBytes: number): boolean {
    this.floor = Math.min(this.floor, usedBytes);
    if (utilization >= this.idleUtilization || usedBytes - this.floor < this.growthBytes) return false;
    // What survives is read at the next check (Buffers' memory is freed by a sweep after the collection).
    this.floor = Infinity;
    return true;
  }
}

/**
 * V8's full collection as a function, without exposing `gc` to other code: the flag is on only while one new context
 * is made (jest's leak detector does the same); undefined where V8 refuses it.
 */
function fullCollection(): (() => void) | undefined {
  try {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as unknown;
    return typeof gc === "function" ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  } finally {
    setFlagsFromString("--no-expose-gc");
  }
}

/**
 * Starts the checks on this thread; `stop` ends them. `log` hears each collection (debug); while `busy` says so
 * (a body still arriving, see `receivingBodies`), no check collects.
 */
export function collectWhenIdle(options: { log?: (message: string) => void; busy?: () => boolean } = {}): {
  stop(): void;
} {
  const { log, busy } = options;
  const gc = fullCollection();
  if (!gc) return { stop() {} };
  const inUse = () => {
    const heap = getHeapStatistics();
    return heap.used_heap_size + heap.external_memory;
  };
  const rule = new IdleCollection(inUse());
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, last);
    last = now;
    if (busy?.()) return;
    const used = inUse();
    if (!rule.check(utilization, used)) return;
    const started = performance.now();
    gc();
    log?.(
      `idle collection: ${Math.round(used / 1048576)} MB in use before, ${Math.round(performance.now() - started)} ms`,
    );
  }, CHECK_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** Whether any request to `server` is still sending its body (headers read, body not complete). */
export function receivingBodies(server: Server): () => boolean {
  const open = new Set<IncomingMessage>();
  server.on("request", (req: IncomingMessage) => {
    open.add(req);
    req.once("close", () => open.delete(req));
  });
  return () => {
    for (const req of open) if (!req.complete) return true;
    return false;
  };
}
