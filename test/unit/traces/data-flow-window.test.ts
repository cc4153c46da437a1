// DataFlowWindow (the look-back of parallelism.ts) must answer exactly what dataDependency answers: its trigram
// signatures may only skip scans that could not have found the value.
import assert from "node:assert/strict";
import {
  argumentValues,
  dataDependency,
  DataFlowWindow,
  isSearchWithHits,
} from "../../../daemon/traces/analysis/data-flow.js";
import { prng } from "../../../daemon/audit/stats.js";

interface Call {
  args: Set<string>;
  argsText: string;
  resultText: string;
  name: string;
  readonly searchHit: boolean;
}

function call(name: string, argsText: string, resultText: string): Call {
  return {
    name,
    argsText,
    resultText,
    args: argumentValues(argsText),
    get searchHit() {
      return isSearchWithHits(name, argsText, resultText);
    },
  };
}

/** Every (later, earlier) pair within `size` of each other, both ways, compared. */
function compare(calls: Call[], size: number): number {
  const w = new DataFlowWindow(size);
  let found = 0;
  for (let i = 0; i < calls.length; i++) {
    w.setLater(calls[i].args);
    for (let j = Math.max(0, i - size); j < i; j++) {
      const e = calls[j];
      const want = dataDependency(calls[i].args, e.resultText, e.args, e.searchHit);
      assert.equal(w.dependencyOn(j), want, `call ${i} on ${j}: ${calls[i].argsText} / ${e.resultText.slice(0, 80)}`);
      if (want !== undefined) found++;
    }
    w.add(i, calls[i]);
  }
  return found;
}

describe("traces/analysis data-flow window", () => {
  it("finds what dataDependency finds on hand-picked cases", () => {
    const many = Array.from({ length: 40 }, (_, i) => `src/many/f${i}.ts`);
    const long = `${"z".repeat(20_000)} /repo/src/deep/long.ts `; // past the signature limit: always scanned
    const calls = [
      call("Grep", '{"pattern":"fooBar","path":"src"}', "src/a/one.ts:3: fooBar\nsrc/b/two.ts:9: fooBar"),
      call("Read", '{"file_path":"/repo/src/a/one.ts"}', "const x = 1"),
      call("Bash", '{"command":"rg -n handler src/c/three.ts"}', "12: handler()"),
      call("Read", '{"file_path":"src/c/three.ts"}', long),
      call("Read", '{"file_path":"/repo/src/deep/long.ts"}', "found in /repo/src/file.ts."),
      call("Read", '{"file_path":"file.ts"}', "naïve Übergrößenträger /repo/ünïcode/päth.ts"),
      call("Read", '{"file_path":"/repo/ünïcode/päth.ts"}', ""),
      call("Read", '{"file_path":"/repo/src/empty.ts"}', ""),
      // More values and longer ones than the window first holds room for: the 31st file of a long command was searched
      // before (a dependency through the search), and a long path was named in a result.
      call("Bash", '{"command":"rg -n foo src/many/f30.ts"}', "12: foo"),
      call("Read", '{"file_path":"src/q/r.ts"}', `see src/${"deep/".repeat(80)}x.ts`),
      call("Bash", JSON.stringify({ command: `cat ${many.join(" ")}` }), ""),
      call("Read", JSON.stringify({ file_path: `src/${"deep/".repeat(80)}x.ts` }), "ok"),
    ];
    assert.ok(compare(calls, 16) >= 6);
    assert.ok(compare(calls, 2) >= 2);
  });

  it("finds what dataDependency finds on generated sessions", () => {
    const rand = prng(7);
    const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
    const path = () => `src/m${Math.floor(rand() * 6)}/f${Math.floor(rand() * 8)}.${pick(["ts", "py", "md"])}`;
    const calls: Call[] = [];
    for (let i = 0; i < 400; i++) {
      const lines = Array.from(
        { length: Math.floor(rand() * 6) },
        () => `${path()}:${Math.floor(rand() * 99)}: id${i}`,
      );
      const result = rand() < 0.1 ? "" : rand() < 0.05 ? "x".repeat(17_000) + path() : lines.join("\n");
      const kind = Math.floor(rand() * 4);
      calls.push(
        kind === 0
          ? call("Read", JSON.stringify({ file_path: `/repo/${path()}` }), result)
          : kind === 1
            ? call("Bash", JSON.stringify({ command: `rg -n id${i} ${path()}` }), result)
            : kind === 2
              ? call("Grep", JSON.stringify({ pattern: `handler_${i}_x`, path: path() }), result)
              : call("Bash", JSON.stringify({ command: `sed -n 1,20p ${path()}` }), result),
      );
    }
    assert.ok(compare(calls, 16) > 50);
  });
});
