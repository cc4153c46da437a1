import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IncomingMessage } from "node:http";
import { checkHostAndOrigin, ensureToken, hostIsLoopback, type AuthPolicy } from "../../../daemon/server/auth.js";
import { HttpError } from "../../../daemon/server/route.js";

const policy: AuthPolicy = { token: "t".repeat(32), allowOrigins: [], allowAnyHost: false };
/** The status checkHostAndOrigin answers for a request with these raw headers and target (200: let through). */
function statusOf(rawHeaders: string[], url = "/v1/models"): number {
  const headers: Record<string, string> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) headers[rawHeaders[i].toLowerCase()] ??= rawHeaders[i + 1];
  try {
    checkHostAndOrigin({ headers, rawHeaders, url } as unknown as IncomingMessage, policy);
    return 200;
  } catch (e) {
    assert.ok(e instanceof HttpError);
    return e.status;
  }
}

describe("auth", function () {
  it("accepts loopback Host names only", function () {
    for (const h of [
      "localhost",
      "localhost:8642",
      "127.0.0.1",
      "127.0.0.1:1",
      "127.5.6.7:80",
      "[::1]",
      "[::1]:8642",
      "app.localhost:3000",
    ])
      assert.ok(hostIsLoopback(h), h);
    for (const h of [
      undefined,
      "",
      "evil.example",
      "127.0.0.1.evil.example",
      "localhost.evil.example",
      "10.0.0.1",
      "[::2]:80",
      "0.0.0.0",
    ])
      assert.ok(!hostIsLoopback(h), String(h));
  });

  it("accepts exactly a loopback name and an optional port, nothing before or after (hosts a rebinding page owns)", function () {
    for (const h of ["LOCALHOST", "a.b-c.localhost:1", "127.0.0.1:65535", "127.255.255.255"])
      assert.ok(hostIsLoopback(h), h);
    const refused = [
      "[::1].evil.com",
      "[::1]evil.com",
      "[::1]:80.evil.com",
      "[::1]:80@evil.com",
      "evil.com#.localhost",
      "evil.com/.localhost",
      "evil.com?.localhost",
      "evil.com .localhost",
      "evil.com:80.localhost",
      "-x.localhost",
      ".localhost",
      "localhost.",
      "x..localhost",
      "localhost:",
      "localhost:99999",
      "localhost:80:80",
      "127.0.0.256",
      "127.0.0.1:80x",
      "127.1",
      "::1",
      "[::1",
      "[0:0:0:0:0:0:0:1]x",
      " localhost",
      "localhost ",
      "user@localhost",
      `${"a".repeat(64)}.localhost`,
      // Not how any client writes an address; a leading zero reads as octal to some parsers.
      "127.000.000.001",
      "127.0.0.01",
      "0177.0.0.1",
      "0x7f.0.0.1",
      "2130706433",
      "[::ffff:127.0.0.1]",
    ];
    for (const h of refused) assert.ok(!hostIsLoopback(h), h);
  });

  it("refuses more than one Host header, and an absolute-form target whose host is not loopback", function () {
    assert.equal(statusOf(["Host", "localhost"]), 200);
    assert.equal(statusOf(["Host", "localhost", "host", "evil.com"]), 400);
    assert.equal(statusOf(["HOST", "localhost", "Host", "localhost"]), 400);
    assert.equal(statusOf(["Host", "localhost"], "http://evil.com/v1/models"), 403);
    assert.equal(statusOf(["Host", "localhost"], "http://user@localhost/v1/models"), 403);
    assert.equal(statusOf(["Host", "localhost"], "http://0x7f.1/v1/models"), 403);
    assert.equal(statusOf(["Host", "localhost"], "http://localhost:8642/v1/models"), 200);
    assert.equal(statusOf(["Host", "evil.com"], "http://localhost/v1/models"), 403);
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
