// A trace's analysis as it travels from an import worker to the daemon's thread and out in a response.

/**
 * A trace's analysis (api.ts TraceAnalysis) as UTF-8 JSON with an ArrayBuffer of its own: moved from a worker to the
 * daemon's thread (transferred), kept and sent as is. 100k spans make ~15 MB of it; sent as a string it was copied into
 * the daemon's heap on arrival, and that copy held the event loop 50–70 ms at the end of each such import.
 */
export type AnalysisJson = Uint8Array;

/**
 * A value as UTF-8 JSON that can be moved to another thread (an analysis, a trace's detail): TextEncoder's bytes have an
 * ArrayBuffer of their own (Buffer.from's may be a view of its shared pool).
 */
export function jsonBytes(value: object): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

/** The ArrayBuffers of per-trace analyses, for a postMessage's transfer list. */
export function analysisBuffers(analyses: Iterable<[string, AnalysisJson]> | undefined): ArrayBuffer[] {
  return [...(analyses ?? [])].map(([, json]) => json.buffer as ArrayBuffer);
}
