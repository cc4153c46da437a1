// Argument-structure defences (daemon/cache/guards/structure/arguments.ts) and the added-fact defence's newer cases: each
// on pairs it must refuse and on paraphrases it must keep. Written from what the constructions mean (who does the
// verb, what a modifier attaches to, two words trading places, a narrowed name, a sentence on one side only); none of
// these sentences is in PAWS or test/fixtures/cache-pairs.json.
import { crossedSynonyms, modifierMove, subjectChange } from "../../../daemon/cache/guards/structure/arguments.js";
import { addedFact } from "../../../daemon/cache/guards/structure/defences.js";
import { describeDefences, type DefenceCase } from "../../fixtures/defence-cases.js";

const cases: DefenceCase[] = [
  {
    name: "subject (who does the verb)",
    check: subjectChange,
    refuse: [
      [
        "Maria reviewed the patch with Tom and merged it.",
        "Tom, together with Maria, reviewed the patch and merged it.",
      ],
      ["In 2010, Lee founded the company with Park.", "In 2010, Park, together with Lee, founded the company."],
      ["Both sisters moved away before he did.", "Both sisters, before he moved away, did."],
      [
        "The old librarian, not the students, catalogued the maps.",
        "The students, not the old librarian, catalogued the maps.",
      ],
    ],
    keep: [
      ["Ana wrote the report.", "The report was written by Ana."],
      ["Tom Berg, the lead engineer, approved the design.", "The lead engineer, Tom Berg, approved the design."],
      ["Yesterday the new intern fixed the bug.", "The new intern fixed the bug yesterday."],
      [
        "Waseem Abbas is a singer's son. He began his career in Lahore.",
        "Waseem Abbas, a singer's son, began his career in Lahore.",
      ],
      ["What's the difference between git fetch and git pull?", "How does git fetch differ from git pull?"],
    ],
  },
  {
    name: "modifier (what an adjective or adverb attaches to)",
    check: modifierMove,
    refuse: [
      ["The town lies in northern Brazil, in the state of Pará.", "The town lies in northern Pará, in Brazil."],
      ["The school is in eastern Kenya near Uganda.", "The school is in eastern Uganda near Kenya."],
    ],
    keep: [
      ["Finland was an autonomous grand duchy of Russia.", "Finland was an autonomous Grand Duchy of Russia."],
      ["It was the third season broadcast after the reunion.", "It was the third season to air after the reunion."],
      ["How do I quickly rename a branch in git?", "How do I rename a branch in git quickly?"],
    ],
  },
  {
    name: "swap (two words trading places)",
    check: crossedSynonyms,
    refuse: [
      ["Print the report, then publish it.", "Publish the report, then print it."],
      [
        "The essay was published in Boston and printed in Chicago.",
        "The essay was printed in Boston and published in Chicago.",
      ],
    ],
    keep: [
      [
        "The dam is about 110 m long and approximately 5 m wide.",
        "The dam is approximately 110 m long and about 5 m wide.",
      ],
      ["Write a poem about the sea.", "Compose a poem about the sea."],
      ["How big is the largest file on the disk?", "How large is the biggest file on the disk?"],
    ],
  },
  {
    name: "fact (a narrowed name, a sentence on one side only)",
    check: addedFact,
    refuse: [
      ["Which trains run to southern Germany?", "Which trains run to Germany?"],
      ["Is the ferry faster to western Norway?", "Is the ferry faster to Norway?"],
      ["The cache was cleared. Why is the build slow?", "Why is the build slow?"],
      ["Sales fell in May. Prices rose in June.", "Prices rose in June."],
    ],
    keep: [
      ["Which trains run to Germany?", "Which trains go to Germany?"],
      [
        "The station was heard in Finland and parts of eastern Europe.",
        "The station was heard in Finland and parts of Eastern Europe.",
      ],
      ["Why is the build slow? It takes ten minutes.", "Why is the build so slow? It takes ten minutes."],
    ],
  },
];

describeDefences("argument-structure defences", cases);
