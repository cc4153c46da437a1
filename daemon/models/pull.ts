// Downloads a GGUF into <data-dir>/models with node-llama-cpp's downloader (ipull underneath): hf: URIs resolved the
// way node-llama-cpp documents them, parallel ranged requests, and resume — a cut connection is retried from where it
// stopped, and an interrupted pull leaves its partial file (<name>.gguf.ipull) for the next pull to continue.
import { renameSync, statSync } from "node:fs";
import { createModelDownloader, type ModelDownloader } from "node-llama-cpp";
import { basename } from "node:path";
import { checkGguf } from "../engine/gguf/validate.js";
import { orderIpullFinish } from "./ipull-finish-order.js";
import { aliasOf } from "./registry.js";

export interface PullProgress {
  downloadedBytes: number;
  totalBytes: number;
}

export interface PullOptions {
  /** https://…/file.gguf, hf:owner/repo/file.gguf or hf:owner/repo:quant */
  source: string;
  dir: string;
  fileName?: string;
  /** A terminal progress bar (the CLI) rather than callbacks only. */
  showProgress?: boolean;
  onProgress?: (p: PullProgress) => void;
  signal?: AbortSignal;
  /** Bound on resolving the source (an offline hf: lookup can hang on DNS). */
  resolveTimeoutMs?: number;
}

export interface PulledModel {
  path: string;
  alias: string;
  bytes: number;
}

/**
 * ipull (3.9) renames a cancelled download to its final name as it closes. A file there that is not the finished size
 * is the partial one (its progress record appended after the data): it goes back to <name>.ipull, so that the next
 * pull resumes it and nothing half-written is taken for a model.
 */
async function keepPartial(downloader: ModelDownloader, path: string): Promise<void> {
  await downloader.cancel({ deleteTempFile: false }).catch(() => undefined);
  try {
    if (statSync(path).size !== downloader.totalSize) renameSync(path, `${path}.ipull`);
  } catch {
    /* nothing at the final name: the partial file kept its own */
  }
}

export class PullCancelledError extends Error {
  constructor(source: string) {
    super(`the pull of ${source} was cancelled; pulling it again resumes where it stopped`);
  }
}

export async function pullModel(o: PullOptions): Promise<PulledModel> {
  const timeoutMs = o.resolveTimeoutMs ?? 30_000;
  await orderIpullFinish();
  let timer: NodeJS.Timeout | undefined;
  const downloader = await Promise.race([
    createModelDownloader({
      modelUri: o.source,
      dirPath: o.dir,
      fileName: o.fileName,
      showCliProgress: o.showProgress ?? false,
      onProgress: o.onProgress
        ? (s) => o.onProgress!({ downloadedBytes: s.downloadedSize, totalBytes: s.totalSize })
        : undefined,
      // A file already complete (same size as the remote one) is not fetched again.
      skipExisting: true,
      // Keep the partial file when a pull is cancelled: the next pull resumes it.
      deleteTempFileOnCancel: false,
    }),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer about ${o.source} within ${timeoutMs / 1000} s; check the network`)),
        timeoutMs,
      );
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
  const path = await downloader.download({ signal: o.signal });
  // The downloader returns normally when cancelled; the partial file stays for the next pull.
  if (o.signal?.aborted) {
    await keepPartial(downloader, path);
    throw new PullCancelledError(o.source);
  }
  // A single file must be exactly the size the host announced (split models: the parts add up, checked by ipull).
  const bytes = statSync(path).size;
  if (downloader.totalFiles === 1 && downloader.totalSize > 0 && bytes !== downloader.totalSize)
    throw new Error(
      `downloaded ${o.source} to ${path}, but it has ${bytes} bytes where the host announced ${downloader.totalSize}. Remove it (\`hotpath rm\`) and pull again`,
    );
  // A download that is not a GGUF (an HTML error page, a wrong link) is reported now, not at the first request.
  const verdict = await checkGguf(path);
  if (!verdict.ok)
    throw new Error(
      `downloaded ${o.source} to ${path}, but it is not a loadable GGUF model: ${verdict.error.problem}. Check the link; \`hotpath rm\` removes the file`,
    );
  return { path, alias: aliasOf(basename(path)), bytes: verdict.info.sizeBytes };
}
