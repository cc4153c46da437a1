// The wire formats `bench router --wire` measures: the one request, the fake upstream and the daemon's provider config
// for each. Coding agents do not speak Chat Completions to their provider: Claude Code sends Anthropic Messages
// (POST /v1/messages, passed through to Anthropic as sent), Codex and the OpenAI Agents SDK the Responses API
// (POST /v1/responses, passed through to OpenAI). Each wire here is the path such an agent takes through the daemon.
import type { Flavor } from "../fixtures/upstreams/fake.js";

export type WireName = "chat" | "messages" | "responses";
export const WIRES: WireName[] = ["chat", "messages", "responses"];

/** The conversation every wire carries: OpenAI-style messages (a system one first, maybe) and function tools. */
export interface Conversation {
  messages: { role: "system" | "user" | "assistant"; content: string }[];
  tools?: { type: "function"; function: FunctionTool }[];
}

interface FunctionTool {
  name: string;
  description: string;
  parameters: object;
}

export interface Wire {
  name: WireName;
  /** How the docs name it. */
  label: string;
  /** What its bench section's name adds ("router (…)"); none for chat, the bench's first wire. */
  section?: string;
  /** The fake upstream's flavor. */
  flavor: Flavor;
  /** The request path, the same on the upstream, the daemon, the floor proxy and Portkey. */
  path: string;
  /** The daemon's provider `fake` (YAML flow mapping); its key, where one is needed, from BENCH_UPSTREAM_KEY. */
  provider(upstreamUrl: string): string;
  /**
   * The request body for `model` (the upstream's own name direct, "fake:bench" through the daemon); `askUsage`: a
   * streamed chat asks for its usage, as SDKs do (the daemon asks the upstream for it itself).
   */
  body(c: Conversation, o: { model: string; stream: boolean; askUsage?: boolean }): string;
  /** Headers a client of the upstream's API sends besides the JSON content type (its key: any, the fake takes all). */
  clientHeaders: Record<string, string>;
  /** Portkey's headers for the same upstream (its documented custom-host way). */
  portkeyHeaders(upstreamUrl: string): Record<string, string>;
}

/** The environment variable the daemon's provider key comes from (config files take secret references only). */
export const BENCH_KEY_ENV = "BENCH_UPSTREAM_KEY";
export const BENCH_KEY = "sk-bench";

const chat: Wire = {
  name: "chat",
  label: "OpenAI Chat Completions",
  flavor: "openai",
  path: "/v1/chat/completions",
  provider: (url) => `{ type: openai-compatible, baseURL: "${url}/v1" }`,
  body: (c, { model, stream, askUsage }) =>
    JSON.stringify({
      model,
      messages: c.messages,
      ...(c.tools ? { tools: c.tools } : {}),
      stream,
      ...(stream && askUsage ? { stream_options: { include_usage: true } } : {}),
    }),
  clientHeaders: { authorization: `Bearer ${BENCH_KEY}` },
  portkeyHeaders: (url) => ({
    authorization: `Bearer ${BENCH_KEY}`,
    "x-portkey-provider": "openai",
    "x-portkey-custom-host": `${url}/v1`,
  }),
};

const messages: Wire = {
  name: "messages",
  label: "Anthropic Messages (Claude Code's)",
  section: "Anthropic Messages",
  flavor: "anthropic",
  path: "/v1/messages",
  provider: (url) => `{ type: anthropic, baseURL: "${url}", apiKey: "env:${BENCH_KEY_ENV}" }`,
  body: (c, { model, stream }) =>
    JSON.stringify({
      model,
      max_tokens: 1024,
      ...(systemOf(c) !== undefined ? { system: systemOf(c) } : {}),
      messages: turnsOf(c),
      ...toolsAs(c, (f) => ({ name: f.name, description: f.description, input_schema: f.parameters })),
      stream,
    }),
  clientHeaders: { "x-api-key": BENCH_KEY, "anthropic-version": "2023-06-01" },
  portkeyHeaders: (url) => ({
    "x-api-key": BENCH_KEY,
    "anthropic-version": "2023-06-01",
    "x-portkey-provider": "anthropic",
    "x-portkey-custom-host": `${url}/v1`,
  }),
};

const responses: Wire = {
  name: "responses",
  label: "OpenAI Responses (Codex's)",
  section: "OpenAI Responses",
  flavor: "openai",
  path: "/v1/responses",
  // Type openai: a route to OpenAI passes a Responses request through (openai-compatible servers get a translation).
  provider: (url) => `{ type: openai, baseURL: "${url}/v1", apiKey: "env:${BENCH_KEY_ENV}" }`,
  body: (c, { model, stream }) =>
    JSON.stringify({
      model,
      ...(systemOf(c) !== undefined ? { instructions: systemOf(c) } : {}),
      input: turnsOf(c),
      ...toolsAs(c, (f) => ({ type: "function", name: f.name, description: f.description, parameters: f.parameters })),
      stream,
    }),
  clientHeaders: { authorization: `Bearer ${BENCH_KEY}` },
  portkeyHeaders: chat.portkeyHeaders,
};

/** The system messages' text, as one (Anthropic's `system`, the Responses API's `instructions`). */
function systemOf(c: Conversation): string | undefined {
  const system = c.messages.filter((m) => m.role === "system").map((m) => m.content);
  return system.length ? system.join("\n") : undefined;
}

/** The conversation's other turns, as both APIs take them: a role and its text. */
function turnsOf(c: Conversation): { role: string; content: string }[] {
  return c.messages.filter((m) => m.role !== "system").map((m) => ({ role: m.role, content: m.content }));
}

/** The tools in another API's shape, or nothing. */
function toolsAs(c: Conversation, shape: (f: FunctionTool) => object): { tools?: object[] } {
  return c.tools ? { tools: c.tools.map((t) => shape(t.function)) } : {};
}

export function wireNamed(name: string): Wire {
  const w = [chat, messages, responses].find((x) => x.name === name);
  if (!w) throw new Error(`--wire: no wire "${name}" (${WIRES.join(", ")})`);
  return w;
}
