// How a trace's bytes go to its webview (extension/panels/webview-bytes.ts): as they are beside the window,
// gzip-compressed when the extension host is remote; either way in buffers of their own.
import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { webviewBytes } from "../../../extension/panels/webview-bytes.js";
import { generateClaudeSession } from "../../bench/_trace-generators.js";

describe("extension: a trace's bytes for its webview", () => {
  const large = new TextEncoder().encode(generateClaudeSession(2000));
  const small = new TextEncoder().encode('{"traceId":"7a","hotspots":[]}');

  it("beside the window: the bytes as they are", async () => {
    const out = await webviewBytes(large, small, false);
    assert.equal(out.detail, large);
    assert.equal(out.analysis, small);
    assert.equal(out.encoding, undefined);
    assert.equal((await webviewBytes(large, null, false)).analysis, null);
  });

  it("remote: gzip that gives the bytes back, smaller, each in a buffer of its own (small ones too)", async () => {
    for (const [detail, analysis] of [
      [large, small],
      [small, large],
      [large, null],
      [new Uint8Array(0), new Uint8Array(0)],
    ] as const) {
      const out = await webviewBytes(detail, analysis, true);
      assert.equal(out.encoding, "gzip");
      assert.deepEqual(new Uint8Array(gunzipSync(out.detail)), detail);
      if (analysis) assert.deepEqual(new Uint8Array(gunzipSync(out.analysis!)), analysis);
      else assert.equal(out.analysis, null);
      for (const b of [out.detail, out.analysis].filter((x) => x !== null)) {
        // VS Code's serializeWebviewMessage passes a view as bytes by its constructor's name: a Buffer goes as JSON.
        assert.equal(b.constructor.name, "Uint8Array");
        assert.equal(b.byteOffset, 0);
        assert.equal(b.byteLength, b.buffer.byteLength, "a view's whole buffer would go with it");
      }
    }
    assert.ok((await webviewBytes(large, null, true)).detail.byteLength < large.byteLength / 4, "compressed");
  });
});
