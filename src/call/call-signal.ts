/**
 * One abort signal for a call: the caller's own `signal` and the whole-call deadline both end it.
 * Forwarded by hand (AbortSignal.any costs more per call); the listener on the caller's signal,
 * which may serve many calls, is removed when the call ends. The deadline's reason is a
 * {@link DeadlineExceededError}: whoever reads the aborted request or body gets the SDK's timeout
 * error class.
 */
import { monotonicNow } from '../delay/clock.js';
import { DeadlineExceededError } from '../errors.js';

export class CallSignal {
  readonly signal: AbortSignal;
  /** Monotonic ms by which the call must end; `Infinity` for none. */
  readonly deadline: number;
  private readonly controller = new AbortController();
  private readonly timer: ReturnType<typeof setTimeout> | undefined;
  private readonly onUserAbort: () => void;

  constructor(
    private readonly user: AbortSignal | undefined,
    timeoutMs: number,
    /** When the call started (monotonic ms): the deadline runs from there. */
    started: number,
  ) {
    this.signal = this.controller.signal;
    this.onUserAbort = () => this.controller.abort(user!.reason);
    if (user?.aborted) this.onUserAbort();
    else user?.addEventListener('abort', this.onUserAbort, { once: true });
    this.deadline = timeoutMs > 0 ? started + timeoutMs : Infinity;
    const left = this.deadline - monotonicNow();
    const expire = () => this.controller.abort(new DeadlineExceededError(timeoutMs));
    // A call that used its whole deadline waiting in the queue ends at once.
    if (left <= 0) expire();
    this.timer = left > 0 && left !== Infinity ? setTimeout(expire, left) : undefined;
  }

  /** The caller aborted the call. */
  get userAborted(): boolean {
    return this.user?.aborted === true;
  }

  /** Stops the deadline and forgets the caller's signal; idempotent. */
  dispose(): void {
    clearTimeout(this.timer);
    this.user?.removeEventListener('abort', this.onUserAbort);
  }
}
