// Defences against words and phrases that trade places (daemon/cache/guards/structure/defences.ts and arguments.ts):
// two nouns trading the prepositions that mark their roles, two prepositions trading places, a word moved into or out
// of brackets, the very forms of two words crossing, one text using both words of a synonym pair, and a name word
// crossing a verb. Each on pairs it must refuse and on paraphrases it must keep. Written from what the constructions
// mean; none of these sentences is in PAWS or test/fixtures/cache-pairs.json.
import assert from "node:assert/strict";
import { findCriticalDifference } from "../../../daemon/cache/guards/index.js";
import { align, type Alignment } from "../../../daemon/cache/guards/structure/align.js";
import { crossedSynonyms } from "../../../daemon/cache/guards/structure/arguments.js";
import { exchangedRoles, replacement, roleChange } from "../../../daemon/cache/guards/structure/defences.js";
import type { GuardFinding } from "../../../daemon/cache/guards/guard.js";

type Check = (al: Alignment) => GuardFinding | undefined;

const cases: { name: string; check: Check; refuse: [string, string][]; keep: [string, string][] }[] = [
  {
    name: "exchanged roles (two nouns trade the prepositions marking their roles)",
    check: exchangedRoles,
    refuse: [
      [
        "Springfield, in Clark County, is named after a river.",
        "Clark County, in Springfield, is named after a river.",
      ],
      ["The report was translated from Danish into Polish.", "The report was translated from Polish into Danish."],
      ["The parcel went by ship to Lisbon with Marta.", "The parcel went by ship to Marta with Lisbon."],
    ],
    keep: [
      ["The songs were written by Ana, Ben and Carl.", "The songs were written by Carl, Ben and Ana."],
      ["It lies in the district of Kent in England.", "It lies in the Kent district of England."],
      ["She worked at the lab in Geneva.", "She worked in the lab at Geneva."],
      ["Anna wrote the report.", "The report was written by Anna."],
    ],
  },
  {
    name: "prepositions trading places",
    check: replacement,
    refuse: [
      ["Copy the file from the server to the laptop.", "Copy the file to the server from the laptop."],
      ["The rope hangs over the table under the lamp.", "The rope hangs under the table over the lamp."],
    ],
    keep: [
      ["He studied at the college in Leeds.", "He studied in the college at Leeds."],
      ["The album came out on 5 May in Japan.", "The album came out in Japan on 5 May."],
    ],
  },
  {
    name: "a word moved into or out of brackets, a name word crossing a verb",
    check: roleChange,
    refuse: [
      ["Invite the director, Maria Lopez (Ken Ito) and Sara.", "Invite the director, Ken Ito (Maria Lopez) and Sara."],
      ["After the match Ana Lopez thanked Maria Ruiz.", "After the match Ana thanked Lopez Maria Ruiz."],
    ],
    keep: [
      ["In 2019 Acme acquired Beta Labs.", "Acme acquired Beta Labs in 2019."],
      ["Where is the Python standard library stored?", "Where is the standard Python library stored?"],
      [
        "The patch was reviewed by Tom Lee (maintainer) on Monday.",
        "On Monday the patch was reviewed by Tom Lee (maintainer).",
      ],
    ],
  },
  {
    name: "crossed forms and synonyms one text keeps apart",
    check: crossedSynonyms,
    refuse: [
      ["The new library ships modern tooling.", "The modern library ships new tooling."],
      ["Each node sends one packet to the other nodes.", "Each nodes sends one packet to the other node."],
    ],
    keep: [
      ["How big is the largest file on the disk?", "How large is the biggest file on the disk?"],
      [
        "The bridge is about 40 m long and approximately 9 m wide.",
        "The bridge is approximately 40 m long and about 9 m wide.",
      ],
      ["Write a poem about the sea.", "Compose a poem about the sea."],
    ],
  },
];

describe("defences against words trading places", () => {
  for (const c of cases) {
    describe(c.name, () => {
      for (const [a, b] of c.refuse) {
        it(`refuses "${a}" / "${b}"`, () => {
          const f = c.check(align(a, b));
          assert.ok(f, "this defence did not refuse the pair");
          assert.ok(c.check(align(b, a)), "refused one way only");
          assert.ok(f.detail.length > 0, "a refusal says why");
          assert.ok(findCriticalDifference(a, b), "the guard chain serves the pair");
        });
      }
      for (const [a, b] of c.keep) {
        it(`keeps "${a}" / "${b}"`, () => {
          assert.equal(c.check(align(a, b)), undefined, JSON.stringify(c.check(align(a, b))));
          assert.equal(c.check(align(b, a)), undefined, JSON.stringify(c.check(align(b, a))));
        });
      }
    });
  }
});
