// Packs the daemon as the npm package `hotpath`: a staging folder with the production daemon bundle, a package.json
// holding only what the bundle loads at run time, the user README and the LICENSE; then `npm pack` on it.
//   node release/pack-daemon.mjs [--out <dir>]     prints the tarball's path (default dir: dist/)
// Why a staging folder and not the repository root: the root manifest is also the VS Code extension's (its `main` would
// be packed), its README is the developers', and its dependencies include what esbuild already bundled.
import { execFileSync } from "node:child_process";
import { builtinModules } from "node:module";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({ options: { out: { type: "string", default: join(root, "dist") } } });
const stage = join(root, "dist", "npm-package");
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

rmSync(stage, { recursive: true, force: true });
execFileSync(process.execPath, [join(root, "esbuild.mjs"), "--only", "daemon", "--production", "--out-dir", stage], {
  cwd: root,
  stdio: "inherit",
});
// The daemon's entry and its worker-thread entries.
const bundleFiles = readdirSync(join(stage, "dist/daemon")).filter((f) => f.endsWith(".js"));
const bundle = bundleFiles.map((f) => readFileSync(join(stage, "dist/daemon", f), "utf8")).join("\n");

// What the bundle loads from node_modules: static and dynamic imports, require() and createRequire()-made requires.
// Not needed by users: ws loads bufferutil/utf-8-validate only when present (faster masking); tsx is named in the
// source-only branch of the audit sandbox (running from .ts files), never taken by the bundle.
const OPTIONAL = new Set(["bufferutil", "utf-8-validate", "tsx"]);
const builtins = new Set(builtinModules);
const needed = new Set();
for (const m of bundle.matchAll(
  /(?:\bfrom\s*|\bimport\(\s*|[A-Za-z_$]*[Rr]equire[A-Za-z_$]*\(\s*)["']([^"'./][^"']*)["']/g,
)) {
  const spec = m[1];
  // Minified code has look-alikes (`x.from(",")`): only well-formed package specifiers count.
  if (!/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(\/[\w./-]*)?$/.test(spec)) continue;
  if (spec.startsWith("node:") || builtins.has(spec.split("/")[0])) continue;
  const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0];
  if (!OPTIONAL.has(name)) needed.add(name);
}
const dependencies = {};
for (const name of [...needed].sort()) {
  const range = manifest.dependencies?.[name];
  if (!range) {
    const where = manifest.devDependencies?.[name] ? "is only a devDependency" : "is not a dependency";
    throw new Error(
      `the daemon bundle loads "${name}" at run time, but it ${where} in package.json: add it to "dependencies"`,
    );
  }
  dependencies[name] = range;
}

const pkg = {
  name: manifest.name,
  version: manifest.version,
  description:
    "Hotpath daemon: local GGUF models behind an OpenAI/Anthropic-compatible API, a safe semantic cache, " +
    "routing to cloud APIs, and agent trace analysis.",
  license: manifest.license,
  type: "module",
  engines: { node: manifest.engines.node },
  bin: { hotpath: "dist/daemon/main.js" },
  files: bundleFiles.map((f) => `dist/daemon/${f}`),
  keywords: ["llm", "gguf", "llama.cpp", "openai", "anthropic", "opentelemetry", "agents", "cache", "tracing"],
  dependencies,
  // npm 11 asks which install scripts may run: better-sqlite3 compiles (or fetches) its binary, node-llama-cpp checks
  // its prebuilt binaries, protobufjs prints a notice.
  allowScripts: Object.fromEntries(["better-sqlite3", "node-llama-cpp", "protobufjs"].map((n) => [n, true])),
};
writeFileSync(join(stage, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
copyFileSync(join(root, "release/daemon/README.md"), join(stage, "README.md"));
copyFileSync(join(root, "LICENSE"), join(stage, "LICENSE"));

mkdirSync(values.out, { recursive: true });
const out = execFileSync("npm", ["pack", stage, "--pack-destination", resolve(values.out), "--json"], {
  cwd: root,
  encoding: "utf8",
  stdio: ["ignore", "pipe", "inherit"],
});
const [{ filename }] = JSON.parse(out);
process.stdout.write(join(resolve(values.out), filename) + "\n");
