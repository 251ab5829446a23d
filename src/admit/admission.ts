/**
 * Admission for one key+model: this process's queue of calls waiting for a slot (p-limit, whose
 * concurrency follows the limit in the state), the wait for a hold, pacing and the acceleration
 * gate, and the reports that move the state. The decisions themselves are the transitions in
 * `policy/`, run as steps by the store that holds the state (`store/`: this process's memory, or
 * Redis shared by every process of an organization); this module does the waiting and the timers.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import type { Throttle } from '../classify/classify.js';
import type { SeenBuckets } from '../attempt/rate-limit-headers.js';
import { monotonicNow } from '../delay/clock.js';
import { wakeableSleep } from '../delay/sleep.js';
import type { KeyState, LimiterSettings } from './key-state.js';
import type { AttemptCost, Dispatch } from './policy/admit.js';
import { PACED_BUCKET_NAMES, type BucketName } from './policy/buckets.js';
import { inputScale } from './policy/input-count.js';
import { STEPS_PER_INTERVAL } from './policy/concurrency.js';
import {
  grow,
  reportHeaders,
  reportReleased,
  reportSent,
  reportSuccess,
  reportThrottle,
  reportUsage,
} from './policy/report.js';
import { MEMORY_STORE } from './store/memory.js';
import { WaitingLine, type Slot, type Waiter } from './waiting-line.js';
import type { AdmitResult, KeyStore, LimiterStore, Served, Step } from './store/types.js';

export type { AttemptCost } from './policy/admit.js';

export type { Slot, Waiter } from './waiting-line.js';

/** The concurrency limit and the queue depth when a call joined the queue. */
export interface QueuedAt {
  readonly limitAtQueue: number;
  readonly queueDepthAtQueue: number;
}

/** An admitted attempt: it holds a slot until released. */
export interface Ticket extends Dispatch {
  /** Frees the slot; idempotent. */
  release(): void;
  /** Reports the output tokens the attempt produced, once (0 when refused or failed): the rest of
   * its reservation comes back to the output-token mirror. `inputCounted`: the input tokens the
   * API counted for it, when its usage said. */
  settle(outputTokensUsed: number, inputCounted?: number): void;
  /** Time spent waiting for the slot, a hold, pacing and the acceleration gate. */
  readonly waitedMs: number;
  /** The limit and the queue depth when the call joined the queue. */
  readonly limitAtQueue: number;
  readonly queueDepthAtQueue: number;
  /** Which store admitted it: `memory`, `redis`, or `fallback` (this process's share while Redis was away). */
  readonly store: Served;
  /** Time spent in the store's transactions for this admission (0 for the memory store). */
  readonly storeMs: number;
}

export interface LimiterSnapshot {
  /** The organization whose limits these are, once an answer named it. */
  readonly organization: string | undefined;
  /** The model group (`sonnet`, `opus`, `haiku`, or the model id). */
  readonly group: string;
  /** The model group, under its former name. @deprecated Use `group`. */
  readonly model: string;
  readonly limit: number;
  readonly active: number;
  readonly queued: number;
  /** Epoch ms until which attempts are held after a `retry-after`; 0 when none. */
  readonly holdUntil: number;
  /** Last-seen `remaining` per paced bucket. */
  readonly remaining: Partial<Record<BucketName, number>>;
  /**
   * What the API counts per input token of the gateway's estimate, learned from the usage of recent
   * answers (1 until one says): pacing charges the estimate times this.
   */
  readonly inputTokenScale: number;
  /** Which store serves this limiter now: `memory`, `redis`, or `fallback` (Redis away). */
  readonly store?: Served;
  /** Processes sharing this limiter (1 unless a shared store says more). */
  readonly processes?: number;
}

/** How recent a success must be for the API to count as admitting this key+model's calls. */
const ADMITTING_MS = 10_000;

export class Admission {
  private readonly queue: LimitFunction;
  /** Calls waiting for a slot before they join p-limit's queue (see waiting-line.ts). */
  private readonly line: WaitingLine;
  /** Functions handed to p-limit whose slot is not yet free: p-limit's own count lags by a tick. */
  private submitted = 0;
  /** The wakes of attempts waiting for pacing, first come first. */
  private readonly pacing = new Set<() => void>();
  /** Where this admission's calls go since its organization turned out to have one (see mergeInto). */
  private mergedInto: Admission | undefined;
  private readonly keys: KeyStore;
  /** Grows the limit while work is queued and no slot event would (unreferenced). */
  private growTimer: ReturnType<typeof setTimeout> | undefined;
  /** Calls holding a slot while they wait for a hold, pacing or the acceleration gate. */
  private waiting = 0;
  /** Names this process's slots in a shared store (lease members). */
  private slots = 0;

