// Limits on what one request may ask of the daemon, so that no input can hold the event loop, overflow the stack or
// make constrained generation crawl. Each refusal names its limit; the numbers are documented in docs/security.md.
// Schema limits follow OpenAI's published Structured Outputs limits (5,000 properties, 1,000 enum values, 120,000
// characters of names and values), which clients already design for; nesting allows 16 levels instead of OpenAI's 10
// because every anyOf/items step counts here, not only objects.

export const LIMITS = {
  /** Arrays and objects inside one JSON body (or a JSON text a request carries, such as an audit's chat prompt). */
  jsonDepth: 64,
  /**
   * Characters of a request's `model` (an alias, route, file or hf: name; real ones are well under 200). Longer names
   * are refused before anything records them: the cache kept one counter row per name, and a fuzzed 900 KB name made
   * every later /hotpath/cache/stats read, sort and send megabytes (1–13 s on the event loop).
   */
  modelName: 500,
  /** Messages in one chat / Messages request. */
  messages: 10_000,
  /** Tools in one request (OpenAI's own limit). */
  tools: 128,
  /** Levels of `properties` / `items` / `anyOf`… inside one JSON schema the local engine enforces as a grammar. */
  schemaDepth: 16,
  /** Object properties over all schemas of one request (response_format and every tool's parameters). */
  schemaProperties: 5_000,
  /**
   * Subschemas (property values, items, anyOf/oneOf/allOf branches…) over all schemas of one request. Each becomes
   * grammar rules compiled on the model's thread: 50,000 one-word anyOf branches (a 1 MB body, within every other
   * limit) held the event loop ~1 s; 10,000 still admits 5,000 properties that each have `items`.
   */
  schemaNodes: 10_000,
  /**
   * Repetitions a schema asks the grammar for (the larger of minLength/maxLength, of minItems/maxItems), summed over
   * all schemas of one request. The grammar writes `x{N}`, which llama.cpp expands into N copies when it compiles the
   * grammar on the event loop: `minLength: 1000000` held it ~1 s (load 12–18) before generation could refuse anything.
   */
  schemaRepetitions: 20_000,
  /** enum and const values over all schemas of one request. */
  schemaEnumValues: 1_000,
  /** Characters of property names and enum/const strings over all schemas of one request. */
  schemaChars: 120_000,
  /**
   * Milliseconds the grammar worker may spend turning one schema into GBNF. The largest schema within the limits above
   * takes ~0.6 s on a busy 2-core machine; past this the worker is replaced and the request refused.
   */
  grammarMs: 10_000,
  /**
   * Milliseconds the token-count worker may spend on one request's texts (audit sections, count_tokens estimates).
   * 8 MB took ~4 s on a busy 2-core machine; past this the worker is replaced and the request refused.
   */
  tokenCountMs: 30_000,
  /**
   * Milliseconds the prompt-parsing worker may spend sectioning one audit prompt (up to 1 MB; ~1.8 s of CPU for the
   * costliest shapes measured, a prompt of nothing but headings, on a busy 2-core machine); past this the worker is
   * replaced and the request refused.
   */
  promptParseMs: 30_000,
  /**
   * Sections of one audit prompt sent to the daemon. Each is a variant an audit runs and a row the answer carries: a 1 MB
   * prompt of one-line headings made 250,000 (a ~60 MB answer, stringified and cloned on the event loop). A real
   * prompt has tens to hundreds; `granularity: "paragraphs"` over a long document a few thousand.
   */
  promptSections: 10_000,
  /**
   * Tokens over all inputs of one /v1/embeddings request (OpenAI's own per-request limit). Each token is evaluated on
   * the local model: 2,048 inputs of 4 KB (~3.5 M tokens of stories260K) went unanswered for hours. Refused before
   * tokenizing when the characters alone cannot fit (no token is longer than the vocabulary's longest token string).
   */
  embeddingTokens: 300_000,
  /**
   * Milliseconds one /v1/embeddings request may keep the model's embedding context. The time the rest would take is
   * projected from the inputs done so far (tokens per second, tokens per character) and the request refused as soon as
   * it would run over, instead of occupying the model (and every embeddings request queued behind it) for minutes.
   */
  embeddingMs: 120_000,
} as const;

export type LimitName = keyof typeof LIMITS;

/** A request over one of LIMITS (→ 400 naming the limit). `param` is where in the request, when known. */
export class InputLimitError extends Error {
  constructor(
    readonly limit: LimitName | "schemaValue",
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

/**
 * The deepest nesting of `[`/`{` in a JSON text, counted without parsing (linear, no recursion), so a body can be
 * measured before anything recursive touches it. Brackets inside strings do not count.
 */
export function jsonTextDepth(text: string, stopAbove = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > max) {
        max = depth;
        if (max > stopAbove) return max;
      }
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return max;
}

/**
 * The deepest nesting of arrays/objects in a parsed JSON value, walked without recursion and without reading strings:
 * the cost is the number of arrays and objects, not the size of the text (V8's JSON.parse itself is not recursive, so
 * a body is parsed first and measured after; scanning a 9 MB text character by character cost more than parsing it).
 */
export function jsonValueDepth(value: unknown, stopAbove = Infinity): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (depth > max) {
      max = depth;
      if (max > stopAbove) return max;
    }
    if (Array.isArray(v)) {
      for (const item of v) if (item !== null && typeof item === "object") stack.push([item, depth + 1]);
    } else {
      for (const item of Object.values(v)) if (item !== null && typeof item === "object") stack.push([item, depth + 1]);
    }
  }
  return max;
}

/** Throws InputLimitError when a parsed JSON value nests deeper than LIMITS.jsonDepth. */
export function checkJsonValueDepth(value: unknown, what: string, param: string | null = null): void {
  if (jsonValueDepth(value, LIMITS.jsonDepth) > LIMITS.jsonDepth) throw depthError(what, param);
}

/** Throws InputLimitError when a JSON text nests deeper than LIMITS.jsonDepth. */
export function checkJsonTextDepth(text: string, what: string, param: string | null = null): void {
  if (jsonTextDepth(text, LIMITS.jsonDepth) > LIMITS.jsonDepth) throw depthError(what, param);
}

function depthError(what: string, param: string | null): InputLimitError {
  return new InputLimitError(
    "jsonDepth",
    `${what} nests arrays/objects more than ${LIMITS.jsonDepth} levels deep (limit jsonDepth = ${LIMITS.jsonDepth}); flatten it`,
    param,
  );
}
