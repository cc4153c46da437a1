// Responses, both ways: Anthropic Message JSON ⇄ ChatEvents (and so OpenAI completions), stop reasons and usage
// (Anthropic's input_tokens excludes cache reads; OpenAI's prompt_tokens includes them).
import type {
  AnthropicContentBlock,
  AnthropicMessage,
  AnthropicStopReason,
  AnthropicUsage,
  FinishReason,
  Usage,
} from "../../api.js";
import type { ChatEvent } from "../../chat.js";

export function stopToFinish(stop: string | null | undefined): FinishReason {
  switch (stop) {
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "tool_use":
      return "tool_calls";
    case "refusal":
      return "content_filter";
    default:
      return "stop"; // end_turn, stop_sequence, pause_turn
  }
}

export function finishToStop(finish: FinishReason): AnthropicStopReason {
  switch (finish) {
    case "length":
      return "max_tokens";
    case "tool_calls":
      return "tool_use";
    case "content_filter":
      return "refusal";
    default:
      return "end_turn";
  }
}

export function anthropicUsageToUsage(u: Partial<AnthropicUsage> | undefined | null): Usage {
  const cached = u?.cache_read_input_tokens ?? 0;
  const prompt = (u?.input_tokens ?? 0) + cached + (u?.cache_creation_input_tokens ?? 0);
  const completion = u?.output_tokens ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cached },
  };
}

export function usageToAnthropic(u: Usage): AnthropicUsage {
  const cached = u.prompt_tokens_details?.cached_tokens ?? 0;
  return {
    input_tokens: Math.max(0, u.prompt_tokens - cached),
    output_tokens: u.completion_tokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
  };
}

interface UpstreamMessage {
  model?: string;
  content?: { type: string; text?: string; id?: string; name?: string; input?: unknown }[];
  stop_reason?: string | null;
  usage?: Partial<AnthropicUsage>;
}

/** An Anthropic Message (from an upstream) as events. */
export function* messageToEvents(msg: UpstreamMessage): Iterable<ChatEvent> {
  let tool = 0;
  for (const b of msg.content ?? []) {
    if (b.type === "text" && b.text) yield { type: "text", text: b.text };
    else if (b.type === "tool_use") {
      yield {
        type: "tool_call_delta",
        index: tool++,
        id: b.id,
        name: b.name,
        arguments: JSON.stringify(b.input ?? {}),
      };
    }
  }
  yield {
    type: "done",
    finishReason: stopToFinish(msg.stop_reason),
    usage: anthropicUsageToUsage(msg.usage),
    model: msg.model,
  };
}

/** Folds events into one Anthropic Message (non-streamed /v1/messages). */
export async function collectMessage(
  events: AsyncIterable<ChatEvent>,
  meta: { id: string; model: string },
): Promise<AnthropicMessage> {
  const content: AnthropicContentBlock[] = [];
  const tools = new Map<number, { id: string; name: string; args: string }>();
  let done: Extract<ChatEvent, { type: "done" }> | undefined;
  for await (const e of events) {
    if (e.type === "text") {
      const last = content[content.length - 1];
      if (last?.type === "text") last.text += e.text;
      else content.push({ type: "text", text: e.text });
    } else if (e.type === "tool_call_delta") {
      let t = tools.get(e.index);
      if (!t) {
        t = { id: e.id ?? `toolu_${meta.id}_${e.index}`, name: e.name ?? "", args: "" };
        tools.set(e.index, t);
        content.push({ type: "tool_use", id: t.id, name: t.name, input: {} });
      }
      if (e.id) t.id = e.id;
      if (e.name) t.name = e.name;
      t.args += e.arguments;
    } else if (e.type === "done") done = e;
  }
  if (!done) throw new Error("the backend ended its stream without a final event");
  const toolList = [...tools.values()];
  let ti = 0;
  for (const b of content) {
    if (b.type !== "tool_use") continue;
    const t = toolList[ti++];
    b.id = t.id;
    b.name = t.name;
    b.input = parseInput(t.args);
  }
  return {
    id: meta.id,
    type: "message",
    role: "assistant",
    model: done.model ?? meta.model,
    content,
    stop_reason: finishToStop(done.finishReason),
    stop_sequence: null,
    usage: usageToAnthropic(done.usage),
  };
}

/** Tool arguments as an object; a model that produced broken JSON gets it back as a string under _raw. */
export function parseInput(args: string): unknown {
  if (!args.trim()) return {};
  try {
    const v = JSON.parse(args) as unknown;
    return v !== null && typeof v === "object" && !Array.isArray(v) ? v : { value: v };
  } catch {
    return { _raw: args };
  }
}
