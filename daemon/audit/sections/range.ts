// Offsets → line/character positions (0-based, UTF-16 columns), the way editors address text. The line starts are
// found once per source and each offset is looked up by binary search: scanning from the top for every offset made a
// 1 MB prompt's sections cost ~0.4 s per MB of event loop (thousands of sections × every line before each, issue #15).
import type { SourceRange } from "./types.js";

/** Where each line of `source` starts (0 first). */
function lineStarts(source: string): number[] {
  const starts = [0];
  for (let i = source.indexOf("\n"); i !== -1; i = source.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

/** The line index of the last source asked for: a prompt's sections all ask about the same text, one after another. */
let last: { source: string; starts: number[] } | undefined;

function startsOf(source: string): number[] {
  if (last?.source !== source) last = { source, starts: lineStarts(source) };
  return last.starts;
}

export function positionOf(source: string, offset: number): { line: number; character: number } {
  const starts = startsOf(source);
  // The last line start at or before `offset` (a newline at `offset` itself still belongs to the line before).
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo, character: offset - starts[lo] };
}

export function rangeOf(source: string, start: number, end: number): SourceRange {
  const a = positionOf(source, start);
  const b = positionOf(source, end);
  return { start, end, startLine: a.line, startCharacter: a.character, endLine: b.line, endCharacter: b.character };
}
