// POST /v1/traces: the OTLP/HTTP receiver (protobuf or JSON, optionally gzip/deflate), answered in the request's
// encoding as the OTLP spec asks. Spans land in the trace store like the daemon's own. A body past a few kilobytes is
// decoded and stored on a worker thread (receiver-thread.ts): the event loop only reads and inflates it.
import { OtlpRequestError } from "../../traces/otlp/receiver.js";
import { receiveOtlpBody } from "../../traces/otlp/receiver-thread.js";
import { inflateBody } from "../body-inflate.js";
import { HttpError, type RequestContext, type Route } from "../route.js";

export const OTLP_LIMIT_BYTES = 64 * 1024 * 1024;

function header(ctx: RequestContext, name: string): string | undefined {
  const v = ctx.req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export const routes: Route[] = [
  {
    method: "POST",
    path: "/v1/traces",
    bodyLimitBytes: OTLP_LIMIT_BYTES,
    async handle(ctx, s) {
      const body = await inflateBody(await ctx.readBody(), header(ctx, "content-encoding"), OTLP_LIMIT_BYTES);
      try {
        const receipt = await receiveOtlpBody(s.traces, s.db.name, body, header(ctx, "content-type"));
        if (receipt.traceIds.length)
          s.events.publish({ type: "traces.changed", traceIds: receipt.traceIds, at: Date.now() });
        const { contentType, body: reply } = receipt.response;
        ctx.res.writeHead(200, { "content-type": contentType, "content-length": String(reply.length) });
        ctx.res.end(reply);
      } catch (e) {
        if (e instanceof OtlpRequestError)
          throw new HttpError(
            e.status,
            e.message,
            e.status >= 500 ? "server_error" : "invalid_request_error",
            e.code,
            null,
            e.headers,
          );
        throw e;
      }
    },
  },
];
