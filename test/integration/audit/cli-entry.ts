// The `hotpath` program with only the audit command registered, the way daemon/main.ts registers commands
// (global --data-dir); the CLI tests spawn this until main.ts registers `audit` itself.
import { Command } from "commander";
import { register } from "../../../daemon/cli/audit.js";

const program = new Command().name("hotpath").option("--data-dir <dir>", "data directory");
register(program);
await program.parseAsync(process.argv);
