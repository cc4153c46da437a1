// Limits on the JSON schemas the local engine turns into grammars (response_format, and tool parameters for tool
// calls). Measured on stories260K (docs/security.md): compiling a grammar is off the event loop, but generating under
// one slows with the number of alternatives — 30 tokens took 0.1 s under a 1,000-value enum, 8.3 s under 10,000 and
// 95 s under 30,000 — so the limits bound the schema, not the compile step. The walk is iterative: depth is refused,
// not recursed into.
import type { ChatCompletionRequest } from "../api.js";
import { InputLimitError, LIMITS } from "../limits.js";

interface Totals {
  properties: number;
  nodes: number;
  repetitions: number;
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

/**
 * The repetitions a min/max pair makes the grammar spell out (the larger bound; 0 when neither is a number). In a
 * tool's parameters an upper bound past the limit is not counted: `toolParameters` drops it before the grammar sees it.
 */
function repetitions(s: Record<string, unknown>, min: string, max: string, toolParams: boolean): number {
  const n = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0);
  return Math.max(n(s[min]), toolParams && oversizedMaximum(s[max]) ? 0 : n(s[max]));
}

const oversizedMaximum = (v: unknown) => typeof v === "number" && v > LIMITS.schemaRepetitions;

/**
 * A tool's parameters as the local engine's function-calling grammar gets them: maxLength / maxItems past
 * schemaRepetitions dropped. Real agents declare such ceilings (Claude Code: a 524,288-character `script`), far past
 * anything a local model writes within its context, and the grammar would spell each one out; the tool's own
 * validation still applies them. A minimum that large is a real requirement and stays (refused by checkRequestSchemas).
 */
export function toolParameters(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toolParameters);
  if (!schema || typeof schema !== "object") return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if ((k === "maxLength" || k === "maxItems") && oversizedMaximum(v)) continue;
    out[k] = k === "enum" || k === "const" || k === "default" || k === "examples" ? v : toolParameters(v);
  }
  return out;
}

/** Where a schema sits, kept as links and spelled out only for an error message (most schemas are never refused). */
interface Where {
  up?: Where;
  key: string;
}
const spell = (w: Where): string => (w.up ? `${spell(w.up)}.${w.key}` : w.key);

