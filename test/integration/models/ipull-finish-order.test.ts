// ipull's progress record must not outlive the download: a save whose write is slow (a busy thread pool) used to land
// after the final truncation and leave the record appended to a finished model (seen once in CI as a pulled file that
// was not byte-identical).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ipullWriteStream, orderIpullFinish } from "../../../daemon/models/ipull-finish-order.js";

/** Delays the file writes of fewer than 4 KiB (ipull's progress records, not its data) by `ms`, until restored. */
async function slowSmallWrites(ms: number): Promise<() => void> {
  const handle = await open(import.meta.filename ?? __filename);
  const proto = Object.getPrototypeOf(handle) as { write: (buffer: Uint8Array, ...a: unknown[]) => Promise<unknown> };
  await handle.close();
  const write = proto.write;
  proto.write = async function (this: unknown, buffer: Uint8Array, ...rest: unknown[]) {
    if (buffer.byteLength < 4096) await new Promise((r) => setTimeout(r, ms));
    return write.call(this, buffer, ...rest);
  };
  return () => void (proto.write = write);
}

describe("models: ipull's progress record and the finished file", function () {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "hotpath-ipull-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("a progress save under way when the download finishes is written before the truncation, not after", async function () {
    assert.equal(await orderIpullFinish(), true, "ipull's write stream is the one the order was written for");
    const WriteStream = (await ipullWriteStream())!;
    const data = Buffer.alloc(1 << 20, 7);
    const path = join(dir, "model.gguf.ipull");
    writeFileSync(path, data);
    const stream = new WriteStream(path, join(dir, "model.gguf")) as unknown as {
      fileSize: number;
      _fileSize: number;
      saveMedataAfterFile?(d: unknown): Promise<void>;
      saveMetadataAfterFile?(d: unknown): Promise<void>;
      ftruncate(size: number): Promise<void>;
      close(): Promise<void>;
    };
    stream.fileSize = stream._fileSize = data.length; // 3.9 and 4.0 name it differently
    const restore = await slowSmallWrites(50);
    try {
      const record = { part: 0, chunks: [2], chunkSize: data.length, parallelStreams: 1 };
      const saving = (stream.saveMetadataAfterFile ?? stream.saveMedataAfterFile)!.call(stream, record);
      const truncating = stream.ftruncate(data.length);
      await Promise.all([saving, truncating]);
      // A save asked for once the file is finished has nothing to do (ipull would reject a promise nobody awaits).
      await (stream.saveMetadataAfterFile ?? stream.saveMedataAfterFile)!.call(stream, record);
      await stream.close();
    } finally {
      restore();
    }
    assert.equal(statSync(path).size, data.length, "no progress record after the data");
    assert.ok(readFileSync(path).equals(data));
  });
});
