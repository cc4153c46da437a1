// Server-sent events out: headers, framing, a rendered stream with the format's in-band error, and a clean end.
import type { ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { toHttpError } from "./errors.js";
import type { HttpError } from "./route.js";

/**
 * A streamed answer whose client takes nothing for this long while output waits for it is cut. The token loop never
 * waits for a client (a slow reader must not hold a sequence others queue for), so what the kernel cannot take waits
 * here; a client that stopped reading without closing (a suspended process, a wedged agent) would otherwise hold its
 * socket and every frame of its answer for good. Cutting it also stops a generation still running for it (the
 * request's close aborts it, and the sequence is freed).
 */
export const SSE_STALL_MS = 60_000;

/**
 * Frames waiting while the socket is backed up go out in pieces of about this size, one piece per drain. Left to Node,
 * the whole backlog would go to the kernel as one write that completes only when the client has read all of it, so a
 * client reading steadily through a large backlog would show no progress for as long.
 */
const PIECE_CHARS = 64 * 1024;

/** A streamed response's frames that wait for the socket to drain (see send). */
interface Outbox {
  frames: string[];
  /** Index of the first frame not yet handed on. */
  head: number;
  /** endSse was called while frames waited: end once they are out. */
  ending: boolean;
  /** Drains and finishes seen: the client took something. */
  progress: number;
}

const outboxes = new WeakMap<ServerResponse, Outbox>();

export function startSse(res: ServerResponse, headers: Record<string, string>, stallMs = SSE_STALL_MS): void {
  // No Connection header of our own: Node's default answers the client's (keep-alive for HTTP/1.1, close when it
  // asked for close, RFC 9112 §9.6). A fixed `keep-alive` overrode a client's `close`, and such a client, reading
  // until the connection ends, waited out the 65 s keep-alive timeout after the last event.
  res.writeHead(200, {
    ...headers,
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "x-accel-buffering": "no",
  });
  res.flushHeaders();
  const box: Outbox = { frames: [], head: 0, ending: false, progress: 0 };
  outboxes.set(res, box);
  const drained = () => {
    box.progress++;
    pump(res, box);
  };
  res.on("drain", drained);
  // Frames written straight to the socket (writeFrame) drain there: the response's own 'drain' only follows its writes.
  const socket = res.socket;
  if (socket) {
    socket.on("drain", drained);
    res.once("close", () => socket.off("drain", drained));
  }
  res.once("finish", () => box.progress++);
  watchStall(res, box, stallMs);
}

/** Output waits: the response's or its socket's buffer is over its high-water mark. */
function backedUp(res: ServerResponse): boolean {
  return res.writableNeedDrain || (res.socket?.writableNeedDrain ?? false);
}

/**
 * Writes frames as one HTTP/1.1 chunk straight to the socket: the same bytes as res.write(frames) (Node's chunked
 * encoder), as one socket write instead of four buffered ones (size, CRLF, data, CRLF) gathered into a writev of
 * four. Every streamed token passes here, on the event loop that also runs the next token's sampling. With
 * `coalesce`, like res.write, writes within one run of the event loop's callbacks go out together (cork until the next
 * tick): the frames around a stream's start and end come in bursts. A token's frame is written at once (no cork): the
 * engine hands tokens on one per event-loop turn (after the next decode is dispatched), so there is nothing to gather,
 * and the cork, its tick and its buffered write cost each token 20–25 µs of the event loop's CPU (perf on the daemon's
 * main thread, streamed /v1/completions: this write path 79–85 → 60 µs user time per token). A token's frame written
 * while a burst is corked still joins it: the socket keeps the order either way.
 * Anything else (a response Node buffers itself, HTTP/1.0 without chunking, a socket that is going away) takes
 * res.write.
 */
function writeFrames(res: ServerResponse, frames: string, coalesce: boolean): void {
  const socket = res.socket;
  if (
    socket &&
    res.chunkedEncoding &&
    res.headersSent &&
    socket.writable &&
    !socket.destroyed &&
    // Nothing of this response waits inside Node's http layer (it would have to go out first).
    res.writableLength === socket.writableLength
  ) {
    if (coalesce && !socket.writableCorked) {
      socket.cork();
      process.nextTick(uncork, socket);
    }
    socket.write(`${Buffer.byteLength(frames).toString(16)}\r\n${frames}\r\n`);
  } else {
    res.write(frames);
  }
}

function uncork(socket: Socket): void {
  socket.uncork();
}

/**
 * Cuts the response when output waited at two checks `stallMs` apart and nothing was taken in between (no drain, no
 * finish). A client that takes a piece per `stallMs` is never cut, nor is a stream with nothing to send.
 */
function watchStall(res: ServerResponse, box: Outbox, stallMs: number): void {
  let seen = 0;
  let waiting = false;
  const timer = setInterval(() => {
    const waitingNow = box.head < box.frames.length || backedUp(res) || (res.writableEnded && !res.writableFinished);
    if (waiting && waitingNow && box.progress === seen) {
      clearInterval(timer);
      // Without an error: the socket's error would reach the server's clientError path; the request sees a close.
      res.destroy();
      return;
    }
    waiting = waitingNow;
    seen = box.progress;
  }, stallMs);
  timer.unref();
  res.once("close", () => clearInterval(timer));
}

/** Hands a frame on, or queues it while the socket is backed up (or earlier frames still wait). */
function send(res: ServerResponse, frame: string, coalesce: boolean): void {
  if (res.writableEnded || res.destroyed) return;
  const box = outboxes.get(res);
  if (box && (box.head < box.frames.length || backedUp(res))) box.frames.push(frame);
  else writeFrames(res, frame, coalesce);
}

/** On a drain: the waiting frames, a piece at a time until the socket is backed up again; then the end, if asked. */
function pump(res: ServerResponse, box: Outbox): void {
  if (res.writableEnded || res.destroyed) {
    // Ended by someone else (an error path): what waited cannot go out any more.
    box.frames = [];
    box.head = 0;
    return;
  }
  while (box.head < box.frames.length && !backedUp(res)) {
    let piece = box.frames[box.head++];
    while (box.head < box.frames.length && piece.length < PIECE_CHARS) piece += box.frames[box.head++];
    writeFrames(res, piece, true);
  }
  if (box.head < box.frames.length) return;
  box.frames = [];
  box.head = 0;
  if (box.ending) res.end();
}

/** Ends a stream begun with startSse once its waiting frames are out (plain res.end() would drop them). */
export function endSse(res: ServerResponse): void {
  const box = outboxes.get(res);
  if (box && box.head < box.frames.length && !res.writableEnded && !res.destroyed) box.ending = true;
  else if (!res.writableEnded) res.end();
}

export function writeSse(res: ServerResponse, data: unknown, event?: string): void {
  send(res, sseFrame(data, event), true);
}

/**
 * Writes a streamed token's already framed event (see textDeltaFrames): the per-token path serialises only the new
 * text, and writes it at once (see writeFrames).
 */
export function writeSseFrame(res: ServerResponse, frame: string): void {
  send(res, frame, false);
}

/** Stands for the delta while a chunk's frame is cut (NULs: JSON escapes them, so it cannot be half of other text). */
const DELTA_MARKER = "\u0000delta\u0000";

/**
 * Frames for a stream of text deltas: `chunk(text)` serialised once with a marker for the text, cut there, and per
 * token only the text is serialised between the two halves — exactly sseFrame(chunk(text)), without a JSON.stringify
 * of the whole chunk object per token. Should the marker occur elsewhere too (a hostile model name), every frame is
 * serialised whole. `event`: the frame's SSE event name (Anthropic's), as sseFrame takes it.
 */
export function textDeltaFrames(chunk: (text: string) => unknown, event?: string): (text: string) => string {
  const json = sseFrame(chunk(DELTA_MARKER), event);
  const marker = JSON.stringify(DELTA_MARKER);
  const at = json.indexOf(marker);
  if (at < 0 || json.indexOf(marker, at + 1) >= 0) return (text) => sseFrame(chunk(text), event);
  const head = json.slice(0, at);
  const tail = json.slice(at + marker.length);
  return (text) => head + JSON.stringify(text) + tail;
}

/** One SSE frame. */
export function sseFrame(data: unknown, event?: string): string {
  return `${event ? `event: ${event}\n` : ""}data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;
}

export interface SseEvent {
  event?: string;
  data: unknown;
}

/**
 * Sends a rendered event stream after a 200. A failure once the headers are out is reported in-band, as the API's
 * own error event (`errorEvent`, told how many events went before it), then the stream closes; a client that went
 * away (499) gets nothing more.
 */
export async function sendSseStream(
  res: ServerResponse,
  headers: Record<string, string>,
  events: AsyncIterable<SseEvent>,
  errorEvent: (e: HttpError, sent: number) => SseEvent,
): Promise<void> {
  startSse(res, headers);
  let sent = 0;
  try {
    for await (const e of events) {
      writeSse(res, e.data, e.event);
      sent++;
    }
  } catch (e) {
    const err = toHttpError(e);
    if (err.status !== 499) {
      const frame = errorEvent(err, sent);
      writeSse(res, frame.data, frame.event);
    }
  }
  endSse(res);
}
