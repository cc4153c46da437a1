// Background upkeep of the trace store inside the daemon: retention (at start, then hourly) and, with
// --otlp-export, forwarding every stored span to the team's collector.
import type { Config } from "../config.js";
import { otlpEndpointFromEnv, OtlpForwarder } from "./otlp/forward.js";
import type { TraceStore } from "./store.js";

export interface TraceMaintenance {
  forwarder?: OtlpForwarder;
  /** Stops the timer, flushes the forwarder. */
  close(): Promise<void>;
}

export function startTraceMaintenance(
  store: TraceStore,
  settings: Config["traces"],
  log: (level: "debug" | "info" | "warn" | "error", message: string) => void,
  intervalMs = 3_600_000,
  env: NodeJS.ProcessEnv = process.env,
): TraceMaintenance {
  const retain = () => {
    try {
      const n = store.applyRetention({ retentionDays: settings.retentionDays, maxSpans: settings.maxSpans });
      if (n) log("info", `trace retention: deleted ${n} trace(s)`);
    } catch (e) {
      log("warn", `trace retention failed: ${(e as Error).message}`);
    }
  };
  retain();
  const timer = setInterval(retain, intervalMs).unref();
  let forwarder: OtlpForwarder | undefined;
  let detach: (() => void) | undefined;
  // --otlp-export (or the config's traces.otlpExport), else the standard OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT.
  const url = settings.otlpExport ?? otlpEndpointFromEnv(env);
  if (url) {
    forwarder = new OtlpForwarder(url, { headers: settings.otlpHeaders, protocol: settings.otlpProtocol, env });
    detach = forwarder.attach(store);
    // Header names only: their values are credentials.
    const names = Object.keys(settings.otlpHeaders);
    log(
      "info",
      `forwarding spans to ${url} (${forwarder.protocol}${names.length ? `, headers ${names.join(", ")}` : ""})`,
    );
  }
  return {
    forwarder,
    async close() {
      clearInterval(timer);
      detach?.();
      if (forwarder) {
        await forwarder.close();
        if (forwarder.stats.dropped)
          log(
            "warn",
            `OTLP forwarding dropped ${forwarder.stats.dropped} span(s): ${forwarder.stats.lastError ?? "buffer full"}`,
          );
      }
    },
  };
}
