// Packs `npm run bench -- gpu` for a GPU machine that has no network and no Node.js (the device machines lent to some
// sessions: one NVIDIA H200, driver 580, a 64 MiB limit on what travels). Writes dist/gpu-offline/ (~55 MB):
//   test/bench/   the bench bundled with its worker and child entries (the bench writes dist/gpu-offline/docs/)
//   node.xz       this Node.js binary
//   modules.tar.xz  node-llama-cpp and what it loads, the CPU and CUDA prebuilt packages only, with the CUDA library's
//                 fat binaries cut to compute_<arch> PTX at an ISA that driver accepts (fatbin.mjs says why)
//   run.sh        unpacks, finds CUDA's libraries, runs the bench, leaves its log and section in $OUT
// Usage: node test/bench/gpu-offline/pack.mjs [--arch 90]; then, on that machine, from the repository root:
//   bash dist/gpu-offline/run.sh --size 1.5GB --runs 3 --require-gpu      (carry: dist/gpu-offline)
// Needs xz, zstd and tar (Debian packages xz-utils, zstd, tar).
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import * as esbuild from "esbuild";
import { keepPtxOnly } from "./fatbin.mjs";

const { values } = parseArgs({ options: { arch: { type: "string", default: "90" } } });
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "../../..");
const out = join(root, "dist/gpu-offline");
const stage = join(root, "dist/gpu-offline-stage");
rmSync(out, { recursive: true, force: true });
rmSync(stage, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

// 1. The bench, bundled; entries that are started by path (a worker thread, the GPU check's child) sit beside it.
await esbuild.build({
  stdin: {
    contents: 'import { run } from "./test/bench/gpu.ts"; await run(process.argv.slice(3));',
    resolveDir: root,
    loader: "ts",
  },
  entryPoints: [
    { in: join(root, "daemon/models/chat-wrapper-worker.ts"), out: "chat-wrapper-worker" },
    { in: join(root, "daemon/engine/grammar/gbnf-worker.ts"), out: "gbnf-worker" },
    { in: join(root, "daemon/engine/gpu-check-child.ts"), out: "gpu-check-child" },
  ],
  outdir: join(out, "test/bench"),
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["node-llama-cpp"],
  mainFields: ["module", "main"],
  banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
  logLevel: "warning",
});
// esbuild names the stdin entry "stdin.js".
copyFileSync(join(out, "test/bench/stdin.js"), join(out, "test/bench/gpu.js"));
rmSync(join(out, "test/bench/stdin.js"));

// 2. Node.js itself.
writeFileSync(join(out, "node.xz"), execFileSync("xz", ["-9", "-T2", "-c", process.execPath], { maxBuffer: 1 << 30 }));

// 3. node-llama-cpp's dependency closure, as installed.
const keepPlatform = new Set(["@node-llama-cpp/linux-x64", "@node-llama-cpp/linux-x64-cuda"]);
const dirs = new Set();
const find = (from, name) => {
  for (let d = from; d.startsWith(root); d = dirname(d)) {
    const c = join(d, "node_modules", name);
    if (existsSync(join(c, "package.json"))) return c;
    if (d === root) break;
  }
};
const walk = (dir) => {
  if (dirs.has(dir)) return;
  dirs.add(dir);
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  for (const name of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
    if (name.startsWith("@node-llama-cpp/") && !keepPlatform.has(name)) continue;
    const at = find(dir, name);
    if (at) walk(at);
  }
};
walk(join(root, "node_modules/node-llama-cpp"));
const top = [...dirs]
  .map((d) => relative(root, d))
  .filter((d, _, all) => !all.some((o) => o !== d && d.startsWith(`${o}/`)));
const cudaLib = "node_modules/@node-llama-cpp/linux-x64-cuda/bins/linux-x64-cuda/libggml-cuda.so";
mkdirSync(stage, { recursive: true });
execFileSync(
  "tar",
  [
    "-cf",
    join(stage, "modules.tar"),
    // Not needed to run prebuilt binaries: llama.cpp's sources (35 MB), source maps, typings, the build tool.
    "--exclude=node_modules/node-llama-cpp/llama/gitRelease.bundle",
    "--exclude=*.map",
    "--exclude=*.d.ts",
    "--exclude=node_modules/cmake-js",
    `--exclude=${cudaLib}`,
    ...top,
  ],
  { cwd: root },
);
const lib = readFileSync(join(root, cudaLib));
const containers = keepPtxOnly(lib, { arch: Number(values.arch) });
mkdirSync(join(stage, dirname(cudaLib)), { recursive: true });
writeFileSync(join(stage, cudaLib), lib);
execFileSync("tar", ["-rf", join(stage, "modules.tar"), cudaLib], { cwd: stage });
execFileSync("xz", ["-9", "-T2", join(stage, "modules.tar")]);
copyFileSync(join(stage, "modules.tar.xz"), join(out, "modules.tar.xz"));
rmSync(stage, { recursive: true, force: true });

// 4. The script that runs there.
copyFileSync(join(here, "run.sh"), join(out, "run.sh"));

const du = (p) => Number(execFileSync("du", ["-sb", p], { encoding: "utf8" }).split("\t")[0]);
const mb = (n) => `${(n / 2 ** 20).toFixed(1)} MiB`;
console.log(
  `dist/gpu-offline: ${mb(du(out))} (node ${mb(statSync(join(out, "node.xz")).size)}, modules ${mb(statSync(join(out, "modules.tar.xz")).size)}; ${containers} CUDA fat binaries cut to compute_${values.arch} PTX)`,
);
