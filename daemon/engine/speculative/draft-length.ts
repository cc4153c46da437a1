// How many tokens to draft per verification step. Long drafts pay off only while they are accepted: a rejected
// token still widens the target's batch. Same schedule as Hugging Face's "heuristic" assistant: +2 after a fully
// accepted draft, −1 after a rejection.
export class DraftLength {
  private length: number;

  constructor(
    initial: number,
    private readonly max: number,
  ) {
    this.length = Math.min(initial, max);
  }

  get current(): number {
    return this.length;
  }

  update(drafted: number, accepted: number): void {
    if (drafted === 0) return; // nothing proposed: says nothing about acceptance
    this.length = accepted === drafted ? Math.min(this.max, this.length + 2) : Math.max(1, this.length - 1);
  }
}
