// Server-sent events out: headers, framing, a rendered stream with the format's in-band error, and a clean end.
import type { ServerResponse } from "node:http";
import { toHttpError } from "./errors.js";
import type { HttpError } from "./route.js";

/**
 * A streamed answer whose client reads nothing for this long while output waits for it is cut. Node buffers what
 * the kernel cannot take, so a client that stops reading without closing (a suspended process, a wedged agent) would
 * otherwise hold its socket and every frame of its answer for good; cutting it also stops a generation still running
 * for it (the request's close aborts it, and the sequence is freed). A client that reads at all, however slowly, is
 * never cut.
 */
export const SSE_STALL_MS = 60_000;

/** Per streamed response: the callback that counts frames the kernel took (see startSse). */
const flushCallbacks = new WeakMap<ServerResponse, () => void>();

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
  watchStall(res, stallMs);
}

/**
 * Cuts the response when output waited at two checks `stallMs` apart and the kernel took none of it in between.
 * Progress is counted by write callbacks (a frame's runs once the kernel has it), so nothing is read from Node's
 * internals, and nothing is done per frame beyond passing the callback.
 */
function watchStall(res: ServerResponse, stallMs: number): void {
  let flushed = 0;
  let seen = 0;
  let waiting = false;
  flushCallbacks.set(res, () => void flushed++);
  const timer = setInterval(() => {
    const waitingNow = res.writableLength > 0;
    if (waiting && waitingNow && flushed === seen) {
      clearInterval(timer);
      // Without an error: the socket's error would reach the server's clientError path; the request sees a close.
      res.destroy();
      return;
    }
    waiting = waitingNow;
    seen = flushed;
  }, stallMs);
  timer.unref();
  res.once("close", () => clearInterval(timer));
}

export function writeSse(res: ServerResponse, data: unknown, event?: string): void {
  if (res.writableEnded || res.destroyed) return;
  res.write(sseFrame(data, event), flushCallbacks.get(res));
}

/** Writes an already framed event (see textDeltaFrames): the per-token path serialises only the new text. */
export function writeSseFrame(res: ServerResponse, frame: string): void {
  if (res.writableEnded || res.destroyed) return;
  res.write(frame, flushCallbacks.get(res));
}

/** Stands for the delta while a chunk's frame is cut (NULs: JSON escapes them, so it cannot be half of other text). */
const DELTA_MARKER = "\u0000delta\u0000";

/**
 * Frames for a stream of text deltas: `chunk(text)` serialised once with a marker for the text, cut there, and per
 * token only the text is serialised between the two halves — exactly sseFrame(chunk(text)), without a JSON.stringify
 * of the whole chunk object per token. Should the marker occur elsewhere too (a hostile model name), every frame is
 * serialised whole.
 */
export function textDeltaFrames(chunk: (text: string) => unknown): (text: string) => string {
  const json = sseFrame(chunk(DELTA_MARKER));
  const marker = JSON.stringify(DELTA_MARKER);
  const at = json.indexOf(marker);
  if (at < 0 || json.indexOf(marker, at + 1) >= 0) return (text) => sseFrame(chunk(text));
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
  res.end();
}
