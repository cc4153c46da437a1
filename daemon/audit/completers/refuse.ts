// Requests OpenAI refuses with 400 before generating anything. Checked here too, so an ablation that removes a forced
// tool's definition fails its samples the same way on every backend (the local engine would otherwise answer 500).
import type { ChatCompletionRequest } from "../../api.js";
import { CompletionError } from "../checks/index.js";

export function refuseInvalid(request: ChatCompletionRequest): void {
  const choice = request.tool_choice;
  const names = (request.tools ?? []).map((t) => t.function.name);
  if (choice && typeof choice === "object" && !names.includes(choice.function.name)) {
    throw new CompletionError(
      `tool_choice names "${choice.function.name}", which is not among the request's tools (${names.join(", ") || "none"})`,
      400,
    );
  }
  if (choice === "required" && names.length === 0)
    throw new CompletionError(`tool_choice "required" needs at least one tool`, 400);
}
