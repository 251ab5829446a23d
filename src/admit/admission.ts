/**
 * One limiter per API key and model (the API's limits are per model): a p-limit queue whose
 * concurrency the ramp moves, a hold gate that keeps every attempt back until a `retry-after`
 * passes, and pacing from the rate-limit headers.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import type { Throttle } from './classify.js';
import type { GatewayConfig } from './config.js';
import type { SeenBuckets } from './headers.js';
import { PACED_BUCKETS, observe, take, waitFor, type BucketName, type Mirror } from './pacer.js';
import { backoffDelay } from './delay.js';
import { arm, forget, growthWait, initialGrowth, recordDispatch } from './growth.js';
import { initialRamp, rampDown, rampUp, type RampState } from './ramp.js';
import { sleep } from './wait.js';

/** What one attempt costs each paced bucket. */
export type AttemptCost = Readonly<Record<BucketName, number>>;

/** A held concurrency slot. */
export interface Slot {
  /** Frees the slot; idempotent. */
  release(): void;
  /** Time spent waiting for the slot, the hold and pacing. */
  readonly waitedMs: number;
  /** The limit and the queue depth when the call joined the queue. */
  readonly limitAtQueue: number;
  readonly queueDepthAtQueue: number;
  /** Dispatch bookkeeping for pacing: cumulative cost dispatched, this attempt included. */
  readonly spent: AttemptCost;
  readonly dispatchedAt: number;
}

export interface LimiterSnapshot {
  readonly model: string;
  readonly limit: number;
  readonly active: number;
  readonly queued: number;
  /** Epoch ms until which attempts are held after a `retry-after`; 0 when none. */
  readonly holdUntil: number;
  /** Last-seen `remaining` per paced bucket. */
  readonly remaining: Partial<Record<BucketName, number>>;
}

const BUCKETS = Object.keys(PACED_BUCKETS) as BucketName[];
/** Share of recent attempts overloaded (529) from which the ramp cuts. */
export const OVERLOAD_SHARE = 0.1;
/** Share from which a success does not end an outage. */
export const OUTAGE_SHARE = 0.5;

export class ModelLimiter {
  private readonly queue: LimitFunction;
  private ramp: RampState;
  private holdUntil = 0;
  private succeeded = false;
  /** Whether any call for this key and model has succeeded: the API is answering. */
  private everSucceeded = false;
  /** A throttle since the last change of the limit. */
  private throttledSinceChange = false;
  /** Attempts and overloads in the current and the previous ramp interval: [attempts, overloads]. */
  private readonly recent = { start: 0, now: [0, 0], before: [0, 0] };
  /** Ticks the ramp while work is queued and no slot event would (unreferenced). */
  private tickTimer: ReturnType<typeof setTimeout> | undefined;
  /** Throttle events (one per ramp cut) since the last success: an outage when above one. */
  private throttleEvents = 0;
  private lastThrottleEventAt = -Infinity;
  private outageHoldMs = 0;
  private readonly mirrors: Partial<Record<BucketName, Mirror>> = {};
  private readonly spent: Record<BucketName, number> = { requests: 0, inputTokens: 0 };
  private readonly growth = initialGrowth();

  constructor(
    readonly model: string,
    private readonly config: GatewayConfig,
    private readonly now: () => number = Date.now,
  ) {
    this.ramp = initialRamp(config.concurrencyInitial, config, now());
    this.queue = pLimit(config.concurrencyInitial);
  }

  snapshot(): LimiterSnapshot {
    const remaining: Partial<Record<BucketName, number>> = {};
    for (const b of BUCKETS) if (this.mirrors[b]) remaining[b] = Math.max(0, Math.floor(this.mirrors[b].level));
    return {
      model: this.model,
      limit: this.queue.concurrency,
      active: this.queue.activeCount,
      queued: this.queue.pendingCount,
      holdUntil: this.holdUntil > this.now() ? this.holdUntil : 0,
      remaining,
    };
  }

