// The OpenAI Responses API, both ways: Responses requests → chat requests (for chat-only providers, Anthropic and
// local models), ChatEvents → a Response object or the documented SSE event sequence, and an upstream's Responses
// answer (JSON or SSE) → ChatEvents (to observe a pass-through, or to serve other formats from a Responses upstream).
import type {
  ChatCompletionRequest,
  ChatMessage,
  FinishReason,
  ResponsesInputItem,
  ResponsesOutputItem,
  ResponsesRequest,
  ResponsesResponse,
  ResponsesUsage,
  ToolCall,
  Usage,
} from "../../api.js";
import { fullTimings, usageOf, type ChatEvent } from "../../chat.js";
import { parseStreamEvent, UpstreamError } from "../providers/upstream.js";
import { TranslationError } from "./request.js";
import type { SseEvent } from "./stream.js";

type AssistantMessage = Extract<ChatMessage, { role: "assistant" }>;
type UserPart = { type: "text"; text: string } | { type: "image_url"; image_url: { url: string } };

/** A Responses request as a chat request; `ignored` names what the target cannot serve and was left out. */
export interface TranslatedResponses {
  chat: ChatCompletionRequest;
  /** Names of tools declared as `custom` (free-form input): their calls go back as custom_tool_call items. */
  customTools: Set<string>;
  ignored: string[];
}

function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((p: { type?: string; text?: unknown }) => (typeof p.text === "string" ? p.text : "")).join("");
}

function userContent(content: unknown): string | UserPart[] {
  if (typeof content === "string") return content;
  const parts: UserPart[] = [];
  for (const p of (content ?? []) as { type: string; text?: string; image_url?: string; file_id?: string }[]) {
    if (p.type === "input_text" || p.type === "output_text" || p.type === "text")
      parts.push({ type: "text", text: p.text ?? "" });
    else if (p.type === "input_image") {
      if (!p.image_url)
        throw new TranslationError(
          "an input_image by file_id needs OpenAI's file store; send image_url (a data: or https URL)",
        );
      parts.push({ type: "image_url", image_url: { url: p.image_url } });
    } else
      throw new TranslationError(
        `input content of type ${p.type} can only be sent to OpenAI; this route cannot take it`,
      );
  }
  return parts.every((p) => p.type === "text") ? parts.map((p) => (p as { text: string }).text).join("") : parts;
}

/** Tool output as chat text: a string, or the text of its content parts. */
function outputText(output: unknown): string {
  return typeof output === "string" ? output : contentText(output);
}

