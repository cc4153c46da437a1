// Spec output on the console, plus the totals written to $HOTPATH_TEST_STATS so test/run.mjs can add up all suites.
const Mocha = require("mocha");
const fs = require("node:fs");

class HotpathReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once("end", () => {
      const file = process.env.HOTPATH_TEST_STATS;
      if (file)
        fs.writeFileSync(
          file,
          JSON.stringify({ passes: this.stats.passes, failures: this.stats.failures, pending: this.stats.pending }),
        );
    });
  }
}
module.exports = HotpathReporter;
