// Installs the daemon the user's way: `npm install -g <hotpath.daemonPackage>` (default hotpath@<this extension's
// version>) in a visible terminal, with the Node.js and npm the extension found (a launcher-started VS Code may have
// no shell PATH). The terminal is a pseudoterminal over our own child process, so we know when and how npm finished.
import { spawn } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import { findNode, findNpm } from "./locate.js";

export interface InstallOutcome {
  ok: boolean;
  /** What was installed (the npm argument). */
  spec: string;
  /** npm's exit code, or why npm could not run. */
  detail: string;
}

export function daemonPackageSpec(configured: string, extensionVersion: string): string {
  return configured || `hotpath@${extensionVersion}`;
}

export async function installDaemonInTerminal(
  spec: string,
  log: vscode.OutputChannel,
  nodePath = "",
): Promise<InstallOutcome> {
  const inputs = { env: process.env, home: os.homedir(), platform: process.platform };
  const node = findNode(inputs, { configured: nodePath });
  const npm = node && !node.electron ? findNpm(inputs, node.node) : undefined;
  if (!node || !npm) {
    const detail =
      "npm was not found (PATH, nvm, volta, Homebrew, /usr/local/bin): install Node.js 20 or newer with npm from nodejs.org, then try again";
    log.appendLine(`[hotpath] ${detail}`);
    return { ok: false, spec, detail };
  }
  const args = ["install", "-g", "--no-fund", "--no-audit", spec];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: [path.dirname(node.node), process.env.PATH].filter(Boolean).join(path.delimiter),
  };
  delete env.ELECTRON_RUN_AS_NODE;
  const write = new vscode.EventEmitter<string>();
  const close = new vscode.EventEmitter<number | void>();
  let finish: (o: InstallOutcome) => void = () => undefined;
  const outcome = new Promise<InstallOutcome>((r) => (finish = r));
  const crlf = (t: string) => t.replace(/\r?\n/g, "\r\n");
  const pty: vscode.Pseudoterminal = {
    onDidWrite: write.event,
    onDidClose: close.event,
    open() {
      write.fire(crlf(`$ ${npm} ${args.join(" ")}\n`));
      log.appendLine(`[hotpath] installing the daemon: ${npm} ${args.join(" ")}`);
      const child = spawn(npm, args, { env, stdio: ["ignore", "pipe", "pipe"], shell: process.platform === "win32" });
      child.stdout.on("data", (d: Buffer) => write.fire(crlf(d.toString())));
      child.stderr.on("data", (d: Buffer) => write.fire(crlf(d.toString())));
      child.once("error", (e) => {
        write.fire(crlf(`\ncould not run npm: ${e.message}\n`));
        finish({ ok: false, spec, detail: `could not run ${npm}: ${e.message}` });
      });
      child.once("exit", (code) => {
        const ok = code === 0;
        write.fire(
          crlf(
            ok ? "\nThe Hotpath daemon is installed; starting it.\n" : `\nnpm exited with code ${code}; see above.\n`,
          ),
        );
        finish({
          ok,
          spec,
          detail: ok ? "installed" : `npm install -g ${spec} exited with code ${code} (see the terminal)`,
        });
      });
    },
    close() {
      /* the terminal closed by the user; npm keeps running to completion */
    },
  };
  const terminal = vscode.window.createTerminal({ name: "Hotpath: install daemon", pty });
  terminal.show(true);
  const result = await outcome;
  log.appendLine(`[hotpath] install: ${result.detail}`);
  return result;
}
