// `hotpath cache stats | inspect | clear`: the response cache in the data dir's database (works with or without a
// running daemon: SQLite in WAL mode allows both at once).
import type { Command } from "commander";
import "../cache/store.js"; // registers the cache migration before openDb
import { UseEmbedder } from "../cache/embedders/use.js";
import { findCriticalDifference } from "../cache/guards/index.js";
import { ResponseCache } from "../cache/service.js";
import { dataPaths, loadConfig } from "../config.js";
import { openDb } from "../db.js";

function open(cmd: Command): { cache: ResponseCache; close: () => void } {
  const globals = cmd.optsWithGlobals();
  const config = loadConfig({ flags: { config: globals.config, dataDir: globals.dataDir } });
  const db = openDb(dataPaths(config.dataDir).db);
  // Nothing here embeds: the embedder is never loaded, only its id is used.
  const cache = new ResponseCache({ db, config: config.cache, embedder: new UseEmbedder() });
  return {
    cache,
    close: () => {
      cache.close();
      db.close();
    },
  };
}

const NAMESPACE = /^[0-9a-f]{64}$/;

function checkNamespace(ns: string | undefined): string | undefined {
  if (ns !== undefined && !NAMESPACE.test(ns))
    throw new Error(`--namespace takes the 64-hex-digit id shown by \`hotpath cache stats\`, not "${ns}"`);
  return ns;
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`"${value}" is not a positive integer`);
  return n;
}

const ms = (x: number) => (x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`);

export function register(program: Command): void {
  const cache = program.command("cache").description("the semantic response cache: savings, entries, clearing");

  cache
    .command("stats")
    .description("hits, misses, bypasses and savings, overall and per namespace")
    .option("--json", "print the CacheStats JSON (as GET /hotpath/cache/stats)")
    .option("--limit <n>", "namespaces to list (default 20)", positive)
    .action((opts: { json?: boolean; limit?: number }, cmd: Command) => {
      const { cache, close } = open(cmd);
      try {
        const s = cache.stats(opts.limit ?? 20);
        if (opts.json) return void process.stdout.write(JSON.stringify(s, null, 2) + "\n");
        const t = s.totals;
        const lines = [
          `cache ${s.enabled ? "enabled" : "disabled"} · embedder ${s.embedder} · threshold ${s.threshold}`,
          `entries ${s.entries} (${(s.bytes / 1e6).toFixed(1)} MB; cap ${s.maxEntries} entries / ${(s.maxBytes / 1e6).toFixed(0)} MB)`,
          `hits ${t.hits} (${t.semanticHits} semantic) · misses ${t.misses} · bypasses ${t.bypasses} · hit rate ${(t.hitRate * 100).toFixed(1)}% · guard refusals ${t.guardRejections}`,
          `saved ${t.tokensSaved} tokens · ${ms(t.msSaved)} · $${t.usdSaved.toFixed(4)}`,
          "",
          ...s.namespaces.map(
            (n) =>
              `${n.namespace.slice(0, 12)}  ${String(n.entries).padStart(6)} entries  hits ${n.hits}/${n.hits + n.misses}  saved ${ms(n.msSaved)}  ${n.label}`,
          ),
        ];
        process.stdout.write(lines.join("\n") + "\n");
      } finally {
        close();
      }
    });

  cache
    .command("inspect")
    .description("list cached entries, most recently used first")
    .option("--namespace <id>", "only this namespace (64 hex digits; prefixes from `stats` are not enough)")
    .option("--limit <n>", "entries to list (default 20)", positive)
    .option("--json", "print the CacheEntries JSON (as GET /hotpath/cache/entries)")
    .option(
      "--against <query>",
      "say for each entry whether a false-hit defence would refuse it for this query, and why",
    )
    .action((opts: { namespace?: string; limit?: number; json?: boolean; against?: string }, cmd: Command) => {
      const { cache, close } = open(cmd);
      try {
        const entries = cache.entries({ namespace: checkNamespace(opts.namespace), limit: opts.limit ?? 20 });
        if (opts.json) return void process.stdout.write(JSON.stringify({ entries }, null, 2) + "\n");
        if (!entries.length) return void process.stdout.write("no entries\n");
        for (const e of entries) {
          const verdict = (() => {
            if (opts.against === undefined) return "";
            const f = findCriticalDifference(opts.against, e.queryText);
            return f
              ? `  refused by the ${f.guard} defence: ${f.detail}\n`
              : "  no defence refuses it (similarity and the verifier decide)\n";
          })();
          process.stdout.write(
            `#${e.id} ${e.match} ${e.workload} hits ${e.hits} · expires ${new Date(e.expiresMs).toISOString()} · ${e.route}` +
              `${e.scope ? ` · scope ${e.scope}` : ""}\n` +
              `  Q: ${e.queryText.replace(/\s+/g, " ").slice(0, 160)}\n  A: ${e.answerPreview.replace(/\s+/g, " ").slice(0, 160)}\n` +
              verdict,
          );
        }
      } finally {
        close();
      }
    });

  cache
    .command("clear")
    .description("delete cached entries (all, one namespace, or one user/tenant scope)")
    .option("--namespace <id>", "only this namespace (64 hex digits)")
    .option("--scope <scope>", "only this user/tenant scope (as sent in x-hotpath-cache-scope or set per route)")
    .action((opts: { namespace?: string; scope?: string }, cmd: Command) => {
      const { cache, close } = open(cmd);
      try {
        if (opts.scope !== undefined && !/^[\x21-\x7e]{1,200}$/.test(opts.scope)) {
          throw new Error(`--scope takes 1–200 printable characters without spaces, not "${opts.scope}"`);
        }
        const n = cache.clear({ namespace: checkNamespace(opts.namespace), scope: opts.scope });
        const from = [opts.namespace ? `namespace ${opts.namespace}` : "", opts.scope ? `scope ${opts.scope}` : ""]
          .filter(Boolean)
          .join(", ");
        process.stdout.write(`cleared ${n} entr${n === 1 ? "y" : "ies"}${from ? ` from ${from}` : ""}\n`);
      } finally {
        close();
      }
    });
}
