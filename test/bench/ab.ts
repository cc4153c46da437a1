// `npm run bench -- ab --old <dist/daemon/main.js> [--new <dist/daemon/main.js>] [--requests N]`: two builds of the
// daemon side by side in one run, on the paths `bench router` and `bench serve` time: a cloud route (a fake OpenAI
// upstream in its own process, answering at once) and a local model (stories260K, so Hotpath's own per-request work
// is a large part of the time), each non-streamed (full response) and streamed (first body byte and full). Requests
// alternate between the builds (ABBA), so load drifting over the run hits both alike. Reports medians and new/old.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { DAEMON_BIN, startDaemon, type TestDaemon } from "../fixtures/daemon.js";
import { chatModelPath } from "../fixtures/models.js";
import { fmt, machineDescription, median, writeSection } from "./_report.js";

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

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

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { old: { type: "string" }, new: { type: "string" }, requests: { type: "string", default: "200" } },
  });
  if (!values.old || !existsSync(values.old))
    throw new Error("--old <path to another build's dist/daemon/main.js> is required");
  const n = Number(values.requests);
  const warmup = Math.min(20, Math.ceil(n / 10));
  const fakeProc = spawn(
    process.execPath,
    ["--import", "tsx", join(import.meta.dirname, "../fixtures/upstreams/serve.ts"), "openai"],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const fakeUrl = await new Promise<string>((ok, fail) => {
    let out = "";
    fakeProc.stdout!.on("data", (d) => {
      out += d;
      const m = /listening (\S+)/.exec(out);
      if (m) ok(m[1]);
    });
    fakeProc.once("exit", (code) => fail(new Error(`fake upstream exited with ${code}`)));
  });
  const dir = mkdtempSync(join(tmpdir(), "hotpath-bench-ab-"));
  const config = join(dir, "config.yaml");
  writeFileSync(config, `router:\n  providers:\n    fake: { type: openai-compatible, baseURL: "${fakeUrl}/v1" }\n`);
  const builds = { old: resolve(values.old), new: resolve(values.new ?? DAEMON_BIN) };
  const daemons: Record<"old" | "new", TestDaemon> = {} as never;
  for (const name of ["old", "new"] as const) {
    const args = ["--config", config, "--model", `chat=${chatModelPath()}`, "--sequences", "1"];
    // A busy machine can take a while to start a daemon; the timing starts after both are up.
    daemons[name] = await startDaemon({
      bin: builds[name],
      dataDir: join(dir, name),
      args,
      waitForModels: ["chat"],
      startTimeoutMs: 180_000,
    });
  }
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
    for (let i = 0; i < warmup + n; i++) {
      for (const [label, p] of Object.entries(paths)) {
        const body = JSON.stringify({ ...p, messages, max_tokens: 8 });
        for (const name of i % 2 ? (["new", "old"] as const) : (["old", "new"] as const)) {
          const [ttfb, full] = await post(`${daemons[name].url}/v1/chat/completions`, body, daemons[name].token);
          if (i < warmup) continue;
          times[label][name].ttfb.push(ttfb);
          times[label][name].full.push(full);
        }
      }
    }
  } finally {
    for (const d of Object.values(daemons)) await d.dispose();
    fakeProc.kill("SIGTERM");
    agent.destroy();
    rmSync(dir, { recursive: true, force: true });
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
  const body = `
Two builds of the daemon side by side in one run: old \`${values.old}\`, new \`${values.new ?? "this checkout's dist"}\`.
Both serve the same config (a fake OpenAI upstream in its own process on 127.0.0.1, answering at once; the local
stories260K model, one sequence, response cache on but bypassed: no temperature 0), keep-alive connections, one
request at a time, requests alternating old/new (ABBA); ${n} requests per path and build after ${warmup} warm-up
rounds. Medians in ms; ratio = new / old (below 1: the new build is faster).

| path | old ms | new ms | new / old |
|---|---|---|---|
${rows.join("\n")}

Machine: ${machineDescription()}.
`;
  console.log(body);
  writeSection("ab", body);
}