  /** Whose limits: the organization (or credential hash) and the model group. */
  private label: { organization: string | undefined; group: string };

  constructor(
    key: string,
    private readonly settings: LimiterSettings,
    private readonly now: () => number = monotonicNow,
    private readonly random: () => number = Math.random,
    store: LimiterStore = MEMORY_STORE,
  ) {
    this.label = labelOf(key);
    this.line = new WaitingLine(now);
    this.keys = store.open(key, settings, now);
    this.queue = pLimit(settings.concurrencyInitial);
    this.keys.onChange(() => this.applyLimit());
    this.applyLimit();
  }

  /** The decision state as last known (read only; for diagnosis). */
  get state(): KeyState {
    return this.keys.view();
  }

  snapshot(): LimiterSnapshot {
    const state = this.keys.view();
    const remaining: Partial<Record<BucketName, number>> = {};
    for (const b of PACED_BUCKET_NAMES) {
      const mirror = state.buckets[b];
      if (mirror) remaining[b] = Math.max(0, Math.floor(mirror.level));
    }
    const now = this.keys.now();
    return {
      ...this.label,
      model: this.label.group,
      limit: this.queue.concurrency,
      active: this.queue.activeCount,
      queued: this.queue.pendingCount + this.line.size,
      holdUntil: state.holdUntil > now ? Math.round(this.keys.toEpoch(state.holdUntil)) : 0,
      remaining,
      inputTokenScale: inputScale(state.inputCount),
      store: this.keys.served,
      processes: this.keys.processes(),
    };
  }

  /** Calls wait to be sent: for a slot, or with a slot for a hold, pacing or the acceleration gate. */
  private saturated(): boolean {
    return this.queue.pendingCount > 0 || this.line.size > 0 || this.waiting > 0;
  }

  /** The key changed: the credential's organization became known. */
  /**
   * Sends this admission's calls to `target`, the admission its credential's organization already
   * had when the organization became known (two keys of one organization): its waiting calls move
   * there now, later ones go there, and the calls in flight finish here. One organization and model
   * group, one limiter.
   */
  mergeInto(target: Admission): void {
    if (target === this) return;
    this.mergedInto = target;
    for (let w = this.line.shift(); w; w = this.line.shift()) target.enqueue(w);
    this.line.close();
    if (this.idle()) this.dispose();
  }

  /** This admission, or the one its calls go to now (see {@link mergeInto}). */
  current(): Admission {
    let a: Admission = this;
    while (a.mergedInto) a = a.mergedInto;
    return a;
  }

  rekey(key: string): void {
    this.label = labelOf(key);
    this.keys.rekey(key);
  }

  /** The API admitted a call of this key+model lately: a refusal now is not the call's fault. */
  admitting(): boolean {
    if (this.mergedInto) return this.current().admitting();
    return this.keys.now() - this.keys.view().lastSuccessAt < ADMITTING_MS;
  }

  /** Nothing queued or in flight and no hold in force: forgetting this state loses nothing due. */
  idle(): boolean {
    return (
      this.queue.activeCount === 0 &&
      this.queue.pendingCount === 0 &&
      this.line.size === 0 &&
      this.keys.view().holdUntil <= this.keys.now()
    );
  }

  /** Stops this admission's timers and its store's (it was evicted, or its gateway closed). */
  dispose(): void {
    this.line.close();
    clearTimeout(this.growTimer);
    this.growTimer = undefined;
    this.keys.close();
  }

