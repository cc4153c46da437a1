// A tiny element builder: the webview's CSP forbids inline styles in markup, so everything is built with the DOM API.
type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | undefined | ((e: Event) => void)> = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === "function") el.addEventListener(k.replace(/^on/, "").toLowerCase(), v as EventListener);
    else if (k === "class") el.className = String(v);
    else if (k === "text") el.textContent = String(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "object" ? c : String(c));
  }
  return el;
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return "–";
  if (ms === 0) return "0 s";
  const a = Math.abs(ms);
  if (a >= 3_600_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  if (a >= 60_000) return `${(ms / 60_000).toFixed(1)} min`;
  if (a >= 1000) return `${(ms / 1000).toFixed(a >= 10_000 ? 1 : 2)} s`;
  if (a >= 1) return `${ms.toFixed(a >= 100 ? 0 : 1)} ms`;
  return `${(ms * 1000).toFixed(0)} µs`;
}

/** A share (0..1) as a whole percent; a share that is there but rounds to 0 reads "<1%", not "0%". */
export function fmtShare(f: number): string {
  if (!Number.isFinite(f)) return "–";
  const p = f * 100;
  return p > 0 && p < 0.5 ? "<1%" : `${Math.round(p)}%`;
}

export function fmtNum(n: number, digits = 0): string {
  return Number.isFinite(n)
    ? n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : "–";
}

export function empty(text: string): HTMLElement {
  return h("p", { class: "empty" }, text);
}

/** replaceChildren that skips empty children (conditional sections). */
export function replace(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  for (const c of children.flat())
    if (c !== null && c !== undefined && c !== false) el.append(typeof c === "object" ? c : String(c));
}

/** A time axis's unit: every tick of one zoom level is written in it (no "50.0 s" next to "1.7 min"). */
export interface TimeUnit {
  name: "µs" | "ms" | "s" | "min" | "h";
  ms: number;
}
const UNITS: TimeUnit[] = [
  { name: "µs", ms: 0.001 },
  { name: "ms", ms: 1 },
  { name: "s", ms: 1000 },
  { name: "min", ms: 60_000 },
  { name: "h", ms: 3_600_000 },
];
/** Round tick steps per unit (multiples a person counts in: 15 s, 30 s, 5 min, 6 h). */
const STEPS: [TimeUnit["name"], number[]][] = [
  ["µs", [1, 2, 5, 10, 20, 50, 100, 200, 500]],
  ["ms", [1, 2, 5, 10, 20, 50, 100, 200, 500]],
  ["s", [1, 2, 5, 10, 15, 30]],
  ["min", [1, 2, 5, 10, 15, 30]],
  ["h", [1, 2, 3, 6, 12, 24, 48, 96, 168, 336, 720, 1440, 4320, 8760]],
];

/** The smallest round step of at least `targetMs`, and the unit its ticks are written in. */
export function tickStep(targetMs: number): { stepMs: number; unit: TimeUnit } {
  for (const [name, steps] of STEPS) {
    const unit = UNITS.find((u) => u.name === name)!;
    for (const n of steps) if (n * unit.ms >= targetMs) return { stepMs: n * unit.ms, unit };
  }
  const h = UNITS[UNITS.length - 1]!;
  return { stepMs: Math.ceil(targetMs / h.ms) * h.ms, unit: h };
}

/** `ms` in `unit`, with the decimals a step of `stepMs` needs (none for whole steps). */
export function fmtIn(ms: number, unit: TimeUnit, stepMs = unit.ms): string {
  const v = ms / unit.ms;
  const step = stepMs / unit.ms;
  const digits = step >= 1 ? 0 : Math.min(3, Math.ceil(-Math.log10(step) - 1e-9));
  return `${v.toFixed(digits)} ${unit.name}`;
}

/** Ticks from a to b (ms), about `count` of them, all in one unit. */
export function timeTicks(a: number, b: number, count = 8): { ticks: number[]; unit: TimeUnit; stepMs: number } {
  const { stepMs, unit } = tickStep(Math.max((b - a) / count, 1e-6));
  const ticks: number[] = [];
  for (let i = Math.ceil(a / stepMs - 1e-9); i * stepMs <= b + 1e-9 && ticks.length < 1000; i++) ticks.push(i * stepMs);
  return { ticks, unit, stepMs };
}
