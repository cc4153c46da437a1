// Prompt audits for the extension: static sections + findings, and background ablation runs (start, poll, cancel).
// The handlers need `services.audit` (an AuditService); without it they answer 503.
import type { z } from "zod";
import { AuditRunRequestSchema, type AuditRunStatus, AuditSectionsRequestSchema } from "../../api.js";
import { AuditService, PromptError, SpecError } from "../../audit/service.js";
import { HttpError, type Route } from "../route.js";
import type { Services } from "../services.js";

function auditOf(services: Services): AuditService {
  const audit: AuditService | undefined = services.audit;
  if (!audit)
    throw new HttpError(503, "prompt audits are not enabled in this daemon", "server_error", "audit_unavailable");
  return audit;
}

/** Spec and prompt problems are the client's to fix: 400 with the message that says how. */
async function asClientError<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof SpecError || e instanceof PromptError)
      throw new HttpError(400, e.message, "invalid_request_error", "invalid_audit");
    throw e;
  }
}

const ID = /^[0-9a-f]{64}$/;

/** A run's status (GET) or its cancellation (DELETE): both name the run by the id /hotpath/audit/run returned. */
function byId(method: "GET" | "DELETE", act: (audit: AuditService, id: string) => AuditRunStatus | undefined): Route {
  return {
    method,
    path: "/hotpath/audit/:id",
    handle(ctx, services) {
      const { id } = ctx.params;
      if (!ID.test(id)) throw new HttpError(400, "an audit id is 64 hex digits (the id /hotpath/audit/run returned)");
      const status = act(auditOf(services), id);
      if (!status) throw new HttpError(404, `no audit ${id}`, "invalid_request_error", "not_found");
      ctx.send(200, status);
    },
  };
}

/** A POST whose JSON body, validated against `schema`, goes to the audit service; its answer is the reply. */
function post<S extends z.ZodType>(
  path: string,
  schema: S,
  status: number,
  act: (audit: AuditService, body: z.infer<S>) => Promise<unknown>,
): Route {
  return {
    method: "POST",
    path,
    bodyLimitBytes: 4 * 1024 * 1024,
    async handle(ctx, services) {
      const body = await ctx.readJson(schema);
      ctx.send(status, await asClientError(() => act(auditOf(services), body)));
    },
  };
}

export const routes: Route[] = [
  post("/hotpath/audit/sections", AuditSectionsRequestSchema, 200, (audit, body) => audit.sections(body)),
  post("/hotpath/audit/run", AuditRunRequestSchema, 202, (audit, body) => audit.start(body)),
  byId("GET", (audit, id) => audit.status(id)),
  byId("DELETE", (audit, id) => audit.cancel(id)),
];
