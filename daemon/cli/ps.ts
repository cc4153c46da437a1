// `hotpath ps`: the models the running daemon holds in memory — memory, where they run (GPU/CPU), threads, how long
// they have been idle and when the keep-alive unloads them.
import type { Command } from "commander";
import type { LocalModelList, LocalModelStatus } from "../api.js";
import { describeKeepAlive } from "../models/keep-alive.js";
import { humanDuration } from "../traces/analysis/duration.js";
import { bytes } from "./human.js";
import { table } from "./models-table.js";
import { findRunningDaemon, noDaemonMessage } from "./running.js";

export function register(program: Command): void {
  program
    .command("ps")
    .description("show the models the running daemon has loaded: memory, GPU/CPU, threads, idle time, unload time")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const daemon = await findRunningDaemon(cmd);
      if (!daemon) throw new Error(noDaemonMessage(cmd));
      const { data } = await daemon.call<LocalModelList>("GET", "/hotpath/models");
      const loaded = data.filter((m) => m.state !== "unloaded");
      if (opts.json) {
        process.stdout.write(JSON.stringify(loaded, null, 2) + "\n");
        return;
      }
      if (loaded.length === 0) {
        process.stdout.write(
          `no model is loaded (${data.length} known: ${data.map((m) => m.alias).join(", ") || "none"}); one loads on its first request\n`,
        );
        return;
      }
      const rows = loaded.map((m) => [
        m.alias,
        m.state === "error" ? `error: ${m.error}` : m.state,
        m.memoryBytes !== undefined ? bytes(m.memoryBytes + (m.contextBytes ?? 0)) : "-",
        processor(m),
        m.threads ? `${m.threads.prefill}/${m.threads.decode}` : "-",
        m.inUse > 0 ? `busy (${m.inUse})` : m.idleS !== undefined ? humanDuration(m.idleS * 1000) : "-",
        until(m),
      ]);
      process.stdout.write(table(["MODEL", "STATE", "MEMORY", "PROCESSOR", "THREADS", "IDLE", "UNLOADS"], rows));
      // The reason a GPU was not used is the same for every model (one check per daemon): said once, under the table.
      const fallback = loaded.find((m) => m.gpuFallback)?.gpuFallback;
      if (fallback) process.stdout.write(`\nCPU instead of the GPU: ${fallback}. See docs/models.md#gpu.\n`);
    });
}

function processor(m: LocalModelStatus): string {
  if (m.gpu === undefined) return "-";
  if (m.gpuFallback) return "CPU (GPU not used)";
  if (m.gpu === false || !m.gpuLayers) return "CPU";
  return `${m.gpu} (${m.gpuLayers} layers)`;
}

function until(m: LocalModelStatus): string {
  if (m.state !== "ready") return "-";
  if (m.keepAliveMs < 0) return "never";
  if (m.inUse > 0) return `${describeKeepAlive(m.keepAliveMs)} after use`;
  if (m.expiresAt === undefined) return "-";
  return `in ${humanDuration(Math.max(0, m.expiresAt - Date.now()))}`;
}
