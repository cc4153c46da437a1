// What every cloud provider backend gets: its connection, where to send, how long to wait, and the key lookup.
import type { Connection } from "./upstream.js";

export interface ProviderBackendOptions {
  /** Route id, "<provider>:<model>". */
  id: string;
  /** The model name the upstream knows. */
  model: string;
  conn: Connection;
  baseURL: string;
  /** Resolved per request, so a rotated key (env or file) takes effect without a restart. */
  apiKey: () => string | undefined;
  /** Where the key comes from (env:NAME or file:/path), for the message when it is missing. */
  apiKeyRef?: string;
  timeoutMs: number;
}
