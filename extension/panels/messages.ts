// What a webview may say to its host, checked before anything acts on it. A webview renders trace data the daemon
// received from anyone holding its token (span names, attributes, file paths in tool arguments), so its messages are
// input like any other: a message that is not one of WebviewMessage's shapes is ignored and reported, never half-used.
import { z } from "zod";
import type { WebviewMessage } from "../../webview/protocol.js";

const ViewNameSchema = z.enum(["profiler", "heatmap", "parallelism", "cacheBreakers", "audit", "dashboard"]);
/** Ids, names and paths are short; past these a message is not one our webview sends. */
const SHORT = 1024;
const PATH = 4096;
const SpanIdSchema = z.string().min(1).max(SHORT);

const RenderSummarySchema = z.object({
  view: ViewNameSchema,
  traceId: z.string().max(SHORT).optional(),
  spanRowsInDom: z.number().int().nonnegative(),
  spanIdsInDom: z.array(z.string().max(SHORT)).max(1_000_000),
  criticalInDom: z.number().int().nonnegative(),
  parallelGroupsListed: z.number().int().nonnegative(),
  selectedSpanId: z.string().max(SHORT).optional(),
  text: z.string().max(16 * 1024 * 1024),
});

export const WebviewMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ready"), view: ViewNameSchema }),
  z.object({
    type: z.literal("openFile"),
    // A line is 1-based.
    path: z
      .string()
      .min(1)
      .max(PATH)
      .refine((p) => !p.includes("\0"), "a path has no NUL"),
    line: z.number().int().positive().max(100_000_000).optional(),
  }),
  z.object({ type: z.literal("spanSelected"), spanId: SpanIdSchema, name: z.string().max(PATH) }),
  z.object({ type: z.literal("openTrace"), traceId: z.string().min(1).max(SHORT) }),
  z.object({ type: z.literal("rendered"), view: ViewNameSchema, summary: RenderSummarySchema }),
  z.object({ type: z.literal("queryResult"), id: z.number().int().nonnegative(), summary: RenderSummarySchema }),
]) satisfies z.ZodType<WebviewMessage>;

/** The message when it is one a webview may send; otherwise why not (for the log), in a line. */
export function readWebviewMessage(m: unknown): { message: WebviewMessage } | { problem: string } {
  const parsed = WebviewMessageSchema.safeParse(m);
  if (parsed.success) return { message: parsed.data };
  const issue = parsed.error.issues[0];
  const type = m && typeof m === "object" && "type" in m ? String((m as { type: unknown }).type).slice(0, 40) : "?";
  return { problem: `type ${JSON.stringify(type)}: ${issue.path.join(".") || "(message)"}: ${issue.message}` };
}
