// The audit spec: `*.hotpath-audit.json` / `.yaml` naming the prompt, test inputs, model, samples and checks.
// A bare prompt file is an audit spec too: everything else takes its default.
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import type { TraceStore } from "../traces/store.js";
import { parsePrompt, PromptError, type PromptDoc } from "./sections/index.js";
import { promptFactsOffLoop, type PromptFacts } from "./prompt-thread.js";
import type { DuplicateSentence } from "./static.js";
import { parseSpanPrompt } from "./sections/span.js";

export class SpecError extends Error {}

const finite = z.number().finite();

export const CheckSchema = z.discriminatedUnion("type", [
  z
    .object({
      type: z.literal("exact"),
      /** Expected text; absent: the input's `expect`, else the baseline's first output for that input. */
      value: z.string().optional(),
      ignoreCase: z.boolean().default(false),
    })
    .strict(),
  z.object({ type: z.literal("json-equal"), value: z.unknown().optional() }).strict(),
  z
    .object({
      type: z.literal("regex"),
      pattern: z.string().min(1).max(2000),
      flags: z
        .string()
        .regex(/^[imsu]*$/, "regex flags may be i, m, s, u")
        .default(""),
      /** Pass when the pattern does NOT match. */
      negate: z.boolean().default(false),
    })
    .strict()
    .superRefine((c, ctx) => {
      // Compiled only (never run here): a pattern that is no regular expression is the spec's mistake, said up front.
      try {
        new RegExp(c.pattern, c.flags);
      } catch (e) {
        ctx.addIssue({
          code: "custom",
          path: ["pattern"],
          message: `not a regular expression: ${(e as Error).message}`,
        });
      }
    }),
  z
    .object({
      type: z.literal("js"),
      /** An expression or a function body (with `return`) over `output`, `input`, `baseline`, `expect`; truthy or a 0–1 score. */
      code: z.string().min(1).max(20_000),
      timeoutMs: z.number().int().min(1).max(10_000).default(1000),
    })
    .strict(),
  z.object({ type: z.literal("similarity"), threshold: finite.min(-1).max(1).default(0.9) }).strict(),
  z
    .object({
      type: z.literal("judge"),
      /** Model/route that judges; absent: the audited model. */
      model: z.string().min(1).optional(),
      rubric: z.string().min(1).max(20_000),
    })
    .strict(),
]);
export type Check = z.infer<typeof CheckSchema>;

export const InputSchema = z.union([
  z.string().max(200_000),
  z
    .object({ user: z.string().max(200_000), expect: z.unknown().optional(), name: z.string().max(200).optional() })
    .strict(),
]);

export const AuditSpecSchema = z
  .object({
    /** Prompt file, relative to the spec file. */
    prompt: z.string().min(1).optional(),
    /** Or the prompt inline. */
    promptText: z.string().min(1).max(1_000_000).optional(),
    /** Or a recorded LLM call's system prompt and tools: "<traceId>/<spanId>". */
    span: z
      .string()
      .regex(/^[^/\s]+\/[^/\s]+$/, "span is <traceId>/<spanId>")
      .optional(),
    inputs: z
      .union([
        z.array(InputSchema).min(1, "inputs must hold at least one test input").max(1000),
        z.object({ fromTraces: z.object({ last: z.number().int().min(1).max(1000) }).strict() }).strict(),
      ])
      .optional(),
    /** Route, model alias or GGUF path; absent: the command line's --model, else the daemon's first model. */
    model: z.string().min(1).optional(),
    samples: z.number().int().min(1).max(100).default(3),
    concurrency: z.number().int().min(1).max(32).default(2),
    /** Largest acceptable quality drop, in percentage points. */
    tolerance: finite.min(0).max(100).default(2),
    confidence: finite.min(0.5).max(0.999).default(0.95),
    resamples: z.number().int().min(100).max(100_000).default(2000),
    granularity: z.enum(["auto", "paragraphs"]).default("auto"),
    /** Section ids or titles to ablate (default all) or to leave alone. */
    sections: z
      .object({ only: z.array(z.string()).optional(), skip: z.array(z.string()).optional() })
      .strict()
      .optional(),
    request: z
      .object({
        temperature: finite.min(0).max(2).optional(),
        max_tokens: z.number().int().positive().max(32_768).optional(),
        top_p: finite.gt(0).max(1).optional(),
        seed: z.number().int().optional(),
        stop: z.union([z.string(), z.array(z.string()).max(4)]).optional(),
        tool_choice: z
          .union([
            z.enum(["none", "auto", "required"]),
            z.object({ type: z.literal("function"), function: z.object({ name: z.string() }) }),
          ])
          .optional(),
        response_format: z.record(z.string(), z.unknown()).optional(),
      })
      .strict()
      .default({}),
    checks: z.array(CheckSchema).max(20).optional(),
  })
  .strict()
  .refine((s) => [s.prompt, s.promptText, s.span].filter((x) => x !== undefined).length === 1, {
    message: "give exactly one of `prompt` (a file), `promptText`, or `span` (<traceId>/<spanId> of a recorded call)",
  });