export function responsesToChat(req: ResponsesRequest, history: ResponsesInputItem[] = []): TranslatedResponses {
  const ignored: string[] = [];
  const customTools = new Set<string>();
  const messages: ChatMessage[] = [];
  if (req.instructions) messages.push({ role: "system", content: req.instructions });
  const items: ResponsesInputItem[] = [
    ...history,
    ...(typeof req.input === "string"
      ? [{ type: "message", role: "user" as const, content: req.input }]
      : (req.input ?? [])),
  ];
  // Consecutive calls join the assistant turn before them (chat wants one assistant message holding every call).
  let openAssistant: AssistantMessage | undefined;
  const assistant = (): AssistantMessage => {
    if (!openAssistant) {
      openAssistant = { role: "assistant", content: null };
      messages.push(openAssistant);
    }
    return openAssistant;
  };
  const addCall = (call: ToolCall) => {
    const a = assistant();
    (a.tool_calls ??= []).push(call);
  };
  for (const item of items) {
    const type = item.type ?? "message";
    switch (type) {
      case "message": {
        const role = item.role!;
        if (role === "assistant") {
          openAssistant = undefined;
          const a = assistant();
          a.content = contentText(item.content);
        } else {
          openAssistant = undefined;
          if (role === "user") messages.push({ role: "user", content: userContent(item.content) });
          else messages.push({ role, content: contentText(item.content) });
        }
        break;
      }
      case "function_call":
        addCall({ id: item.call_id!, type: "function", function: { name: item.name!, arguments: item.arguments! } });
        break;
      case "custom_tool_call":
        customTools.add(item.name!);
        addCall({
          id: item.call_id!,
          type: "function",
          function: { name: item.name!, arguments: JSON.stringify({ input: item.input }) },
        });
        break;
      case "function_call_output":
      case "custom_tool_call_output":
        openAssistant = undefined;
        messages.push({ role: "tool", tool_call_id: item.call_id!, content: outputText(item.output) });
        break;
      case "reasoning":
        // Reasoning items are only meaningful to the model that wrote them (often encrypted): left out here.
        if (!ignored.includes("reasoning items")) ignored.push("reasoning items");
        break;
      case "item_reference":
        throw new TranslationError(
          "item_reference inputs need OpenAI's item store; send the items themselves or use previous_response_id",
        );
      default:
        // Outputs of hosted tools passed back (web_search_call…): they carry no text the target could use.
        if (!ignored.includes(`${type} items`)) ignored.push(`${type} items`);
    }
  }
  if (!messages.some((m) => m.role !== "system" && m.role !== "developer")) {
    throw new TranslationError("input holds no message to answer; send input as a string or a list of items");
  }

  const chat: ChatCompletionRequest = { model: req.model, messages };
  const tools: NonNullable<ChatCompletionRequest["tools"]> = [];
  for (const t of req.tools ?? []) {
    if (t.type === "function" && t.name) {
      tools.push({
        type: "function",
        function: {
          name: t.name,
          ...(t.description ? { description: t.description } : {}),
          parameters: t.parameters ?? { type: "object", properties: {} },
          ...(t.strict != null ? { strict: t.strict } : {}),
        },
      });
    } else if (t.type === "custom" && t.name) {
      // A free-form tool (its input is text, e.g. a patch): a function with one string argument carries it.
      customTools.add(t.name);
      const grammar =
        (t as { format?: { type?: string } }).format?.type === "grammar"
          ? " (free-form text in the tool's own syntax)"
          : "";
      tools.push({
        type: "function",
        function: {
          name: t.name,
          description: `${t.description ?? ""}\nPut the tool's whole input${grammar} in the \`input\` string.`.trim(),
          parameters: { type: "object", properties: { input: { type: "string" } }, required: ["input"] },
        },
      });
    } else {
      if (typeof req.tool_choice === "object" && req.tool_choice.type === t.type) {
        throw new TranslationError(
          `tool_choice forces the hosted tool ${t.type}, which only OpenAI can run; route this request to an openai: route`,
        );
      }
      ignored.push(`${t.type} tool`);
    }
  }
  if (tools.length) chat.tools = tools;
  const tc = req.tool_choice;
  if (typeof tc === "string") {
    if (tc !== "required" || tools.length) chat.tool_choice = tc;
  } else if (tc && (tc.type === "function" || tc.type === "custom") && tc.name) {
    if (!tools.some((t) => t.function.name === tc.name))
      throw new TranslationError(`tool_choice names "${tc.name}", which is not in tools`);
    chat.tool_choice = { type: "function", function: { name: tc.name } };
  } else if (tc && tc.type === "allowed_tools") {
    const mode = (tc as { mode?: string }).mode;
    chat.tool_choice = mode === "required" ? "required" : "auto";
  }
  if (req.parallel_tool_calls === false && tools.length) chat.parallel_tool_calls = false;
  // Without max_output_tokens the Responses API sets no cap: said explicitly (null), or a local model would stop at
  // its short default and Codex would see an "incomplete" answer.
  chat.max_completion_tokens = req.max_output_tokens ?? null;
  if (req.temperature != null) chat.temperature = req.temperature;
  if (req.top_p != null) chat.top_p = req.top_p;
  if (req.stream) chat.stream = true;
  if (req.user) chat.user = req.user;
  const format = req.text?.format;
  if (format?.type === "json_schema") {
    chat.response_format = {
      type: "json_schema",
      json_schema: {
        name: format.name,
        schema: format.schema,
        ...(format.strict != null ? { strict: format.strict } : {}),
        ...(format.description ? { description: format.description } : {}),
      },
    };
  } else if (format?.type === "json_object") chat.response_format = { type: "json_object" };
  if (req.reasoning?.effort) ignored.push("reasoning.effort");
  return { chat, customTools, ignored };
}

// ─────────────── events → a Response (JSON and SSE) ───────────────

export interface ResponseMeta {
  id: string;
  model: string;
  createdAt: number;
  request: ResponsesRequest;
  customTools: Set<string>;
}

