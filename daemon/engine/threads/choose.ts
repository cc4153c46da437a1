// `--threads auto`: the thread counts a model runs with — given by the user, remembered from an earlier calibration
// on this machine, or measured now (about a second, on the model's own context before it serves anything).
import { availableParallelism } from "node:os";
import type { Llama, LlamaContext, LlamaModel } from "node-llama-cpp";
import { calibrateThreads, threadCandidates, type ThreadMeasurement } from "./calibrate.js";
import { installPhaseThreads } from "./phases.js";
import { calibrationKey, type ThreadChoices } from "./remembered.js";

export type ThreadsSetting = number | "auto";

export interface ModelThreads {
  prefill: number;
  decode: number;
  source: "fixed" | "calibrated" | "remembered" | "cores";
  measurements?: ThreadMeasurement[];
  /** When calibrated now: how long it took. */
  calibrationMs?: number;
  /** When calibrated now: the share of all cores other processes used meanwhile (see Calibration.othersShare). */
  othersShare?: number;
  /** Calibrated now on a busy machine: used for this load, not remembered, so the next load measures again. */
  provisional?: boolean;
}

/**
 * Above this share of all cores used by other processes during the calibration, it measured the machine's other work
 * as much as the model: two threads lose most to it, so the pick leans to one thread (1.9× slower prefill once the
 * machine is quiet). One busy process on a 2-core machine is 0.5.
 */
export const BUSY_OTHERS_SHARE = 0.25;

/** Context `threads` for a setting: auto gives the context every core, and the phase wrapper narrows it per batch. */
export function contextThreads(setting: ThreadsSetting): number {
  return setting === "auto" ? Math.max(1, availableParallelism()) : setting;
}

export async function chooseThreads(
  setting: ThreadsSetting,
  x: {
    llama: Llama;
    model: LlamaModel;
    context: LlamaContext;
    path: string;
    choices?: ThreadChoices;
    log?: (m: string) => void;
    /** Overrides BUSY_OTHERS_SHARE (tests: Infinity always remembers, -1 never does). */
    busyOthersShare?: number;
  },
): Promise<ModelThreads> {
  if (setting !== "auto") return { prefill: setting, decode: setting, source: "fixed" };
  const cores = contextThreads("auto");
  const setPhase = installPhaseThreads(x.context, { prefill: cores, decode: cores });
  if (!setPhase) {
    x.log?.("this node-llama-cpp cannot set thread counts per batch; using all cores");
    return { prefill: cores, decode: cores, source: "cores" };
  }
  const key = calibrationKey(x.path, `${x.llama.gpu}:${x.model.gpuLayers}`);
  const known = x.choices?.get(key);
  if (known && known.prefill <= cores && known.decode <= cores) {
    setPhase(known);
    return { prefill: known.prefill, decode: known.decode, source: "remembered", measurements: known.measurements };
  }
  const c = await calibrateThreads(x.model, x.context, { candidates: threadCandidates(cores), setThreads: setPhase });
  setPhase(c);
  const provisional = c.othersShare !== undefined && c.othersShare > (x.busyOthersShare ?? BUSY_OTHERS_SHARE);
  if (!provisional) x.choices?.remember(key, x.path, c);
  return {
    prefill: c.prefill,
    decode: c.decode,
    source: "calibrated",
    measurements: c.measurements,
    calibrationMs: c.ms,
    othersShare: c.othersShare,
    ...(provisional ? { provisional } : {}),
  };
}

/** One log line: the counts, where they came from, and the measurements behind them. */
export function describeThreads(t: ModelThreads): string {
  const how =
    t.source === "calibrated"
      ? `calibrated in ${t.calibrationMs} ms` +
        (t.provisional
          ? ` while other processes used ${Math.round((t.othersShare ?? 0) * 100)}% of the CPU: used for this load only, measured again on the next`
          : "")
      : t.source === "remembered"
        ? "remembered calibration"
        : t.source === "fixed"
          ? "--threads"
          : "all cores";
  const measured = t.measurements
    ?.map((m) => `${m.threads}: prefill ${m.prefillTokensPerS} tok/s, decode ${m.decodeTokensPerS} tok/s`)
    .join("; ");
  return `threads prefill ${t.prefill}, decode ${t.decode} (${how}${measured ? `; ${measured}` : ""})`;
}
