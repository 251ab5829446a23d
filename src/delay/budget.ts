/**
 * A retry budget: retries allowed as a share of calls started over a sliding window, so a long
 * outage does not multiply load by the retry count (cf. gRPC retry throttling, Google SRE client
 * throttling). Counts live in one-second buckets; the clock is a parameter.
 */
export const BUDGET_WINDOW_S = 60;
/** Retries always allowed per window, so a quiet client is never refused its first retries. */
export const BUDGET_FLOOR = 10;

export class RetryBudget {
  private readonly calls = new Float64Array(BUDGET_WINDOW_S);
  private readonly retries = new Float64Array(BUDGET_WINDOW_S);
  private second = -1;

  constructor(private readonly ratio: number) {}

  private advance(now: number): void {
    const sec = Math.floor(now / 1000);
    if (this.second < 0) this.second = sec;
    const steps = Math.min(BUDGET_WINDOW_S, sec - this.second);
    for (let i = 1; i <= steps; i++) {
      const slot = (this.second + i) % BUDGET_WINDOW_S;
      this.calls[slot] = 0;
      this.retries[slot] = 0;
    }
    if (sec > this.second) this.second = sec;
  }

  private sum(a: Float64Array): number {
    let total = 0;
    for (const v of a) total += v;
    return total;
  }

  recordCall(now: number): void {
    this.advance(now);
    this.calls[this.second % BUDGET_WINDOW_S]! += 1;
  }

  /** Takes one retry from the budget; false when the window's share is spent. */
  tryRetry(now: number): boolean {
    this.advance(now);
    const allowed = Math.max(BUDGET_FLOOR, this.ratio * this.sum(this.calls));
    if (this.sum(this.retries) >= allowed) return false;
    this.retries[this.second % BUDGET_WINDOW_S]! += 1;
    return true;
  }
}
