// The OTLP/HTTP trace receiver's logic (POST /v1/traces): body bytes + headers in, stored spans and the OTLP
// response out. HTTP-framework-free so the route, tests and benchmarks share it.
import { jsonTextDepth, LIMITS } from "../../limits.js";
import type { TraceStore } from "../store.js";
import { decodeOtlpProtobuf, encodeOtlpResponse, OtlpDecodeError, otlpToSpans } from "./decode.js";

export type OtlpEncoding = "json" | "protobuf";

export interface OtlpReceipt {
  encoding: OtlpEncoding;
  traceIds: string[];
  accepted: number;
  rejected: number;
  errorMessage: string;
  /** The response body and content type OTLP/HTTP expects for this request's encoding. */
  response: { contentType: string; body: Buffer };
}

/** A body the receiver refuses (4xx), or cannot take now (503: OTLP exporters retry it). */
export class OtlpRequestError extends Error {
  constructor(
    readonly status: 400 | 413 | 415 | 503,
    message: string,
    readonly code = "invalid_otlp_request",
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function otlpEncodingOf(contentType: string | undefined): OtlpEncoding {
  const type = (contentType ?? "").split(";")[0].trim().toLowerCase();
  if (type === "application/json") return "json";
  if (type === "application/x-protobuf" || type === "application/protobuf") return "protobuf";
  throw new OtlpRequestError(
    415,
    `unsupported Content-Type ${JSON.stringify(contentType ?? "")}: send application/json or application/x-protobuf (OTLP/HTTP)`,
  );
}

/**
 * Decodes one ExportTraceServiceRequest and stores its spans (source "otlp", origin the service name). Spans of a
 * trace may arrive over many requests; each request upserts, so the trace grows. Bad spans are refused one by one
 * (OTLP partial success); a body that is not an export request at all is a 400.
 */
export function receiveOtlp(store: TraceStore, body: Buffer, contentType: string | undefined): OtlpReceipt {
  const encoding = otlpEncodingOf(contentType);
  let request: unknown;
  if (encoding === "json") {
    const text = body.toString("utf8");
    // An OTLP request nests ~40 levels at most (values past MAX_VALUE_DEPTH are dropped); parsing 200,000 levels of
    // kvlist held the event loop for 2 s before any of it was read.
    if (jsonTextDepth(text, LIMITS.jsonDepth) > LIMITS.jsonDepth)
      throw new OtlpRequestError(
        400,
        `the body nests arrays/objects more than ${LIMITS.jsonDepth} levels deep (limit jsonDepth = ${LIMITS.jsonDepth}); an OTLP request needs far fewer`,
      );
    try {
      request = JSON.parse(text);
    } catch (e) {
      throw new OtlpRequestError(400, `body is not JSON: ${(e as Error).message}`);
    }
  } else {
    try {
      request = decodeOtlpProtobuf(body);
    } catch (e) {
      throw new OtlpRequestError(400, (e as Error).message);
    }
  }
  let decoded;
  try {
    decoded = otlpToSpans(request);
  } catch (e) {
    if (e instanceof OtlpDecodeError) throw new OtlpRequestError(400, e.message);
    throw e;
  }
  const traceIds = decoded.spans.length ? store.writeSpans(decoded.spans, "otlp", decoded.services[0]) : [];
  const rejected = decoded.rejected.length;
  const errorMessage = rejected ? `${rejected} span(s) rejected: ${decoded.rejected.slice(0, 5).join("; ")}` : "";
  const response =
    encoding === "json"
      ? {
          contentType: "application/json",
          body: Buffer.from(
            JSON.stringify(
              rejected ? { partialSuccess: { rejectedSpans: rejected, errorMessage } } : { partialSuccess: {} },
            ),
          ),
        }
      : { contentType: "application/x-protobuf", body: Buffer.from(encodeOtlpResponse(rejected, errorMessage)) };
  return { encoding, traceIds, accepted: decoded.spans.length, rejected, errorMessage, response };
}
