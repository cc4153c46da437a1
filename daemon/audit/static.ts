// Findings that need no model run: sentences repeated across sections, few-shot examples far larger than their
// siblings, sections that dominate the prompt, and tool definitions no recorded call ever used.
import type { AuditFinding, AuditSectionDto } from "../api.js";
import type { RecordedUse } from "./recorded.js";
import type { PromptDoc } from "./sections/index.js";
import { median } from "./stats.js";
import type { TokenCounter } from "./tokens.js";

/** A sentence shorter than this (normalised) is too generic to call a duplicate ("Be concise."). */
const MIN_SENTENCE_CHARS = 24;
/** An example this many times the median example's size is flagged. */
const OVERSIZED_FACTOR = 2;
/** A section holding more than this share of the prompt is flagged. */
const LARGE_SHARE = 0.4;

export function sectionDtos(
  doc: PromptDoc,
  counter: TokenCounter,
): { sections: AuditSectionDto[]; totalTokens: number } {
  const counts = doc.sections.map((s) => counter.count(s.text));
  const total = counts.reduce((a, b) => a + b, 0);
  return {
    totalTokens: total,
    sections: doc.sections.map((s, i) => ({
      id: s.id,
      title: s.title,
      kind: s.kind,
      tokens: counts[i],
      share: total ? counts[i] / total : 0,
      range: s.range,
      deleteRange: s.deleteRange,
    })),
  };
}

function sentences(text: string): { raw: string; key: string }[] {
  return text
    .split(/(?<=[.!?])\s+|\n+/)
    .map((raw) => raw.replace(/^[\s>*\-+•#\d.)]+/, "").trim())
    .map((raw) => ({
      raw,
      key: raw
        .toLowerCase()
        .replace(/[^\p{L}\p{N}]+/gu, " ")
        .trim(),
    }))
    .filter((s) => s.key.length >= MIN_SENTENCE_CHARS);
}

/** A sentence found in two or more sections: its first wording, and the sections' ids. */
export interface DuplicateSentence {
  raw: string;
  ids: string[];
}

/**
 * Duplicated sentences: the same normalised sentence in two or more sections (tool JSON excluded). Reads every
 * sentence of the prompt (0.2–0.6 s for 1 MB on a busy 2-core machine): a request's prompt has it worked out on the
 * parsing worker (sections/parse-thread.ts) and passed in.
 */
export function duplicateSentences(doc: PromptDoc): DuplicateSentence[] {
  const seen = new Map<string, { raw: string; ids: string[] }>();
  for (const s of doc.sections) {
    if (s.kind === "tool") continue;
    for (const sent of new Map(sentences(s.text).map((x) => [x.key, x])).values()) {
      const e = seen.get(sent.key) ?? seen.set(sent.key, { raw: sent.raw, ids: [] }).get(sent.key)!;
      // Each section's sentences are unique (the Map above) and sections come in order: its id is new or the last one.
      if (e.ids[e.ids.length - 1] !== s.id) e.ids.push(s.id);
    }
  }
  return [...seen.values()].filter((e) => e.ids.length >= 2);
}

/** Every text sectionDtos and findings count, so they can be counted beforehand (off the event loop). */
export function staticTexts(doc: PromptDoc, duplicates = duplicateSentences(doc)): string[] {
  return [...doc.sections.map((s) => s.text), ...duplicates.map((d) => d.raw)];
}

export function findings(
  doc: PromptDoc,
  counter: TokenCounter,
  recorded?: RecordedUse,
  duplicates = duplicateSentences(doc),
): AuditFinding[] {
  const out: AuditFinding[] = [];
  const { sections, totalTokens } = sectionDtos(doc, counter);
  const byId = new Map(sections.map((s) => [s.id, s]));
  const title = (id: string) => {
    const s = byId.get(id);
    return s ? `"${s.title}"` : id;
  };

  for (const { raw, ids } of duplicates) {
    out.push({
      kind: "duplicate-sentence",
      message: `"${raw.length > 80 ? `${raw.slice(0, 79)}…` : raw}" appears in ${ids.length} sections: ${ids.map(title).join(", ")}`,
      sectionIds: ids,
      tokens: counter.count(raw) * (ids.length - 1),
    });
  }

  // Oversized few-shot examples, relative to their siblings.
  const examples = doc.sections.filter((s) => s.kind === "example" || s.kind === "turn");
  if (examples.length >= 2) {
    const med = median(examples.map((s) => byId.get(s.id)!.tokens));
    for (const s of examples) {
      const t = byId.get(s.id)!.tokens;
      if (med > 0 && t >= OVERSIZED_FACTOR * med) {
        out.push({
          kind: "oversized-example",
          message: `example "${s.title}" has ${t} tokens, ${(t / med).toFixed(1)}× the median example (${Math.round(med)})`,
          sectionIds: [s.id],
          tokens: Math.round(t - med),
        });
      }
    }
  }

  if (sections.length > 2) {
    for (const s of sections) {
      if (s.share > LARGE_SHARE) {
        out.push({
          kind: "large-section",
          message: `"${s.title}" is ${(s.share * 100).toFixed(0)}% of the prompt (${s.tokens} of ${totalTokens} tokens)`,
          sectionIds: [s.id],
        });
      }
    }
  }

  // Tools never called in the recorded traces that sent this prompt.
  if (recorded && recorded.stats.calls > 0) {
    for (const s of doc.sections.filter((x) => x.kind === "tool")) {
      const name = s.id.slice("tool:".length);
      if ((recorded.toolCalls.get(name) ?? 0) > 0) continue;
      const t = byId.get(s.id)!.tokens;
      out.push({
        kind: "unused-tool",
        message: `tool "${name}" was never called in ${recorded.stats.calls} recorded calls with this prompt, yet costs ${t} tokens on each`,
        sectionIds: [s.id],
        tokens: t * recorded.stats.calls,
      });
    }
  }
  return out;
}
