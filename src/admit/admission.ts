/**
 * Admission for one key+model: this process's queue of calls waiting for a slot (p-limit, whose
 * concurrency follows the limit in the state), the wait for a hold, pacing and the acceleration
 * gate, and the reports that move the state. The decisions themselves are the transitions in
 * `policy/`; this module does the waiting and the timers.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import type { Throttle } from '../classify/classify.js';
import type { SeenBuckets } from '../attempt/rate-limit-headers.js';
import { monotonicNow, toEpoch } from '../delay/clock.js';
import { sleep } from '../delay/sleep.js';
import { initialKeyState, type KeyState, type LimiterSettings } from './key-state.js';
import { admitWait, dispatch, type AttemptCost, type Dispatch } from './policy/admit.js';
import { PACED_BUCKET_NAMES, type BucketName } from './policy/buckets.js';
import { STEPS_PER_INTERVAL } from './policy/concurrency.js';
import {
  grow,
  reportHeaders,
  reportReleased,
  reportSuccess,
  reportThrottle,
  reportUsage,
} from './policy/report.js';

export type { AttemptCost } from './policy/admit.js';

/** An admitted attempt: it holds a slot until released. */
export interface Ticket extends Dispatch {
  /** Frees the slot; idempotent. */
  release(): void;
  /** Reports the output tokens the attempt produced, once (0 when refused or failed): the rest of
   * its reservation comes back to the output-token mirror. */
  settle(outputTokensUsed: number): void;
  /** Time spent waiting for the slot, a hold, pacing and the acceleration gate. */
  readonly waitedMs: number;
  /** The limit and the queue depth when the call joined the queue. */
  readonly limitAtQueue: number;
  readonly queueDepthAtQueue: number;
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
}

/** How recent a success must be for the API to count as admitting this key+model's calls. */
const ADMITTING_MS = 10_000;

export class Admission {
  private readonly queue: LimitFunction;
  private readonly state: KeyState;
  /** Grows the limit while work is queued and no slot event would (unreferenced). */
  private growTimer: ReturnType<typeof setTimeout> | undefined;
  /** Calls holding a slot while they wait for a hold, pacing or the acceleration gate. */
  private waiting = 0;

  /** Whose limits: the organization (or credential hash) and the model group. */
  private label: { organization: string | undefined; group: string };

  constructor(
    key: string,
    private readonly settings: LimiterSettings,
    private readonly now: () => number = monotonicNow,
    private readonly random: () => number = Math.random,
  ) {
    this.label = labelOf(key);
    this.state = initialKeyState(settings, now());
    this.queue = pLimit(settings.concurrencyInitial);
  }

  snapshot(): LimiterSnapshot {
    const remaining: Partial<Record<BucketName, number>> = {};
    for (const b of PACED_BUCKET_NAMES) {
      const mirror = this.state.buckets[b];
      if (mirror) remaining[b] = Math.max(0, Math.floor(mirror.level));
    }
    const now = this.now();
    return {
      ...this.label,
      model: this.label.group,
      limit: this.queue.concurrency,
      active: this.queue.activeCount,
      queued: this.queue.pendingCount,
      holdUntil: this.state.holdUntil > now ? Math.round(toEpoch(this.state.holdUntil)) : 0,
      remaining,
    };
  }

  /** Calls wait to be sent: for a slot, or with a slot for a hold, pacing or the acceleration gate. */
  private saturated(): boolean {
    return this.queue.pendingCount > 0 || this.waiting > 0;
  }

  /** The key changed: the credential's organization became known. */
  rekey(key: string): void {
    this.label = labelOf(key);
  }

  /** The API admitted a call of this key+model lately: a refusal now is not the call's fault. */
  admitting(): boolean {
    return this.now() - this.state.lastSuccessAt < ADMITTING_MS;
  }

  /** Nothing queued or in flight and no hold in force: forgetting this state loses nothing due. */
  idle(now: number = this.now()): boolean {
    return this.queue.activeCount === 0 && this.queue.pendingCount === 0 && this.state.holdUntil <= now;
  }

  /**
   * Waits for a slot, then for any hold, pacing and the acceleration gate to admit `cost`. Rejects
   * with the signal's reason if it aborts first; an aborted call leaves the queue at once.
   */
  async acquire(cost: AttemptCost, signal?: AbortSignal): Promise<Ticket> {
    const queuedAt = this.now();
    const limitAtQueue = this.queue.concurrency;
    const queueDepthAtQueue =
      this.queue.pendingCount + Math.max(0, this.queue.activeCount - limitAtQueue + 1);
    this.grow();
    const free = await this.slot(signal);
    try {
      // Pacing waits at most maxRetryAfterMs in all for one attempt, then lets the API answer.
      const pacingUntil = this.now() + this.settings.maxRetryAfterMs;
      for (;;) {
        const now = this.now();
        const wait = admitWait(this.state, cost, now, Math.max(0, pacingUntil - now));
        if (wait <= 0) break;
        this.waiting++;
        try {
          await sleep(wait, signal);
        } finally {
          this.waiting--;
        }
      }
    } catch (error) {
      free();
      throw error;
    }
    const d = dispatch(this.state, cost, this.now(), this.settings.rampIntervalMs);
    let released = false;
    let settled = false;
    return {
      ...d,
      release: () => {
        if (released) return;
        released = true;
        reportReleased(this.state);
        free();
        this.grow();
      },
      settle: (used: number) => {
        if (settled) return;
        settled = true;
        reportUsage(this.state, cost, used, this.now());
      },
      waitedMs: d.at - queuedAt,
      limitAtQueue,
      queueDepthAtQueue,
    };
  }

  /** Waits for a p-limit turn; resolves with the function that frees it. */
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

  /** The rate-limit headers of the response to an admitted attempt. */
  observe(buckets: SeenBuckets, ticket: Ticket): void {
    reportHeaders(this.state, buckets, ticket, this.now());
  }

  /** The attempt of `ticket` succeeded. */
  onSuccess(ticket: Dispatch): void {
    reportSuccess(this.state, ticket, this.now(), this.settings, this.saturated());
    this.applyLimit();
    this.grow();
  }

  /** A throttle; `refused` is the ticket of an attempt the API refused (a 429), if any. */
  onThrottle(throttle: Throttle, retryAfterMs?: number, refused?: Dispatch, precise?: boolean): void {
    reportThrottle(
      this.state,
      throttle,
      { ms: retryAfterMs, precise },
      refused,
      this.now(),
      this.settings,
      this.random,
    );
    this.applyLimit();
  }

  /** Grows the limit if it may, and keeps a timer to try again while work is queued. */
  private grow(): void {
    const saturated = this.saturated();
    grow(this.state, this.now(), saturated, this.settings);
    this.applyLimit();
    if (saturated && this.state.concurrency.limit < this.settings.concurrencyMax && !this.growTimer) {
      this.growTimer = setTimeout(() => {
        this.growTimer = undefined;
        this.grow();
      }, this.settings.rampIntervalMs / STEPS_PER_INTERVAL);
      this.growTimer.unref?.();
    }
  }

  private applyLimit(): void {
    if (this.queue.concurrency !== this.state.concurrency.limit)
      this.queue.concurrency = this.state.concurrency.limit;
  }
}

/** The organization and group of a limiter key (`org:<id>\0<group>` or `key:<hash>\0<group>`). */
function labelOf(key: string): { organization: string | undefined; group: string } {
  const [owner = '', group = ''] = key.split('\u0000');
  return { organization: owner.startsWith('org:') ? owner.slice(4) : undefined, group };
}
