// How many rows may change without the human: per call (--write-budget) AND per session (--session-write-budget),
// so a change too big for one call cannot be made in many small ones ("split it into batches of 100" deletes a
// table just the same). Invariant: a write that runs without consent never takes the session past its budget
// (measured rows, cascades and triggers included); a write the human approved starts the count again, since the
// human has just seen what is happening. Per process, which for the stdio server is the session.
export class SessionWriteBudget {
  private used = 0;

  constructor(
    /** Rows one write may change without consent. */
    readonly perCall: number,
    /** Rows all writes of the session may change without consent. */
    readonly perSession: number,
  ) {}

  /** Rows the next write may change without consent. */
  allowance(): number {
    return Math.min(this.perCall, Math.max(0, this.perSession - this.used));
  }

  /** Rows changed without consent since the session started or the human last approved a write. */
  get usedRows(): number {
    return this.used;
  }

  /** A write ran without consent. */
  recordUnapproved(rows: number): void {
    this.used += rows;
  }

  /** A write ran with the human's consent. */
  recordApproved(): void {
    this.used = 0;
  }
}
