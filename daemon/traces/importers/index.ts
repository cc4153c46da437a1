// Format detection and the one entry point every caller uses (CLI, admin endpoint): parse a whole file, then write
// all of its traces in one transaction — a malformed file imports nothing.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import type { TraceStore } from "../store.js";
import { claudeCodeImporter } from "./claude-code.js";
import { codexImporter } from "./codex.js";
import { flatSpansImporter } from "./flat-spans.js";
import { langfuseImporter } from "./langfuse.js";
import {
  ImportError,
  refuseNonFiniteTimes,
  type ImportContext,
  type ParsedTrace,
  type TraceImporter,
} from "./format.js";
import { hotpathJsonlImporter } from "./hotpath-jsonl.js";
import { openAiAgentsImporter, otelPythonImporter } from "./openai-agents.js";
import { kvCacheReplayImporter } from "./kv-cache-replay.js";
import { otlpJsonImporter, readOtlpJsonFile } from "./otlp-json.js";

export { ImportError } from "./format.js";

export const importers: TraceImporter[] = [
  hotpathJsonlImporter,
  otlpJsonImporter,
  codexImporter,
  claudeCodeImporter,
  openAiAgentsImporter,
  otelPythonImporter,
  kvCacheReplayImporter,
  flatSpansImporter,
  langfuseImporter,
];

export interface FileImport {
  file: string;
  format: string;
  traceIds: string[];
  spanCount: number;
}

/**
 * Picks the importer from the content (first JSONL line or the top-level JSON value), not from the file name alone.
 * `traces`: the file already converted (an OTLP JSON document, read span by span instead of parsed whole).
 */
function detect(name: string, text: string): { importer: TraceImporter; json?: unknown; traces?: ParsedTrace[] } {
  const head = text.slice(0, 64 * 1024);
  let first: unknown;
  let whole: unknown;
  const trimmed = text.trimStart();
  const document = trimmed.startsWith("[") || trimmed.startsWith("{");
  if (document && !name.endsWith(".jsonl")) {
    const otlp = readOtlpJsonFile(name, text);
    // Only an importer ahead of OTLP's in the list could still claim the file, and only through one of its first
    // lines (the document itself has nothing but resourceSpans): the same candidates as below.
    if (otlp) {
      const lines = trimmed.startsWith("{") ? headLines(head) : [];
      const ahead = importers.slice(0, importers.indexOf(otlpJsonImporter));
      if (!ahead.some((i) => lines.some((c) => i.detect(name, head, c))))
        return { importer: otlpJsonImporter, traces: otlp };
    }
  }
  if (document) {
    try {
      first = whole = JSON.parse(text);
    } catch {
      const nl = trimmed.indexOf("\n");
      try {
        first = JSON.parse(nl === -1 ? trimmed : trimmed.slice(0, nl));
      } catch {
        first = undefined;
      }
    }
  }
  // JSONL: detectors look at the first record; Claude Code files often start with housekeeping lines, so try a few.
  const jsonl = name.endsWith(".jsonl") || (first === undefined && trimmed.startsWith("{"));
  const candidates: unknown[] = [first];
  if (jsonl || (typeof first === "object" && first !== null && !Array.isArray(first)))
    candidates.push(...headLines(head));
  const fileName = jsonl && !name.endsWith(".jsonl") ? `${name}.jsonl` : name;
  for (const importer of importers) {
    if (candidates.some((c) => c !== undefined && importer.detect(fileName, head, c))) return { importer, json: whole };
  }
  throw new ImportError(
    name,
    undefined,
    undefined,
    `unrecognised trace format; supported: OTLP JSON, Claude Code session JSONL, Codex rollout JSONL, OpenAI Agents SDK export, OTel Python span dump, kv-cache-tester trace, flat span export (Phoenix / OpenInference), Langfuse trace export, Hotpath export`,
  );
}

/** The first 20 lines of the head that are JSON values on their own. */
function headLines(head: string): unknown[] {
  const out: unknown[] = [];
  for (const line of head.split("\n").slice(0, 20)) {
    try {
      out.push(JSON.parse(line));
    } catch {
      /* partial last line of the head */
    }
  }
  return out;
}

