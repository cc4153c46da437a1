// Relaying a same-format pass-through to the client: the upstream's bytes go out as they came (`wire` events), the
// parsed events alongside are only observed (span, usage). See router/providers/passthrough.ts.
import type { ServerResponse } from "node:http";
import type { ChatEvent, WireFormat } from "../chat.js";
import { toHttpError } from "./errors.js";
import type { HttpError } from "./route.js";

type DoneEvent = Extract<ChatEvent, { type: "done" }>;

/** The first event and the whole stream again (the first one included), so a handler can choose how to answer. */
export async function peekEvents(
  events: AsyncIterable<ChatEvent>,
): Promise<{ first: ChatEvent | undefined; events: AsyncIterable<ChatEvent>; close: () => Promise<void> }> {
  const it = events[Symbol.asyncIterator]();
  const r = await it.next();
  const first = r.done ? undefined : r.value;
  // A plain iterator that replays the first result, not an async generator around the stream: every event of every
  // answer passes here, and a generator layer costs each a few promise turns.
  let replay: IteratorResult<ChatEvent> | undefined = r;
  const all: AsyncIterator<ChatEvent> = {
    next() {
      const step = replay;
      replay = undefined;
      return step ? Promise.resolve(step) : it.next();
    },
    async return() {
      replay = undefined;
      await it.return?.();
      return { done: true, value: undefined };
    },
  };
  // close(): for a handler that decides not to read the rest (the generation stops, the span is written).
  return { first, events: { [Symbol.asyncIterator]: () => all }, close: async () => void (await it.return?.()) };
}

/** The stream's closing frame, per format: held back until the span is written, so a client that saw it can rely on it. */
const TERMINAL: Record<WireFormat, RegExp> = {
  "anthropic.messages": /"type"\s*:\s*"message_stop"/,
  "openai.chat": /data: \[DONE\]/,
  "openai.responses": /"type"\s*:\s*"response\.(completed|incomplete|failed)"/,
};

export interface RelayOutcome {
  done?: DoneEvent;
  text: string;
  error?: HttpError;
}

/**
 * Writes the wire bytes with the upstream's status and headers (plus `headers`). The closing frame is held until
 * the final event has passed (the pipeline writes the span there), so a client that saw the end can rely on the
 * span. A failure after the first byte ends the stream with the format's own error event.
 */
export async function relayWire(
  res: ServerResponse,
  events: AsyncIterable<ChatEvent>,
  headers: Record<string, string>,
  /** The format's in-band error (an SSE frame), for a failure after the first byte; the stream then ends. */
  errorFrame: (e: HttpError) => string,
): Promise<RelayOutcome> {
  let held = "";
  // An unstreamed answer (JSON) goes out whole at the end: head, content-length and body in one write, so the client
  // reads it in one wake-up (flushing the head first cost a syscall, chunked framing and a second read each).
  let whole: { status: number; headers: Record<string, string> } | undefined;
  const outcome: RelayOutcome = { text: "" };
  const write = (data: string) => {
    if (data && !res.writableEnded && !res.destroyed) res.write(data);
  };
  const sendWhole = (answer: { status: number; headers: Record<string, string> }) => {
    res.writeHead(answer.status, { ...answer.headers, "content-length": String(Buffer.byteLength(held)) });
    res.end(held);
  };
  try {
    for await (const e of events) {
      if (e.type === "wire") {
        const streamed = !e.head || !!e.head.headers["content-type"]?.includes("event-stream");
        if (e.head && !res.headersSent && !whole) {
          const head = { ...e.head.headers, ...headers, "cache-control": "no-cache", "x-accel-buffering": "no" };
          if (streamed) {
            res.writeHead(e.head.status, head);
            res.flushHeaders();
          } else whole = { status: e.head.status, headers: head };
        }
        if (!streamed) held += e.data;
        else if (TERMINAL[e.format].test(e.data) || held) held += e.data;
        else write(e.data);
      } else if (e.type === "text") outcome.text += e.text;
      else if (e.type === "done") {
        outcome.done = e;
        // The pipeline commits the span before the final event gets here, and an unstreamed answer's bytes all came
        // before it: the answer goes out now, not once the streams below have unwound (a few promise turns, ~25 µs).
        if (whole && !res.headersSent) sendWhole(whole);
      }
    }
    if (whole && !res.headersSent) sendWhole(whole);
    else if (!whole) {
      write(held);
      res.end();
    }
  } catch (e) {
    outcome.error = toHttpError(e);
    if (!res.headersSent) throw e;
    write(held);
    if (outcome.error.status !== 499) write(errorFrame(outcome.error));
    res.end();
  }
  return outcome;
}
