// V8's own collection, called by the daemon where it knows garbage is waiting and nothing else is (server/idle-collect.ts
// on the daemon's thread, traces/import/worker.ts in an import thread between jobs).
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

type Gc = (options?: { type: "minor" | "major" }) => void;
let gc: Gc | undefined;
/** Tries left to make it: V8's flags are the process's, and another thread may turn the flag off while one makes it. */
let tries = 3;

/**
 * V8's `gc` as a function, without exposing it to other code: the flag is on only while one new context is made
 * (jest's leak detector does the same); undefined where V8 refuses it. Made when first asked for: gc() is a full
 * collection, gc({ type: "minor" }) one of the young generation. The flag is the process's: a thread that turns it
 * off while another makes its context leaves that one without gc, so a failed try is tried again (a few times); a
 * worker whose thread starts meanwhile gets a `gc` global (the daemon's own workers: none runs code from outside).
 */
function exposedGc(): Gc | undefined {
  if (gc || tries <= 0) return gc;
  tries--;
  try {
    setFlagsFromString("--expose-gc");
    const made = runInNewContext("gc") as unknown;
    if (typeof made === "function") gc = made as Gc;
  } catch {
    // V8 refused the flag: no collection on demand here.
  } finally {
    setFlagsFromString("--no-expose-gc");
  }
  return gc;
}

/** A full collection of this thread's heap, or undefined where V8 gives no `gc`. */
export function fullCollection(): (() => void) | undefined {
  const f = exposedGc();
  return f && (() => f());
}

/** A collection of V8's young generation only (a scavenge: ~1 ms when the young objects are few), or undefined. */
export function youngCollection(): (() => void) | undefined {
  const f = exposedGc();
  return f && (() => f({ type: "minor" }));
}
