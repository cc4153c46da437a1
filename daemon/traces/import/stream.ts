// A Claude Code session parsed while its upload arrives: each 1 MiB block is decoded, cut into lines and each line's
// record walked at once, instead of after the whole file is there (then decoded and cut as one 64 MB string). Only
// where that gives exactly what parseTraceFile gives the whole text: the file is named .jsonl (so detection tries no
// whole-document format), and the first 64k characters, which are all detection reads besides the first line, hold
// that first line whole (the file's end, if it ends sooner) and pick the Claude Code importer. Anything else — or any
// line that fails — leaves the file to parseTraceFile once it is all there, which reports the error as it always did.
import { claudeCodeImporter, claudeCodeRecords } from "../importers/claude-code.js";
import { importerFor } from "../importers/index.js";
import type { ParsedTrace } from "../importers/format.js";

/** How much of a file format detection reads (index.ts detect's head). */
const HEAD_CHARS = 64 * 1024;

export interface StreamedParse {
  /** The file's next bytes. */
  push(block: Uint8Array): void;
  /** The traces, or undefined when the file is not one this can parse as it streams (or it failed). */
  end(): { format: string; traces: ParsedTrace[] } | undefined;
}

export function streamedParse(name: string): StreamedParse {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let state: "deciding" | "streaming" | "off" = name.endsWith(".jsonl") ? "deciding" : "off";
  let early = ""; // decoded text while deciding
  let carry = ""; // a line not yet ended
  let lineNo = 0;
  let reader: ReturnType<typeof claudeCodeRecords> | undefined;

  const line = (raw: string) => {
    lineNo++;
    const trimmed = raw.trim();
    if (trimmed) reader!.record(lineNo, JSON.parse(trimmed));
  };
  /** Every line that ends in `text` (the first continues `carry`); keeps the unfinished rest. */
  const lines = (text: string) => {
    let nl = text.indexOf("\n");
    if (nl === -1) {
      carry += text;
      return;
    }
    line(carry + text.slice(0, nl));
    let start = nl + 1;
    while ((nl = text.indexOf("\n", start)) !== -1) {
      line(text.slice(start, nl));
      start = nl + 1;
    }
    carry = text.slice(start);
  };
  const decide = (ended: boolean) => {
    if (!ended && early.length < HEAD_CHARS) return; // detection reads the first HEAD_CHARS characters
    // Detection parses the first line of the whole text: the head must hold all of it.
    const firstEnd = early.indexOf("\n", early.length - early.trimStart().length);
    if (!ended && (firstEnd === -1 || firstEnd >= HEAD_CHARS)) {
      state = "off";
      return;
    }
    if (importerFor(name, early.slice(0, HEAD_CHARS)) !== claudeCodeImporter) {
      state = "off";
      return;
    }
    state = "streaming";
    reader = claudeCodeRecords(name);
    const text = early;
    early = "";
    lines(text);
  };
  const guarded = (f: () => void) => {
    try {
      f();
    } catch {
      state = "off"; // parseTraceFile reads the whole file and says what is wrong
      reader = undefined;
    }
  };
  return {
    push(block) {
      if (state === "off") return;
      guarded(() => {
        const text = decoder.decode(block, { stream: true });
        if (state === "streaming") return lines(text);
        early += text;
        decide(false);
      });
    },
    end() {
      if (state === "off") return undefined;
      let traces: ParsedTrace[] | undefined;
      guarded(() => {
        const rest = decoder.decode();
        if (state === "deciding") {
          early += rest;
          decide(true);
        } else lines(rest);
        if (state !== "streaming") return;
        line(carry);
        traces = reader!.end();
      });
      return traces && { format: claudeCodeImporter.format, traces };
    },
  };
}
