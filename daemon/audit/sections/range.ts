// Offsets → line/character positions (0-based, UTF-16 columns), the way editors address text.
import type { SourceRange } from "./types.js";

// The line starts of the last text asked about: a prompt's sections are all addressed in one text, and scanning it
// from the top for every one cost sections × lines (a 300 KB prompt of short paragraphs held the event loop minutes).
let indexed: { source: string; starts: number[] } | undefined;

function lineStarts(source: string): number[] {
  if (indexed?.source === source) return indexed.starts;
  const starts = [0];
  for (let i = source.indexOf("\n"); i !== -1; i = source.indexOf("\n", i + 1)) starts.push(i + 1);
  indexed = { source, starts };
  return starts;
}

export function positionOf(source: string, offset: number): { line: number; character: number } {
  const starts = lineStarts(source);
  // The last line that starts at or before `offset` (a "\n" at offset itself still ends the line before).
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