function measure(root: unknown, param: string, totals: Totals, checkValues: boolean): void {
  const over = (
    limit: "schemaProperties" | "schemaEnumValues" | "schemaChars" | "schemaNodes" | "schemaRepetitions",
    what: string,
  ) => new InputLimitError(limit, `the request's schemas ${what} (limit ${limit} = ${LIMITS[limit]})`, param);
  // Counted before walking them, like properties: 1,000,000 anyOf branches are refused without visiting one. Only
  // where the local engine compiles the schema: this bounds its grammar, and is not one of OpenAI's published limits.
  const addNodes = (n: number) => {
    totals.nodes += n;
    if (checkValues && totals.nodes > LIMITS.schemaNodes)
      throw over(
        "schemaNodes",
        `hold more than ${LIMITS.schemaNodes} subschemas (properties, items, anyOf/oneOf/allOf branches…)`,
      );
  };
  const stack: { schema: unknown; level: number; where: Where }[] = [{ schema: root, level: 1, where: { key: param } }];
  while (stack.length) {
    const { schema, level, where } = stack.pop()!;
    if (!schema || typeof schema !== "object" || Array.isArray(schema)) continue;
    if (level > LIMITS.schemaDepth) {
      throw new InputLimitError(
        "schemaDepth",
        `the schema at ${param} nests more than ${LIMITS.schemaDepth} levels (limit schemaDepth = ${LIMITS.schemaDepth})`,
        param,
      );
    }
    const s = schema as Record<string, unknown>;
    if (checkValues && "enum" in s && !Array.isArray(s.enum)) {
      // The grammar converter maps over it: anything else was a 500 ("schema.enum.map is not a function").
      throw new InputLimitError("schemaValue", `${spell(where)}.enum must be an array of values`, param);
    }
    if (checkValues) {
      // Only where the local engine compiles the schema, like schemaNodes: the grammar repeats a rule this many times.
      const tool = param.startsWith("tools.");
      totals.repetitions +=
        repetitions(s, "minLength", "maxLength", tool) + repetitions(s, "minItems", "maxItems", tool);
      if (totals.repetitions > LIMITS.schemaRepetitions)
        throw over(
          "schemaRepetitions",
          `ask for more than ${LIMITS.schemaRepetitions} repetitions in all (minLength/maxLength, minItems/maxItems: the grammar spells each one out)`,
        );
    }
    const values = Array.isArray(s.enum) ? (s.enum as unknown[]) : [];
    const hasConst = "const" in s;
    // Counted before looking at the values: a 100,000-value enum is refused without walking it.
    totals.enumValues += values.length + (hasConst ? 1 : 0);
    if (totals.enumValues > LIMITS.schemaEnumValues)
      throw over(
        "schemaEnumValues",
        `hold more than ${LIMITS.schemaEnumValues} enum/const values; a long list of choices is better sent as text`,
      );
    for (let i = 0; i <= values.length; i++) {
      if (i === values.length && !hasConst) break;
      const v = i < values.length ? values[i] : s.const;
      if (checkValues && !isPrimitive(v)) {
        throw new InputLimitError(
          "schemaValue",
          `${spell(where)} has an enum/const value that is ${Array.isArray(v) ? "an array" : "an object"}; local models enforce enum and const only for strings, numbers, booleans and null — describe that value with properties/items instead`,
          param,
        );
      }
      if (typeof v === "string") totals.chars += v.length;
    }
    for (const key of ONE)
      if (key in s) {
        addNodes(1);
        stack.push({ schema: s[key], level: level + 1, where: { up: where, key } });
      }
    for (const key of LIST) {
      const list = s[key];
      if (!Array.isArray(list)) continue;
      addNodes(list.length);
      list.forEach((sub, i) =>
        stack.push({ schema: sub, level: level + 1, where: { up: { up: where, key }, key: String(i) } }),
      );
    }
    for (const key of MAP) {
      const map = s[key];
      if (!map || typeof map !== "object" || Array.isArray(map)) continue;
      const names = Object.keys(map);
      if (key === "properties") {
        // Counted before walking them: 20,000 properties are refused at the 5,001st without visiting one.
        totals.properties += names.length;
        if (totals.properties > LIMITS.schemaProperties)
          throw over("schemaProperties", `declare more than ${LIMITS.schemaProperties} properties`);
        for (const name of names) totals.chars += name.length;
      }
      addNodes(names.length);
      const at: Where = { up: where, key };
      for (const name of names)
        stack.push({ schema: (map as Record<string, unknown>)[name], level: level + 1, where: { up: at, key: name } });
    }
    if (totals.chars > LIMITS.schemaChars)
      throw over(
        "schemaChars",
        `hold more than ${LIMITS.schemaChars} characters of property names and enum/const strings`,
      );
  }
}

/**
 * Throws InputLimitError when the schemas a local model would enforce exceed LIMITS or (unless `sizesOnly`) use values
 * it cannot. The pipeline checks sizes for every route before any other work; the local engine checks both.
 */
export function checkRequestSchemas(request: ChatCompletionRequest, opts: { sizesOnly?: boolean } = {}): void {
  const totals: Totals = { properties: 0, nodes: 0, repetitions: 0, enumValues: 0, chars: 0 };
  const values = !opts.sizesOnly;
  const format = request.response_format;
  if (format?.type === "json_schema" && format.json_schema.schema)
    measure(format.json_schema.schema, "response_format", totals, values);
  request.tools?.forEach((t, i) => {
    if (t.function.parameters) measure(t.function.parameters, `tools.${i}.function.parameters`, totals, values);
  });
}
