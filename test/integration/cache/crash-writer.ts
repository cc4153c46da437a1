// Child process for crash.test.ts: stores cache entries as fast as it can and reports each commit on stdout,
// until it is killed with SIGKILL.
import { answer, chat, ctx, makeCache } from "./helpers.js";
import { openDb } from "../../../daemon/db.js";

const file = process.argv[2];
const db = openDb(file);
const cache = makeCache(db);
for (let i = 0; ; i++) {
  const req = chat(`Question number ${i}: what is ${i} squared?`);
  await cache.lookup(req, ctx());
  await cache.store(req, ctx(), answer(`${i * i}`), { latencyMs: i });
  process.stdout.write(`stored ${i}\n`);
}
