// Prefix snapshots across a daemon restart: a reused prefix is saved under <data-dir>/kv, loaded after a restart
// instead of re-evaluated (same answer), and a corrupt snapshot is detected, deleted and ignored.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generatedModelPath } from "../../fixtures/models.js";
import { startDaemon, type TestDaemon } from "../../fixtures/daemon.js";
import { filler, PREFIX_MODEL } from "../../fixtures/prompts.js";

async function chat(daemon: TestDaemon, user: string, system: string) {
  const res = await daemon.fetch("/v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "m",
      messages: [
        { role: "system", content: system },
        { role: "user", content: user },
      ],
      temperature: 0,
      max_tokens: 12,
    }),
  });
  assert.equal(res.status, 200);
  return (await res.json()) as any;
}

function snapshotFiles(dataDir: string): string[] {
  const kv = join(dataDir, "kv");
  if (!existsSync(kv)) return [];
  return readdirSync(kv).flatMap((m) => readdirSync(join(kv, m)).map((f) => join(kv, m, f)));
}

async function waitFor(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("daemon: prefix snapshots on disk", function () {
  let dataDir: string;
  const args = [
    "--model",
    `m=${generatedModelPath(PREFIX_MODEL)}`,
    "--context-size",
    "4096",
    "--sequences",
    "2",
    "--no-response-cache",
  ];
  const system = filler(700, 21);
  before(() => (dataDir = mkdtempSync(join(tmpdir(), "hotpath-kv-"))));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it("a reused prefix survives a restart: loaded, not re-evaluated, same answer", async function () {
    let daemon = await startDaemon({ args, dataDir, waitForModels: ["m"] });
    let cold: any;
    try {
      cold = await chat(daemon, "what next", system);
      const warm = await chat(daemon, "and then", system);
      assert.ok(warm.usage.prompt_tokens_details.cached_tokens >= 700);
      await waitFor(() => snapshotFiles(dataDir).some((f) => f.endsWith(".json")), "a snapshot to be written");
    } finally {
      await daemon.stop();
    }
    daemon = await startDaemon({ args, dataDir, waitForModels: ["m"] });
    try {
      const restarted = await chat(daemon, "what next", system);
      assert.ok(
        restarted.usage.prompt_tokens_details.cached_tokens >= 700,
        `after restart: ${JSON.stringify(restarted.usage)}`,
      );
      assert.ok(restarted.timings.prompt_n < 50);
      assert.equal(
        restarted.choices[0].message.content,
        cold.choices[0].message.content,
        "same answer as the cold run",
      );
    } finally {
      await daemon.stop();
    }
  });

  it("a corrupt snapshot is detected, deleted and ignored: full evaluation, same answer", async function () {
    const bins = snapshotFiles(dataDir).filter((f) => f.endsWith(".bin"));
    assert.ok(bins.length >= 1);
    for (const bin of bins) {
      const bytes = readFileSync(bin);
      for (let i = Math.floor(bytes.length / 2); i < bytes.length; i += 997) bytes[i] ^= 0xff;
      writeFileSync(bin, bytes);
    }
    const daemon = await startDaemon({ args, dataDir, waitForModels: ["m"] });
    try {
      const r = await chat(daemon, "and then", system);
      assert.equal(r.usage.prompt_tokens_details.cached_tokens, 0, "nothing reused from a corrupt file");
      for (const bin of bins) assert.equal(existsSync(bin), false, "corrupt snapshot deleted");
      const again = await chat(daemon, "what next", system);
      assert.ok(again.choices[0].message.content.length > 0);
      assert.match(daemon.output(), /removed: checksum mismatch/);
    } finally {
      await daemon.stop();
    }
  });

  it("a snapshot file holding other tokens than its metadata claims is refused after loading (tokens verified)", async function () {
    rmSync(join(dataDir, "kv"), { recursive: true, force: true });
    const other = filler(700, 22);
    const d0 = await startDaemon({ args, dataDir, waitForModels: ["m"] });
    let cold: any;
    try {
      cold = await chat(d0, "x", system);
      await chat(d0, "y", system);
      await chat(d0, "x", other);
      await chat(d0, "y", other);
      await waitFor(() => snapshotFiles(dataDir).filter((f) => f.endsWith(".json")).length === 2, "two snapshots");
    } finally {
      await d0.stop();
    }
    // Swap the two state files and make the checksums match again: only the token check can catch it now.
    const metas = snapshotFiles(dataDir).filter((f) => f.endsWith(".json"));
    const bins = metas.map((m) => m.replace(/\.json$/, ".bin"));
    const contents = bins.map((b) => readFileSync(b));
    writeFileSync(bins[0], contents[1]);
    writeFileSync(bins[1], contents[0]);
    metas.forEach((m, i) => {
      const meta = JSON.parse(readFileSync(m, "utf8"));
      meta.fileSha256 = createHash("sha256")
        .update(contents[1 - i])
        .digest("hex");
      writeFileSync(m, JSON.stringify(meta));
    });
    const d1 = await startDaemon({ args, dataDir, waitForModels: ["m"] });
    try {
      const r = await chat(d1, "x", system);
      assert.equal(r.usage.prompt_tokens_details.cached_tokens, 0);
      assert.equal(r.choices[0].message.content, cold.choices[0].message.content, "the answer of a cold run");
      assert.match(d1.output(), /removed: tokens in the file do not match its prefix/);
    } finally {
      await d1.stop();
    }
  });
});
