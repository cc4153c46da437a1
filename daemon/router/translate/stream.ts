// Streams, both ways: Anthropic SSE events (message_start, content_block_*, message_delta, message_stop, ping,
// error) ⇄ ChatEvents. Each event is handled as it arrives; nothing waits for the whole stream.
import type { AnthropicUsage } from "../../api.js";
import type { ChatEvent } from "../../chat.js";
import { parseStreamEvent, UpstreamError } from "../providers/upstream.js";
import { anthropicUsageToUsage, finishToStop, stopToFinish, usageToAnthropic } from "./response.js";

interface StreamEvent {
  type: string;
  index?: number;
  message?: { model?: string; usage?: Partial<AnthropicUsage> };
  content_block?: { type: string; id?: string; name?: string; text?: string };
  delta?: { type?: string; text?: string; partial_json?: string; stop_reason?: string | null };
  usage?: Partial<AnthropicUsage>;
  error?: { type?: string; message?: string };
}

/** Anthropic SSE from an upstream → events. */
export async function* anthropicStreamToEvents(
  messages: AsyncIterable<{ event?: string; data: string }>,
  provider: string,
): AsyncIterable<ChatEvent> {
  const usage: Partial<AnthropicUsage> = {};
  let model: string | undefined;
  let stop: string | null | undefined;
  const toolIndex = new Map<number, number>(); // content block index → tool call index
  for await (const m of messages) {
    const e = parseStreamEvent<StreamEvent>(m.data, provider);
    switch (e.type) {
      case "message_start":
        model = e.message?.model;
        Object.assign(usage, e.message?.usage);
        break;
      case "content_block_start": {
        const b = e.content_block;
        if (b?.type === "tool_use") {
          const index = toolIndex.size;
          toolIndex.set(e.index ?? 0, index);
          yield { type: "tool_call_delta", index, id: b.id, name: b.name, arguments: "" };
        } else if (b?.type === "text" && b.text) yield { type: "text", text: b.text };
        break;
      }
      case "content_block_delta":
        if (e.delta?.type === "text_delta" && e.delta.text) yield { type: "text", text: e.delta.text };
        else if (e.delta?.type === "input_json_delta") {
          const index = toolIndex.get(e.index ?? 0);
          if (index !== undefined && e.delta.partial_json)
            yield { type: "tool_call_delta", index, arguments: e.delta.partial_json };
        }
        break;
      case "message_delta":
        if (e.delta?.stop_reason !== undefined) stop = e.delta.stop_reason;
        for (const [k, v] of Object.entries(e.usage ?? {})) if (v != null) (usage as Record<string, unknown>)[k] = v;
        break;
      case "message_stop":
        yield { type: "done", finishReason: stopToFinish(stop), usage: anthropicUsageToUsage(usage), model };
        return;
      case "error": {
        const type = e.error?.type;
        const status = type === "overloaded_error" ? 529 : type === "rate_limit_error" ? 429 : 500;
        throw new UpstreamError(
          `${provider} failed mid-stream: ${e.error?.message ?? "unknown error"}`,
          "http",
          status,
          undefined,
          type,
        );
      }
      default: // ping, content_block_stop, and event types added later
        break;
    }
  }
  throw new UpstreamError(`${provider} ended the stream before message_stop`, "connection");
}

export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/**
 * Events → Anthropic SSE events, for /v1/messages with stream: true, one event at a time and synchronously: the route
 * renders each ChatEvent as it arrives, without an async generator between the pipeline and the socket (a generator
 * layer costs every streamed token a few promise turns), and frames a text delta to an open text block itself
 * (`textBlock`).
 */
export class AnthropicStreamRenderer {
  private block = -1;
  private open: "text" | "tool" | undefined;
  private openTool = -1;
  private readonly blockOfTool = new Map<number, number>();
  /** The final event (message_stop) has been rendered: nothing follows. */
  done = false;

  constructor(private readonly meta: { id: string; model: string }) {}

  /** The stream's first event. */
  start(): SseEvent {
    return {
      event: "message_start",
      data: {
        type: "message_start",
        message: {
          id: this.meta.id,
          type: "message",
          role: "assistant",
          model: this.meta.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
        },
      },
    };
  }

  /**
   * The index of the open text block, -1 when none is open: a non-empty text event then renders as exactly one
   * content_block_delta `{type, index, delta: {type: "text_delta", text}}` at this index (render gives the same).
   */
  get textBlock(): number {
    return this.open === "text" ? this.block : -1;
  }

  /** The SSE events one ChatEvent becomes (none, one or several). */
  render(e: ChatEvent): SseEvent[] {
    const out: SseEvent[] = [];
    if (e.type === "text") {
      if (!e.text) return out;
      if (this.open !== "text") {
        this.close(out);
        this.block++;
        this.open = "text";
        out.push({
          event: "content_block_start",
          data: { type: "content_block_start", index: this.block, content_block: { type: "text", text: "" } },
        });
      }
      out.push({
        event: "content_block_delta",
        data: { type: "content_block_delta", index: this.block, delta: { type: "text_delta", text: e.text } },
      });
    } else if (e.type === "tool_call_delta") {
      if (!this.blockOfTool.has(e.index)) {
        this.close(out);
        this.block++;
        this.open = "tool";
        this.openTool = e.index;
        this.blockOfTool.set(e.index, this.block);
        out.push({
          event: "content_block_start",
          data: {
            type: "content_block_start",
            index: this.block,
            content_block: {
              type: "tool_use",
              id: e.id ?? `toolu_${this.meta.id}_${e.index}`,
              name: e.name ?? "",
              input: {},
            },
          },
        });
      }
      if (e.arguments) {
        // Deltas of an earlier tool (rare interleaving) still carry that tool's block index.
        const index = e.index === this.openTool ? this.block : this.blockOfTool.get(e.index)!;
        out.push({
          event: "content_block_delta",
          data: { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: e.arguments } },
        });
      }
    } else if (e.type === "done") {
      this.close(out);
      out.push({
        event: "message_delta",
        data: {
          type: "message_delta",
          delta: { stop_reason: finishToStop(e.finishReason), stop_sequence: null },
          usage: usageToAnthropic(e.usage),
        },
      });
      out.push({ event: "message_stop", data: { type: "message_stop" } });
      this.done = true;
    }
    return out;
  }

  private close(out: SseEvent[]): void {
    if (this.open) out.push({ event: "content_block_stop", data: { type: "content_block_stop", index: this.block } });
    this.open = undefined;
  }
}

/** A stream without its final event: the backend stopped early. */
export const UNFINISHED_STREAM = "the backend ended its stream without a final event";

/** Events → Anthropic SSE events, for /v1/messages with stream: true (AnthropicStreamRenderer as an iterable). */
export async function* eventsToAnthropicStream(
  events: AsyncIterable<ChatEvent>,
  meta: { id: string; model: string },
): AsyncIterable<SseEvent> {
  const renderer = new AnthropicStreamRenderer(meta);
  yield renderer.start();
  for await (const e of events) {
    yield* renderer.render(e);
    if (renderer.done) return;
  }
  throw new Error(UNFINISHED_STREAM);
}
