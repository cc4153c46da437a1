// The Node.js flags the daemon runs with. esbuild.mjs writes them on the bin's shebang, after `node`, so `hotpath`
// and `npm start` start with them; the extension and the test harness, which run `node <script>`, take them from the
// script's own shebang (shebangNodeFlags), so a build runs with the flags it was built with.
//
// --v8-pool-size=0: V8's background threads (parallel scavenges, concurrent marking and sweeping, concurrent
// compilation) are 4 in Node whatever the machine; 0 sizes the pool to it (available parallelism − 1, at least 1).
// On a 2-core machine the 4 took ~1 s of CPU per 100k-span import (the import threads' collections), competing with
// those threads and the event loop. Side by side (8 imports each way, interleaved, load ~1): Claude Code 2380 vs
// 2497 ms, OTLP JSON 1345 vs 1452 ms; the slowest /healthz probe per import, median 13–16 vs 22–23 ms.
import { closeSync, openSync, readSync } from "node:fs";
import nodeFlags from "./node-flags.json" with { type: "json" };

export const NODE_FLAGS: readonly string[] = nodeFlags;

/** The flags this process started without (on its command line or in NODE_OPTIONS). */
export function missingNodeFlags(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions = process.env.NODE_OPTIONS ?? "",
): string[] {
  const given = new Set([...execArgv, ...nodeOptions.split(/\s+/)]);
  return NODE_FLAGS.filter((flag) => !given.has(flag));
}

/**
 * The Node flags on a script's shebang line (`#!/usr/bin/env -S [NAME=value …] node [--flag …]`): those `node
 * <script>` needs to run it as its bin would. None for a script without one, or an unreadable one.
 */
export function shebangNodeFlags(script: string): string[] {
  let head: string;
  try {
    const fd = openSync(script, "r");
    try {
      const buffer = Buffer.alloc(512);
      head = buffer.toString("utf8", 0, readSync(fd, buffer, 0, buffer.length, 0));
    } finally {
      closeSync(fd);
    }
  } catch {
    return [];
  }
  const line = head.startsWith("#!") ? head.slice(2, head.indexOf("\n") === -1 ? undefined : head.indexOf("\n")) : "";
  const words = line.trim().split(/\s+/);
  const node = words.findIndex((w) => w === "node" || w.endsWith("/node"));
  if (node === -1) return [];
  // The run of `--name` / `--name=value` words right after it (a value of plain characters); anything else ends it.
  const flags: string[] = [];
  for (const w of words.slice(node + 1)) {
    if (!/^--[a-z0-9][\w-]*(=[\w.,:/+-]*)?$/i.test(w)) break;
    flags.push(w);
  }
  return flags;
}
