// The response cache's keys are stored in users' databases: a change to how they are computed (the canonical hash was
// rewritten to stream into the hash, issue #15) must leave every key the same, or every cached answer is lost. These
// values were computed by the code before that rewrite (sorted copy, JSON.stringify, sha256 of the whole text).
import assert from "node:assert/strict";
import type { ChatCompletionRequest, CompletionRequest } from "../../../daemon/api.js";
import { requestKey } from "../../../daemon/cache/key.js";

const requests: { name: string; request: ChatCompletionRequest | CompletionRequest; route: string; scope?: string }[] =
  [
    {
      name: "plain chat",
      route: "local:m",
      request: {
        model: "m",
        temperature: 0,
        messages: [
          { role: "system", content: "You are terse." },
          { role: "user", content: "What is 2+2?" },
        ],
      },
    },
    {
      name: "tools, schema, unicode, escapes, numeric and __proto__ keys, a scope",
      route: "oa:gpt-4o-mini",
      scope: "team-a",
      request: JSON.parse(
        JSON.stringify({
          model: "oa:gpt-4o-mini",
          seed: 7,
          stop: ["\n\n", "END"],
          messages: [
            { role: "developer", content: [{ type: "text", text: 'Règles: "quote" \\ back\u0001\t\u2028 😀' }] },
            { role: "user", content: "first" },
            {
              role: "assistant",
              content: null,
              tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: '{"b":1,"a":2}' } }],
            },
            { role: "tool", tool_call_id: "c1", content: "ok" },
            {
              role: "user",
              content: [
                { type: "text", text: "WHAT  now?" },
                { type: "text", text: '{"z": 1, "a": [2, 1]}' },
              ],
            },
          ],
          tools: [
            {
              type: "function",
              function: {
                name: "f",
                description: "d",
                parameters: {
                  type: "object",
                  properties: {
                    "10": { type: "string" },
                    "2": { type: "number" },
                    b: {},
                    a: { enum: [1.5, -0, 1e21, null] },
                  },
                },
              },
            },
          ],
          response_format: {
            type: "json_schema",
            json_schema: { name: "x", schema: { __proto__: { x: 1 }, type: "object" } },
          },
        }).replace('"schema":{"__proto__"', '"schema":{"__proto__"'),
      ),
    },
    {
      name: "last turn is a tool result, lone surrogate",
      route: "local:m",
      request: JSON.parse(
        '{"model":"m","messages":[{"role":"user","content":"go \\ud800 x"},{"role":"assistant","content":"","tool_calls":[{"id":"1","type":"function","function":{"name":"g","arguments":"{}"}}]},{"role":"tool","tool_call_id":"1","content":"\\udc00 done"}]}',
      ),
    },
    {
      name: "long texts (a 200 kB system prompt, a 300 kB last turn with quotes and newlines)",
      route: "local:m",
      request: {
        model: "m",
        messages: [
          { role: "system", content: "word ".repeat(40_000) },
          { role: "user", content: 'say "hi"\n'.repeat(30_000) },
        ],
      },
    },
    {
      name: "completion",
      route: "local:m",
      request: { model: "m", prompt: "Once upon a time", max_tokens: 16, temperature: 0.5 },
    },
  ];

const PINNED: Record<string, { namespace: string; exactKey: string; normalKey: string }> = {
  "plain chat": {
    namespace: "a2f7f2f41259a67b16ede60c6845c8fc0714fa33df258ed6ff0af5fbd96b683b",
    exactKey: "09397718ecb71b573355413fb852d3d0340bb2c6ffdb92332aebb2156b004b3d",
    normalKey: "7dc0ace2cbfc242ea81c5cac14eb2f68299ed3332dd4a9811cb4db849c6256fb",
  },
  "tools, schema, unicode, escapes, numeric and __proto__ keys, a scope": {
    namespace: "4820c91d82aadc0940d4969cd3fa5fc5ce2daef327703445b280c57f7a34fdd4",
    exactKey: "59ebf0ab617a175d65ff1209cf5af476e608b2b26218344e4cfe3a2b1a5aa3b7",
    normalKey: "f18507a058830e801f1a9d4b696e17674f6572d34406efe83f60c2a82ca3f57f",
  },
  "last turn is a tool result, lone surrogate": {
    namespace: "ab84ebc138ce9c2f95b8dfc47273f11a9dcdc32674318ff04fa467f366bcabd7",
    exactKey: "63a33d976ddc9aad59c73c9735cca1ca5841a82b280a5e849e541ebd98bea234",
    normalKey: "5ddb67da356a312ee394cbec3f612d7886e28627802b4812084aba148d9ca87b",
  },
  "long texts (a 200 kB system prompt, a 300 kB last turn with quotes and newlines)": {
    namespace: "a4a67c87f08a3e4d71a358330a41ab3277b7a87984df786035e48ccece5362f0",
    exactKey: "7fe57e7d1602ed17fd965128eae5e6d486f92939571716be67c3758bd6dfc687",
    normalKey: "7d73210bf0c9459f5aa8b25e20b86130f3738d7c008d2b5e2e1d7c066a962420",
  },
  completion: {
    namespace: "2486f8bb6650ddae1e03c5e1d5cabfb882eb3df2b121320062b210e8bb52a15c",
    exactKey: "606346997a5dbbbd19b1c2a4d5e2f983a9fac7d4b6cf825d2d9fcc5ae320b25b",
    normalKey: "46791532120cfadecd84fce1c24fc9faf4ec32197e3f974efeb4472f7faf12ae",
  },
};

describe("cache keys are unchanged (pinned from before the streamed canonical hash, issue #15)", () => {
  for (const { name, request, route, scope } of requests) {
    it(name, () => {
      const k = requestKey(request, route, scope);
      const got = { namespace: k.namespace, exactKey: k.exactKey, normalKey: k.normalKey };
      if (process.env.PRINT_PINNED) console.log(JSON.stringify(name), ":", JSON.stringify(got), ",");
      assert.deepEqual(got, PINNED[name]);
    });
  }
});
