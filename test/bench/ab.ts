// `npm run bench -- ab [--old-rev REV | --old <dist/daemon/main.js>] [--new <dist/daemon/main.js>] [--requests N]`:
// two builds of the daemon side by side in one run, on the paths `bench router` and `bench serve` time: a cloud route
// (a fake OpenAI upstream in its own process, answering at once) and a local model (stories260K, so Hotpath's own
// per-request work is a large part of the time), each non-streamed (full response) and streamed (first body byte and
// full). Requests alternate between the builds (ABBA), so load drifting over the run hits both alike. Reports medians
// and new/old. Old is by default 95099e3, the last commit before the request pipeline (#12), built once from git into
// .cache/bench-ab/<commit>/ with this checkout's node_modules; new is this checkout's dist (npm run bench builds it).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import http from "node:http";
import { loadavg, tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { DAEMON_BIN, startDaemon, type TestDaemon } from "../fixtures/daemon.js";
import { chatModelPath, repoRoot } from "../fixtures/models.js";
import { startUpstreamProcess } from "../fixtures/upstreams/process.js";
import { fmt, machineDescription, median, writeSection } from "./_report.js";

/** The last commit before the request pipeline (7e7387b): the "before" of issue #12. */
const DEFAULT_OLD_REV = "95099e3";

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const log = (s: string) => process.stderr.write(s + "\n");

/** POSTs JSON; resolves with [ms to first body byte, ms to end]. */
function post(url: string, body: string, token: string): Promise<[number, number]> {
  const t0 = performance.now();
  const headers = {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(body)),
    authorization: `Bearer ${token}`,
  };
  return new Promise((done, fail) => {
    const req = http.request(url, { method: "POST", agent, headers }, (res) => {
      let first = 0;
      res.on("data", () => (first ||= performance.now() - t0));
      res.on("end", () =>
        res.statusCode === 200 ? done([first, performance.now() - t0]) : fail(new Error(`status ${res.statusCode}`)),
      );
      res.on("error", fail);
    });
    req.on("error", fail);
    req.end(body);
  });
}

/**
 * The daemon of commit `rev`, bundled by that commit's own esbuild.mjs from `git archive` (the working tree is not
 * touched) against this checkout's node_modules; reused while .cache/bench-ab/<commit>/ holds it.
 */
