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
// nothing the upload is done with. While such an upload streams through, young collections free its dead chunks
// instead (BodyPassing, below).
// Nor while requests keep coming (one arrived within CHECK_MS, see requestedWithin): the loop can be quiet with a
// client polling every few ms, and its next request would wait out the collection.
// Nor while an import's threads work on (the body all read, the loop quiet while they build, write and analyse): a
// collection there (50–99 ms, seen when imports' analyses were kept on this thread) holds the loop on cores the
// import's two threads already fill. After the import, the loop quiet again, it runs.
import type { IncomingMessage, Server } from "node:http";
import { performance, type EventLoopUtilization } from "node:perf_hooks";
import { getHeapSpaceStatistics, getHeapStatistics } from "node:v8";
import { fullCollection, youngCollection } from "../heap-gc.js";

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

/** How many bytes of streamed request bodies pass through this thread between two young collections (see BodyPassing). */
export const BODY_COLLECT_BYTES = 2 * 1024 * 1024;

/**
 * Young collections while large bodies stream through this thread (a trace import: up to 256 MB, passed on to a worker
 * as it arrives). Each chunk of a body is a Buffer of its own (Node's HTTP parser copies it out of the socket's read
 * buffer), dead once passed on; V8 frees such memory at its next collection, and while an upload allocates little else
 * that next collection is a full one, set off by the Buffers' memory itself (V8 counts memory outside its heap toward
 * the heap's limit): 2–3 per 60 MB import, each pausing the event loop 15–35 ms (atomic) plus incremental steps of up
 * to 24 ms, marking the whole ~57 MB heap of this thread (at load 2–3). A young collection every BODY_COLLECT_BYTES
 * frees the dead chunks while they are young: CC 64 MB imports at load ~11, 6 runs each way: full collections of this
 * thread during the import 11 → 1.
 * Why 2 MB and not 8: V8 starts a full collection once the old generation's headroom (its limit less what it holds,
 * at least 8 MB here) minus the young generation's size is used up, and memory outside its heap allocated since the
 * last full collection counts as used (Heap::OldGenerationSpaceAvailable). Every uploaded byte is that twice here: its
 * chunk, and the 1 MB block the parse hands back (a transferred ArrayBuffer is new external memory to this thread).
 * Young collections every 8 MB let ~16 MB pile up between them, past the headroom: a full collection every 8–16 MB
 * of upload that freed nothing (~58 MB marked, 8–29 ms atomic pause plus 26–43 ms of steps). Every 2 MB: 100k-span
 * Claude Code imports, 4 in a row, V8's full collections of this thread during them 10 → 3 (every 1 MB: 3 too); the
 * young collections cost ~1 ms each.
 */
export class BodyPassing {
  private since = 0;

  constructor(
    /** Default: youngCollection(), made at the first collection. */
    private collect?: () => void,
    private readonly everyBytes = BODY_COLLECT_BYTES,
  ) {}

  /** `n` more bytes of a body went through (were handed on): collects once `everyBytes` have since the last time. */
  passed(n: number): void {
    if ((this.since += n) < this.everyBytes) return;
    this.since = 0;
    this.collect ??= youngCollection() ?? (() => undefined);
    this.collect();
  }
}

/**
 * What the young generation holds when the loop goes quiet that makes a young collection worth running then.
 * Objects that live on (the daemon's own, after its start; a request's caches) sit in it until a collection copies
 * them, twice, then moves them to the old generation: the first young collections after a quiet while took 8–22 ms
 * each here. An upload's first ones (BodyPassing, every 2 MB) came 20 ms apart, and a request between them waited
 * for both (35–48 ms, a fresh daemon's first import). Collected while nothing waits, the next burst's young
 * collections find little to copy (~1 ms).
 */
export const YOUNG_IDLE_BYTES = 4 * 1024 * 1024;

function youngInUse(): number {
  for (const space of getHeapSpaceStatistics()) if (space.space_name === "new_space") return space.space_used_size;
  return 0;
}

/**
 * Starts the checks on this thread; `stop` ends them. `log` hears each collection (debug); while `busy` says so
 * (a body still arriving, see `receivingBodies`, or an import's threads at work), no check collects; `beforeCollect`
 * hears a full collection about to start. A quiet check that runs no full collection empties the young generation
 * when it holds YOUNG_IDLE_BYTES.
 */
export function collectWhenIdle(
  options: { log?: (message: string) => void; busy?: () => boolean; beforeCollect?: () => void } = {},
): {
  stop(): void;
} {
  const { log, busy, beforeCollect } = options;
  const gc = fullCollection();
  if (!gc) return { stop() {} };
  const inUse = () => {
    const heap = getHeapStatistics();
    return heap.used_heap_size + heap.external_memory;
  };
  const rule = new IdleCollection(inUse());
  const young = youngCollection();
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, last);
    last = now;
    if (busy?.()) return;
    const used = inUse();
    if (!rule.check(utilization, used)) {
      if (utilization < IDLE_UTILIZATION && youngInUse() >= YOUNG_IDLE_BYTES) {
        const started = performance.now();
        young?.();
        log?.(`idle young collection: ${Math.round(performance.now() - started)} ms`);
      }
      return;
    }
    beforeCollect?.();
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

/**
 * Whether a request to `server` arrived within the last `ms`. A full collection holds the loop 50–120 ms (a 60–80 MB
 * heap here); a quiet loop alone (low utilization) did not mean nobody was waiting: a client polling every 10 ms kept
 * the loop quiet and its next request waited out the collection (88 ms, right after an import). Collected only once
 * requests paused, a poller waits for none; one that never pauses leaves the thread to V8's own collections, which
 * mark incrementally in steps.
 */
export function requestedWithin(server: Server, ms: number): () => boolean {
  let last = -Infinity;
  server.on("request", () => {
    last = performance.now();
  });
  return () => performance.now() - last < ms;
}