export function responsesUsage(u: Usage): ResponsesUsage {
  return {
    input_tokens: u.prompt_tokens,
    input_tokens_details: { cached_tokens: u.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: u.completion_tokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: u.prompt_tokens + u.completion_tokens,
  };
}

/** The Response object around `output`, echoing the request's settings as OpenAI does. */
export function responseObject(
  meta: ResponseMeta,
  status: ResponsesResponse["status"],
  output: ResponsesOutputItem[],
  done?: Extract<ChatEvent, { type: "done" }>,
): ResponsesResponse {
  const r = meta.request;
  const incomplete = done?.finishReason === "length";
  return {
    id: meta.id,
    object: "response",
    created_at: meta.createdAt,
    status: status === "completed" && incomplete ? "incomplete" : status,
    error: null,
    incomplete_details: status === "completed" && incomplete ? { reason: "max_output_tokens" } : null,
    instructions: r.instructions ?? null,
    max_output_tokens: r.max_output_tokens ?? null,
    model: done?.model ?? meta.model,
    output,
    parallel_tool_calls: r.parallel_tool_calls ?? true,
    previous_response_id: r.previous_response_id ?? null,
    reasoning: { effort: r.reasoning?.effort ?? null, summary: null },
    store: r.store ?? true,
    temperature: r.temperature ?? 1,
    text: { format: (r.text?.format as Record<string, unknown> | undefined) ?? { type: "text" } },
    tool_choice: r.tool_choice ?? "auto",
    tools: r.tools ?? [],
    top_p: r.top_p ?? 1,
    truncation: "disabled",
    usage: done ? responsesUsage(done.usage) : null,
    user: r.user ?? null,
    metadata: r.metadata ?? {},
    ...(done?.timings ? { timings: fullTimings(done.timings) } : {}),
  };
}

/**
 * Events → the Responses streaming sequence: response.created, response.in_progress, then per output item
 * output_item.added → (content_part.added, output_text.delta…, output_text.done, content_part.done |
 * function_call_arguments.delta…, function_call_arguments.done | custom_tool_call_input.delta…, .done) →
 * output_item.done, and last response.completed (or response.incomplete). Every event has a sequence_number.
 * `onResponse` gets the final Response before its event is yielded (to store it and write the span first).
 */
export async function* eventsToResponsesStream(
  events: AsyncIterable<ChatEvent>,
  meta: ResponseMeta,
  onResponse?: (r: ResponsesResponse) => void,
): AsyncIterable<SseEvent> {
  let seq = 0;
  const ev = (type: string, fields: Record<string, unknown>): SseEvent => ({
    event: type,
    data: { type, sequence_number: seq++, ...fields },
  });
  const output: ResponsesOutputItem[] = [];
  yield ev("response.created", { response: responseObject(meta, "in_progress", []) });
  yield ev("response.in_progress", { response: responseObject(meta, "in_progress", []) });
  type Open =
    | { kind: "text"; index: number; item: Extract<ResponsesOutputItem, { type: "message" }> }
    | {
        kind: "call";
        index: number;
        tool: number;
        item: Extract<ResponsesOutputItem, { type: "function_call" | "custom_tool_call" }>;
      };
  let open: Open | undefined;
  const itemOfTool = new Map<number, Open & { kind: "call" }>();
  const close = function* (): Iterable<SseEvent> {
    if (!open) return;
    const o = open;
    open = undefined;
    if (o.kind === "text") {
      const part = o.item.content[0];
      yield ev("response.output_text.done", {
        item_id: o.item.id,
        output_index: o.index,
        content_index: 0,
        text: part.text,
        logprobs: [],
      });
      yield ev("response.content_part.done", { item_id: o.item.id, output_index: o.index, content_index: 0, part });
      o.item.status = "completed";
    } else if (o.item.type === "function_call") {
      yield ev("response.function_call_arguments.done", {
        item_id: o.item.id,
        output_index: o.index,
        name: o.item.name,
        arguments: o.item.arguments,
      });
      o.item.status = "completed";
    } else {
      // A custom tool's text arrived wrapped as {"input": "..."} (it was asked as a function): unwrapped here, whole.
      const holder = o.item as { raw?: string; input: string };
      holder.input = customInput(holder.raw ?? "");
      delete holder.raw;
      if (holder.input)
        yield ev("response.custom_tool_call_input.delta", {
          item_id: o.item.id,
          output_index: o.index,
          delta: holder.input,
        });
      yield ev("response.custom_tool_call_input.done", {
        item_id: o.item.id,
        output_index: o.index,
        input: o.item.input,
      });
      o.item.status = "completed";
    }
    yield ev("response.output_item.done", { output_index: o.index, item: o.item });
  };
  for await (const e of events) {
    if (e.type === "text") {
      if (!e.text) continue;
      if (open?.kind !== "text") {
        yield* close();
        const item: Extract<ResponsesOutputItem, { type: "message" }> = {
          type: "message",
          id: `msg_${meta.id.slice(5)}_${output.length}`,
          role: "assistant",
          status: "in_progress",
          content: [],
        };
        output.push(item);
        open = { kind: "text", index: output.length - 1, item };
        yield ev("response.output_item.added", { output_index: open.index, item: { ...item, content: [] } });
        const part = { type: "output_text" as const, text: "", annotations: [], logprobs: [] };
        item.content.push(part);
        yield ev("response.content_part.added", {
          item_id: item.id,
          output_index: open.index,
          content_index: 0,
          part: { ...part },
        });
      }
      open.item.content[0].text += e.text;
      yield ev("response.output_text.delta", {
        item_id: open.item.id,
        output_index: open.index,
        content_index: 0,
        delta: e.text,
        logprobs: [],
      });
    } else if (e.type === "tool_call_delta") {
      let o = itemOfTool.get(e.index);
      if (!o) {
        yield* close();
        const name = e.name ?? "";
        const callId = e.id ?? `call_${meta.id.slice(5)}_${e.index}`;
        const item: Extract<ResponsesOutputItem, { type: "function_call" | "custom_tool_call" }> = meta.customTools.has(
          name,
        )
          ? {
              type: "custom_tool_call",
              id: `ctc_${meta.id.slice(5)}_${output.length}`,
              call_id: callId,
              name,
              input: "",
              status: "in_progress",
            }
          : {
              type: "function_call",
              id: `fc_${meta.id.slice(5)}_${output.length}`,
              call_id: callId,
              name,
              arguments: "",
              status: "in_progress",
            };
        output.push(item);
        o = { kind: "call", index: output.length - 1, tool: e.index, item };
        itemOfTool.set(e.index, o);
        open = o;
        yield ev("response.output_item.added", { output_index: o.index, item: { ...item } });
      }
      if (!e.arguments) continue;
      if (o.item.type === "function_call") {
        o.item.arguments += e.arguments;
        yield ev("response.function_call_arguments.delta", {
          item_id: o.item.id,
          output_index: o.index,
          delta: e.arguments,
        });
      } else {
        // A custom tool's text arrives wrapped as {"input": "..."}: unwrapped once complete (see below).
        (o.item as { raw?: string }).raw = ((o.item as { raw?: string }).raw ?? "") + e.arguments;
      }
    } else if (e.type === "done") {
      yield* close();
      const response = responseObject(meta, "completed", output, e);
      onResponse?.(response);
      yield ev(response.status === "incomplete" ? "response.incomplete" : "response.completed", { response });
      return;
    }
  }
  throw new Error("the backend ended its stream without a final event");
}

/** The free-form text of a custom tool call that was made as a function call with {"input": "..."}. */
function customInput(args: string): string {
  try {
    const v = JSON.parse(args) as unknown;
    if (v && typeof v === "object" && typeof (v as { input?: unknown }).input === "string")
      return (v as { input: string }).input;
  } catch {
    /* not JSON: the model wrote the text itself */
  }
  return args;
}

/** Events folded into one Response object (unstreamed POST /v1/responses). */
export async function collectResponse(
  events: AsyncIterable<ChatEvent>,
  meta: ResponseMeta,
): Promise<ResponsesResponse> {
  let response: ResponsesResponse | undefined;
  for await (const _ of eventsToResponsesStream(events, meta, (r) => (response = r))) {
    /* the stream's final object is the answer */
  }
  if (!response) throw new Error("the backend ended its stream without a final event");
  return response;
}

// ─────────────── an upstream's Responses answer → events ───────────────

function usageFrom(u: Partial<ResponsesUsage> | null | undefined): Usage {
  return usageOf({
    input: u?.input_tokens,
    output: u?.output_tokens,
    total: u?.total_tokens,
    cached: u?.input_tokens_details?.cached_tokens,
  });
}

function finishOf(r: Partial<ResponsesResponse>, sawCalls: boolean): FinishReason {
  if (r.status === "incomplete") return r.incomplete_details?.reason === "content_filter" ? "content_filter" : "length";
  return sawCalls ? "tool_calls" : "stop";
}

/** A Response object (unstreamed upstream answer) as events. */
export function* responseToEvents(r: Partial<ResponsesResponse>): Iterable<ChatEvent> {
  let tool = 0;
  for (const item of r.output ?? []) {
    if (item.type === "message") {
      const text = item.content.map((c) => (c.type === "output_text" ? c.text : "")).join("");
      if (text) yield { type: "text", text };
    } else if (item.type === "function_call") {
      yield { type: "tool_call_delta", index: tool++, id: item.call_id, name: item.name, arguments: item.arguments };
    } else if (item.type === "custom_tool_call") {
      yield {
        type: "tool_call_delta",
        index: tool++,
        id: item.call_id,
        name: item.name,
        arguments: JSON.stringify({ input: item.input }),
      };
    }
  }
  yield { type: "done", finishReason: finishOf(r, tool > 0), usage: usageFrom(r.usage), model: r.model };
}

interface UpstreamStreamEvent {
  type: string;
  response?: Partial<ResponsesResponse> & { error?: { message?: string; code?: string } | null };
  item?: ResponsesOutputItem & { id?: string };
  item_id?: string;
  output_index?: number;
  delta?: string;
  message?: string;
  code?: string;
}

/**
 * Responses SSE from an upstream → events. `onResponse` receives the final Response object (for the store).
 * Unknown event types (new ones appear often) are skipped.
 */
export async function* responsesStreamToEvents(
  messages: AsyncIterable<{ data: string }>,
  provider: string,
  onResponse?: (r: Partial<ResponsesResponse>) => void,
): AsyncIterable<ChatEvent> {
  const toolOfItem = new Map<number, number>(); // output_index → tool call index
  const customItems = new Set<number>();
  const customText = new Map<number, string>();
  for await (const m of messages) {
    if (m.data === "[DONE]") continue;
    const e = parseStreamEvent<UpstreamStreamEvent>(m.data, provider);
    switch (e.type) {
      case "response.output_text.delta":
        if (e.delta) yield { type: "text", text: e.delta };
        break;
      case "response.output_item.added": {
        const item = e.item;
        if (item?.type === "function_call" || item?.type === "custom_tool_call") {
          const index = toolOfItem.size;
          toolOfItem.set(e.output_index ?? index, index);
          if (item.type === "custom_tool_call") customItems.add(e.output_index ?? index);
          yield { type: "tool_call_delta", index, id: item.call_id, name: item.name, arguments: "" };
        }
        break;
      }
      case "response.function_call_arguments.delta": {
        const index = toolOfItem.get(e.output_index ?? -1);
        if (index !== undefined && e.delta) yield { type: "tool_call_delta", index, arguments: e.delta };
        break;
      }
      case "response.custom_tool_call_input.delta":
        if (e.delta) customText.set(e.output_index ?? -1, (customText.get(e.output_index ?? -1) ?? "") + e.delta);
        break;
      case "response.output_item.done":
        if (e.item?.type === "custom_tool_call") {
          const index = toolOfItem.get(e.output_index ?? -1);
          const input = e.item.input ?? customText.get(e.output_index ?? -1) ?? "";
          if (index !== undefined) yield { type: "tool_call_delta", index, arguments: JSON.stringify({ input }) };
        }
        break;
      case "response.completed":
      case "response.incomplete": {
        const r = e.response ?? {};
        onResponse?.(r);
        yield {
          type: "done",
          finishReason: finishOf(r, toolOfItem.size > 0),
          usage: usageFrom(r.usage),
          model: r.model,
        };
        return;
      }
      case "response.failed": {
        const err = e.response?.error;
        throw new UpstreamError(
          `${provider} failed the response: ${err?.message ?? "unknown error"}`,
          "http",
          500,
          undefined,
          err?.code,
        );
      }
      case "error":
        throw new UpstreamError(
          `${provider} failed mid-stream: ${e.message ?? "unknown error"}`,
          "http",
          500,
          undefined,
          e.code,
        );
      default:
        break;
    }
  }
  throw new UpstreamError(`${provider} ended the stream before response.completed`, "connection");
}
