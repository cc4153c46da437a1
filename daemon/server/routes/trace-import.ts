// POST /hotpath/traces/import?name=<file name>: a trace file's bytes in, its traces stored and analysed (api.ts
// ImportResult). Parsing, writing and analysing run in a worker: the daemon keeps answering during a large import.
import { z } from "zod";
import type { ImportResult } from "../../api.js";
import { ImportError } from "../../traces/importers/index.js";
import { EncodingError, importFile, RemoteImportError } from "../../traces/import/job.js";
import { readQuery } from "../query.js";
import { HttpError, type Route } from "../route.js";
import { rememberAnalyses } from "./traces.js";

export const IMPORT_LIMIT_BYTES = 256 * 1024 * 1024;

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
      const bytes = await ctx.readBody();
      if (!bytes.length)
        throw new HttpError(400, "empty body: send the trace file's bytes", "invalid_request_error", "empty_body");
      const { maxAttributeChars } = s.config.traces;
      let result;
      try {
        result = await importFile(s.traces, { dbPath: s.db.name, name, bytes, analyze: true, maxAttributeChars });
      } catch (e) {
        if (e instanceof EncodingError)
          throw new HttpError(400, e.message, "invalid_request_error", "invalid_encoding");
        if (e instanceof ImportError || e instanceof RemoteImportError)
          throw new HttpError(400, e.message, "invalid_request_error", "invalid_trace_file", e.field ?? null);
        throw e;
      }
      if (result.analyses) rememberAnalyses(s.traces, result.analyses);
      s.events.publish({ type: "traces.changed", traceIds: result.traceIds, at: Date.now() });
      const out: ImportResult = { format: result.format, traceIds: result.traceIds, spanCount: result.spanCount };
      ctx.send(200, out);
    },
  },
];
