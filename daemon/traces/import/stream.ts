// A Claude Code session parsed while its upload arrives: each block is decoded, cut into lines and each line's record
// walked at once, instead of after the whole file is there (then decoded and cut as one 64 MB string). Only where that
// gives exactly what parseTraceFile gives the whole text: the file is named .jsonl (so detection tries no
// whole-document format), and the first 64k characters, which are all detection reads besides the first line, hold
// that first line whole (the file's end, if it ends sooner) and pick the Claude Code importer. Anything else leaves the
// file to parseTraceFile once it is all there. Once streaming, the file's bytes are not kept: a failure is the one the
// whole text's parse reports (the same lines reach the same reader in the same order; bytes that are not UTF-8
// anywhere in the file win over any other problem, as decoding the whole text comes first).
import { isAscii } from "node:buffer";
import { claudeCodeImporter, claudeCodeRecords, type SpansHandOut } from "../importers/claude-code.js";
import { ImportError } from "../importers/format.js";
import { importerFor, nestedTooDeeply } from "../importers/index.js";
import { otlpJsonFileStream, otlpJsonImporter } from "../importers/otlp-json.js";
import type { ParsedTrace } from "../importers/format.js";

/** How much of a file format detection reads (index.ts detect's head). */
const HEAD_CHARS = 64 * 1024;

/**
 * Bytes decoded at once. A decoded string over V8's regular object size (~128 kB) is allocated in fresh memory of its
 * own, and on the 2-core VMs this project runs on a page touched for the first time costs ~6 ms per MB — more than
 * decoding it: 1 MiB pieces took 6× the CPU of 32 KiB ones (64 MB, 460 vs 70 ms), whose strings reuse the young
 * generation's pages.
 */
const PIECE_BYTES = 32 * 1024;

export interface StreamedParse {
  /** The file's next bytes (the caller may reuse the block once this returns). */
  push(block: Uint8Array): void;
  /** Whether parseTraceFile will need the whole file (the caller keeps every block): not parsing as it streams. */
  readonly needsWholeFile: boolean;
  /**
   * The traces, or undefined when the file is not one this parses as it streams (parseTraceFile on the whole text
   * says what it is). Throws what parseTraceFile on the whole text would throw: ImportError, or TypeError for bytes
   * that are not UTF-8. `handOut` sees a Claude Code session's spans while they are built (see SpansHandOut); a
   * failure may still come after it has.
   */
  end(handOut?: SpansHandOut): { format: string; traces: ParsedTrace[] } | undefined;
}

/** otlp: any other name, read as an OTLP/JSON array of requests while it lasts (otlpJsonFileStream). */
type State = "deciding" | "streaming" | "failed" | "otlp" | "off";

