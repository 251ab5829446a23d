/**
 * The calls of one key+model waiting for a slot, first come first served, in front of p-limit:
 * p-limit keeps four promises and five closures for each function it queues (about 0.8 KB), so a
 * call waits here, linked through its own `next` field (nothing allocated per call), and joins
 * p-limit's queue only when p-limit has room for it. p-limit still decides when each runs.
 *
 * The line also ends the waits that outlive their deadline, with one timer for the whole line
 * rather than one per call: calls join in order, so the first in line has the nearest deadline.
 */

/** One call waiting for a slot. */
export interface Waiter {
  /** The call's turn came: it holds `slot` until it frees it. Never called once it left the line. */
  admit(slot: Slot): void;
  /** The call left the line (its caller aborted, its deadline passed): its turn is skipped. */
  readonly cancelled: boolean;
  /** Monotonic ms by which the wait must end (`Infinity` for none). */
  readonly deadline: number;
  /** Its deadline passed while it waited: it leaves the line (nothing once its turn came). */
  expire(): void;
  /** The line's link to the next waiter. */
  next?: Waiter | undefined;
  /** Told which admission's line it joined (it may be handed on to another: see `mergeInto`). */
  joined?(admission: object): void;
}

/** A slot held by one call. */
export interface Slot {
  /** Gives the slot back; idempotent. */
  free(): void;
}

export class WaitingLine {
  private head: Waiter | undefined;
  private tail: Waiter | undefined;
  /** Waiters in line, those that left it included until they are reached. */
  size = 0;
  /** The timers of waiters whose deadline is nearer than one ahead of them (see push). */
  private readonly alone = new Map<Waiter, ReturnType<typeof setTimeout>>();
  /** The timer for the first deadline in line, and when it fires. */
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Infinity;

  constructor(private readonly now: () => number) {}

  push(waiter: Waiter): void {
    // A deadline nearer than one ahead of it (another gateway's setting on the same limits) gets
    // its own timer: the line's watches only the first.
    if (waiter.deadline < (this.tail?.deadline ?? -Infinity)) this.watchAlone(waiter);
    waiter.next = undefined;
    if (this.tail) this.tail.next = waiter;
    else this.head = waiter;
    this.tail = waiter;
    this.size++;
    if (this.head === waiter) this.watch();
  }

  /** The first waiter that has not left the line, taken out of it; those that left are dropped. */
  shift(): Waiter | undefined {
    for (let w = this.head; w; w = this.head) {
      this.unlinkHead();
      if (!w.cancelled) {
        this.watch();
        this.stopAlone(w);
        return w;
      }
    }
    this.watch();
    return undefined;
  }

  private unlinkHead(): void {
    const w = this.head!;
    this.head = w.next;
    if (!this.head) this.tail = undefined;
    w.next = undefined;
    this.size--;
  }

  /** Ends the waits at the head of the line whose deadline passed; the timer follows the next one. */
  private watch(): void {
    const now = this.now();
    while (this.head && (this.head.cancelled || this.head.deadline <= now)) {
      const w = this.head;
      this.unlinkHead();
      if (!w.cancelled) w.expire();
    }
    // A timer already set for an earlier deadline stays (it re-arms when it fires): a call's
    // dispatch moves the head on without touching timers.
    const at = this.head?.deadline ?? Infinity;
    if (at >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timerAt = Infinity;
      this.watch();
    }, at - now);
    // Unreferenced: the calls in flight ahead keep the process alive, not a wait.
    this.timer.unref?.();
  }

  private watchAlone(waiter: Waiter): void {
    const timer = setTimeout(
      () => {
        this.alone.delete(waiter);
        if (!waiter.cancelled) waiter.expire();
      },
      Math.max(0, waiter.deadline - this.now()),
    );
    timer.unref?.();
    this.alone.set(waiter, timer);
  }

  /** A waiter watched alone left the line: its timer would only keep it in memory until its deadline. */
  private stopAlone(waiter: Waiter): void {
    if (this.alone.size === 0) return;
    const timer = this.alone.get(waiter);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.alone.delete(waiter);
  }

  /** Stops the line's timer (its admission is disposed of). */
  close(): void {
    for (const timer of this.alone.values()) clearTimeout(timer);
    this.alone.clear();
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }
}
