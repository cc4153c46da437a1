// Defences against words and phrases that trade places (daemon/cache/guards/structure/defences.ts and arguments.ts):
// two nouns trading the prepositions that mark their roles, two prepositions trading places, a word moved into or out
// of brackets, the very forms of two words crossing, one text using both words of a synonym pair, and a name word
// crossing a verb. Each on pairs it must refuse and on paraphrases it must keep. Written from what the constructions
// mean; none of these sentences is in PAWS or test/fixtures/cache-pairs.json.
import { crossedSynonyms } from "../../../daemon/cache/guards/structure/arguments.js";
import { exchangedRoles, replacement, roleChange } from "../../../daemon/cache/guards/structure/defences.js";
import { describeDefences, type DefenceCase } from "../../fixtures/defence-cases.js";

const cases: DefenceCase[] = [
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

describeDefences("defences against words trading places", cases);