export function streamedParse(name: string): StreamedParse {
  // The file's first bytes lose a byte order mark, as decoding the whole text does; later pieces keep U+FEFF.
  const first = new TextDecoder("utf-8", { fatal: true });
  const rest = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  let decoded = false;
  let pending: Uint8Array = new Uint8Array(0); // the bytes of a character the last piece cut
  /**
   * The piece's text up to its last whole character (the rest waits for the next piece). Not decode's `stream`
   * option: in Node 20 it turns the decoder off its fast path for good (ICU, several times slower).
   */
  const decodePiece = (piece: Uint8Array, last: boolean): string => {
    let bytes = piece;
    if (pending.length) {
      bytes = new Uint8Array(pending.length + piece.length);
      bytes.set(pending);
      bytes.set(piece, pending.length);
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
    if (cut === 0) return "";
    const decoder = decoded ? rest : first;
    decoded = true;
    const text = bytes.subarray(0, cut);
    // ASCII (most of any trace file) decodes to the same characters as Latin-1, which is a plain copy: TextDecoder
    // took ~5 ns a byte (0.3 s for a 58 MB OTLP file). Such bytes hold no byte order mark and no cut character.
    if (isAscii(text)) return Buffer.from(text.buffer, text.byteOffset, text.length).toString("latin1");
    return decoder.decode(text);
  };
  let state: State = name.endsWith(".jsonl") ? "deciding" : "otlp";
  // Its traces are parseTraceFile's for the whole text, or it gives up; the blocks are kept for that (needsWholeFile).
  const otlp = state === "otlp" ? otlpJsonFileStream(name) : undefined;
  /** The state as it is now (a step that ran may have changed it; TypeScript narrows from before). */
  const now = (): State => state;
  let early = ""; // decoded text while deciding
  let carry = ""; // a line not yet ended
  let lineNo = 0;
  let reader: ReturnType<typeof claudeCodeRecords> | undefined;
  /** Streaming: the first problem, thrown by end() unless the file turns out not to be UTF-8. */
  let failure: unknown;
  /** Bytes that are not UTF-8 (TypeError from the decoder): the whole text's decode fails first. */
  let notUtf8: unknown;

  const line = (raw: string) => {
    lineNo++;
    const trimmed = raw.trim();
    if (!trimmed) return;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (e) {
      // forEachJsonLine's error for the same line.
      throw new ImportError(name, lineNo, undefined, `not valid JSON (${(e as Error).message})`);
    }
    reader!.record(lineNo, value);
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
  /** Runs a step of the parse: a failure while deciding leaves the file to parseTraceFile, later it is the answer. */
  const guarded = (f: () => void) => {
    try {
      f();
    } catch (e) {
      if (state === "streaming") {
        state = "failed";
        failure = nestedTooDeeply(e, name); // as parseTraceFile says it
      } else state = "off";
      reader = undefined;
    }
  };
  /** Failed: the rest is only decoded (is it UTF-8?) and dropped. */
  const validate = (piece: Uint8Array, last: boolean) => {
    if (notUtf8 !== undefined) return;
    try {
      decodePiece(piece, last);
    } catch (e) {
      notUtf8 = e;
    }
  };
  const pushPiece = (piece: Uint8Array) => {
    if (state === "failed") return validate(piece, false);
    if (state === "otlp") {
      try {
        otlp!.push(decodePiece(piece, false));
      } catch {
        state = "off"; // not UTF-8: the whole text's decode says so
      }
      if (!otlp!.reading) state = "off";
      return;
    }
    let text: string;
    try {
      text = decodePiece(piece, false);
    } catch (e) {
      if (state === "streaming") notUtf8 = e; // the whole file's decode fails: that is the answer
      state = state === "streaming" ? "failed" : "off";
      reader = undefined;
      return;
    }
    guarded(() => {
      if (state === "streaming") return lines(text);
      early += text;
      decide(false);
    });
  };
  return {
    push(block) {
      for (let at = 0; at < block.length && state !== "off"; at += PIECE_BYTES)
        pushPiece(block.subarray(at, Math.min(block.length, at + PIECE_BYTES)));
    },
    get needsWholeFile() {
      return state === "deciding" || state === "otlp" || state === "off";
    },
    end(handOut) {
      if (state === "off") return undefined;
      if (state === "otlp") {
        try {
          otlp!.push(decodePiece(new Uint8Array(0), true));
        } catch {
          return undefined; // not UTF-8: parseTraceFile's decode of the whole text reports it
        }
        const traces = otlp!.end();
        return traces && { format: otlpJsonImporter.format, traces };
      }
      let traces: ParsedTrace[] | undefined;
      if (state !== "failed") {
        let restText: string | undefined;
        try {
          restText = decodePiece(new Uint8Array(0), true);
        } catch (e) {
          if (state === "deciding") return undefined; // parseTraceFile reports it
          notUtf8 = e;
          state = "failed";
        }
        if (restText !== undefined)
          guarded(() => {
            if (state === "deciding") {
              early += restText;
              decide(true);
            } else lines(restText);
            if (state !== "streaming") return;
            line(carry);
            traces = reader!.end(handOut);
            // The session's walk (every tool call's input and result, 100k+ objects) is garbage now: the caller keeps
            // this object to the end of the import, and the reader with it.
            reader = undefined;
          });
      } else validate(new Uint8Array(0), true);
      if (now() === "off") return undefined; // decide(true) left it to parseTraceFile
      if (notUtf8 !== undefined) throw notUtf8;
      if (state === "failed") throw failure;
      return traces && { format: claudeCodeImporter.format, traces };
    },
  };
}
