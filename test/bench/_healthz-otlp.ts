// `bench healthz`'s /v1/traces phase: /healthz latency while one client posts a 100k-span OTLP export request, as
// OTLP/JSON and as OTLP/protobuf, one after another, and how long each receive takes (the answer comes once every span
// is stored). Each post carries a new trace id, so every one stores 100k new spans. Run on this checkout's daemon and,
// side by side, on a base build (before/after).
import { startDaemon } from "../fixtures/daemon.js";
import { startHealthProbe } from "../fixtures/health-probe.js";
import { otlpProtobuf } from "../fixtures/otlp-bodies.js";
import { rawRequest } from "../fixtures/raw-http.js";
import { generateOtlpRequests } from "./_trace-generators.js";

export interface OtlpPhase {
  /** Which build. */
  label: string;
  health: number[];
  /** Wall time of each receive (request sent → answer read), ms, per encoding. */
  receive: { json: number[]; protobuf: number[] };
  statuses: Map<number, number>;
}

export interface OtlpBodies {
  spans: number;
  jsonBytes: number;
  protobufBytes: number;
  /** Per round: a JSON body and a protobuf body, each with its own trace id. */
  rounds: { json: Buffer; protobuf: Buffer }[];
}

/** The bodies of `builds` × `rounds` posts, made before any daemon runs (the bench's own work never overlaps). */
export function otlpBodies(spans: number, rounds: number, builds: number): OtlpBodies[] {
  const [request] = generateOtlpRequests(spans, spans) as {
    resourceSpans: { scopeSpans: { spans: { traceId: string }[] }[] }[];
  }[];
  const list = request.resourceSpans[0].scopeSpans[0].spans;
  let n = 0;
  const body = () => {
    const traceId = (0x51000000 + n++).toString(16).padStart(32, "0");
    for (const s of list) s.traceId = traceId;
    return request;
  };
  return Array.from({ length: builds }, () => {
    const made = Array.from({ length: rounds }, () => ({
      json: Buffer.from(JSON.stringify(body())),
      protobuf: otlpProtobuf(body()),
    }));
    return { spans, jsonBytes: made[0].json.length, protobufBytes: made[0].protobuf.length, rounds: made };
  });
}

/** One build's phase: a daemon of its own (no model), probed while the rounds are posted. */
export async function otlpPhase(label: string, bodies: OtlpBodies, bin?: string): Promise<OtlpPhase> {
  const daemon = await startDaemon({ bin });
  const phase: OtlpPhase = { label, health: [], receive: { json: [], protobuf: [] }, statuses: new Map() };
  try {
    const probe = startHealthProbe(daemon.url);
    for (const round of bodies.rounds) {
      for (const encoding of ["json", "protobuf"] as const) {
        const res = await rawRequest(daemon.url, {
          method: "POST",
          path: "/v1/traces",
          headers: {
            authorization: `Bearer ${daemon.token}`,
            "content-type": encoding === "json" ? "application/json" : "application/x-protobuf",
          },
          body: round[encoding],
          timeoutMs: 600_000,
        });
        phase.receive[encoding].push(res.ms);
        phase.statuses.set(res.status, (phase.statuses.get(res.status) ?? 0) + 1);
      }
    }
    phase.health = (await probe.stop()).map((p) => p.ms);
  } finally {
    await daemon.dispose();
  }
  return phase;
}
