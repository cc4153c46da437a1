// Who owned a span's time: the model, a tool, a person the agent waited for, nobody (idle), or context compaction.
// Importers that know better (a question to the user, a permission prompt, a compaction turn) say so in
// `hotpath.time_owner`; otherwise the span kind decides.
import type { TimeOwner } from "../../api.js";
import type { Span } from "../span.js";

export const TIME_OWNER_ATTR = "hotpath.time_owner";
/** Why an importer gave the span that owner (shown in hotspots), e.g. "AskUserQuestion: waited for the answer". */
export const TIME_OWNER_WHY_ATTR = "hotpath.time_owner.why";

/**
 * On an LLM span a person's message started (`hotpath.user_prompt`): when that message was sent (ns since epoch),
 * where the call itself started later (the agent then built and sent the request). The wait before the call was the
 * person's until then and the agent's after (critical-path.ts).
 */
export const USER_PROMPT_AT_ATTR = "hotpath.user_prompt.at_ns";

export const TIME_OWNERS: readonly TimeOwner[] = ["llm", "tool", "human", "idle", "compaction", "gap"];

/**
 * Tools that ask a person and wait for the answer, whatever recorded them: Claude Code's AskUserQuestion and
 * ExitPlanMode (plan review), Codex's request_user_input, LangChain's HumanInputRun ("human"), CrewAI/AutoGen-style
 * human_input / ask_human tools, LangGraph interrupts.
 */
const PERSON_TOOL =
  /^(?:execute_tool\s+)?(AskUserQuestion|ExitPlanMode|request_user_input|human|human_input|get_human_input|ask_human|ask_user|ask_the_user|user_input|__interrupt__|interrupt)$/i;

const personToolCache = new Map<string, boolean>();

export function isPersonTool(name: string): boolean {
  // Tool names repeat (Read, Bash …) across 100k-span traces: one test per distinct name.
  let v = personToolCache.get(name);
  if (v === undefined) {
    v = PERSON_TOOL.test(name);
    if (personToolCache.size < 10_000) personToolCache.set(name, v);
  }
  return v;
}

export function isTimeOwner(v: unknown): v is TimeOwner {
  return typeof v === "string" && (TIME_OWNERS as readonly string[]).includes(v);
}

/**
 * The owner of a span's own time on the critical path (a leaf's whole time; a parent's time no child covers is a gap
 * of the run and never asks this). An agent invocation with nothing recorded inside is its model loop: "llm" (the
 * OpenAI Agents SDK records the same runs with a response span covering all but milliseconds of each agent span).
 * Other leaf steps (chains, custom spans) ran code nobody described: "gap".
 */
export function ownerOf(span: Span): TimeOwner {
  const marked = span.attributes[TIME_OWNER_ATTR];
  if (isTimeOwner(marked)) return marked;
  switch (span.kind) {
    case "llm":
      return "llm";
    case "tool": {
      const tool = span.attributes["gen_ai.tool.name"];
      return isPersonTool(typeof tool === "string" ? tool : span.name) ? "human" : "tool";
    }
    case "retriever":
    case "embedding":
      return "tool";
    case "agent":
      return "llm";
    default:
      return "gap";
  }
}

export function emptyByOwner(): Record<TimeOwner, number> {
  return { llm: 0, tool: 0, human: 0, idle: 0, compaction: 0, gap: 0 };
}
