// Opens the trace store the way every trace subcommand does: global --data-dir / HOTPATH_DATA_DIR → <dataDir>/hotpath.db.
import type { Command } from "commander";
import { dataPaths, loadConfig, type Config } from "../config.js";
import { openDb, type Db } from "../db.js";
import { TraceStore } from "../traces/store.js";

export function openTraceStore(cmd: Command): { config: Config; db: Db; store: TraceStore } {
  const globals = cmd.optsWithGlobals() as { dataDir?: string; config?: string };
  const config = loadConfig({ flags: { dataDir: globals.dataDir, config: globals.config } });
  const db = openDb(dataPaths(config.dataDir).db);
  return { config, db, store: new TraceStore(db, { maxAttributeChars: config.traces.maxAttributeChars }) };
}
