// Runs audit requests through the daemon's own Router in-process: the same routes, aliases, cascades and fallbacks
// as the agent's traffic, but not through the response cache (which sits in the HTTP layer above the router) and
// not recorded as the agent's spans. For `AuditService` inside the daemon.
import type { ChatCompletion, ChatCompletionRequest } from "../../api.js";
import { collectChat, type Priority } from "../../chat.js";
import { RouterError, type Router } from "../../router/router.js";
import { CompletionError, type Completer } from "../checks/index.js";
import { refuseInvalid } from "./refuse.js";

/** Audits run as background work; the cache verifier (on a request's critical path) asks as interactive. */
export function routerCompleter(
  router: Pick<Router, "chat">,
  o: { priority?: Priority; idPrefix?: string } = {},
): Completer {
  let n = 0;
  return async (request: ChatCompletionRequest, signal: AbortSignal): Promise<ChatCompletion> => {
    refuseInvalid(request);
    const requestId = `${o.idPrefix ?? "audit"}-${Date.now().toString(36)}-${++n}`;
    try {
      const routed = await router.chat(
        { ...request, stream: false },
        { signal, priority: o.priority ?? "background", requestId },
      );
      return await collectChat(routed.events, { id: requestId, model: request.model });
    } catch (e) {
      // The router's 4xx are the request's fault (that variant fails); 429, 5xx and network trouble stop the run.
      if (e instanceof RouterError && e.status >= 400 && e.status < 500 && e.status !== 429)
        throw new CompletionError(e.message, e.status);
      throw e;
    }
  };
}
