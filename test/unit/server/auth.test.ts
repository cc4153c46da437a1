import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureToken, hostIsLoopback } from "../../../daemon/server/auth.js";

describe("auth", function () {
  it("accepts loopback Host names only", function () {
    for (const h of ["localhost", "localhost:8642", "127.0.0.1", "127.0.0.1:1", "127.5.6.7:80", "[::1]", "[::1]:8642", "app.localhost:3000"]) assert.ok(hostIsLoopback(h), h);
    for (const h of [undefined, "", "evil.example", "127.0.0.1.evil.example", "localhost.evil.example", "10.0.0.1", "[::2]:80", "0.0.0.0"]) assert.ok(!hostIsLoopback(h), String(h));
  });

  it("creates a 0600 token once and keeps it across restarts; replaces a too-short one", function () {
    const dir = mkdtempSync(join(tmpdir(), "hotpath-token-"));
    const file = join(dir, "sub", "token");
    const a = ensureToken(file);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(ensureToken(file), a);
    writeFileSync(file, "short\n");
    const b = ensureToken(file);
    assert.notEqual(b, "short");
    assert.equal(readFileSync(file, "utf8").trim(), b);
  });
});
