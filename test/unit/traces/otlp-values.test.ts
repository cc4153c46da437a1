// OTLP AnyValue → span attribute: nested arrays and kvlists become one JSON text, linear in the input.
import assert from "node:assert/strict";
import { otlpToSpans } from "../../../daemon/traces/otlp/decode.js";

const request = (value: unknown) => ({
  resourceSpans: [
    {
      scopeSpans: [
        {
          spans: [
            {
              traceId: "0af7651916cd43dd8448eb211c80319c",
              spanId: "b7ad6b7169203331",
              name: "s",
              startTimeUnixNano: "1",
              endTimeUnixNano: "2",
              attributes: [{ key: "a", value }],
            },
          ],
        },
      ],
    },
  ],
});
const attribute = (value: unknown) => {
  const { spans, rejected } = otlpToSpans(request(value));
  assert.deepEqual(rejected, []);
  return spans[0].attributes.a;
};
const kv = (entries: Record<string, unknown>) => ({
  kvlistValue: { values: Object.entries(entries).map(([key, value]) => ({ key, value })) },
});

describe("OTLP attribute values", function () {
  it("primitives and arrays of one primitive type stay as they are", function () {
    assert.equal(attribute({ stringValue: "x" }), "x");
    assert.equal(attribute({ intValue: "7" }), 7);
    assert.deepEqual(attribute({ arrayValue: { values: [{ stringValue: "a" }, { stringValue: "b" }] } }), ["a", "b"]);
  });

  it("nested values are one JSON text with the parts as JSON values, not JSON texts inside JSON", function () {
    const v = {
      arrayValue: { values: [kv({ role: { stringValue: "user" }, n: { intValue: 1 } }), { stringValue: "x" }] },
    };
    assert.equal(attribute(v), '[{"role":"user","n":1},"x"]');
    assert.equal(attribute(kv({ inner: kv({ b: { boolValue: true } }) })), '{"inner":{"b":true}}');
    assert.equal(attribute(kv({ ["__proto__"]: { stringValue: "p" } })), '{"__proto__":"p"}');
  });

  it("arrays nested 40 deep around quote-heavy text take linear time and space (they doubled per level)", function () {
    let v: unknown = { stringValue: '"'.repeat(1000) };
    for (let i = 0; i < 40; i++) v = { arrayValue: { values: [v, { stringValue: "x" }] } };
    const text = attribute(v) as string;
    assert.equal(typeof text, "string");
    // Levels past 8 are dropped (null), as kvlists past 8 always were.
    assert.ok(text.length < 200, `${text.length} characters`);
    assert.equal(JSON.parse(text)[1], "x");
  });
});
