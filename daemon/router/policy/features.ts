// What routing rules look at in a request: task, prompt length, tools, JSON schema.
import type { ChatCompletionRequest } from "../../api.js";
import { contentText } from "../../chat.js";
import { classifyTask } from "./classify.js";

export interface RequestFeatures {
  task: string;
  /** Where the task came from: the x-hotpath-task header or the keyword classifier. */
  taskSource: "header" | "classifier";
  promptChars: number;
  tools: boolean;
  jsonSchema: boolean;
}

export function requestFeatures(request: ChatCompletionRequest, taskHeader?: string): RequestFeatures {
  let promptChars = 0;
  let lastUser = "";
  for (const m of request.messages) {
    const t = contentText(m.content);
    promptChars += t.length;
    if (m.role === "user") lastUser = t;
  }
  const header = taskHeader?.trim().toLowerCase();
  return {
    task: header || classifyTask(lastUser),
    taskSource: header ? "header" : "classifier",
    promptChars,
    tools: (request.tools?.length ?? 0) > 0 && request.tool_choice !== "none",
    jsonSchema: request.response_format?.type === "json_schema" || request.response_format?.type === "json_object",
  };
}