  /**
   * Waits for a slot, then for any hold and for the paced buckets to admit `cost`. Rejects with the
   * signal's reason if it aborts first; an aborted call leaves the queue at once.
   */
  async acquire(cost: AttemptCost, signal?: AbortSignal): Promise<Slot> {
    const queuedAt = this.now();
    const limitAtQueue = this.queue.concurrency;
    const queueDepthAtQueue = this.queue.pendingCount + Math.max(0, this.queue.activeCount - limitAtQueue + 1);
    this.tick();
    const free = await this.slot(signal);
    try {
      for (;;) {
        const now = this.now();
        let wait = Math.max(0, this.holdUntil - now);
        for (const b of BUCKETS) wait = Math.max(wait, waitFor(this.mirrors[b], now, cost[b]));
        if (wait === 0) wait = growthWait(this.growth, now);
        if (wait === 0) break;
        await sleep(wait, signal);
      }
    } catch (error) {
      free();
      throw error;
    }
    // Charged synchronously with the decision, so concurrent slot holders see each other's spend.
    const dispatchedAt = this.now();
    this.count(dispatchedAt, 0);
    for (const b of BUCKETS) {
      this.spent[b] += cost[b];
      this.mirrors[b] = take(this.mirrors[b], dispatchedAt, cost[b]);
    }
    recordDispatch(this.growth, dispatchedAt);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        free();
        this.tick();
      },
      waitedMs: dispatchedAt - queuedAt,
      limitAtQueue,
      queueDepthAtQueue,
      spent: { ...this.spent },
      dispatchedAt,
    };
  }

  private slot(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    return new Promise((resolve, reject) => {
      let state: 'queued' | 'aborted' | 'running' = 'queued';
      const onAbort = () => {
        if (state !== 'queued') return;
        state = 'aborted';
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      void this.queue(
        () =>
          new Promise<void>((free) => {
            signal?.removeEventListener('abort', onAbort);
            // An aborted call's turn frees its slot at once.
            if (state === 'aborted') return free();
            state = 'running';
            resolve(() => free());
          }),
      );
    });
  }

  /** Records the rate-limit headers of a response to an attempt dispatched with `slot`. */
  observe(buckets: SeenBuckets, slot: Slot): void {
    const now = this.now();
    for (const b of BUCKETS) {
      const seen = buckets[b];
      if (seen) this.mirrors[b] = observe(this.mirrors[b], seen, now, slot.dispatchedAt, this.spent[b] - slot.spent[b]);
    }
  }

  /** Holds every attempt for this key and model until `ms` from now. */
  hold(ms: number): void {
    this.holdUntil = Math.max(this.holdUntil, this.now() + ms);
  }

  onSuccess(): void {
    this.succeeded = true;
    this.everSucceeded = true;
    // The odd success inside an outage (most attempts overloaded) does not end it.
    if (this.overloadShare(this.now()) < OUTAGE_SHARE) this.throttleEvents = 0;
    this.tick();
  }

  /**
   * A throttle (429, 529) cuts the limit. With a `retry-after`, every attempt for this key and
   * model waits it out. Without one, a second throttle event with no success in between means an
   * outage: every attempt waits a shared, growing, jittered backoff, so calls queue here instead of
   * spending their retries on attempts that would fail, and one probe at a time finds the end.
   * `refused` is the dispatch time of an attempt the API refused (a 429): it admitted nothing.
   */
  onThrottle(throttle: Throttle, retryAfterMs?: number, refused?: number): void {
    const now = this.now();
    if (refused !== undefined && throttle !== 'overload') {
      if (throttle === 'ramp') arm(this.growth, refused);
      forget(this.growth, refused);
    }
    if (throttle === 'overload') {
      this.count(now, 1);
      // An isolated 529 says little about load: retry that call, keep the ramp as it is.
      if (this.overloadShare(now) < OVERLOAD_SHARE) return;
    }
    this.throttledSinceChange = true;
    this.setRamp(rampDown(this.ramp, this.config, now, throttle));
    if (retryAfterMs !== undefined) return this.hold(retryAfterMs);
    // Throttles within one ramp interval are one congestion event (the in-flight calls all see it).
    if (now - this.lastThrottleEventAt >= this.config.rampIntervalMs) {
      this.lastThrottleEventAt = now;
      this.throttleEvents++;
      // One limiter, nothing to desynchronise: half-jitter keeps the probe spacing growing.
      this.outageHoldMs = backoffDelay(this.throttleEvents - 1, this.config.baseDelayMs, this.config.maxDelayMs, () => 0.5 + Math.random() / 2);
    }
    // In an outage every throttle renews the hold, so queued attempts never drain into it.
    if (this.throttleEvents >= 2) this.hold(this.outageHoldMs);
  }

  /** Moves the attempt/overload counts on to the ramp interval that holds `now`. */
  private roll(now: number): void {
    const r = this.recent;
    const elapsed = now - r.start;
    if (elapsed < this.config.rampIntervalMs) return;
    r.before = elapsed >= 2 * this.config.rampIntervalMs ? [0, 0] : r.now;
    r.now = [0, 0];
    r.start = now;
  }

  /** Counts an attempt (`what` 0) or an overload (1) in the current ramp interval. */
  private count(now: number, what: 0 | 1): void {
    this.roll(now);
    this.recent.now[what]! += 1;
  }

  /** Overloads per attempt over the current and previous ramp intervals. */
  private overloadShare(now: number): number {
    this.roll(now);
    const attempts = this.recent.now[0]! + this.recent.before[0]!;
    const overloads = this.recent.now[1]! + this.recent.before[1]!;
    return attempts === 0 ? 0 : overloads / attempts;
  }

  private tick(): void {
    const saturated = this.queue.pendingCount > 0;
    // In slow start, long calls would otherwise double the limit once per call duration: there,
    // an API that has answered and not throttled since the last change counts as succeeding.
    const slowStart = this.ramp.limit < this.ramp.threshold;
    const healthy = this.succeeded || (slowStart && this.everSucceeded && !this.throttledSinceChange);
    this.setRamp(rampUp(this.ramp, this.config, this.now(), saturated, healthy));
    if (saturated && this.ramp.limit < this.config.concurrencyMax && !this.tickTimer) {
      this.tickTimer = setTimeout(() => {
        this.tickTimer = undefined;
        this.tick();
      }, this.config.rampIntervalMs);
      this.tickTimer.unref?.();
    }
  }

  private setRamp(next: RampState): void {
    if (next === this.ramp) return;
    this.succeeded = false;
    this.throttledSinceChange = false;
    this.ramp = next;
    this.queue.concurrency = next.limit;
  }
}
