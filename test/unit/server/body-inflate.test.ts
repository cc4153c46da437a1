import assert from "node:assert/strict";
import { deflateSync, gzipSync } from "node:zlib";
import { inflateBody } from "../../../daemon/server/body-inflate.js";
import { HttpError } from "../../../daemon/server/route.js";

async function refusal(p: Promise<unknown>): Promise<HttpError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof HttpError, String(e));
    return e;
  }
  assert.fail("inflated, not refused");
}

describe("inflateBody: compressed request bodies within a limit", function () {
  const text = Buffer.from(JSON.stringify({ resourceSpans: Array.from({ length: 2000 }, (_, i) => ({ i })) }));
  const MB = 1024 * 1024;
  // 20 MB of '[' behind ~20 kB on the wire.
  const bombSource = Buffer.alloc(20 * MB, 0x5b);
  const bomb = gzipSync(bombSource, { level: 1 });

  it("gzip, deflate and identity come back as sent; the encoding name is case- and space-insensitive", async () => {
    assert.deepEqual(await inflateBody(gzipSync(text), "gzip", MB), text);
    assert.deepEqual(await inflateBody(gzipSync(text), " GZIP ", MB), text);
    assert.deepEqual(await inflateBody(deflateSync(text), "deflate", MB), text);
    assert.equal(await inflateBody(text, undefined, MB), text);
    assert.equal(await inflateBody(text, "identity", MB), text);
    // Output in several chunks (past the 2 MiB chunk size: ~4.6 MB) is joined in order.
    const big = Buffer.from(Array.from({ length: 700_000 }, (_, i) => `${i},`).join(""));
    assert.ok(big.length > 2 * 2 * MB);
    assert.deepEqual(await inflateBody(gzipSync(big), "gzip", 8 * MB), big);
  });

  it("a body exactly at the limit passes, one byte over is a 413", async () => {
    const exact = Buffer.alloc(300_000, 0x61);
    assert.equal((await inflateBody(gzipSync(exact), "gzip", exact.length)).length, exact.length);
    assert.equal((await refusal(inflateBody(gzipSync(exact), "gzip", exact.length - 1))).status, 413);
    assert.equal((await refusal(inflateBody(deflateSync(exact), "deflate", exact.length - 1))).status, 413);
  });

  it("a gzip bomb whose trailer declares its size is refused without inflating; a lying trailer is caught while inflating", async () => {
    const declared = await refusal(inflateBody(bomb, "gzip", MB));
    assert.equal(declared.status, 413);
    assert.equal(declared.code, "body_too_large");
    assert.match(declared.message, /declares 20971520 bytes/);
    const lying = Buffer.from(bomb);
    lying.writeUInt32LE(1000, lying.length - 4);
    const caught = await refusal(inflateBody(lying, "gzip", MB));
    assert.equal(caught.status, 413);
    assert.match(caught.message, /inflates past the 1048576-byte limit/);
    const deflated = await refusal(inflateBody(deflateSync(bombSource, { level: 1 }), "deflate", MB));
    assert.equal(deflated.status, 413);
  });

  it("corrupt data is a 400, an unknown or stacked encoding a 415", async () => {
    const corrupt = gzipSync(text);
    corrupt[20] ^= 0xff;
    const bad = await refusal(inflateBody(corrupt, "gzip", MB));
    assert.equal(bad.status, 400);
    assert.equal(bad.code, "invalid_compressed_body");
    assert.equal((await refusal(inflateBody(text, "gzip", MB))).status, 400);
    for (const enc of ["br", "gzip, gzip", "identity, gzip", "x-unknown"]) {
      const e = await refusal(inflateBody(gzipSync(text), enc, MB));
      assert.equal(e.status, 415, enc);
      assert.equal(e.code, "unsupported_content_encoding");
    }
  });
});
