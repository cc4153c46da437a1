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
  let pending: Uint8Array = new Uint8Array(0); // the bytes of a character the last block cut
  /**
   * The block's text up to its last whole character (the rest waits for the next block). Not decode's `stream`
   * option: in Node 20 it turns the decoder off its fast path for good (ICU, several times slower).
   */
  const decodeBlock = (block: Uint8Array, last: boolean): string => {
    let bytes = block;
    if (pending.length) {
      bytes = new Uint8Array(pending.length + block.length);
      bytes.set(pending);
      bytes.set(block, pending.length);
    }
    let cut = bytes.length;
    if (!last) {
      // Back to the start of the last character (a byte that is not 10xxxxxx), and keep it if it is not complete.
      let lead = cut - 1;
      while (lead > 0 && cut - lead < 4 && (bytes[lead] & 0xc0) === 0x80) lead--;
      const b = bytes[lead];
      const size = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
      if (lead >= 0 && lead + size > cut) cut = lead;
    }
    pending = bytes.slice(cut);
    return decoder.decode(bytes.subarray(0, cut));
  };
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
        const text = decodeBlock(block, false);
        if (state === "streaming") return lines(text);
        early += text;
        decide(false);
      });
    },
    end() {
      if (state === "off") return undefined;
      let traces: ParsedTrace[] | undefined;
      guarded(() => {
        const rest = decodeBlock(new Uint8Array(0), true);
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
