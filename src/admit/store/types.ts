/**
 * The store seam: where the decision state of each key+model (a {@link KeyState}) lives. The
 * decisions are the pure transitions of `policy/`, run as steps `(state, now, saturated) => result`
 * on the store's clock: synchronously on this process's own state (the memory store, the default),
 * or as one optimistic transaction on state shared by every process of an organization (the Redis
 * store). The waiting queue stays in the process (`admission.ts`).
 */
import type { KeyState, LimiterSettings } from '../key-state.js';
import type { AttemptCost, Dispatch } from '../policy/admit.js';

/** Which store decided: this process's memory, Redis, or this process's share while Redis is away. */
export type Served = 'memory' | 'redis' | 'fallback';

/**
 * A transition of the state at the store's clock `now`. `saturated`: calls are waiting to be sent
 * (in this process, or with a shared store in any process lately). It must be deterministic: a
 * shared store may run it again on a newer state when another process wrote first.
 */
export type Step<R = void> = (state: KeyState, now: number, saturated: boolean) => R;

/** What an attempt asks of the store when it has its place in this process's queue. */
export interface AdmitRequest {
  readonly cost: AttemptCost;
  /** The longest pacing wait still to honour (pacing stops at `maxRetryAfterMs` per attempt). */
  readonly maxPacingMs: number;
  /** This process's name for the slot the attempt would take (a lease in a shared store). */
  readonly slot: string;
  /** Calls are waiting in this process. */
  readonly saturated: boolean;
}

/** The attempt may go (`dispatch`), or must wait `waitMs` (`forSlot`: until a slot frees, or then look again). */
export type AdmitResult =
  | { readonly dispatch: Dispatch; readonly served: Served; readonly waitMs?: undefined }
  | {
      readonly dispatch?: undefined;
      readonly waitMs: number;
      readonly forSlot: boolean;
      readonly served: Served;
    };

/** One key+model's state in a store. */
export interface KeyStore {
  /** Who serves now: `memory`, `redis`, or `fallback` (this process's share while Redis is away). */
  readonly served: Served;
  /** The state as last known (the memory store's own, live). Read only: limits, holds, snapshots. */
  view(): KeyState;
  /** The store's clock, in ms: this process's monotonic clock (memory) or Redis's (shared). */
  now(): number;
  /** The wall-clock time (epoch ms) of store time `t`. */
  toEpoch(t: number): number;
  /** Admits an attempt if nothing is in the way: synchronous for the memory store. */
  admit(request: AdmitRequest): AdmitResult | Promise<AdmitResult>;
  /**
   * Applies `step` (a report: headers, success, throttle, growth). `release`: the slot the attempt
   * held is given back too. Never throws and never waits: a shared store applies it in its next
   * transaction, at once when `urgent` (a release, a throttle: other processes need it now), else
   * within a few milliseconds, with whatever comes next.
   */
  update(step: Step, saturated: boolean, release?: string, urgent?: boolean): void;
  /** Waits at most `ms` for room another attempt (of this process or another) gave back. */
  waitForRoom(ms: number, signal?: AbortSignal): Promise<void>;
  /** Calls `listener` after each change of the known state (the limit may have moved). */
  onChange(listener: () => void): void;
  /** The key changed (the credential's organization became known): what was learned carries over. */
  rekey(id: string): void;
  /** Live processes sharing this key (1 for the memory store). */
  processes(): number;
  /** Stops this key's timers and subscriptions. */
  close(): void;
}

/** Where the decision state of every key+model of a gateway lives. */
export interface LimiterStore {
  readonly kind: 'memory' | 'redis';
  /** The state of key+model `id` (`owner\0group`), made from `settings` at `clock` when new. */
  open(id: string, settings: LimiterSettings, clock?: () => number): KeyStore;
  /** Stops the store's timers and closes the connections it opened (not a client it was given). */
  close(): Promise<void>;
}

/** Whether `value` is a {@link LimiterStore}. */
export function isLimiterStore(value: unknown): value is LimiterStore {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as LimiterStore).open === 'function' &&
    ((value as LimiterStore).kind === 'memory' || (value as LimiterStore).kind === 'redis')
  );
}