export type AuditSpec = z.infer<typeof AuditSpecSchema>;

export interface TestInput {
  name: string;
  /** The user message; undefined: the prompt as written (no input appended). */
  user?: string;
  expect?: unknown;
}

export interface LoadedSpec {
  spec: AuditSpec;
  doc: PromptDoc;
  /** Worked out with the document off the event loop (a request's prompt); otherwise from `doc` when needed. */
  duplicates?: DuplicateSentence[];
  systemText?: string;
  /** The prompt file, when there is one (ranges in the report refer to it). */
  promptPath?: string;
  specPath?: string;
}

export function isSpecFile(path: string): boolean {
  return /\.hotpath-audit\.(json|ya?ml)$/i.test(path);
}

function formatIssues(error: z.ZodError): string {
  return error.issues.map((i) => `  ${i.path.join(".") || "(root)"}: ${i.message}`).join("\n");
}

/** Validates a spec object (already parsed from JSON/YAML); errors list every problem with its path. */
export function validateSpec(value: unknown, where = "the audit spec"): AuditSpec {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new SpecError(`${where} must be an object`);
  const parsed = AuditSpecSchema.safeParse(value);
  if (!parsed.success) throw new SpecError(`${where} is invalid:\n${formatIssues(parsed.error)}`);
  return parsed.data;
}

const MAX_FILE_BYTES = 4 * 1024 * 1024;

function readText(path: string, what: string): string {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    throw new SpecError(
      `cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`,
    );
  }
  if (size > MAX_FILE_BYTES) throw new SpecError(`${what} ${path} is ${size} bytes; the limit is ${MAX_FILE_BYTES}`);
  return readFileSync(path, "utf8");
}

/** A recorded call's prompt ("<traceId>/<spanId>") from the trace store. */
export function spanDoc(ref: string, traces: TraceStore | undefined, spec: AuditSpec): PromptDoc {
  if (!traces) throw new SpecError("a span prompt needs the trace database");
  const [traceId, spanId] = ref.split("/");
  const span = traces.getSpans(traceId).find((s) => s.spanId === spanId);
  if (!span)
    throw new SpecError(
      `no recorded span ${ref} (trace ${traceId}, span ${spanId}); list traces with GET /hotpath/traces`,
    );
  try {
    return parseSpanPrompt(span, spec.granularity);
  } catch (e) {
    if (e instanceof PromptError) throw new SpecError(`span ${ref}: ${e.message}`);
    throw e;
  }
}

/**
 * Loads a spec file, a bare prompt file as a spec with defaults, or `span:<traceId>/<spanId>` (a recorded call;
 * needs `traces`).
 */
