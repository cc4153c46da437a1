// GET /v1/responses/{id}, its input_items, and DELETE: the responses Hotpath made and kept (store not false), read
// from daemon/responses/store.ts. A response an upstream made on a pass-through is the upstream's to serve.
import { ResponseStore } from "../../responses/store.js";
import { HttpError, type Route } from "../route.js";

export const routes: Route[] = [
  {
    method: "GET",
    path: "/v1/responses/:id",
    handle(ctx, services) {
      ctx.send(200, stored(services.db, ctx.params.id).response);
    },
  },
  {
    method: "GET",
    path: "/v1/responses/:id/input_items",
    handle(ctx, services) {
      const data = stored(services.db, ctx.params.id).input.map((item, i) => ({ id: item.id ?? `item_${i}`, ...item }));
      ctx.send(200, {
        object: "list",
        data,
        first_id: data[0]?.id ?? null,
        last_id: data[data.length - 1]?.id ?? null,
        has_more: false,
      });
    },
  },
  {
    method: "DELETE",
    path: "/v1/responses/:id",
    handle(ctx, services) {
      if (!ResponseStore.of(services.db).delete(ctx.params.id)) throw notFound(ctx.params.id);
      ctx.send(200, { id: ctx.params.id, object: "response", deleted: true });
    },
  },
];

function stored(db: Parameters<typeof ResponseStore.of>[0], id: string) {
  const found = ResponseStore.of(db).get(id);
  if (!found) throw notFound(id);
  return found;
}

function notFound(id: string): HttpError {
  return new HttpError(
    404,
    `no stored response with id '${id}' (Hotpath keeps responses it made with store not false)`,
    "invalid_request_error",
    "not_found",
    "response_id",
  );
}

/** previous_response_id names a response neither Hotpath kept nor the answering route can look up. */
export function previousNotFound(id: string, route: string): HttpError {
  return new HttpError(
    404,
    `previous response ${id} was not found: Hotpath keeps the responses it made (store not false), and route ${route} cannot look up the upstream's`,
    "invalid_request_error",
    "previous_response_not_found",
    "previous_response_id",
  );
}
