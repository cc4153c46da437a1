// Flag value parsers. They throw commander's InvalidArgumentError so the message names the flag:
//   error: option '--port <port>' argument 'abc' is invalid. "abc" is not an integer
import { InvalidArgumentError } from "commander";

export function integer(value: string): number {
  const n = Number(value.trim());
  if (value.trim() === "" || !Number.isInteger(n)) throw new InvalidArgumentError(`"${value}" is not an integer`);
  return n;
}

/** A duration: plain seconds ("300"), or with a unit ("500ms", "30s", "10m", "2h"); "-1" means never. In ms. */
export function duration(value: string): number {
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(value);
  if (!m) throw new InvalidArgumentError(`"${value}" is not a duration (e.g. 30s, 10m, 2h, 0, or -1 for never)`);
  const n = Number(m[1]);
  if (n < 0) return -1;
  return n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h"];
}
