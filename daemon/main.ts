// The `hotpath` command line.
// First: V8's tiering flags, before any other module's code is compiled (see tiering.ts).
import "./tiering.js";
import { Command, CommanderError } from "commander";
import { register as registerGenModel } from "./cli/gen-model.js";
import { register as registerAudit } from "./cli/audit.js";
import { register as registerAnalyze } from "./cli/analyze.js";
import { register as registerExport } from "./cli/export.js";
import { register as registerImport } from "./cli/import.js";
import { register as registerCache } from "./cli/cache.js";
import { register as registerServe } from "./cli/serve.js";
import { register as registerStop } from "./cli/stop.js";
import { register as registerPull } from "./cli/pull.js";
import { register as registerList } from "./cli/list.js";
import { register as registerPs } from "./cli/ps.js";
import { register as registerRm } from "./cli/rm.js";
import { ConfigError } from "./config.js";
import { VERSION } from "./version.js";

const program = new Command()
  .name("hotpath")
  .description("See where your AI agent's time and money go, then get it back.")
  .version(VERSION)
  .option(
    "--data-dir <dir>",
    "where Hotpath keeps its database, token, models and KV snapshots (env HOTPATH_DATA_DIR; default ~/.hotpath)",
  )
  .option("--config <file>", "a JSON or YAML config file; flags override it, it overrides defaults")
  .showHelpAfterError()
  // Subcommand help lists --data-dir/--config too, and descriptions wrap in a narrow column rather than running on.
  .configureHelp({ showGlobalOptions: true, minWidthToWrap: 24 })
  .exitOverride();

registerServe(program);
registerStop(program);
registerPull(program);
registerList(program);
registerPs(program);
registerRm(program);
registerGenModel(program);
registerImport(program);
registerAnalyze(program);
registerExport(program);
registerAudit(program);
registerCache(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  if (e instanceof ConfigError) {
    process.stderr.write(`hotpath: ${e.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`hotpath: ${(e as Error).message}\n`);
  process.exit(1);
}
