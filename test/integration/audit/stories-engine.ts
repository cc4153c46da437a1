// The audit tests' local model: the stories model (bench/audit.ts's default) loaded into a real Engine, one sequence.
import { tmpdir } from "node:os";
import { type Config, loadConfig } from "../../../daemon/config.js";
import { Engine } from "../../../daemon/engine/engine.js";
import { defaultModel } from "../../bench/audit.js";
import { testThreads } from "../../fixtures/models.js";

export async function storiesEngine(): Promise<{ config: Config; engine: Engine }> {
  const config = loadConfig({
    flags: { models: [{ alias: "stories", source: defaultModel() }], threads: testThreads(), gpu: "off" },
    env: {},
  });
  const engine = new Engine({
    gpu: "off",
    threads: config.threads,
    contextSize: config.contextSize,
    sequences: 1,
    maxQueued: 1000,
    modelsDir: tmpdir(),
    showProgress: false,
    log: () => undefined,
  });
  engine.add(config.models);
  await engine.ready("stories");
  return { config, engine };
}
