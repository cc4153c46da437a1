// POST /hotpath/traces/import?name=<file name>: a trace file's bytes in, its traces stored and analysed (api.ts
// ImportResult). Parsing, writing and analysing run in workers, which get the body as it arrives: the daemon keeps
// answering during a large import.
import { z } from "zod";
import type { ImportResult } from "../../api.js";
import { ImportError } from "../../traces/importers/index.js";
import type { IncomingMessage } from "node:http";
import { analysisDirFor } from "../../traces/import/worker-json.js";
import {
  EncodingError,
  RemoteImportError,
  startImport,
  type ImportFeed,
  type PrepareDetails,
} from "../../traces/import/job.js";
import { BodyPassing } from "../idle-collect.js";
import { readQuery } from "../query.js";
import { HttpError, type Route } from "../route.js";
import { VIEW_ATTRIBUTE_CAPS } from "../../traces/view-caps.js";
import { ANALYSIS_INLINE_SPANS, rememberAnalyses, rememberDetails } from "./traces.js";

/**
 * After a large import, the detail a trace view asks for first (extension/panels/trace.ts: with the views' caps) is
 * written by the thread that parsed it, from the spans it still holds — of the first traces of more spans than a GET
 * reads on the daemon's thread — so "Open Profiler" finds it made: 100k spans took ~1.1 s to read back and serialise.
 */
const PREPARED_DETAILS: PrepareDetails = { caps: VIEW_ATTRIBUTE_CAPS, minSpans: ANALYSIS_INLINE_SPANS, max: 2 };

export const IMPORT_LIMIT_BYTES = 256 * 1024 * 1024;

/** This thread's bytes of upload passed on to import workers, all imports together (see BodyPassing). */
const passing = new BodyPassing();

/** How long an upload may wait for the parse to catch up (see streamBody): half the server's requestTimeout. */
const PACED_UPLOAD_MS = 60_000;

const ImportQuery = z.object({
  name: z
    .string()
    .min(1)
    .max(255)
    .refine(
      (n) => !/[/\\]/.test(n) && !n.includes("\0") && n !== "." && n !== "..",
      "name is a file name, without directories",
    )
    .default("upload"),
});

export const routes: Route[] = [
  {
    method: "POST",
    path: "/hotpath/traces/import",
    bodyLimitBytes: IMPORT_LIMIT_BYTES,
    async handle(ctx, s) {
      const { name } = readQuery(ctx.url, ImportQuery);
      const declared = declaredLength(ctx.req);
      if (declared === 0) throw emptyBody();
      if (declared !== undefined && declared > IMPORT_LIMIT_BYTES) throw tooLarge(declared);
      const { maxAttributeChars } = s.config.traces;
      let result;
      try {
        const feed = startImport(s.traces, {
          dbPath: s.db.name,
          name,
          analyze: true,
          maxAttributeChars,
          sizeHint: declared,
          workers: s.traceImports,
          analysisDir: analysisDirFor(s.db.name),
          prepareDetails: PREPARED_DETAILS,
        });
        await streamBody(ctx.req, feed);
        result = await feed.result;
      } catch (e) {
        if (e instanceof EncodingError)
          throw new HttpError(400, e.message, "invalid_request_error", "invalid_encoding");
        if (e instanceof ImportError || e instanceof RemoteImportError)
          throw new HttpError(400, e.message, "invalid_request_error", "invalid_trace_file", e.field ?? null);
        throw e;
      }
      const { analyses } = result;
      if (analyses)
        rememberAnalyses(
          s.traces,
          result.traceIds.map((traceId, i) => ({ traceId, json: analyses[i] })),
        );
      if (result.details) rememberDetails(s.traces, result.traceIds, result.details, PREPARED_DETAILS);
      s.events.publish({ type: "traces.changed", traceIds: result.traceIds, at: Date.now() });
      const out: ImportResult = { format: result.format, traceIds: result.traceIds, spanCount: result.spanCount };
      ctx.send(200, out);
    },
  },
];

function declaredLength(req: IncomingMessage): number | undefined {
  const header = req.headers["content-length"];
  const n = header === undefined ? NaN : Number(header);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

const emptyBody = () =>
  new HttpError(400, "empty body: send the trace file's bytes", "invalid_request_error", "empty_body");

const tooLarge = (declared?: number) =>
  new HttpError(
    413,
    `${declared !== undefined ? `the body is ${declared} bytes,` : "the body is"} over the ${IMPORT_LIMIT_BYTES}-byte limit for a trace file; import it with \`hotpath import\``,
    "invalid_request_error",
    "body_too_large",
  );

/**
 * Passes the request's bytes to the import as they arrive: the event loop never gathers or copies the whole file.
 * Past the limit the import stops and the rest of the body is read and dropped (the client still uploading gets the
 * 413, not a reset connection).
 */
function streamBody(req: IncomingMessage, feed: ImportFeed): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const startMs = performance.now();
    let size = 0;
    const stop = (e: Error) => {
      req.off("data", onData);
      // Drop the rest (http.ts discards only bodies nobody listened to), up to as much again as the limit.
      let dropped = 0;
      req.on("data", (c: Buffer) => {
        if ((dropped += c.length) > IMPORT_LIMIT_BYTES) req.socket.destroy();
      });
      feed.abort(e);
      reject(e);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > IMPORT_LIMIT_BYTES) return stop(tooLarge());
      passing.passed(chunk.length);
      // The parse is behind: the client waits (TCP) instead of the upload waiting in the daemon's memory — for a
      // while: the server ends a request whose body has not all arrived within its requestTimeout (http.ts, 120 s),
      // and on a machine busy enough the parse would hold the upload past it. Then the upload reads on as it comes.
      if (!feed.push(chunk) && performance.now() - startMs < PACED_UPLOAD_MS) {
        req.pause();
        feed.onCaughtUp(() => req.resume());
      }
    };
    req.on("data", onData);
    req.once("end", () => {
      if (size > IMPORT_LIMIT_BYTES) return;
      if (size === 0) return stop(emptyBody());
      feed.end();
      resolve();
    });
    req.once("error", (e) => stop(e));
    req.once("aborted", () => stop(new HttpError(499, "client disconnected while sending the body", "client_closed")));
  });
}
