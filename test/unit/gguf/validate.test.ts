import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkGguf, GgufValidationError, validateGguf } from "../../../daemon/engine/gguf/validate.js";
import { writeGguf } from "../../../daemon/engine/gguf/write.js";
import {
  corruptModels,
  generatedModelPath,
  sharedModelPath,
  SMALL_CHAT_PARAMS,
  type CorruptModels,
} from "../../fixtures/models.js";

describe("gguf validator", () => {
  let dir: string;
  let bad: CorruptModels;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "hotpath-gguf-validate-"));
    bad = corruptModels(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("accepts a generated model and reports its facts", async () => {
    const path = generatedModelPath(SMALL_CHAT_PARAMS);
    const info = await validateGguf(path);
    assert.equal(info.architecture, "llama");
    assert.equal(info.version, 3);
    assert.equal(info.blockCount, SMALL_CHAT_PARAMS.nLayer);
    assert.equal(info.embeddingLength, SMALL_CHAT_PARAMS.nEmbd);
    assert.equal(info.vocabSize, SMALL_CHAT_PARAMS.vocabSize);
    assert.equal(info.contextLength, SMALL_CHAT_PARAMS.contextLength);
    assert.equal(info.sizeBytes, readFileSync(path).length);
    assert.equal(info.hasChatTemplate, true);
    assert.deepEqual(info.warnings, []);
  });

  it("accepts q8_0 and grouped-query models", async () => {
    const path = join(dir, "q8.gguf");
    writeGguf(path, { seed: 2, vocabSize: 512, nEmbd: 128, nHead: 4, nHeadKv: 2, nLayer: 1, type: "q8_0" });
    const v = await checkGguf(path);
    assert.ok(v.ok, v.ok ? "" : v.error.message);
    assert.equal(v.info.fileType, 7);
  });

  for (const name of ["stories260K.gguf", "llama-2-tiny-random.gguf"]) {
    it(`accepts the shared real model ${name}`, async function () {
      const path = sharedModelPath(name);
      if (!path) {
        console.log(`    skipped: ../shared/models/${name} is absent in this checkout`);
        this.skip();
      }
      const info = await validateGguf(path);
      assert.equal(info.architecture, "llama");
      assert.ok(info.blockCount >= 1 && info.vocabSize! >= 512, JSON.stringify(info));
    });
  }

  const verdicts: Array<[keyof CorruptModels, RegExp]> = [
    ["truncated", /is truncated: its tensors need \d+ bytes but the file has \d+/],
    ["truncatedHeader", /truncated inside its header/],
    ["badMagic", /not a GGUF file \(magic "GGUX"/],
    ["missingFeedForward", /lacks required metadata llama\.feed_forward_length/],
    ["missingHeadCount", /lacks required metadata llama\.attention\.head_count/],
    ["empty", /0 bytes, too small/],
  ];
  for (const [variant, problem] of verdicts) {
    it(`rejects a ${variant} file, naming the file, the problem and what to do`, async () => {
      const v = await checkGguf(bad[variant]);
      assert.equal(v.ok, false);
      if (v.ok) return;
      assert.ok(v.error.message.startsWith(bad[variant]), v.error.message);
      assert.match(v.error.problem, problem);
      assert.ok(v.error.hint.length > 10);
      await assert.rejects(
        validateGguf(bad[variant]),
        (e) => e instanceof GgufValidationError && problem.test(e.message),
      );
    });
  }

  it("rejects a missing file and a directory without throwing", async () => {
    const missing = await checkGguf(join(dir, "nope.gguf"));
    assert.ok(!missing.ok && /ENOENT/.test(missing.error.message));
    const folder = await checkGguf(dir);
    assert.ok(!folder.ok && /not a regular file/.test(folder.error.message));
  });

  it("rejects tensor shapes that disagree with the metadata", async () => {
    const path = join(dir, "shape.gguf");
    // block_count says 1, but tensors for 2 blocks are present
    const good = readFileSync(generatedModelPath(SMALL_CHAT_PARAMS));
    const key = Buffer.from("llama.block_count");
    const at = good.indexOf(key);
    const patched = Buffer.from(good);
    patched.writeUInt32LE(1, at + key.length + 4); // value follows the u32 type tag
    writeFileSync(path, patched);
    const v = await checkGguf(path);
    assert.ok(
      !v.ok && /tensors for block 1 but llama\.block_count is 1/.test(v.error.message),
      v.ok ? "accepted" : v.error.message,
    );
  });

  it("never throws on hostile headers: 200 deterministic byte mutations each yield a verdict", async () => {
    const good = readFileSync(generatedModelPath(SMALL_CHAT_PARAMS));
    const info = await validateGguf(generatedModelPath(SMALL_CHAT_PARAMS));
    let s = 12345;
    const rand = (n: number): number => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return s % n;
    };
    let rejected = 0;
    const path = join(dir, "fuzz.gguf");
    for (let i = 0; i < 200; i++) {
      const b = Buffer.from(good);
      for (let k = 0; k < 1 + rand(4); k++) b[rand(info.dataOffset)] = rand(256);
      writeFileSync(path, b);
      const v = await checkGguf(path);
      assert.equal(typeof v.ok, "boolean");
      if (!v.ok) {
        rejected++;
        assert.ok(v.error instanceof GgufValidationError);
      }
    }
    assert.ok(rejected > 0, "some mutations are caught");
    // a header claiming enormous counts and lengths
    const huge = Buffer.alloc(64);
    huge.write("GGUF", 0, "latin1");
    huge.writeUInt32LE(3, 4);
    huge.writeBigUInt64LE(1n << 62n, 8);
    huge.writeBigUInt64LE(1n << 62n, 16);
    writeFileSync(path, huge);
    const v = await checkGguf(path);
    assert.ok(!v.ok && /corrupt header/.test(v.error.message), v.ok ? "accepted" : v.error.message);
  });
});
