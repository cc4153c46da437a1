// Each configured model's serving state for the dashboard (GET /hotpath/stats): load state, sequences, queue depth
// per priority class, threads and speculative decoding's acceptance.
import type { ModelServingStats } from "../api.js";
import { PRIORITIES } from "../chat.js";
import type { Engine } from "./engine.js";

export function modelServingStats(engine: Engine): ModelServingStats[] {
  return engine.aliases().map((alias) => {
    const s = engine.status(alias);
    if (!s || s.state === "loading") return { alias, state: "loading" };
    if (s.state === "error") return { alias, state: "error", error: s.message };
    if (s.state !== "ready") return { alias, state: s.state };
    const pool = s.model.pool;
    const spec = s.model.speculation.stats();
    const queued = Object.fromEntries(PRIORITIES.map((p) => [p, pool.queueDepth(p)])) as ModelServingStats["queued"];
    const { prefill, decode, source, provisional } = s.model.threads;
    return {
      alias,
      state: "ready",
      contextSize: s.model.contextSize,
      sequences: pool.size,
      busySequences: pool.busyCount,
      queued,
      threads: { prefill, decode, source, ...(provisional ? { provisional } : {}) },
      ...(s.model.speculator
        ? {
            speculation: {
              kind: s.model.speculator.kind,
              enabled: spec.enabled,
              drafted: spec.drafted,
              accepted: spec.accepted,
              acceptance: spec.acceptance,
              draftLength: s.model.speculator.draftLength.current,
            },
          }
        : {}),
    };
  });
}
