// Acceptance: the daemon as an npm package. Pack it, `npm install -g` the tarball into a temporary prefix from a folder
// outside this repository (dependencies come from the npm registry, as for a user), run the installed `hotpath serve`
// and get a chat answer through the official `openai` SDK.
// better-sqlite3's binary comes through prebuild-install from a local prebuild made of the repository's own build (see
// betterSqlite3Prebuilds: what a user with network downloads from its GitHub release); compiling it instead took 8.5 min.
// What is left is npm unpacking ~670 MB, mostly node-llama-cpp's CUDA and Vulkan binaries: 3 min at load 10–18.
// HOTPATH_TEST_PACKAGE=0 skips it; HOTPATH_TEST_REUSE_INSTALL=1 reuses a finished install of the same tarball.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { startDaemon, type TestDaemon } from "../../fixtures/daemon.js";
import { chatModelPath, repoRoot } from "../../fixtures/models.js";
import {
  betterSqlite3Prebuilds,
  installPackage,
  packDaemon,
  userEnv,
  type InstalledDaemon,
} from "../../fixtures/package.js";

const describePackage = process.env.HOTPATH_TEST_PACKAGE === "0" ? describe.skip : describe;

describePackage("npm package: install the packed daemon and use it", function () {
  // The install: 3 min at load 10–18 on the shared 2-core machine; more if better-sqlite3 has to compile.
  this.timeout(30 * 60_000);
  const manifest = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8"));
  let work: string;
  let tarball: string;
  let installed: InstalledDaemon;
  let daemon: TestDaemon | undefined;

  before(function () {
    work = mkdtempSync(join(tmpdir(), "hotpath-pack-"));
    tarball = packDaemon(work);
    installed = installPackage(tarball, {
      reuse: process.env.HOTPATH_TEST_REUSE_INSTALL === "1",
      env: betterSqlite3Prebuilds(join(work, "prebuilds")),
    });
    const how = installed.prebuiltSqlite ? "better-sqlite3 prebuilt" : "better-sqlite3 compiled";
    console.log(`      npm install -g of the tarball took ${(installed.installMs / 1000).toFixed(0)} s (${how})`);
  });
  after(async function () {
    await daemon?.dispose();
    rmSync(work, { recursive: true, force: true });
    // ~700 MB (node-llama-cpp's prebuilt binaries for every GPU backend): kept only when asked to reuse it.
    if (installed && process.env.HOTPATH_TEST_REUSE_INSTALL !== "1")
      rmSync(installed.prefix, { recursive: true, force: true });
  });

  it("packs only the bundle, the manifest, the README and the LICENSE, at the extension's version", function () {
    const files = execFileSync("tar", ["tzf", tarball], { encoding: "utf8" }).trim().split("\n").sort();
    const bundles = files.filter((f) => f.startsWith("package/dist/"));
    assert.deepEqual(
      files.filter((f) => !bundles.includes(f)),
      ["package/LICENSE", "package/README.md", "package/package.json"],
    );
    assert.ok(bundles.includes("package/dist/daemon/main.js"));
    assert.ok(
      bundles.every((f) => /^package\/dist\/daemon\/[\w-]+\.js$/.test(f)),
      `only bundles: ${bundles.join(", ")}`,
    );
    const pkg = JSON.parse(execFileSync("tar", ["xzOf", tarball, "package/package.json"], { encoding: "utf8" }));
    assert.equal(pkg.version, manifest.version);
    assert.deepEqual(pkg.bin, { hotpath: "dist/daemon/main.js" });
    assert.equal(pkg.devDependencies, undefined);
    for (const [name, range] of Object.entries(pkg.dependencies))
      assert.equal(manifest.dependencies[name], range, name);
    const readme = execFileSync("tar", ["xzOf", tarball, "package/README.md"], { encoding: "utf8" });
    assert.match(readme, /npm install -g hotpath/);
    assert.doesNotMatch(readme, /\]\((?!https?:)[^)#]+\)/, "no relative links (they break on the registry page)");
  });

  it("installs a `hotpath` command that runs without this repository", function () {
    const pkgDir = join(installed.prefix, "lib", "node_modules", "hotpath");
    assert.deepEqual(readdirSync(pkgDir).sort(), ["LICENSE", "README.md", "dist", "node_modules", "package.json"]);
    const env = userEnv({ PATH: `${installed.binDir}:${process.env.PATH}` });
    const version = execFileSync("hotpath", ["--version"], { cwd: tmpdir(), env, encoding: "utf8" }).trim();
    assert.equal(version, manifest.version);
  });

  it("serves a chat answer to the official openai SDK", async function () {
    daemon = await startDaemon({
      executable: join(installed.binDir, "hotpath"),
      cwd: tmpdir(),
      fullEnv: userEnv(),
      args: ["--model", `chat=${chatModelPath()}`, "--no-response-cache"],
      waitForModels: ["chat"],
      // The first start of a fresh install reads a 5 MB bundle and loads native modules cold: slow on a busy machine.
      startTimeoutMs: 180_000,
    });
    const client = new OpenAI({ baseURL: daemon.baseURL, apiKey: daemon.token, maxRetries: 0 });
    const res = await client.chat.completions.create({
      model: "chat",
      messages: [{ role: "user", content: "Once upon a time" }],
      max_tokens: 12,
      temperature: 0,
    });
    assert.equal(res.choices[0].message.role, "assistant");
    assert.ok((res.choices[0].message.content ?? "").length > 0, "non-empty answer");
    assert.ok(res.usage && res.usage.completion_tokens > 0);
  });
});
