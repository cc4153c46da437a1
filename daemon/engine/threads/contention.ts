// How busy the rest of the machine was while a calibration measured: CPU time every other process (and the
// hypervisor's steal) used, as a share of all cores, from Linux's /proc/stat minus this process's own CPU time.
//
// Why: a 1-second calibration whose two-thread runs share the cores with a compile or a test run measures that
// contention, not the model — two threads decoding must meet at a barrier every step, so even a niced process on one
// core makes them several times slower, and the pick leans to one thread (1.9× slower prefill once the machine is
// quiet) — and the pick is remembered. The load average cannot tell: it is a minute-long moving average that a job
// started seconds before has barely moved. This process's own threads (the event loop, V8's helpers, llama.cpp's
// pool) are excluded: how they share the cores is what the calibration is for.
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";

/** Linux reports /proc/stat in USER_HZ ticks, 100 per second on every architecture's ABI. */
const TICK_MS = 10;

/**
 * CPU milliseconds the machine has spent since boot running processes, or taken by the hypervisor (steal); undefined
 * off Linux. Interrupts are left out: they are charged to no process (a test's loopback traffic is handled there), so
 * "everyone but me" would count them as others. Also what the fuzz test uses to tell a busy machine.
 */
export function machineBusyMs(): number | undefined {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0];
    if (!line.startsWith("cpu ")) return undefined;
    // user nice system idle iowait irq softirq steal (guest time is already counted in user and nice)
    const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
    if (f.length < 8 || f.some((x) => !Number.isFinite(x))) return undefined;
    return (f[0] + f[1] + f[2] + f[7]) * TICK_MS;
  } catch {
    return undefined;
  }
}

function ownCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Started at construction; `othersShare()` says how much of the machine other work used since. */
export class ContentionMeter {
  private readonly busy0 = machineBusyMs();
  private readonly own0 = ownCpuMs();
  private readonly t0 = performance.now();

  /** Share of all cores (0–1) used by other processes since the start; undefined where the OS does not say. */
  othersShare(cores = availableParallelism()): number | undefined {
    const busy = machineBusyMs();
    if (busy === undefined || this.busy0 === undefined) return undefined;
    const wall = performance.now() - this.t0;
    if (wall <= 0) return undefined;
    const others = busy - this.busy0 - (ownCpuMs() - this.own0);
    return Math.round(Math.min(1, Math.max(0, others / (wall * cores))) * 1000) / 1000;
  }
}
