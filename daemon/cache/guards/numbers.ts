// Numbers and units: "timeout of 30 seconds" vs "timeout of 60 seconds", "5 GB" vs "5 MB", "two" vs "three".
import type { Guard } from "./guard.js";

const WORD_NUMBERS: Record<string, number> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
  hundred: 100,
  thousand: 1000,
  million: 1e6,
  billion: 1e9,
  dozen: 12,
  twice: 2,
  once: 1,
  half: 0.5,
  double: 2,
  triple: 3,
  third: 3,
  fourth: 4,
  fifth: 5,
  sixth: 6,
  seventh: 7,
  eighth: 8,
  ninth: 9,
  tenth: 10,
};

const UNITS: Record<string, string> = {
  ms: "ms",
  millisecond: "ms",
  milliseconds: "ms",
  msec: "ms",
  s: "s",
  sec: "s",
  secs: "s",
  second: "s",
  seconds: "s",
  m: "min",
  min: "min",
  mins: "min",
  minute: "min",
  minutes: "min",
  h: "h",
  hr: "h",
  hrs: "h",
  hour: "h",
  hours: "h",
  d: "day",
  day: "day",
  days: "day",
  week: "week",
  weeks: "week",
  month: "month",
  months: "month",
  year: "year",
  years: "year",
  b: "B",
  byte: "B",
  bytes: "B",
  kb: "KB",
  kib: "KB",
  mb: "MB",
  mib: "MB",
  gb: "GB",
  gib: "GB",
  tb: "TB",
  tib: "TB",
  "%": "%",
  percent: "%",
  px: "px",
  pt: "pt",
  em: "em",
  rem: "rem",
  mm: "mm",
  cm: "cm",
  km: "km",
  meter: "m",
  meters: "m",
  metre: "m",
  metres: "m",
  mile: "mile",
  miles: "mile",
  ft: "ft",
  feet: "ft",
  inch: "in",
  inches: "in",
  kg: "kg",
  g: "g",
  gram: "g",
  grams: "g",
  lb: "lb",
  lbs: "lb",
  pound: "lb",
  pounds: "lb",
  c: "°C",
  f: "°F",
  "°c": "°C",
  "°f": "°F",
  celsius: "°C",
  fahrenheit: "°F",
  degrees: "deg",
  usd: "$",
  dollars: "$",
  dollar: "$",
  eur: "€",
  euros: "€",
  euro: "€",
  k: "e3",
  thousand: "e3",
  million: "e6",
  billion: "e9",
  tokens: "tok",
  token: "tok",
  threads: "thread",
  cores: "core",
  gpus: "gpu",
  items: "item",
  rows: "row",
  lines: "line",
  characters: "char",
  chars: "char",
};

const NUMBER =
  /(?<![\p{L}\p{N}_.])([$€£])?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)*(?:\s?(st|nd|rd|th)\b)?(?:\s?(%|°[cf]|[a-z]+))?/giu;
const WORD = new RegExp(`\\b(${Object.keys(WORD_NUMBERS).join("|")})\\b(?:[\\s-]([a-z]+))?`, "gi");

/** Canonical number facts of a text: "30 s", "5 GB", "3.11" (versions keep their dots). */
export function numberFacts(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(NUMBER)) {
    const [, currency, int, frac, , unitRaw] = m;
    const raw = int.replace(/,/g, "") + (m[0].match(/^[$€£]?[\d,]+((?:\.\d+)*)/)?.[1] ?? "");
    const dots = (raw.match(/\./g) ?? []).length;
    let value = dots > 1 ? raw : String(Number(raw));
    let unit = unitRaw ? UNITS[unitRaw.toLowerCase()] : undefined;
    if (unit === "e3" || unit === "e6" || unit === "e9") {
      value = String(Number(value) * Number(`1${unit}`));
      unit = undefined;
    }
    if (currency) unit = { $: "$", "€": "€", "£": "£" }[currency];
    void frac;
    out.push(unit ? `${value} ${unit}` : value);
  }
  for (const m of text.matchAll(WORD)) {
    const n = WORD_NUMBERS[m[1].toLowerCase()];
    // "one" is also a pronoun ("which one"); only count it with a unit after it.
    const unit = m[2] ? UNITS[m[2].toLowerCase()] : undefined;
    if (m[1].toLowerCase() === "one" && !unit) continue;
    out.push(unit && !unit.startsWith("e") ? `${n} ${unit}` : String(n));
  }
  return out;
}

export const numberGuard: Guard = {
  kind: "number",
  compare(a, b) {
    const fa = numberFacts(a);
    const fb = numberFacts(b);
    // Values must match; units must match where both sides state one for the same value.
    const va = new Set(fa.map((f) => f.split(" ")[0]));
    const vb = new Set(fb.map((f) => f.split(" ")[0]));
    const onlyA = [...va].filter((v) => !vb.has(v));
    const onlyB = [...vb].filter((v) => !va.has(v));
    if (onlyA.length || onlyB.length)
      return { guard: "number", detail: `${onlyA.join(", ") || "no number"} vs ${onlyB.join(", ") || "no number"}` };
    const ua = new Map(fa.filter((f) => f.includes(" ")).map((f) => [f.split(" ")[0], f] as const));
    for (const f of fb) {
      const [v] = f.split(" ");
      const other = ua.get(v);
      if (other && f.includes(" ") && other !== f) return { guard: "number", detail: `${other} vs ${f}` };
    }
    return undefined;
  },
};
