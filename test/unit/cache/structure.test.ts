// The structural false-hit defences: pairs each must refuse (words that kept their set but changed role, place,
// word or polarity) and paraphrases each must keep. Written from what the constructions mean, not from a data set;
// none of these sentences is in test/fixtures/cache-pairs.json or PAWS.
import assert from "node:assert/strict";
import { findCriticalDifference } from "../../../daemon/cache/guards/index.js";

const refuse: [string, string, string][] = [
  // Argument and role swaps: the same words, other roles.
  [
    "role swap",
    "The film was written by Ana Ruiz and directed by Tom Berg.",
    "The film was written by Tom Berg and directed by Ana Ruiz.",
  ],
  [
    "role swap",
    "Which packages does lodash depend on, and which depend on lodash?",
    "Which packages depend on lodash, and which does lodash depend on?",
  ],
  ["role swap", "Copy the config from staging to production.", "Copy the config from production to staging."],
  [
    "role swap",
    "Does the parent process wait for the child process?",
    "Does the child process wait for the parent process?",
  ],
  ["role swap", "The Drava is a tributary of the Danube.", "The Danube is a tributary of the Drava."],
  ["role swap", "Merge the feature branch into main.", "Merge main into the feature branch."],
  // Ordinals swapped: both still in the set.
  [
    "ordinal swap",
    "Her fourth album sold better than her fifth single.",
    "Her fifth album sold better than her fourth single.",
  ],
  [
    "ordinal swap",
    "Move the second column before the third column.",
    "Move the third column before the second column.",
  ],
  // A content word replaced by one that is no inflection or synonym of it, inflected forms included.
  ["passes/fails", "Why does this test pass on CI?", "Why does this test fail on CI?"],
  ["passes/fails", "The build passes after the upgrade.", "The build fails after the upgrade."],
  ["passes/fails", "Explain why the check passed yesterday.", "Explain why the check failed yesterday."],
  [
    "keyword swap",
    "What is the difference between let and var in JavaScript?",
    "What is the difference between let and const in JavaScript?",
  ],
  [
    "keyword swap",
    "When should I use an interface instead of a struct in Go?",
    "When should I use an interface instead of a map in Go?",
  ],
  ["keyword swap", "Should I use map or filter here?", "Should I use map or reduce here?"],
  ["replacement", "How do I apply the patch?", "How do I remove the patch?"],
  ["replacement", "Who wrote the novel Dune?", "When was the novel Dune published?"],
  // Spatial opposites among prepositions and particles.
  ["onto/off", "How do I copy files onto the USB drive?", "How do I copy files off the USB drive?"],
  ["inside/outside", "Why does the variable change inside the loop?", "Why does the variable change outside the loop?"],
  ["onto/off", "How do I push the image onto the registry?", "How do I pull the image off the registry?"],
  // Negation per clause: both texts hold one negation, in different clauses.
  [
    "negation scope",
    "It compiles on Linux but does not compile on Windows, why?",
    "It does not compile on Linux but compiles on Windows, why?",
  ],
  // A name on one side only.
  ["added fact", "The canal runs near Hollinwood in Oldham.", "The canal runs near Oldham."],
];

const keep: [string, string][] = [
  // Whole phrases moved to a clause edge keep their roles.
  ["In 2019, the team moved the service to Kubernetes.", "The team moved the service to Kubernetes in 2019."],
  ["After the upgrade, the build passes.", "The build passes after the upgrade."],
  // Inflections, derivations, synonyms.
  ["Why does this test pass?", "Why is this test passing?"],
  ["What is the difference between a thread and a process?", "How do a thread and a process differ?"],
  ["Write a poem about the sea.", "Compose a poem about the sea."],
  ["How big is the largest file on the disk?", "How large is the biggest file on the disk?"],
  // Genitive and compound alternations.
  ["How does Java's garbage collector work?", "How does the garbage collector in Java work?"],
  ["Give me a recipe for pancakes.", "Give me a pancake recipe."],
  ["How do I sort a Python list?", "How do I sort a list in Python?"],
  // Question frames and adverbs.
  ["How do I reverse a string in Rust?", "What is the way to reverse a string in Rust?"],
  ["How do I quickly rename a branch in git?", "How do I rename a branch in git quickly?"],
  // Negation in the same place on both sides.
  ["Why doesn't my build work on Windows?", "Why does my build not work on Windows?"],
];

describe("structural false-hit defences", () => {
  for (const [kind, a, b] of refuse) {
    it(`refuses (${kind}): "${a}" / "${b}"`, () => {
      const f = findCriticalDifference(a, b);
      assert.ok(f, "no defence refused this pair");
      assert.ok(findCriticalDifference(b, a), "refused one way only");
      assert.ok(f.detail.length > 0, "a refusal says why");
    });
  }
  for (const [a, b] of keep) {
    it(`keeps the paraphrase "${a}" / "${b}"`, () => {
      assert.equal(findCriticalDifference(a, b), undefined, JSON.stringify(findCriticalDifference(a, b)));
      assert.equal(findCriticalDifference(b, a), undefined, JSON.stringify(findCriticalDifference(b, a)));
    });
  }
});