export function loadSpec(path: string, traces?: TraceStore): LoadedSpec {
  if (path.startsWith("span:")) {
    const spec = validateSpec({ span: path.slice("span:".length) });
    return { spec, doc: spanDoc(spec.span!, traces, spec) };
  }
  const abs = resolve(path);
  if (!isSpecFile(abs)) {
    const spec = validateSpec({ prompt: basename(abs) });
    return { spec, doc: docFor(readText(abs, "prompt file"), abs, spec), promptPath: abs };
  }
  const text = readText(abs, "audit spec");
  let value: unknown;
  try {
    value = /\.json$/i.test(abs) ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new SpecError(`cannot parse audit spec ${abs}: ${(e as Error).message}`);
  }
  const spec = validateSpec(value, `audit spec ${abs}`);
  if (spec.promptText !== undefined) return { spec, doc: docFor(spec.promptText, undefined, spec), specPath: abs };
  if (spec.span !== undefined) return { spec, doc: spanDoc(spec.span, traces, spec), specPath: abs };
  const promptPath = resolve(dirname(abs), spec.prompt!);
  return { spec, doc: docFor(readText(promptPath, "prompt file"), promptPath, spec), promptPath, specPath: abs };
}

export function docFor(source: string, fileName: string | undefined, spec: AuditSpec): PromptDoc {
  try {
    return parsePrompt(source, { fileName, granularity: spec.granularity });
  } catch (e) {
    throw asSpecError(e, fileName);
  }
}

/** docFor with the prompt's facts, read off the event loop when it is large (a request's prompt: prompt-thread.ts). */
export async function factsOffLoop(
  source: string,
  fileName: string | undefined,
  spec: AuditSpec,
): Promise<PromptFacts> {
  try {
    return await promptFactsOffLoop(source, { fileName, granularity: spec.granularity });
  } catch (e) {
    throw asSpecError(e, fileName);
  }
}

/** A prompt the parser refused, as the spec's problem (naming the file); other errors as they are. */
function asSpecError(e: unknown, fileName: string | undefined): unknown {
  return e instanceof PromptError ? new SpecError(`${fileName ?? "the prompt"}: ${e.message}`) : e;
}

/** Test inputs given inline; `fromTraces` is resolved by the caller (it needs the database). */
export function inlineInputs(spec: AuditSpec): TestInput[] {
  if (!spec.inputs) return [{ name: "prompt as written" }];
  if (!Array.isArray(spec.inputs)) return [];
  return spec.inputs.map((i, k) =>
    typeof i === "string"
      ? { name: `input ${k + 1}`, user: i }
      : { name: i.name ?? `input ${k + 1}`, user: i.user, expect: i.expect },
  );
}

/** Ids of the sections to ablate, after `sections.only` / `sections.skip`; unknown names are an error. */
export function selectSections(spec: AuditSpec, doc: PromptDoc): string[] {
  const match = (name: string) => {
    const hits = doc.sections.filter((s) => s.id === name || s.title === name);
    if (!hits.length)
      throw new SpecError(
        `sections: no section is called "${name}" (ids: ${doc.sections.map((s) => s.id).join(", ")})`,
      );
    return hits.map((s) => s.id);
  };
  const only = spec.sections?.only ? new Set(spec.sections.only.flatMap(match)) : undefined;
  const skip = new Set((spec.sections?.skip ?? []).flatMap(match));
  return doc.sections.map((s) => s.id).filter((id) => (!only || only.has(id)) && !skip.has(id));
}

/**
 * Identifies a run's samples: the same prompt, inputs, model, request and checks give the same hash, so a rerun
 * resumes. Fields that only change how samples are analysed or scheduled (tolerance, confidence, resamples,
 * concurrency, section selection) or how many are taken (samples) are left out: samples are keyed by variant, input
 * and index, so a rerun with more samples adds only the new ones and a different tolerance re-analyses for free.
 */
export function specHash(parts: {
  spec: AuditSpec;
  source: string;
  messages: unknown;
  model: string;
  inputs: TestInput[];
  checks: Check[];
}): string {
  const { granularity, request } = parts.spec;
  return createHash("sha256")
    .update(
      JSON.stringify({
        v: 1,
        granularity,
        request,
        source: parts.source,
        messages: parts.messages,
        model: parts.model,
        inputs: parts.inputs,
        checks: parts.checks,
      }),
    )
    .digest("hex");
}
