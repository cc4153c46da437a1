// Sends audit requests to a running Hotpath daemon (or any OpenAI-compatible server) over HTTP, bypassing
// Hotpath's response cache so every sample is a fresh generation.
import { readFileSync } from "node:fs";
import type { ApiError, ChatCompletion, ChatCompletionRequest } from "../../api.js";
import { dataPaths } from "../../config.js";
import { CompletionError, type Completer } from "../checks/index.js";
import { refuseInvalid } from "./refuse.js";

export function httpCompleter(opts: { baseUrl: string; token?: string; headers?: Record<string, string> }): Completer {
  const url = `${opts.baseUrl.replace(/\/+$/, "")}/v1/chat/completions`;
  return async (request: ChatCompletionRequest, signal: AbortSignal): Promise<ChatCompletion> => {
    refuseInvalid(request);
    const res = await fetch(url, {
      method: "POST",
      signal,
      headers: {
        "content-type": "application/json",
        "x-hotpath-cache": "bypass",
        // Audit traffic must not delay the agent's own (interactive) requests on a shared daemon.
        "x-hotpath-priority": "background",
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        ...opts.headers,
      },
      body: JSON.stringify({ ...request, stream: false }),
    });
    const text = await res.text();
    if (!res.ok) {
      let message = text.slice(0, 500);
      try {
        message = (JSON.parse(text) as ApiError).error?.message ?? message;
      } catch {
        /* not JSON: keep the text */
      }
      throw new CompletionError(`${url} answered ${res.status}: ${message}`, res.status);
    }
    try {
      return JSON.parse(text) as ChatCompletion;
    } catch {
      throw new Error(`${url} answered 200 with a body that is not JSON: ${text.slice(0, 200)}`);
    }
  };
}

/** The local daemon's address and bearer token (written to <dataDir>/token, readable only by the user). */
export function daemonConnection(config: { host: string; port: number; dataDir: string }): {
  baseUrl: string;
  token: string;
} {
  let token: string;
  try {
    token = readFileSync(dataPaths(config.dataDir).token, "utf8").trim();
  } catch {
    throw new Error(
      `no daemon token at ${dataPaths(config.dataDir).token}: start the daemon (hotpath serve) or pass a GGUF path to --model`,
    );
  }
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  return { baseUrl: `http://${host}:${config.port}`, token };
}
