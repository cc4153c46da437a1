// HTTP + WebSocket client for the daemon's local API. Every call carries the bearer token from <dataDir>/token.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import WebSocket from "ws";
import type {
  AuditRunRequest,
  AuditRunStarted,
  AuditRunStatus,
  AuditSectionsRequest,
  AuditSectionsResponse,
  CacheStats,
  DaemonEvent,
  Health,
  ImportResult,
  LocalModelList,
  LocalModelStatus,
  ModelInfo,
  ServingStats,
  TraceAnalysis,
  TraceDetail,
  TraceList,
} from "../daemon/api.js";

export class DaemonHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function readToken(dataDir: string): string | undefined {
  try {
    return readFileSync(path.join(dataDir, "token"), "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

export class DaemonClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: () => string | undefined,
  ) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const token = this.token();
    return token ? { authorization: `Bearer ${token}`, ...extra } : extra;
  }

  async request<T>(method: string, route: string, body?: Uint8Array | string, timeoutMs = 15_000): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.baseUrl + route, {
        method,
        headers: this.headers(body === undefined ? {} : { "content-type": "application/octet-stream" }),
        body: body as BodyInit | undefined,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      throw new Error(
        `Hotpath daemon at ${this.baseUrl} is not reachable (${(e as Error).message}). Run "Hotpath: Start Daemon".`,
      );
    }
    const text = await res.text();
    if (!res.ok) {
      let message = text.slice(0, 500);
      try {
        message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
      } catch {
        /* not JSON: keep the raw text */
      }
      throw new DaemonHttpError(res.status, `${method} ${route} failed with ${res.status}: ${message}`);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  health(timeoutMs = 2000): Promise<Health> {
    return this.request<Health>("GET", "/healthz", undefined, timeoutMs);
  }
  models(): Promise<{ data: ModelInfo[] }> {
    return this.request("GET", "/v1/models");
  }
  /** Known local models with their residency (loaded, memory, idle time): GET /hotpath/models. */
  localModels(): Promise<LocalModelList> {
    return this.request("GET", "/hotpath/models");
  }
  /** Loads a model now; answers once it is ready (a large model takes minutes on a CPU). */
  loadModel(alias: string): Promise<LocalModelStatus> {
    return this.request("POST", `/hotpath/models/${encodeURIComponent(alias)}/load`, "{}", 600_000);
  }
  /** Unloads a model once no request uses it. */
  unloadModel(alias: string): Promise<LocalModelStatus> {
    return this.request("POST", `/hotpath/models/${encodeURIComponent(alias)}/unload`, undefined, 600_000);
  }
  /** Starts a download into the daemon's data dir; progress arrives as model.pull events. */
  pullModel(source: string): Promise<{ id: string; source: string }> {
    return this.request("POST", "/hotpath/models/pull", JSON.stringify({ source }));
  }
  traces(limit: number): Promise<TraceList> {
    return this.request("GET", `/hotpath/traces?limit=${limit}`);
  }
  trace(id: string): Promise<TraceDetail> {
    return this.request("GET", `/hotpath/traces/${encodeURIComponent(id)}`);
  }
  analysis(id: string): Promise<TraceAnalysis> {
    return this.request("GET", `/hotpath/traces/${encodeURIComponent(id)}/analysis`, undefined, 60_000);
  }
  importTrace(name: string, bytes: Uint8Array): Promise<ImportResult> {
    return this.request("POST", `/hotpath/traces/import?name=${encodeURIComponent(name)}`, bytes, 120_000);
  }
  servingStats(): Promise<ServingStats> {
    return this.request("GET", "/hotpath/stats");
  }
  cacheStats(): Promise<CacheStats> {
    return this.request("GET", "/hotpath/cache/stats");
  }
  auditSections(req: AuditSectionsRequest): Promise<AuditSectionsResponse> {
    return this.request("POST", "/hotpath/audit/sections", JSON.stringify(req), 60_000);
  }
  startAudit(req: AuditRunRequest): Promise<AuditRunStarted> {
    return this.request("POST", "/hotpath/audit/run", JSON.stringify(req), 60_000);
  }
  auditStatus(id: string): Promise<AuditRunStatus> {
    return this.request("GET", `/hotpath/audit/${encodeURIComponent(id)}`);
  }
  cancelAudit(id: string): Promise<AuditRunStatus> {
    return this.request("DELETE", `/hotpath/audit/${encodeURIComponent(id)}`);
  }

  /** Opens /hotpath/events; reconnects are the caller's business (see ctx.ts). */
  events(onEvent: (e: DaemonEvent) => void, onClose: () => void): WebSocket {
    const ws = new WebSocket(this.baseUrl.replace(/^http/, "ws") + "/hotpath/events", { headers: this.headers() });
    ws.on("message", (data) => {
      try {
        onEvent(JSON.parse(String(data)) as DaemonEvent);
      } catch {
        /* a malformed event is dropped, never fatal */
      }
    });
    ws.on("error", () => undefined);
    ws.on("close", onClose);
    return ws;
  }
}