  /**
   * Waits for a slot, then for any hold, pacing and the acceleration gate to admit `cost`. Rejects
   * with the signal's reason if it aborts first; an aborted call leaves the queue at once.
   */
  async acquire(cost: AttemptCost, signal?: AbortSignal, taken?: Slot): Promise<Ticket> {
    if (this.mergedInto && !taken) return this.current().acquire(cost, signal);
    const queuedAt = this.now();
    let limitAtQueue = this.queue.concurrency;
    let queueDepthAtQueue = 0;
    let free: () => void;
    if (taken) {
      // The call waited for this slot before its request was built (`enqueue`).
      free = () => taken.free();
      this.grow();
    } else {
      signal?.throwIfAborted();
      const slot = await new Promise<Slot>((resolve, reject) => {
        const waiter = new SignalWaiter(resolve, reject, signal);
        ({ limitAtQueue, queueDepthAtQueue } = this.enqueue(waiter));
      });
      free = () => slot.free();
    }
    const slot = String(++this.slots);
    let storeMs = 0;
    let admitted: AdmitResult;
    try {
      // Pacing waits at most maxRetryAfterMs in all for one attempt, then lets the API answer.
      const pacingUntil = this.now() + this.settings.maxRetryAfterMs;
      for (;;) {
        const request = {
          cost,
          maxPacingMs: Math.max(0, pacingUntil - this.now()),
          slot,
          saturated: this.saturated(),
        };
        let r = this.keys.admit(request);
        if (r instanceof Promise) {
          const asked = this.now();
          r = await r;
          storeMs += this.now() - asked;
          if (r.dispatch && signal?.aborted) {
            // Admitted by the store as the call was aborted: give the slot straight back.
            this.keys.update(released, false, slot);
            signal.throwIfAborted();
          }
        }
        if (r.dispatch) {
          admitted = r;
          break;
        }
        this.waiting++;
        try {
          if (r.forSlot) await this.keys.waitForRoom(r.waitMs, signal);
          else await this.paced(r.waitMs, signal);
        } finally {
          this.waiting--;
        }
      }
    } catch (error) {
      free();
      throw error;
    }
    // Admitted while others wait for pacing: there may be room for the next too.
    this.wakePaced();
    return {
      ...admitted.dispatch,
      ...this.endings(cost, slot, free),
      waitedMs: this.now() - queuedAt,
      limitAtQueue,
      queueDepthAtQueue,
      store: admitted.served,
      storeMs,
    };
  }

  /** How an admitted attempt gives back what it took: its slot when answered, its reservation when settled. */
  private endings(cost: AttemptCost, slot: string, free: () => void): Pick<Ticket, 'release' | 'settle'> {
    let done = false;
    let settled = false;
    return {
      release: () => {
        if (done) return;
        done = true;
        this.keys.update(released, false, slot);
        this.wakePaced(); // room under an in-flight ceiling (see acceleration.ts)
        free(); // the slot's free grows the limit if it may
      },
      settle: (used: number, inputCounted?: number) => {
        if (settled) return;
        settled = true;
        this.keys.update((state, now) => reportUsage(state, cost, used, now, inputCounted), false);
        this.wakePaced();
      },
    };
  }

  /**
   * Puts `waiter` in this key+model's queue for a slot: its `admit` is called when its turn comes
   * (p-limit, whose concurrency follows the limit, decides when), unless it left the line first.
   */
  enqueue(waiter: Waiter): QueuedAt {
    if (this.mergedInto) return this.current().enqueue(waiter);
    waiter.joined?.(this);
    const limitAtQueue = this.queue.concurrency;
    const queued = this.queue.pendingCount + this.line.size;
    const queueDepthAtQueue = queued + Math.max(0, this.queue.activeCount - limitAtQueue + 1);
    // Before joining: the call's own place does not make the queue look saturated.
    this.grow();
    this.line.push(waiter);
    this.pump();
    return { limitAtQueue, queueDepthAtQueue };
  }

  /** Hands waiters to p-limit while it has room: its own queue holds no more than a limit's worth. */
  private pump(): void {
    while (this.line.size > 0 && this.submitted < this.queue.concurrency) {
      const waiter = this.line.shift();
      if (!waiter) return;
      this.submitted++;
      void this.queue(() => new Promise<void>((free) => this.turn(waiter, free)));
    }
  }

  /** `waiter`'s turn in p-limit: its slot, until freed (at once if it left the line meanwhile). */
  private turn(waiter: Waiter, free: () => void): void {
    let freed = false;
    const slot: Slot = {
      free: () => {
        if (freed) return;
        freed = true;
        this.submitted--;
        free();
        if (this.mergedInto) {
          if (this.idle()) this.dispose(); // its last call in flight: nothing more comes here
          return;
        }
        this.grow();
        this.pump();
      },
    };
    if (waiter.cancelled) slot.free();
    else waiter.admit(slot);
  }

  /** An admitted attempt reached the wire: the first one starts the wait for evidence (see grow). */
  sent(): void {
    if (this.mergedInto) return this.current().sent();
    // Only the first sent since the last throttle changes anything: no store round trip after it.
    if (this.keys.view().quietSince === Infinity) this.keys.update(sentStep, false);
  }

