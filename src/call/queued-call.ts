/**
 * A call waiting for its first slot, before anything is built for it: no request, no span, no
 * retry loop, no abort controller, no timer; its place in its key+model's line (the call itself is
 * the link; the line's one timer ends waits past their deadline), and a listener on the caller's
 * signal when there is one. The SDK builds the request once the wait ends (see
 * `gateway/sdk-seams.ts` `queueFirst`); the call's first attempt then takes the slot
 * ({@link QueuedCall.claim}).
 */
import type { Admission, Slot, Waiter } from '../admit/admission.js';
import { monotonicNow } from '../delay/clock.js';

/** How a call's wait in the queue ended. */
export type QueueEnd = 'admitted' | 'aborted' | 'expired';

export class QueuedCall implements Waiter {
  // Fields kept few (100,000 of these may wait at once): the deadline is derived, the caller's
  // signal and its listener kept only when there is a signal.
  /** When the call started (joined the queue), monotonic ms. */
  readonly startedAt = monotonicNow();
  /** How the wait ended; undefined while it lasts. */
  end: QueueEnd | undefined;
  /** The gateway saw the call after its wait (its first attempt claimed the slot). */
  private claimed = false;
  /**
   * Resolves with this call when its wait ends, however it ends; never rejects. What follows runs in
   * a reaction to it, so in the caller's async context (the line hands out turns from whichever call
   * freed a slot).
   */
  readonly turn: Promise<QueuedCall>;
  /** The concurrency limit and the queue depth when the call joined the queue. */
  readonly limitAtQueue: number;
  readonly queueDepthAtQueue: number;
  next?: Waiter | undefined;
  private slot: Slot | undefined;
  private abort: { readonly signal: AbortSignal; readonly listener: () => void } | undefined;
  private resolve!: (call: QueuedCall) => void;

  constructor(
    /** The admission whose line it waits in (another's when its limiter was merged: `joined`). */
    public admission: Admission,
    /** Who the call is made as (a hash; see `Call.credential`). */
    readonly credential: string,
    private readonly timeoutMs: number,
    signal: AbortSignal | undefined,
  ) {
    this.turn = new Promise<QueuedCall>((resolve) => (this.resolve = resolve));
    if (signal?.aborted) {
      this.end = 'aborted';
      this.resolve(this);
      this.limitAtQueue = this.queueDepthAtQueue = 0;
      return;
    }
    if (signal) {
      const listener = () => this.leave('aborted');
      this.abort = { signal, listener };
      signal.addEventListener('abort', listener, { once: true });
    }
    const at = admission.enqueue(this);
    this.limitAtQueue = at.limitAtQueue;
    this.queueDepthAtQueue = at.queueDepthAtQueue;
  }

  /** Monotonic ms by which its wait must end (the call's deadline). */
  get deadline(): number {
    return this.timeoutMs > 0 ? this.startedAt + this.timeoutMs : Infinity;
  }

  joined(admission: Admission): void {
    this.admission = admission;
  }

  /** The call left the line (an abort, its deadline) or was never in it. */
  get cancelled(): boolean {
    return this.end !== undefined && this.end !== 'admitted';
  }

  /** Its turn came: it holds `slot` until its first attempt takes it, or the call ends. */
  admit(slot: Slot): void {
    this.stopWaiting();
    this.end = 'admitted';
    this.slot = slot;
    this.resolve(this);
  }

  private leave(end: QueueEnd): void {
    if (this.end !== undefined) return;
    this.stopWaiting();
    this.end = end;
    this.resolve(this);
  }

  /** Its deadline passed while it waited (the line keeps one timer for all its calls). */
  expire(): void {
    this.leave('expired');
  }

  private stopWaiting(): void {
    if (this.abort) this.abort.signal.removeEventListener('abort', this.abort.listener);
    this.abort = undefined;
  }

  /**
   * The slot for the call's first attempt, once, when the call was admitted to `admission` (a call
   * whose request names another key+model than the one it waited for gives it back).
   */
  claim(admission: Admission): Slot | undefined {
    this.claimed = true;
    const slot = this.slot;
    this.slot = undefined;
    if (slot && admission !== this.admission) {
      slot.free();
      return undefined;
    }
    return slot;
  }

  /**
   * The call's request loop settled. Frees a slot no attempt took (the SDK stopped before sending:
   * an invalid request, an abort). Returns whether the gateway never saw the call after its wait:
   * its telemetry is still to be recorded.
   */
  done(): boolean {
    this.slot?.free();
    this.slot = undefined;
    return !this.claimed;
  }
}

export type { Slot };
