// GET /hotpath/router: the router's providers (key present or not, never the key), route circuits, today's spend
// against daily budgets, prices.
import type { RouterStatus } from "../../api.js";
import type { Route } from "../route.js";

export const routes: Route[] = [
  {
    method: "GET",
    path: "/hotpath/router",
    handle(ctx, services) {
      const status: RouterStatus = services.router.status();
      ctx.send(200, status);
    },
  },
];
