// Limits on the JSON schemas the local engine turns into grammars (response_format, and tool parameters for tool
// calls). Measured on stories260K (docs/security.md): compiling a grammar is off the event loop, but generating under
// one slows with the number of alternatives — 30 tokens took 0.1 s under a 1,000-value enum, 8.3 s under 10,000 and
// 95 s under 30,000 — so the limits bound the schema, not the compile step. The walk is iterative: depth is refused,
// not recursed into.
import type { ChatCompletionRequest } from "../api.js";
import { InputLimitError, LIMITS } from "../limits.js";

interface Totals {
  properties: number;
  enumValues: number;
  chars: number;
}

/** Keywords whose value is one subschema, a list of them, or a name → subschema map (JSON Schema 2020-12). */
const ONE = [
  "items",
  "additionalProperties",
  "not",
  "if",
  "then",
  "else",
  "contains",
  "unevaluatedProperties",
  "unevaluatedItems",
  "propertyNames",
];
const LIST = ["anyOf", "oneOf", "allOf", "prefixItems"];
const MAP = ["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"];

function isPrimitive(v: unknown): boolean {
  return v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean";
}

function measure(root: unknown, param: string, totals: Totals): void {
  const stack: { schema: unknown; level: number; path: string }[] = [{ schema: root, level: 1, path: param }];
  while (stack.length) {
    const { schema, level, path } = stack.pop()!;
    if (!schema || typeof schema !== "object" || Array.isArray(schema)) continue;
    if (level > LIMITS.schemaDepth) {
      throw new InputLimitError(
        "schemaDepth",
        `the schema at ${param} nests more than ${LIMITS.schemaDepth} levels (limit schemaDepth = ${LIMITS.schemaDepth})`,
        param,
      );
    }
    const s = schema as Record<string, unknown>;
    const values = Array.isArray(s.enum) ? s.enum : [];
    const all = "const" in s ? [...values, s.const] : values;
    for (const v of all) {
      if (!isPrimitive(v)) {
        throw new InputLimitError(
          "schemaValue",
          `${path} has an enum/const value that is ${Array.isArray(v) ? "an array" : "an object"}; local models enforce enum and const only for strings, numbers, booleans and null — describe that value with properties/items instead`,
          param,
        );
      }
      if (typeof v === "string") totals.chars += v.length;
    }
    totals.enumValues += all.length;
    for (const key of ONE) if (key in s) stack.push({ schema: s[key], level: level + 1, path: `${path}.${key}` });
    for (const key of LIST) {
      const list = s[key];
      if (Array.isArray(list))
        list.forEach((sub, i) => stack.push({ schema: sub, level: level + 1, path: `${path}.${key}.${i}` }));
    }
    for (const key of MAP) {
      const map = s[key];
      if (!map || typeof map !== "object" || Array.isArray(map)) continue;
      for (const [name, sub] of Object.entries(map)) {
        if (key === "properties") {
          totals.properties++;
          totals.chars += name.length;
        }
        stack.push({ schema: sub, level: level + 1, path: `${path}.${key}.${name}` });
      }
    }
    if (totals.properties > LIMITS.schemaProperties) {
      throw new InputLimitError(
        "schemaProperties",
        `the request's schemas declare more than ${LIMITS.schemaProperties} properties (limit schemaProperties = ${LIMITS.schemaProperties})`,
        param,
      );
    }
    if (totals.enumValues > LIMITS.schemaEnumValues) {
      throw new InputLimitError(
        "schemaEnumValues",
        `the request's schemas hold more than ${LIMITS.schemaEnumValues} enum/const values (limit schemaEnumValues = ${LIMITS.schemaEnumValues}); a long list of choices is better sent as text`,
        param,
      );
    }
    if (totals.chars > LIMITS.schemaChars) {
      throw new InputLimitError(
        "schemaChars",
        `the request's schemas hold more than ${LIMITS.schemaChars} characters of property names and enum/const strings (limit schemaChars = ${LIMITS.schemaChars})`,
        param,
      );
    }
  }
}

/** Throws InputLimitError when the schemas a local model would enforce exceed LIMITS or use values it cannot. */
export function checkRequestSchemas(request: ChatCompletionRequest): void {
  const totals: Totals = { properties: 0, enumValues: 0, chars: 0 };
  const format = request.response_format;
  if (format?.type === "json_schema" && format.json_schema.schema)
    measure(format.json_schema.schema, "response_format", totals);
  request.tools?.forEach((t, i) => {
    if (t.function.parameters) measure(t.function.parameters, `tools.${i}.function.parameters`, totals);
  });
}
