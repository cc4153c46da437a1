// Server-sent events out: headers, framing, a rendered stream with the format's in-band error, and a clean end.
import type { ServerResponse } from "node:http";
import { toHttpError } from "./errors.js";
import type { HttpError } from "./route.js";

export function startSse(res: ServerResponse, headers: Record<string, string>): void {
  res.writeHead(200, {
    ...headers,
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  res.flushHeaders();
}

export function writeSse(res: ServerResponse, data: unknown, event?: string): void {
  if (res.writableEnded || res.destroyed) return;
  res.write(sseFrame(data, event));
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
