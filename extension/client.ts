// HTTP + WebSocket client for the daemon's local API. Every call carries the bearer token from <dataDir>/token.
import { readFileSync } from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import WebSocket from "ws";
import type {
  AttributeCaps,
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
import { capsQuery } from "../daemon/traces/view-caps.js";

export class DaemonHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * `bytes` as a plain Uint8Array over a buffer of its own: copied only when it shares its buffer (a small Buffer is a
 * slice of Node's shared pool). A webview message carries a view's whole buffer, and VS Code passes a byte array as
 * bytes only when its constructor is named "Uint8Array" (serializeWebviewMessage) — a Buffer goes as JSON.
 */
export function ownBytes(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? new Uint8Array(bytes.buffer, 0, bytes.byteLength)
    : new Uint8Array(bytes);
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
    const bytes = await this.requestBytes(method, route, body, timeoutMs);
    return (bytes.byteLength ? JSON.parse(new TextDecoder().decode(bytes)) : undefined) as T;
  }

  /**
   * The answer's bytes as they came (a 2xx), in a buffer of their own (ownBytes: for a webview message); otherwise
   * throws as request() does.
   */
  async requestBytes(
    method: string,
    route: string,
    body?: Uint8Array | string,
    timeoutMs = 15_000,
  ): Promise<Uint8Array> {
    let answer: { status: number; bytes: Buffer };
    try {
      answer = await this.exchange(method, route, body, timeoutMs);
    } catch (e) {
      throw new Error(
        `Hotpath daemon at ${this.baseUrl} is not reachable (${(e as Error).message}). Run "Hotpath: Start Daemon".`,
      );
    }
    const { status, bytes } = answer;
    if (status < 200 || status > 299) {
      const text = bytes.subarray(0, 64 * 1024).toString("utf8");
      let message = text.slice(0, 500);
      try {
        message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
      } catch {
        /* not JSON: keep the raw text */
      }
      throw new DaemonHttpError(status, `${method} ${route} failed with ${status}: ${message}`);
    }
    return ownBytes(bytes);
  }

  /**
   * One request and its whole answer, over node:http rather than fetch: Node 20's fetch copied a 58 MB trace file's
   * bytes and walked them through a web stream before the first byte went out (300–480 ms, ~0.5–0.8 s of CPU on the
   * extension host, beside the daemon on the same cores), where http.request writes them as they are (first byte in
   * 2–12 ms, all sent in 33–146 ms). Rejects when the daemon cannot be reached, or the answer has not all come within
   * `timeoutMs`.
   */
  private exchange(
    method: string,
    route: string,
    body: Uint8Array | string | undefined,
    timeoutMs: number,
  ): Promise<{ status: number; bytes: Buffer }> {
    const bytes = typeof body === "string" ? Buffer.from(body) : body;
    const headers = this.headers(
      bytes === undefined
        ? {}
        : { "content-type": "application/octet-stream", "content-length": String(bytes.byteLength) },
    );
    return new Promise((resolve, reject) => {
      const fail = (e: Error) =>
        reject(e.name === "AbortError" ? new Error(`no answer within ${timeoutMs / 1000} s`) : e);
      const req = http.request(
        this.baseUrl + route,
        { method, headers, signal: AbortSignal.timeout(timeoutMs) },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.once("end", () => resolve({ status: res.statusCode ?? 0, bytes: Buffer.concat(chunks) }));
          res.once("error", fail);
        },
      );
      req.once("error", fail);
      req.end(bytes);
    });
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
  /** A trace's spans; with `caps`, long attributes cut to them by the daemon (an older daemon ignores them). */
  trace(id: string, caps?: AttributeCaps): Promise<TraceDetail> {
    return this.request("GET", `/hotpath/traces/${encodeURIComponent(id)}${caps ? capsQuery(caps) : ""}`);
  }
  /** trace()'s answer as the daemon's UTF-8 JSON, not parsed (for a webview, which parses it: panels/trace.ts). */
  traceJson(id: string, caps?: AttributeCaps): Promise<Uint8Array> {
    return this.requestBytes("GET", `/hotpath/traces/${encodeURIComponent(id)}${caps ? capsQuery(caps) : ""}`);
  }
  analysis(id: string): Promise<TraceAnalysis> {
    return this.request("GET", `/hotpath/traces/${encodeURIComponent(id)}/analysis`, undefined, 60_000);
  }
  /** analysis()'s answer as the daemon's UTF-8 JSON, not parsed (see traceJson). */
  analysisJson(id: string): Promise<Uint8Array> {
    return this.requestBytes("GET", `/hotpath/traces/${encodeURIComponent(id)}/analysis`, undefined, 60_000);
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
