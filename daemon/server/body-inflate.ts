// Compressed request bodies (OTLP exporters send gzip or deflate): inflated in small streamed chunks with the size
// limit enforced while inflating, so a bomb is refused after at most `maxBytes` of output, never held whole.
import { createGunzip, createInflate, type Gunzip, type Inflate } from "node:zlib";
import { HttpError } from "./route.js";

/**
 * Output chunk size. Above glibc's mmap threshold as the daemon fixes it (1 MiB, see daemon/allocator.ts), so each
 * chunk is its own mapping and goes back to the OS when freed, instead of 16 KiB pieces (zlib's default) that stay
 * in malloc's heap long after a refused bomb is gone. (Only the pages a small body's inflated bytes fill are touched.)
 */
const CHUNK_BYTES = 2 * 1024 * 1024;

function tooLarge(maxBytes: number, declared?: number): HttpError {
  return new HttpError(
    413,
    declared === undefined
      ? `the body inflates past the ${maxBytes}-byte limit; send less per request`
      : `the gzip body declares ${declared} bytes once inflated, over the ${maxBytes}-byte limit; send less per request`,
    "invalid_request_error",
    "body_too_large",
  );
}

/**
 * The body with its Content-Encoding (gzip, deflate or none) undone, never past `maxBytes`. Asynchronous: zlib runs
 * on libuv's thread pool, so inflating never holds the event loop.
 */
export async function inflateBody(body: Buffer, encoding: string | undefined, maxBytes: number): Promise<Buffer> {
  const enc = (encoding ?? "identity").trim().toLowerCase();
  if (enc === "identity") return body;
  if (enc !== "gzip" && enc !== "deflate")
    throw new HttpError(
      415,
      `unsupported Content-Encoding ${JSON.stringify(encoding)}: use gzip, deflate or none`,
      "invalid_request_error",
      "unsupported_content_encoding",
    );
  // A gzip member ends with its inflated size mod 2^32 (ISIZE, RFC 1952 §2.3.1). The true size is at least that, so
  // a body declaring more than the limit is refused without inflating it. A lying trailer is still caught below.
  if (enc === "gzip" && body.length >= 18 && body[0] === 0x1f && body[1] === 0x8b) {
    const declared = body.readUInt32LE(body.length - 4);
    if (declared > maxBytes) throw tooLarge(maxBytes, declared);
  }
  const inflater: Gunzip | Inflate =
    enc === "gzip" ? createGunzip({ chunkSize: CHUNK_BYTES }) : createInflate({ chunkSize: CHUNK_BYTES });
  return await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    inflater.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        chunks.length = 0;
        inflater.destroy();
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    });
    inflater.on("error", (e) =>
      reject(
        new HttpError(
          400,
          `cannot inflate the ${enc} body: ${e.message}`,
          "invalid_request_error",
          "invalid_compressed_body",
        ),
      ),
    );
    inflater.on("end", () => resolve(Buffer.concat(chunks, size)));
    inflater.end(body);
  });
}
