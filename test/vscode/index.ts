// The standard test entry (`run()`) for VS Code's extensionTestsPath: works under @vscode/test-electron and under
// code-server driven by Chromium (test/vscode/run.mjs). Bundled by esbuild.mjs ("extension-tests") into
// dist/extension/test/index.cjs; mocha stays external and is resolved from the repository's node_modules.
import Mocha from "mocha";

export async function run(): Promise<void> {
  // HOTPATH_VSCODE_GREP runs only the matching tests (a developer checking one suite on a busy machine).
  const grep = process.env.HOTPATH_VSCODE_GREP;
  const mocha = new Mocha({ ui: "bdd", timeout: 90_000, color: false, reporter: "spec", ...(grep ? { grep } : {}) });
  // Define describe/it globally before the suites' module bodies run (hence imported here, not at the top).
  mocha.suite.emit("pre-require", globalThis, "hotpath-vscode-suite", mocha);
  // run.mjs runs the packaged .vsix in two more sessions: HOTPATH_VSCODE_SUITE=packaged (no daemon anywhere: install
  // it) and =packaged-path (the daemon that session installed, on PATH).
  if (process.env.HOTPATH_VSCODE_SUITE === "packaged") {
    await import("./packaged/install.test.js");
  } else if (process.env.HOTPATH_VSCODE_SUITE === "packaged-path") {
    await import("./packaged/path.test.js");
  } else {
    await import("./suite/extension.test.js");
    await import("./suite/daemon.test.js");
    await import("./suite/traces.test.js");
    await import("./suite/models.test.js");
  }
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const s = runner.stats ?? { passes: 0, failures, pending: 0 };
      // run.mjs reads this line to report the totals to test/run.mjs.
      console.log(`HOTPATH_STATS ${JSON.stringify({ passes: s.passes, failures: s.failures, pending: s.pending })}`);
      if (failures > 0) reject(new Error(`${failures} test(s) failed`));
      else resolve();
    });
  });
}
