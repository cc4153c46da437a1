// Dates and times: "sales in March" vs "sales in May", "tomorrow" vs "yesterday", "2024-01-05" vs "2024-01-06", "Q3" vs "Q4".
import { findAll, phraseMatcher, setDifference, type Guard } from "./guard.js";

const MONTHS = [
  "january",
  "february",
  "march",
  "april",
  "may",
  "june",
  "july",
  "august",
  "september",
  "october",
  "november",
  "december",
];
const MONTH_ABBR = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
const RELATIVE = [
  "today",
  "tonight",
  "tomorrow",
  "yesterday",
  "this morning",
  "this afternoon",
  "this evening",
  "this week",
  "next week",
  "last week",
  "this month",
  "next month",
  "last month",
  "this year",
  "next year",
  "last year",
  "weekend",
  "weekday",
  "weekdays",
  "spring",
  "summer",
  "autumn",
  "fall",
  "winter",
  "now",
  "recently",
];
const RELATIVE_RE = phraseMatcher(RELATIVE);
const ISO = /\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?\b/g;
const SLASHED = /\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b/g;
const TIME = /\b\d{1,2}(?::\d{2})?\s?(?:am|pm)\b|\b\d{1,2}:\d{2}\b/gi;
const QUARTER = /\b(?:q[1-4]|h[12]|fy\s?\d{2,4})\b/gi;
const MONTH_RE = new RegExp(
  `\\b(${MONTHS.filter((m) => m !== "may" && m !== "march").join("|")}|${MONTH_ABBR.filter((m) => m !== "may" && m !== "mar").join("|")})\\.?\\b`,
  "gi",
);
const DAY_RE = new RegExp(`\\b(${DAYS.join("|")}|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)\\b`, "gi");

export function dateFacts(text: string): string[] {
  const out: string[] = [];
  // "may" and "march" are also a verb: counted below only in date-like positions ("in May", "May 5").
  for (const m of text.matchAll(MONTH_RE)) {
    const w = m[1].toLowerCase();
    out.push(`month:${MONTHS[MONTH_ABBR.indexOf(w.slice(0, 3))]}`);
  }
  if (/(?<=\S\s+)May\b|\bMay(?=\s+\d)/.test(text)) out.push("month:may");
  if (/\b(?:in|of|by|since|until|before|after|during)\s+(?:March|Mar)\b|\bMar(?:ch)?(?=\s+\d)/.test(text))
    out.push("month:march");
  for (const m of text.matchAll(DAY_RE)) out.push(`day:${m[1].toLowerCase().slice(0, 3)}`);
  out.push(...findAll(RELATIVE_RE, text).map((r) => `rel:${r}`));
  for (const re of [ISO, SLASHED, TIME, QUARTER])
    out.push(...findAll(re, text).map((x) => `at:${x.replace(/\s/g, "")}`));
  return [...new Set(out)];
}

export const dateGuard: Guard = {
  kind: "date",
  compare(a, b) {
    return setDifference("date", dateFacts(a), dateFacts(b));
  },
};
