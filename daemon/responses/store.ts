// Stored Responses (OpenAI Responses API `store`): what a later request's previous_response_id continues from, and
// what GET/DELETE /v1/responses/{id} read. One row per response in the one SQLite file; this store owns the table.
import { applyMigrations, type Db, sqlMigration } from "../db.js";
import type { ResponsesInputItem, ResponsesResponse } from "../api.js";

/** This module's tables, created when its store first opens a database. */
const TABLES = sqlMigration(
  "responses:1-store",
  `
      CREATE TABLE responses (
        id TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL,     -- ms since epoch
        route TEXT NOT NULL,             -- the route that answered
        upstream INTEGER NOT NULL,       -- 1 when the id is the upstream's own (a pass-through to OpenAI)
        input TEXT NOT NULL,             -- JSON ResponsesInputItem[]: the whole conversation up to this response
        response TEXT NOT NULL           -- JSON ResponsesResponse
      );
      CREATE INDEX responses_created ON responses (created_at);
    `,
);

export interface StoredResponse {
  id: string;
  route: string;
  /** The response was made by the upstream itself (OpenAI), which also keeps it under the same id. */
  upstream: boolean;
  /** Every input item of the conversation up to this response (previous responses' inputs and outputs included). */
  input: ResponsesInputItem[];
  response: ResponsesResponse;
}

/** Conversations are bounded: a chain longer than this is refused rather than growing rows without limit. */
const MAX_INPUT_CHARS = 64 * 1024 * 1024;

const stores = new WeakMap<Db, ResponseStore>();

export class ResponseStore {
  private constructor(private readonly db: Db) {
    applyMigrations(db, [TABLES]);
  }

  /** The store of a database (one per connection). */
  static of(db: Db): ResponseStore {
    let s = stores.get(db);
    if (!s) stores.set(db, (s = new ResponseStore(db)));
    return s;
  }

  put(r: StoredResponse, now = Date.now()): void {
    const input = JSON.stringify(r.input);
    if (input.length > MAX_INPUT_CHARS)
      throw new Error(
        `the conversation is over ${MAX_INPUT_CHARS} characters; start a new one (no previous_response_id)`,
      );
    this.db
      .prepare(
        "INSERT OR REPLACE INTO responses (id, created_at, route, upstream, input, response) VALUES (?, ?, ?, ?, ?, ?)",
      )
      .run(r.id, now, r.route, r.upstream ? 1 : 0, input, JSON.stringify(r.response));
  }

  get(id: string): StoredResponse | undefined {
    const row = this.db.prepare("SELECT id, route, upstream, input, response FROM responses WHERE id = ?").get(id) as
      { id: string; route: string; upstream: number; input: string; response: string } | undefined;
    if (!row) return undefined;
    return {
      id: row.id,
      route: row.route,
      upstream: row.upstream === 1,
      input: JSON.parse(row.input) as ResponsesInputItem[],
      response: JSON.parse(row.response) as ResponsesResponse,
    };
  }

  delete(id: string): boolean {
    return this.db.prepare("DELETE FROM responses WHERE id = ?").run(id).changes > 0;
  }
}

/** The conversation a response continues: its stored input, then its own output items (as input items). */
export function continuation(prev: StoredResponse): ResponsesInputItem[] {
  return [...prev.input, ...(prev.response.output as unknown as ResponsesInputItem[])];
}
