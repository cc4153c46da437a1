// Splits prompt text into removable sections: Markdown headings, XML-like tag blocks, few-shot example blocks,
// paragraphs and bullet groups. Sections tile the text: each one runs up to where the next begins, so deleting
// one leaves the others (and the blank lines between them) intact.
import type { SectionKind } from "./types.js";

export type Granularity = "auto" | "paragraphs";

export interface TextSection {
  kind: SectionKind;
  title: string;
  /** Offsets into the text: [start, end). */
  start: number;
  end: number;
}

interface Line {
  start: number;
  /** End of the line's content (before "\n"). */
  end: number;
  text: string;
  inFence: boolean;
}

const HEADING = /^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$/;
const FENCE = /^\s*(```|~~~)/;
const BULLET = /^\s*([-*+•]|\d+[.)])\s+/;
const EXAMPLE_START = /^\s*(\*\*|__)?(example|few-shot|sample)\b[^\n]{0,40}|^\s*<example[\s>]/i;
const EXAMPLE_PARAGRAPH = /^\s*(\*\*|__)?(example\b|input\s*:|q\s*:|user\s*:|human\s*:|<example[\s>])/i;
const OPEN_TAG = /^\s*<([A-Za-z][\w.-]*)(\s[^<>]*)?>/;

function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  let inFence = false;
  let pos = 0;
  for (const raw of text.split("\n")) {
    const fenceLine = FENCE.test(raw);
    lines.push({ start: pos, end: pos + raw.length, text: raw, inFence: inFence || fenceLine });
    if (fenceLine) inFence = !inFence;
    pos += raw.length + 1;
  }
  return lines;
}

const blank = (l: Line) => l.text.trim() === "";

/**
 * The index of the first line starting at or after `offset` (lines are in order). Each heading's chunk looks only at
 * its own lines: walking every line of the prompt per heading made a prompt of many headings quadratic (#15).
 */
function firstLineAt(lines: Line[], offset: number): number {
  let lo = 0;
  let hi = lines.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (lines[mid].start < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Where an opening tag's block ends: its offset → the offset of its closing tag and the offset just past it. */
type TagCloses = Map<number, { at: number; end: number }>;

/**
 * Pairs every `<name …>` with its `</name>` in one pass (nested tags of the same name counted, self-closing ones
 * skipped), so that finding a block's end costs nothing. Searching forward from each opening tag instead cost
 * tags × text for tags never closed: 20,000 lines of `<a>` (80 KB) held the event loop 82 s.
 */
function pairTags(text: string): TagCloses {
  const closes: TagCloses = new Map();
  const open = new Map<string, number[]>();
  const tag = /<(\/?)([A-Za-z][\w.-]*)(\s[^<>]*)?>/g;
  for (let m = tag.exec(text); m; m = tag.exec(text)) {
    if (m[0].endsWith("/>")) continue;
    const stack = open.get(m[2]) ?? open.set(m[2], []).get(m[2])!;
    if (!m[1]) stack.push(m.index);
    else if (stack.length) closes.set(stack.pop()!, { at: m.index, end: m.index + m[0].length });
  }
  return closes;
}

export function titleOf(text: string, max = 60): string {
  const first = text.trim().split("\n")[0]?.trim() ?? "";
  const clean = first.replace(/^[#>*\-+\s]+/, "").replace(/[*_`]/g, "");
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean || "(blank)";
}

/** Paragraphs (blank-line separated, code fences kept whole) in [from, to). */
function paragraphs(text: string, lines: Line[], from: number, to: number): TextSection[] {
  const out: TextSection[] = [];
  let cur: { start: number; lines: Line[] } | undefined;
  for (let i = firstLineAt(lines, from); i < lines.length && lines[i].start < to; i++) {
    const l = lines[i];
    if (blank(l) && !l.inFence) {
      if (cur) out.push(block(text, cur.start, cur.lines));
      cur = undefined;
    } else (cur ??= { start: l.start, lines: [] }).lines.push(l);
  }
  if (cur) out.push(block(text, cur.start, cur.lines));
  return out;
}

function block(text: string, start: number, lines: Line[]): TextSection {
  const end = lines[lines.length - 1].end;
  const body = text.slice(start, end);
  let kind: SectionKind = "paragraph";
  if (lines.every((l) => BULLET.test(l.text) || /^\s{2,}\S/.test(l.text)) && BULLET.test(lines[0].text))
    kind = "bullets";
  if (EXAMPLE_PARAGRAPH.test(body)) kind = "example";
  return { kind, title: titleOf(body), start, end };
}

/** Top-level XML-like blocks `<name …> … </name>` that start a line, in [from, to). */
function tagBlocks(
  text: string,
  lines: Line[],
  from: number,
  to: number,
  closes: TagCloses,
): { name: string; attrs: string; start: number; end: number }[] {
  const out: { name: string; attrs: string; start: number; end: number }[] = [];
  let i = firstLineAt(lines, from);
  while (i < lines.length && lines[i].start < to) {
    const l = lines[i];
    const m = !l.inFence ? OPEN_TAG.exec(l.text) : null;
    if (!m) {
      i++;
      continue;
    }
    const name = m[1];
    // The matching close tag, nested tags of the same name counted, within [from, to).
    const pair = closes.get(l.start + l.text.indexOf("<"));
    const close = pair && pair.at < to ? pair.end : -1;
    if (close < 0) {
      i++;
      continue;
    }
    out.push({ name, attrs: (m[2] ?? "").trim(), start: l.start, end: close });
    while (i < lines.length && lines[i].start < close) i++;
  }
  return out;
}

