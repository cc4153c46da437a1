// `hotpath stop`: asks the daemon serving from this data dir to shut down gracefully, and waits until it has.
import type { Command } from "commander";
import { findRunningDaemon, noDaemonMessage } from "./running.js";

export function register(program: Command): void {
  program
    .command("stop")
    .description("stop the daemon serving from this data dir (graceful: requests in flight finish)")
    .action(async (_opts: unknown, cmd: Command) => {
      const daemon = await findRunningDaemon(cmd);
      if (!daemon) throw new Error(noDaemonMessage(cmd));
      const { pid } = await daemon.call<{ pid: number }>("POST", "/hotpath/shutdown");
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && alive(pid)) await new Promise((r) => setTimeout(r, 100));
      if (alive(pid))
        throw new Error(`the daemon (pid ${pid}) is still shutting down after 30 s; \`kill ${pid}\` ends it`);
      process.stdout.write(`stopped the Hotpath daemon at ${daemon.url} (pid ${pid})\n`);
    });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
