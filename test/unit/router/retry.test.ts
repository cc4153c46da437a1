// Retry timing and circuit states as pure functions (no clocks are waited on).
import assert from "node:assert/strict";
import { Breakers } from "../../../daemon/router/breaker.js";
import { parseRetryAfter, UpstreamError } from "../../../daemon/router/providers/upstream.js";
import { retryDelay } from "../../../daemon/router/retry.js";
import { costUsd, PriceTable } from "../../../daemon/router/pricing.js";
import { chatUsage } from "../../fixtures/events.js";

const policy = { maxRetries: 3, baseMs: 100, maxMs: 1000, maxRetryAfterMs: 5000 };

describe("router: retry, breaker and pricing rules", () => {
  it("reads retry-after-ms, retry-after seconds and retry-after HTTP dates", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    assert.equal(parseRetryAfter({ "retry-after-ms": "250", "retry-after": "9" }, now), 250);
    assert.equal(parseRetryAfter({ "retry-after": "2" }, now), 2000);
    assert.equal(parseRetryAfter({ "retry-after": "Thu, 01 Jan 2026 00:00:03 GMT" }, now), 3000);
    assert.equal(parseRetryAfter({ "retry-after": "soon" }, now), undefined);
    assert.equal(parseRetryAfter({}, now), undefined);
  });

  it("retries 408/409/429/5xx, timeouts and connection errors; never 400/401/404 or cancellations", () => {
    for (const status of [408, 409, 429, 500, 502, 503, 529])
      assert.notEqual(
        retryDelay(new UpstreamError("x", "http", status), 1, policy, () => 0.5),
        undefined,
        String(status),
      );
    for (const status of [400, 401, 403, 404, 422])
      assert.equal(retryDelay(new UpstreamError("x", "http", status), 1, policy), undefined, String(status));
    assert.notEqual(retryDelay(new UpstreamError("x", "timeout", 408), 1, policy), undefined);
    assert.notEqual(retryDelay(new UpstreamError("x", "connection"), 1, policy), undefined);
    assert.equal(retryDelay(new UpstreamError("x", "aborted"), 1, policy), undefined);
    assert.equal(retryDelay(new Error("engine bug"), 1, policy), undefined);
    assert.equal(retryDelay(new UpstreamError("x", "http", 500), 4, policy), undefined, "past maxRetries");
  });

  it("backs off exponentially with jitter within [cap/2, cap], honouring retry-after exactly (or giving up past the limit)", () => {
    const e = new UpstreamError("x", "http", 503);
    assert.equal(
      retryDelay(e, 1, policy, () => 0),
      50,
    );
    assert.equal(
      retryDelay(e, 1, policy, () => 1),
      100,
    );
    assert.equal(
      retryDelay(e, 3, policy, () => 1),
      400,
    );
    assert.equal(
      retryDelay(e, 3, { ...policy, maxRetries: 10 }, () => 1),
      400,
    );
    assert.equal(
      retryDelay(e, 8, { ...policy, maxRetries: 10 }, () => 1),
      1000,
      "capped at maxMs",
    );
    assert.equal(
      retryDelay(new UpstreamError("x", "http", 429, 1200), 1, policy, () => 0),
      1200,
    );
    assert.equal(retryDelay(new UpstreamError("x", "http", 429, 60_000), 1, policy), undefined);
  });

  it("breaker: opens after N consecutive failures, half-opens after the cooldown with one trial at a time", () => {
    let now = 0;
    const b = new Breakers({ failureThreshold: 3, cooldownMs: 1000 }, () => now);
    b.failure("r");
    b.failure("r");
    b.success("r"); // consecutive only
    b.failure("r");
    b.failure("r");
    assert.equal(b.state("r"), "closed");
    b.failure("r");
    assert.equal(b.state("r"), "open");
    assert.equal(b.allow("r"), false);
    assert.equal(b.retryInMs("r"), 1000);
    now = 1000;
    assert.equal(b.state("r"), "half-open");
    assert.equal(b.allow("r"), true);
    assert.equal(b.allow("r"), false, "one trial at a time");
    b.failure("r");
    assert.equal(b.state("r"), "open", "a failed trial reopens");
    now = 2500;
    assert.equal(b.allow("r"), true);
    b.success("r");
    assert.equal(b.state("r"), "closed");
  });

  it("prices: longest prefix wins, config overrides, cached input billed at its own price", () => {
    const t = new PriceTable({ "openai:gpt-4o-mini-2024-07-18": { input: 1, output: 2 } });
    assert.deepEqual(t.lookup("openai:gpt-4o-mini-2024-07-18"), { input: 1, output: 2 });
    assert.deepEqual(t.lookup("openai:gpt-4o-mini-2025"), { input: 0.15, output: 0.6, cachedInput: 0.075 });
    assert.deepEqual(t.lookup("openai:gpt-4o-2024-11-20"), { input: 2.5, output: 10, cachedInput: 1.25 });
    assert.deepEqual(t.lookup("local:stories"), { input: 0, output: 0, cachedInput: 0 });
    assert.equal(t.lookup("vllm:llama"), undefined);
    const usage = chatUsage(1_000_000, 1_000_000, 400_000);
    assert.equal(costUsd(usage, { input: 3, output: 15, cachedInput: 0.3 }), 0.6 * 3 + 0.4 * 0.3 + 15);
    assert.equal(costUsd(usage, { input: 3, output: 15 }), 3 + 15);
  });
});