  /** The rate-limit headers of the response to an admitted attempt; `refused`: it was a 429. */
  observe(buckets: SeenBuckets, ticket: Ticket, refused = false): void {
    if (this.mergedInto) return this.current().observe(buckets, ticket, refused);
    this.keys.update((state, now) => reportHeaders(state, buckets, ticket, now, refused), false);
    this.wakePaced();
  }

  /**
   * Waits `ms` for pacing, or less: an answer that gives a bucket back (a reservation's unused part,
   * headers showing more room, input tokens counted below their estimate) wakes the first waiter to
   * look again, and each waiter admitted wakes the next, so room that comes early is used early and
   * an answer costs one look when there is none.
   */
  private async paced(ms: number, signal: AbortSignal | undefined): Promise<void> {
    const wait = wakeableSleep(ms, signal);
    this.pacing.add(wait.wake);
    try {
      await wait.done;
    } finally {
      this.pacing.delete(wait.wake);
    }
  }

  private wakePaced(): void {
    if (this.pacing.size === 0) return;
    const first = this.pacing.values().next().value!;
    this.pacing.delete(first);
    first();
  }

  /** The attempt of `ticket` succeeded. */
  onSuccess(ticket: Dispatch): void {
    if (this.mergedInto) return this.current().onSuccess(ticket);
    const settings = this.settings;
    this.keys.update(
      (state, now, saturated) => reportSuccess(state, ticket, now, settings, saturated),
      this.saturated(),
    );
    this.applyLimit();
    this.grow();
  }

  /** A throttle; `refused` is the ticket of an attempt the API refused (a 429), if any. */
  onThrottle(throttle: Throttle, retryAfterMs?: number, refused?: Dispatch, precise?: boolean): void {
    // Merged: the answers of its calls in flight tell the organization's limiter.
    if (this.mergedInto) return this.current().onThrottle(throttle, retryAfterMs, refused, precise);
    const { settings, random } = this;
    this.keys.update(
      (state, now) =>
        reportThrottle(state, throttle, { ms: retryAfterMs, precise }, refused, now, settings, random),
      false,
      undefined,
      true,
    );
    this.applyLimit();
  }

  /** Grows the limit if it may, and keeps a timer to try again while work is queued. */
  private grow(): void {
    const saturated = this.saturated();
    this.keys.update(this.growStep, saturated);
    this.applyLimit();
    if (saturated && this.keys.view().concurrency.limit < this.settings.concurrencyMax && !this.growTimer) {
      this.growTimer = setTimeout(() => {
        this.growTimer = undefined;
        this.grow();
      }, this.settings.rampIntervalMs / STEPS_PER_INTERVAL);
      this.growTimer.unref?.();
    }
  }

  private readonly growStep: Step = (state, now, saturated) => grow(state, now, saturated, this.settings);

  private applyLimit(): void {
    const limit = this.keys.view().concurrency.limit;
    if (this.queue.concurrency === limit) return;
    this.queue.concurrency = limit;
    this.pump(); // a higher limit lets more waiters in
  }
}

/** An attempt's answer came back: its slot is free. */
const released: Step = (state) => reportReleased(state);
const sentStep: Step = (state, now) => reportSent(state, now);

/** A retry's wait for a slot: resolves with it, or rejects with the signal's reason (leaving the line). */
class SignalWaiter implements Waiter {
  cancelled = false;
  next?: Waiter | undefined;
  /** A retry's wait is bounded by its call's deadline, through the call's signal. */
  readonly deadline = Infinity;
  private readonly onAbort: (() => void) | undefined;

  constructor(
    private readonly resolve: (slot: Slot) => void,
    reject: (reason: unknown) => void,
    private readonly signal: AbortSignal | undefined,
  ) {
    if (!signal) return;
    this.onAbort = () => {
      this.cancelled = true;
      reject(signal.reason);
    };
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  admit(slot: Slot): void {
    if (this.onAbort) this.signal?.removeEventListener('abort', this.onAbort);
    this.resolve(slot);
  }

  expire(): void {}
}

/** The organization and group of a limiter key (`org:<id>\0<group>` or `key:<hash>\0<group>`). */
function labelOf(key: string): { organization: string | undefined; group: string } {
  const [owner = '', group = ''] = key.split('\u0000');
  return { organization: owner.startsWith('org:') ? owner.slice(4) : undefined, group };
}
