// Flag value parsers. They throw commander's InvalidArgumentError so the message names the flag:
//   error: option '--port <port>' argument 'abc' is invalid. "abc" is not an integer
import { InvalidArgumentError } from "commander";
import { parseKeepAlive } from "../models/keep-alive.js";

export function integer(value: string): number {
  const n = Number(value.trim());
  if (value.trim() === "" || !Number.isInteger(n)) throw new InvalidArgumentError(`"${value}" is not an integer`);
  return n;
}

/** A duration: plain seconds ("300"), or with a unit ("500ms", "30s", "10m", "2h"); "-1" means never. In ms. */
export function duration(value: string): number {
  const ms = parseKeepAlive(value);
  if (ms === undefined)
    throw new InvalidArgumentError(`"${value}" is not a duration (e.g. 30s, 10m, 2h, 0, or -1 for never)`);
  return ms;
}