export function buildRevision(rev: string): { commit: string; bin: string } {
  const commit = execFileSync("git", ["rev-parse", "--verify", `${rev}^{commit}`], { cwd: repoRoot, encoding: "utf8" })
    .trim()
    .slice(0, 12);
  const dir = join(repoRoot, ".cache", "bench-ab", commit);
  const bin = join(dir, "dist", "daemon", "main.js");
  if (existsSync(bin)) return { commit, bin };
  log(`bench ab: building ${rev} (${commit}) into ${relative(repoRoot, dir)}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const tar = execFileSync("git", ["archive", "--format=tar", commit], { cwd: repoRoot, maxBuffer: 1 << 30 });
  execFileSync("tar", ["-x", "-C", dir], { input: tar });
  symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"), "dir");
  execFileSync(process.execPath, ["esbuild.mjs", "--only", "daemon"], { cwd: dir, stdio: "inherit" });
  if (!existsSync(bin)) throw new Error(`building ${rev} left no ${bin}`);
  return { commit, bin };
}

function describeBuild(path: string): string {
  return relative(repoRoot, path).startsWith("..") ? path : relative(repoRoot, path);
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      old: { type: "string" },
      "old-rev": { type: "string" },
      new: { type: "string" },
      requests: { type: "string", default: "200" },
    },
  });
  if (values.old && values["old-rev"]) throw new Error("give --old or --old-rev, not both");
  if (values.old && !existsSync(values.old)) throw new Error(`--old ${values.old}: no such file`);
  const n = Number(values.requests);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--requests must be a whole number ≥ 1, not "${values.requests}"`);
  const warmup = Math.min(20, Math.ceil(n / 10));
  const oldBuild = values.old
    ? { label: `\`${describeBuild(resolve(values.old))}\``, bin: resolve(values.old) }
    : (() => {
        const rev = values["old-rev"] ?? DEFAULT_OLD_REV;
        const built = buildRevision(rev);
        return { label: `${rev} (${built.commit}, built from git)`, bin: built.bin };
      })();
  const newBin = resolve(values.new ?? DAEMON_BIN);
  const newLabel = values.new ? `\`${describeBuild(newBin)}\`` : `this checkout's dist (${headCommit()})`;
  const loadAtStart = loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
  const started = performance.now();

  const upstream = await startUpstreamProcess("openai");
  const dir = mkdtempSync(join(tmpdir(), "hotpath-bench-ab-"));
  const daemons: Partial<Record<"old" | "new", TestDaemon>> = {};
  const stopAll = async () => {
    for (const d of Object.values(daemons)) await d?.dispose();
    upstream.stop();
    agent.destroy();
    rmSync(dir, { recursive: true, force: true });
  };
  const messages = [{ role: "user", content: "Say something short." }];
  const paths = {
    "cloud route (fake upstream), not streamed": { model: "fake:bench", stream: false },
    "cloud route (fake upstream), streamed": { model: "fake:bench", stream: true },
    "local model (stories260K, 8 tokens), not streamed": { model: "chat", stream: false },
    "local model (stories260K, 8 tokens), streamed": { model: "chat", stream: true },
  };
  type Times = { ttfb: number[]; full: number[] };
  const times = Object.fromEntries(
    Object.keys(paths).map((p) => [p, { old: { ttfb: [], full: [] } as Times, new: { ttfb: [], full: [] } as Times }]),
  );
  try {
    const config = join(dir, "config.yaml");
    writeFileSync(
      config,
      `router:\n  providers:\n    fake: { type: openai-compatible, baseURL: "${upstream.url}/v1" }\n`,
    );
    const args = ["--config", config, "--model", `chat=${chatModelPath()}`, "--sequences", "1"];
    // A busy machine can take a while to start a daemon; the timing starts after both are up.
    for (const [name, bin] of [
      ["old", oldBuild.bin],
      ["new", newBin],
    ] as const)
      daemons[name] = await startDaemon({
        bin,
        dataDir: join(dir, name),
        args,
        waitForModels: ["chat"],
        startTimeoutMs: 180_000,
      });
    const up = daemons as Record<"old" | "new", TestDaemon>;
    log(`bench ab: ${warmup} warm-up rounds, then ${n} rounds of ${Object.keys(paths).length} paths × 2 builds`);
    for (let i = 0; i < warmup + n; i++) {
      for (const [label, p] of Object.entries(paths)) {
        const body = JSON.stringify({ ...p, messages, max_tokens: 8 });
        for (const name of i % 2 ? (["new", "old"] as const) : (["old", "new"] as const)) {
          const [ttfb, full] = await post(`${up[name].url}/v1/chat/completions`, body, up[name].token);
          if (i < warmup) continue;
          times[label][name].ttfb.push(ttfb);
          times[label][name].full.push(full);
        }
      }
    }
  } finally {
    await stopAll();
  }
  const rows = Object.entries(times).flatMap(([label, t]) => {
    const row = (what: "ttfb" | "full", name: string) => {
      const [o, x] = [median(t.old[what]), median(t.new[what])];
      return `| ${label}, ${name} | ${fmt(o, 3)} | ${fmt(x, 3)} | ${fmt(x / o, 3)} |`;
    };
    return label.endsWith("not streamed")
      ? [row("full", "full response")]
      : [row("ttfb", "first byte"), row("full", "full response")];
  });
  const seconds = (performance.now() - started) / 1000;
  const body = `
Two builds of the daemon side by side in one run: old ${oldBuild.label}, new ${newLabel}.
Both serve the same config (a fake OpenAI upstream in its own process on 127.0.0.1, answering at once; the local
stories260K model, one sequence, response cache on but bypassed: no temperature 0), keep-alive connections, one
request at a time, requests alternating old/new (ABBA); ${n} requests per path and build after ${warmup} warm-up
rounds (${seconds.toFixed(0)} s with start-up). Medians in ms; ratio = new / old (below 1: the new build is faster).
Rerun: \`npm run bench -- ab\` (\`--old-rev REV\` or \`--old <main.js>\` for another "old", \`--requests N\`).

| path | old ms | new ms | new / old |
|---|---|---|---|
${rows.join("\n")}

Machine: ${machineDescription()}; at the start: ${loadAtStart}.
`;
  console.log(body);
  writeSection("ab", body);
}

function headCommit(): string {
  try {
    return execFileSync("git", ["rev-parse", "--short=12", "HEAD"], { cwd: repoRoot, encoding: "utf8" }).trim();
  } catch {
    return "not a git checkout";
  }
}
