// Where the shared trace fixtures live (../shared/fixtures/traces from the repo root), or undefined in a clone
// without them — tests that need them skip with a printed reason.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const TRACE_FIXTURES = resolve(repoRoot, "..", "shared", "fixtures", "traces");

export function traceFixture(...parts: string[]): string | undefined {
  const p = join(TRACE_FIXTURES, ...parts);
  return existsSync(p) ? p : undefined;
}

export function skipWithoutFixture(ctx: Mocha.Context, path: string | undefined, what: string): asserts path is string {
  if (!path) {
    console.log(
      `    skipped: ${what} not found under ${TRACE_FIXTURES} (the shared fixtures are not in this checkout)`,
    );
    ctx.skip();
  }
}
