// Offsets → line/character positions (0-based, UTF-16 columns), the way editors address text.
import type { SourceRange } from "./types.js";

export function positionOf(source: string, offset: number): { line: number; character: number } {
  let line = 0;
  let lineStart = 0;
  for (let i = source.indexOf("\n"); i !== -1 && i < offset; i = source.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, character: offset - lineStart };
}

export function rangeOf(source: string, start: number, end: number): SourceRange {
  const a = positionOf(source, start);
  const b = positionOf(source, end);
  return { start, end, startLine: a.line, startCharacter: a.character, endLine: b.line, endCharacter: b.character };
}
