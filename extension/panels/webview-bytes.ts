// How a trace's bytes cross to its webview. Where the extension host runs beside the window, as they are; where it
// runs away from it (Remote-SSH, containers, code-server: vscode.env.remoteName), a message goes over the remote
// connection, and the daemon's JSON goes gzip-compressed — 4–6× smaller for real agent sessions, 14× for generated
// ones, compressed at ~150 MB/s on Node's thread pool (not the extension host's thread) and decompressed by the
// webview's own gzip stream.
import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import { ownBytes } from "../client.js";

const gzip = promisify(gzipCallback);

/**
 * zlib's fast levels (1–3) made the same size within 5% on real sessions (a 10.6 MB detail: 2.48 MB at 1, 2.35 at 3,
 * in the same ~72 ms); level 6 took 3× the time for 15% less.
 */
const LEVEL = 3;

export interface WebviewBytes {
  detail: Uint8Array;
  analysis: Uint8Array | null;
  encoding?: "gzip";
}

/** The detail's and analysis's JSON as they go to the webview: gzip-compressed when `remote`. */
export async function webviewBytes(
  detail: Uint8Array,
  analysis: Uint8Array | null,
  remote: boolean,
): Promise<WebviewBytes> {
  if (!remote) return { detail, analysis };
  const [d, a] = await Promise.all([gzip(detail, { level: LEVEL }), analysis && gzip(analysis, { level: LEVEL })]);
  // zlib answers with Buffers: each made a plain Uint8Array of its own (ownBytes).
  return { detail: ownBytes(d), analysis: a ? ownBytes(a) : null, encoding: "gzip" };
}
