import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readGgufFileInfo } from "node-llama-cpp";
import { buildVocabulary, TokenType } from "../../../daemon/engine/gguf/vocab.js";
import { resolveDims, writeDraftPair, writeGguf, type ModelParams } from "../../../daemon/engine/gguf/write.js";

const sha256 = (path: string): string => createHash("sha256").update(readFileSync(path)).digest("hex");

describe("gguf writer", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "hotpath-gguf-write-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const type of ["f32", "f16", "q8_0"] as const) {
    it(`same parameters and seed give a byte-identical ${type} file; another seed does not`, () => {
      const params: ModelParams = { seed: 11, vocabSize: 600, nLayer: 2, nEmbd: 64, type };
      const a = writeGguf(join(dir, `a-${type}.gguf`), params);
      const b = writeGguf(join(dir, `b-${type}.gguf`), params);
      const c = writeGguf(join(dir, `c-${type}.gguf`), { ...params, seed: 12 });
      assert.equal(sha256(a.path), sha256(b.path));
      assert.equal(a.sha256, sha256(a.path), "reported sha256 is the file's");
      assert.equal(a.bytes, statSync(a.path).size);
      assert.notEqual(sha256(a.path), sha256(c.path));
      assert.equal(statSync(a.path).size, statSync(c.path).size);
    });
  }

  it("targetBytes picks dimensions that land near the requested size", () => {
    for (const [targetBytes, type] of [
      [3e6, "f16"],
      [4e6, "q8_0"],
    ] as const) {
      const m = writeGguf(join(dir, `sized-${type}.gguf`), { targetBytes, type });
      const ratio = m.bytes / targetBytes;
      assert.ok(
        ratio > 0.8 && ratio < 1.2,
        `${type}: asked ${targetBytes}, got ${m.bytes} (${m.dims.nLayer}L × ${m.dims.nEmbd})`,
      );
    }
    const big = resolveDims({ targetBytes: 60e6, type: "q8_0" });
    assert.ok(big.nLayer >= 4 && big.nEmbd >= 384, JSON.stringify(big));
  });

  it("rejects parameters llama.cpp could not run, naming each problem", () => {
    assert.throws(() => resolveDims({ nEmbd: 100, nHead: 3 }), /nEmbd \(100\) must be divisible by nHead \(3\)/);
    assert.throws(
      () => resolveDims({ nEmbd: 96, nHead: 2, type: "q8_0", nFf: 100 }),
      /q8_0 needs nEmbd and nFf divisible by 32/,
    );
    assert.throws(() => resolveDims({ vocabSize: 10 }), /vocabSize must be at least/);
    assert.throws(() => resolveDims({ nLayer: 0 }), /nLayer must be a positive integer/);
    assert.throws(() => resolveDims({ seed: -1 }), /seed must be an integer/);
    assert.throws(() => resolveDims({ type: "q4_k" as never }), /not supported/);
    assert.throws(() => resolveDims({ targetBytes: 1000 }), /too small/);
  });

  it("writes the metadata llama.cpp needs, including a chat template", async () => {
    const m = writeGguf(join(dir, "meta.gguf"), {
      seed: 3,
      vocabSize: 700,
      nLayer: 3,
      nEmbd: 128,
      nHeadKv: 1,
      contextLength: 512,
    });
    const info = await readGgufFileInfo(m.path, { logWarnings: false });
    const arch = info.architectureMetadata;
    assert.equal(info.metadata.general.architecture, "llama");
    assert.equal(info.version, 3);
    assert.equal(arch.block_count, 3);
    assert.equal(arch.embedding_length, 128);
    assert.equal(arch.context_length, 512);
    assert.equal(arch.attention?.head_count, 2);
    assert.equal(arch.attention?.head_count_kv, 1);
    assert.equal(info.metadata.tokenizer.ggml.model, "llama");
    assert.equal(info.metadata.tokenizer.ggml.tokens.length, 700);
    assert.match(String(info.metadata.tokenizer.chat_template), /<\|im_start\|>/);
    assert.equal(info.tensorInfo?.length, 3 + 3 * 9);
    const k = info.tensorInfo!.find((t) => t.name === "blk.0.attn_k.weight")!;
    assert.deepEqual(k.dimensions.map(Number), [128, 64], "grouped-query attention shrinks K");
  });

  it("builds a prefix-closed SentencePiece vocabulary with byte fallback", () => {
    const v = buildVocabulary(2000);
    assert.equal(v.tokens.length, 2000);
    assert.equal(new Set(v.tokens).size, 2000, "tokens are unique");
    assert.deepEqual(v.tokens.slice(0, 3), ["<unk>", "<s>", "</s>"]);
    assert.equal(v.tokens[3], "<0x00>");
    assert.equal(v.tokens[258], "<0xFF>");
    assert.equal(v.types.filter((t) => t === TokenType.byte).length, 256);
    const set = new Set(v.tokens);
    for (let i = 0; i < v.tokens.length; i++) {
      const t = v.tokens[i]!;
      if (v.types[i] !== TokenType.normal || [...t].length < 2) continue;
      assert.ok(set.has([...t].slice(0, -1).join("")), `prefix of ${JSON.stringify(t)} is in the vocabulary`);
    }
    assert.ok(set.has("▁the") && set.has("▁water") && set.has("▁once"), "common words are single pieces");
  });

  it("a draft pair shares embeddings, head and the draft's layers byte for byte; the extra layers are scaled", async () => {
    const { draft, target } = writeDraftPair(join(dir, "d.gguf"), join(dir, "t.gguf"), {
      seed: 5,
      vocabSize: 600,
      nEmbd: 64,
      draftLayers: 2,
      extraLayers: 2,
      epsilon: 0.01,
      type: "f32",
    });
    assert.equal(draft.dims.nLayer, 2);
    assert.equal(target.dims.nLayer, 4);
    const [di, ti] = await Promise.all([readGgufFileInfo(draft.path), readGgufFileInfo(target.path)]);
    const dBytes = readFileSync(draft.path);
    const tBytes = readFileSync(target.path);
    const data = (buf: Buffer, info: typeof di, name: string): Buffer => {
      const t = info.tensorInfo!.find((x) => x.name === name)!;
      const n = t.dimensions.reduce<number>((a, b) => a * Number(b), 1);
      return buf.subarray(Number(t.fileOffset), Number(t.fileOffset) + n * 4);
    };
    for (const name of [
      "token_embd.weight",
      "output.weight",
      "output_norm.weight",
      "blk.0.attn_q.weight",
      "blk.1.ffn_down.weight",
      "blk.1.attn_output.weight",
    ]) {
      assert.ok(data(dBytes, di, name).equals(data(tBytes, ti, name)), `${name} is identical`);
    }
    const rms = (b: Buffer): number => {
      const f = new Float32Array(b.buffer, b.byteOffset, b.length / 4);
      return Math.sqrt(f.reduce((a, x) => a + x * x, 0) / f.length);
    };
    const shared = rms(data(tBytes, ti, "blk.1.attn_output.weight"));
    const extra = rms(data(tBytes, ti, "blk.2.attn_output.weight"));
    assert.ok(Math.abs(extra / shared - 0.01) < 0.002, `extra layer scaled by epsilon: ${extra} vs ${shared}`);
    assert.ok(
      Math.abs(rms(data(tBytes, ti, "blk.3.attn_q.weight")) / rms(data(tBytes, ti, "blk.1.attn_q.weight")) - 1) < 0.05,
      "inputs are not scaled",
    );
  });
});
