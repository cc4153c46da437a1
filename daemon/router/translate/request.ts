// Requests, both ways: OpenAI chat completions ⇄ Anthropic messages (system prompts, images, tools, tool results,
// tool choice and parallel tool use, stop sequences, sampling).
import type { AnthropicMessagesRequest, ChatCompletionRequest, ChatMessage } from "../../api.js";
import { contentText } from "../../chat.js";

type ChatContentPart = { type: "text"; text: string } | { type: "image_url"; image_url: { url: string } };

export class TranslationError extends Error {}

// ─────────────── Anthropic → OpenAI (serving /v1/messages through any route) ───────────────

/**
 * `ignored` (optional) collects what the target cannot take and was left out: thinking settings, effort, context
 * management, server tools, block types without a chat equivalent. The server reports it in x-hotpath-ignored.
 */
export function messagesToChat(req: AnthropicMessagesRequest, ignored: string[] = []): ChatCompletionRequest {
  const messages: ChatMessage[] = [];
  const note = (what: string) => {
    if (!ignored.includes(what)) ignored.push(what);
  };
  const system = typeof req.system === "string" ? req.system : req.system?.map((b) => b.text).join("\n\n");
  if (system) messages.push({ role: "system", content: system });

  for (const m of req.messages) {
    if (m.role === "system") {
      // A system turn mid-conversation stays where it is; targets that take one system prompt get them folded in order.
      const text =
        typeof m.content === "string"
          ? m.content
          : m.content.map((b) => (b.type === "text" ? (b as { text: string }).text : "")).join("\n\n");
      if (text) messages.push({ role: "system", content: text });
      continue;
    }
    if (typeof m.content === "string") {
      messages.push({ role: m.role, content: m.content });
      continue;
    }
    if (m.role === "assistant") {
      let text = "";
      const toolCalls: NonNullable<Extract<ChatMessage, { role: "assistant" }>["tool_calls"]> = [];
      for (const b of m.content) {
        if (b.type === "text") text += (b as { text: string }).text;
        else if (b.type === "tool_use") {
          const u = b as { id: string; name: string; input: unknown };
          toolCalls.push({
            id: u.id,
            type: "function",
            function: { name: u.name, arguments: JSON.stringify(u.input ?? {}) },
          });
        } else if (b.type === "image" || b.type === "tool_result") {
          throw new TranslationError(`an assistant message cannot hold a ${b.type} block`);
        } else if (b.type !== "thinking" && b.type !== "redacted_thinking") note(`${b.type} blocks`);
      }
      messages.push({
        role: "assistant",
        content: text || (toolCalls.length ? null : ""),
        ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
      });
      continue;
    }
    // A user turn: tool results become tool messages (they must follow the assistant's tool calls), the rest one user message.
    const parts: ChatContentPart[] = [];
    for (const b of m.content) {
      if (b.type === "tool_result") {
        const r = b as {
          tool_use_id: string;
          content?: string | { type: string; text?: string }[];
          is_error?: boolean;
        };
        let content =
          typeof r.content === "string"
            ? r.content
            : (r.content ?? []).map((c) => (c.type === "text" ? (c.text ?? "") : `[${c.type}]`)).join("");
        if (r.is_error) content = `Error: ${content}`;
        messages.push({ role: "tool", tool_call_id: r.tool_use_id, content });
      } else if (b.type === "text") parts.push({ type: "text", text: (b as { text: string }).text });
      else if (b.type === "image") {
        const src = (
          b as { source: { type: "base64"; media_type: string; data: string } | { type: "url"; url: string } }
        ).source;
        parts.push({
          type: "image_url",
          image_url: { url: src.type === "url" ? src.url : `data:${src.media_type};base64,${src.data}` },
        });
      } else if (b.type === "tool_use") throw new TranslationError("a user message cannot hold a tool_use block");
      else note(`${b.type} blocks`);
    }
    if (parts.length) {
      const onlyText = parts.every((p) => p.type === "text");
      messages.push({
        role: "user",
        content: onlyText ? parts.map((p) => (p as { text: string }).text).join("") : parts,
      });
    }
  }

  // Anthropic refuses empty turns too; dropping them left nothing to answer, and the engine failed on it (a 500).
  if (!messages.some((m) => m.role !== "system"))
    throw new TranslationError(
      "the messages hold no user or assistant content (empty content lists, or only blocks Hotpath cannot pass on); send at least one non-empty turn",
    );
  const out: ChatCompletionRequest = { model: req.model, messages, max_tokens: req.max_tokens };
  if (req.stream !== undefined) out.stream = req.stream;
  if (req.temperature !== undefined) out.temperature = req.temperature;
  if (req.top_p !== undefined) out.top_p = req.top_p;
  if (req.stop_sequences?.length) out.stop = req.stop_sequences;
  if (req.metadata?.user_id) out.user = req.metadata.user_id;
  const tools: NonNullable<ChatCompletionRequest["tools"]> = [];
  for (const t of req.tools ?? []) {
    if ("input_schema" in t && (t.type === undefined || t.type === "custom")) {
      const c = t as { name: string; description?: string; input_schema: Record<string, unknown> };
      tools.push({
        type: "function",
        function: {
          name: c.name,
          ...(c.description ? { description: c.description } : {}),
          parameters: c.input_schema,
        },
      });
    } else {
      // A server tool (web search, code execution…) runs on Anthropic's side: no other target can serve it.
      const tc = req.tool_choice;
      if (tc?.type === "tool" && tc.name === t.name) {
        throw new TranslationError(
          `tool_choice forces the server tool ${t.name} (${String(t.type)}), which only Anthropic runs; route this request to an Anthropic model`,
        );
      }
      note(`${String(t.type)} tool`);
    }
  }
  if (tools.length) out.tools = tools;
  const tc = req.tool_choice;
  if (tc && (tools.length || tc.type === "none")) {
    if (tc.type === "auto") out.tool_choice = "auto";
    else if (tc.type === "any") out.tool_choice = "required";
    else if (tc.type === "none") out.tool_choice = "none";
    else out.tool_choice = { type: "function", function: { name: tc.name } };
    if ("disable_parallel_tool_use" in tc && tc.disable_parallel_tool_use) out.parallel_tool_calls = false;
  }
  // Settings without a chat equivalent: the answer comes without them, and the client is told.
  if (req.thinking !== undefined && (req.thinking as { type?: string } | null)?.type !== "disabled") note("thinking");
  if (req.output_config?.effort !== undefined) note("output_config.effort");
  if (req.context_management !== undefined) note("context_management");
  return out;
}

