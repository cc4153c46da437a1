// Every HTTP route the daemon serves.
import type { Route } from "../route.js";
import { routes as audit } from "./audit.js";
import { routes as stats } from "./stats.js";
import { routes as cache } from "./cache.js";
import { routes as chat } from "./chat.js";
import { routes as completions } from "./completions.js";
import { routes as daemon } from "./daemon.js";
import { routes as countTokens } from "./count-tokens.js";
import { routes as embeddings } from "./embeddings.js";
import { routes as health } from "./health.js";
import { routes as messages } from "./messages.js";
import { routes as models } from "./models.js";
import { routes as modelFiles } from "./model-files.js";
import { routes as modelsAdmin } from "./models-admin.js";
import { routes as responses } from "./responses.js";
import { routes as router } from "./router.js";
import { routes as otlp } from "./otlp.js";
import { routes as traceImport } from "./trace-import.js";
import { routes as traces } from "./traces.js";

export const allRoutes: Route[] = [
  ...health,
  ...models,
  ...modelsAdmin,
  ...modelFiles,
  ...chat,
  ...countTokens,
  ...messages,
  ...responses,
  ...completions,
  ...embeddings,
  ...traces,
  ...traceImport,
  ...otlp,
  ...cache,
  ...audit,
  ...router,
  ...stats,
  ...daemon,
];
