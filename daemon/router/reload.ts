// Reloads the router's part of the config file when the file changes. A file that no longer validates is reported
// (every problem, with its path) and the running config stays in force.
import { watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import type { RouterConfig } from "../config.js";

export interface ConfigWatch {
  close(): void;
}

export function watchConfigFile(
  file: string,
  load: () => RouterConfig,
  apply: (config: RouterConfig) => void,
  log: (level: "info" | "error", message: string) => void,
  debounceMs = 150,
): ConfigWatch {
  let timer: NodeJS.Timeout | undefined;
  let last = "";
  try {
    last = JSON.stringify(load());
  } catch {
    /* startup already validated it; a failure here only means the first change will always apply */
  }
  const reload = () => {
    let next: RouterConfig;
    try {
      next = load();
    } catch (e) {
      log("error", `config reload failed, keeping the previous router config: ${(e as Error).message}`);
      return;
    }
    const text = JSON.stringify(next);
    if (text === last) return;
    last = text;
    apply(next);
    log("info", `router config reloaded from ${file}`);
  };
  // Editors replace files (write to a temp file, rename): watch the directory, not the inode.
  const name = basename(file);
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(file), (_event, changed) => {
      if (changed && changed !== name) return;
      clearTimeout(timer);
      timer = setTimeout(reload, debounceMs);
    });
  } catch (e) {
    log(
      "error",
      `cannot watch ${file} for changes (${(e as Error).message}); restart the daemon to apply config edits`,
    );
  }
  return {
    close() {
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
