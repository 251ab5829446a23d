/** A failed attempt, as it travels through the retry loop until the gateway has answered it. */
import type { AttemptFailureOutcome } from '../attempt/outcome.js';
import type { AttemptSpan, RetryAnswer } from '../trace/attempt-span.js';

/** Thrown inside the retry loop for a failed attempt that may be retried. */
export class AttemptFailure extends Error {
  /** How the gateway answered: the first answer wins. */
  answer: RetryAnswer | undefined;
  constructor(
    readonly outcome: AttemptFailureOutcome,
    readonly span: AttemptSpan,
    /** Which attempt failed: 0 for the first. */
    readonly retry: number,
  ) {
    super(outcome.classification.reason);
  }

  /** The attempt's `retry-after`, when the API sent one. */
  get retryAfterMs(): number | undefined {
    return this.outcome.kind === 'failed-response' ? this.outcome.retryAfterMs : undefined;
  }

  /** Ends the attempt span with how the gateway answered the failure. */
  close(answer: RetryAnswer): void {
    if (this.answer) return;
    this.answer = answer;
    // Retried: nobody will read the error body kept for the SDK.
    if ('delayMs' in answer && this.outcome.kind === 'failed-response') {
      void this.outcome.response.body?.cancel().catch(() => {});
    }
    this.span.failed(this.outcome.classification.errorType, this.outcome.classification.reason, answer);
    this.span.end();
  }
}