// ─────────────── OpenAI → Anthropic (sending chat requests to an Anthropic upstream) ───────────────

type AnthropicBlockOut = Record<string, unknown> & { type: string };
interface AnthropicMessageOut {
  role: "user" | "assistant";
  content: AnthropicBlockOut[];
}

const DEFAULT_MAX_TOKENS = 4096;

function imageBlock(url: string): AnthropicBlockOut {
  const m = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (m) return { type: "image", source: { type: "base64", media_type: m[1], data: m[2] } };
  if (/^https?:\/\//.test(url)) return { type: "image", source: { type: "url", url } };
  throw new TranslationError("image_url must be a data: URL or an http(s) URL");
}

export function chatToMessages(req: ChatCompletionRequest, model: string): Record<string, unknown> {
  const system: string[] = [];
  const out: AnthropicMessageOut[] = [];
  // Anthropic wants strictly alternating turns: consecutive same-role content merges into one message.
  const push = (role: "user" | "assistant", blocks: AnthropicBlockOut[]) => {
    if (!blocks.length) return;
    const last = out[out.length - 1];
    if (last && last.role === role) last.content.push(...blocks);
    else out.push({ role, content: blocks });
  };

  for (const m of req.messages) {
    switch (m.role) {
      case "system":
      case "developer":
        system.push(contentText(m.content));
        break;
      case "user": {
        if (typeof m.content === "string") push("user", [{ type: "text", text: m.content }]);
        else
          push(
            "user",
            m.content.map((p) => (p.type === "text" ? { type: "text", text: p.text } : imageBlock(p.image_url.url))),
          );
        break;
      }
      case "assistant": {
        const blocks: AnthropicBlockOut[] = [];
        const text = contentText(m.content);
        if (text) blocks.push({ type: "text", text });
        for (const c of m.tool_calls ?? [])
          blocks.push({
            type: "tool_use",
            id: c.id,
            name: c.function.name,
            input: parseArguments(c.function.arguments),
          });
        push("assistant", blocks.length ? blocks : [{ type: "text", text: "" }]);
        break;
      }
      case "tool":
        push("user", [{ type: "tool_result", tool_use_id: m.tool_call_id, content: contentText(m.content) }]);
        break;
    }
  }
  if (req.response_format?.type === "json_schema" && req.response_format.json_schema.schema) {
    system.push(
      `Answer with one JSON value only, no prose, matching this JSON schema:\n${JSON.stringify(req.response_format.json_schema.schema)}`,
    );
  } else if (req.response_format?.type === "json_object") system.push("Answer with one JSON object only, no prose.");

  const body: Record<string, unknown> = {
    model,
    max_tokens: req.max_completion_tokens ?? req.max_tokens ?? DEFAULT_MAX_TOKENS,
    messages: out,
  };
  if (system.length) body.system = system.join("\n\n");
  if (req.temperature != null) body.temperature = Math.min(1, req.temperature); // Anthropic's range is 0–1
  if (req.top_p != null) body.top_p = req.top_p;
  if (req.stop != null) body.stop_sequences = typeof req.stop === "string" ? [req.stop] : req.stop;
  if (req.stream) body.stream = true;
  if (req.user) body.metadata = { user_id: req.user };
  if (req.tools?.length && req.tool_choice !== "none") {
    body.tools = req.tools.map((t) => ({
      name: t.function.name,
      ...(t.function.description ? { description: t.function.description } : {}),
      input_schema: t.function.parameters ?? { type: "object", properties: {} },
    }));
  }
  const tc = req.tool_choice;
  const noParallel = req.parallel_tool_calls === false ? { disable_parallel_tool_use: true } : {};
  if (tc === "none") body.tool_choice = { type: "none" };
  else if (tc === "required") body.tool_choice = { type: "any", ...noParallel };
  else if (typeof tc === "object") body.tool_choice = { type: "tool", name: tc.function.name, ...noParallel };
  else if (req.tools?.length && (tc === "auto" || req.parallel_tool_calls === false))
    body.tool_choice = { type: "auto", ...noParallel };
  return body;
}

function parseArguments(args: string): unknown {
  if (!args.trim()) return {};
  try {
    const v = JSON.parse(args) as unknown;
    return v !== null && typeof v === "object" && !Array.isArray(v) ? v : { value: v };
  } catch {
    throw new TranslationError("a tool call's arguments are not valid JSON; Anthropic needs them as a JSON object");
  }
}