export function parseTraceFile(
  name: string,
  text: string,
  ctx: Partial<ImportContext> = {},
): { format: string; traces: ParsedTrace[] } {
  try {
    const { importer, json, traces: converted } = detect(name, text);
    const traces = converted ?? importer.parse(text, { file: name, ...ctx, json });
    refuseNonFiniteTimes(traces, name);
    return { format: importer.format, traces };
  } catch (e) {
    throw nestedTooDeeply(e, name);
  }
}

/**
 * JSON.parse reads any depth, but whatever walks or re-serialises a value afterwards (JSON.stringify of a free-form
 * attribute, a recursive flatten) recurses: a file nesting a value past the stack is the file's error (a 400 naming
 * it), not the daemon's 500. Importers that can name the field do so themselves (claude-code's tool input and result).
 */
export function nestedTooDeeply(e: unknown, name: string): unknown {
  return e instanceof RangeError && /call stack/i.test(e.message)
    ? new ImportError(
        name,
        undefined,
        undefined,
        "a value is nested too deeply to store (deeper than the stack allows)",
      )
    : e;
}

/** Parses and stores one file's bytes (the admin endpoint: no neighbouring files). */
export function importText(
  store: TraceStore,
  name: string,
  text: string,
  ctx: Partial<ImportContext> = {},
): FileImport {
  const { format, traces } = parseTraceFile(name, text, ctx);
  const traceIds = store.writeImport(
    traces.map((t) => ({ spans: t.spans, source: t.source, origin: t.origin, name: t.name })),
  );
  return { file: name, format, traceIds, spanCount: traces.reduce((n, t) => n + t.spans.length, 0) };
}

/** What an import of several files reports as it goes. */
export interface ImportHooks {
  /** A file that failed is reported here and the others still import; without it, the first failure throws. */
  onFailure?: (file: string, e: Error) => void;
  /** Before a file is read. */
  onFile?: (file: string) => void;
  /** After a file imported. */
  onImported?: (result: FileImport) => void;
}

/** The trace files a path names: the file itself, or every trace file under a directory. */
export function traceFilesAt(path: string): string[] {
  return statSync(path).isDirectory() ? traceFilesUnder(path) : [path];
}

/**
 * Imports a file, or every trace file under a directory (subagent transcripts go with their session). Each file
 * imports whole or not at all.
 */
export function importPath(store: TraceStore, path: string, hooks: ImportHooks = {}): FileImport[] {
  const done: FileImport[] = [];
  for (const file of traceFilesAt(path)) {
    hooks.onFile?.(file);
    try {
      const result = importText(store, file, readFileSync(file, "utf8"), diskContext(file));
      done.push(result);
      hooks.onImported?.(result);
    } catch (e) {
      if (!hooks.onFailure) throw e;
      hooks.onFailure(file, e as Error);
    }
  }
  return done;
}

export function diskContext(file: string): Partial<ImportContext> {
  const base = file.replace(/\.jsonl$/, "");
  return {
    readRelated: (rel) => {
      const p = join(base, rel);
      return existsSync(p) ? readFileSync(p, "utf8") : undefined;
    },
    listRelated: (rel) => {
      const p = join(base, rel);
      return existsSync(p) ? readdirSync(p) : [];
    },
  };
}

export function traceFilesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (/\.(jsonl?|ndjson)$/i.test(entry.name)) out.push(p);
    }
  };
  walk(dir);
  // <session>/subagents/agent-*.jsonl is read with <session>.jsonl; importing it again would make a second trace.
  return out
    .filter((p) => {
      const parent = dirname(p);
      if (basename(parent) !== "subagents") return true;
      return !existsSync(`${dirname(parent)}.jsonl`);
    })
    .filter((p) => relative(dir, p) !== "");
}

/** The importer parseTraceFile would pick for this text (it parses the whole text to tell a JSON document). */
export function importerFor(name: string, text: string): TraceImporter {
  return detect(name, text).importer;
}