/** Sections of [from, to) without headings: tag blocks where there are any, paragraphs in between. */
function flatSections(
  text: string,
  lines: Line[],
  from: number,
  to: number,
  granularity: Granularity,
  closes: TagCloses,
): TextSection[] {
  const tags = tagBlocks(text, lines, from, to, closes);
  const out: TextSection[] = [];
  let pos = from;
  for (const t of tags) {
    for (const p of paragraphs(text, lines, pos, t.start)) out.push(p);
    const inner = t.name.toLowerCase();
    const kind: SectionKind = /example|shot|sample/.test(inner) ? "example" : "tag";
    const nameAttr = /name="([^"]+)"/.exec(t.attrs)?.[1];
    out.push({ kind, title: `<${t.name}>${nameAttr ? ` ${nameAttr}` : ""}`, start: t.start, end: t.end });
    pos = t.end;
  }
  // A loop, not push(...): a prompt of 200,000 paragraphs overflowed the argument list (RangeError, a 500).
  for (const p of paragraphs(text, lines, pos, to)) out.push(p);
  if (granularity === "paragraphs") return out;
  return out;
}

/** A heading's chunk: kept whole, or split into its intro and its few-shot examples when it holds two or more. */
function headingChunk(
  text: string,
  lines: Line[],
  title: string,
  start: number,
  end: number,
  granularity: Granularity,
  closes: TagCloses,
): TextSection[] {
  const headLine = lines[firstLineAt(lines, start)];
  const bodyStart = Math.min(end, headLine.end + 1);
  if (granularity === "paragraphs") {
    const parts = flatSections(text, lines, bodyStart, end, granularity, closes);
    if (parts.length === 0) return [{ kind: "heading", title, start, end }];
    const [first, ...rest] = parts;
    return [
      { kind: "heading", title, start, end: first.end },
      ...rest.map((p) => ({ ...p, title: `${title} › ${p.title}` })),
    ];
  }
  const inner = flatSections(text, lines, bodyStart, end, granularity, closes);
  const examples = inner.filter((p) => p.kind === "example" || EXAMPLE_START.test(text.slice(p.start, p.end)));
  if (examples.length < 2) return [{ kind: "heading", title, start, end }];
  // Each example runs until the next example starts; the intro keeps the heading and what precedes the first one.
  const out: TextSection[] = [{ kind: "heading", title, start, end: examples[0].start }];
  examples.forEach((e, i) => {
    const stop = i + 1 < examples.length ? examples[i + 1].start : end;
    out.push({ kind: "example", title: `${title} › ${e.title}`, start: e.start, end: stop });
  });
  return out;
}

/**
 * Leaf sections of a prompt text. With headings: one section per heading (up to the next heading of any level),
 * few-shot examples under a heading split out; the text before the first heading by tags/paragraphs.
 * Without headings: XML-like tag blocks, else paragraphs and bullet groups.
 */
export function splitText(text: string, granularity: Granularity = "auto"): TextSection[] {
  const lines = splitLines(text);
  const closes = pairTags(text);
  const headings = lines
    .map((l) => ({ l, m: l.inFence ? null : HEADING.exec(l.text) }))
    .filter((h): h is { l: Line; m: RegExpExecArray } => h.m !== null);
  let raw: TextSection[];
  if (headings.length === 0) raw = flatSections(text, lines, 0, text.length, granularity, closes);
  else {
    raw = flatSections(text, lines, 0, headings[0].l.start, granularity, closes);
    const stack: { level: number; title: string }[] = [];
    headings.forEach((h, i) => {
      const level = h.m[1].length;
      while (stack.length && stack[stack.length - 1].level >= level) stack.pop();
      stack.push({ level, title: h.m[2].replace(/[*_`]/g, "") });
      const end = i + 1 < headings.length ? headings[i + 1].l.start : text.length;
      const chunk = headingChunk(
        text,
        lines,
        stack.map((s) => s.title).join(" › "),
        h.l.start,
        end,
        granularity,
        closes,
      );
      for (const section of chunk) raw.push(section);
    });
  }
  // Tile: each section extends over the whitespace up to the next one, so removals leave clean text.
  const sorted = raw.filter((s) => text.slice(s.start, s.end).trim() !== "").sort((a, b) => a.start - b.start);
  return sorted.map((s, i) => ({
    ...s,
    end: i + 1 < sorted.length ? sorted[i + 1].start : Math.max(s.end, trailingEnd(text, s.end)),
  }));
}

/** The end of the whitespace that follows `pos`. */
function trailingEnd(text: string, pos: number): number {
  let e = pos;
  while (e < text.length && /\s/.test(text[e])) e++;
  return e;
}

/** Removes [start, end) ranges from a text and tidies the blank lines the removal leaves behind. */
export function removeRanges(text: string, ranges: { start: number; end: number }[]): string {
  const sorted = [...ranges].sort((a, b) => b.start - a.start);
  let out = text;
  for (const r of sorted) out = out.slice(0, r.start) + out.slice(r.end);
  return out.replace(/\n{3,}/g, "\n\n").trim();
}
