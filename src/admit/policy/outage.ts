/**
 * Outages: throttles with no success between them. The overload share (529s per attempt over the
 * current and the previous interval) tells an isolated 529 from a wave of them; a second throttle
 * event with no success in between starts a shared, growing, jittered hold, so queued calls wait
 * instead of spending their retries on attempts that would fail, and one probe at a time finds the
 * end; when it ends, the concurrency limit returns (by slow start) to where it was before. Deterministic transitions on a plain value: no I/O, no timers; the clock and the random
 * source are parameters.
 */
import { backoffDelay } from '../../delay/backoff.js';

/** Share of recent attempts overloaded (529) from which a 529 cuts the concurrency limit. */
export const OVERLOAD_SHARE = 0.1;
/** Share from which a success does not end an outage. */
export const OUTAGE_SHARE = 0.5;
/**
 * Overloads in a row (no success between them) that make an outage at once, without waiting for a
 * second interval: a run this long is a wave, not chance (at an isolated-529 rate of 30% it comes
 * about once in 15,000 answers; at 10%, once in 100 million).
 */
export const OUTAGE_STREAK = 8;

export interface OutageSettings {
  readonly rampIntervalMs: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export interface OutageState {
  /** Start of the current counting interval. */
  intervalStart: number;
  /** Attempts and overloads in the current interval. */
  attempts: number;
  overloads: number;
  /** …and in the one before. */
  attemptsBefore: number;
  overloadsBefore: number;
  /** Throttle events (one per interval at most) since the last success: an outage from two. */
  events: number;
  lastEventAt: number;
  /** The hold the current outage imposes after each throttle. */
  holdMs: number;
  /** The concurrency limit before the overloads began: where the limit returns once they end. */
  limitBefore: number;
  /** Overloads since the last success. */
  streak: number;
}

export function initialOutage(): OutageState {
  return {
    intervalStart: 0,
    attempts: 0,
    overloads: 0,
    attemptsBefore: 0,
    overloadsBefore: 0,
    events: 0,
    lastEventAt: -Infinity,
    holdMs: 0,
    limitBefore: 0,
    streak: 0,
  };
}

/** Moves the counts on to the interval that holds `now`. */
function roll(o: OutageState, now: number, intervalMs: number): void {
  const elapsed = now - o.intervalStart;
  if (elapsed < intervalMs) return;
  const adjacent = elapsed < 2 * intervalMs;
  o.attemptsBefore = adjacent ? o.attempts : 0;
  o.overloadsBefore = adjacent ? o.overloads : 0;
  o.attempts = 0;
  o.overloads = 0;
  o.intervalStart = now;
}

export function countAttempt(o: OutageState, now: number, intervalMs: number): void {
  roll(o, now, intervalMs);
  o.attempts++;
}

export function countOverload(o: OutageState, now: number, intervalMs: number): void {
  roll(o, now, intervalMs);
  o.overloads++;
  o.streak++;
}

/** Overloads per attempt over the current and the previous interval. */
export function overloadShare(o: OutageState, now: number, intervalMs: number): number {
  roll(o, now, intervalMs);
  const attempts = o.attempts + o.attemptsBefore;
  return attempts === 0 ? 0 : (o.overloads + o.overloadsBefore) / attempts;
}

/** Whether throttle events with no success between them make an outage now. */
export function inOutage(o: OutageState): boolean {
  return o.events >= 2;
}

/**
 * A success ends an outage, unless most recent attempts are overloaded (the odd success inside one).
 * Returns whether it ended one.
 */
export function outageSuccess(o: OutageState, now: number, intervalMs: number): boolean {
  o.streak = 0;
  if (overloadShare(o, now, intervalMs) >= OUTAGE_SHARE) return false;
  const ended = inOutage(o);
  o.events = 0;
  return ended;
}

/**
 * How long an attempt waits in an outage: while one is in flight, the next waits for its answer
 * (polled every {@link OUTAGE_PROBE_POLL_MS}): one probe at a time finds the outage's end, not a
 * limit's worth of attempts after each hold.
 */
export function outageWait(o: OutageState, inFlight: number): number {
  return inOutage(o) && inFlight > 0 ? OUTAGE_PROBE_POLL_MS : 0;
}

/** How often an attempt held back behind an outage's probe looks again. */
export const OUTAGE_PROBE_POLL_MS = 50;

/**
 * A throttle without `retry-after`. Throttles within one interval are one congestion event (the
 * in-flight calls all see it). Returns the hold to impose, or 0 when this is no outage (yet).
 */
export function outageThrottle(o: OutageState, s: OutageSettings, now: number, random: () => number): number {
  // A long run of overloads is an outage now: waiting for the next interval would spend a limit's
  // worth of attempts on it.
  const wave = o.streak >= OUTAGE_STREAK && !inOutage(o);
  if (now - o.lastEventAt >= s.rampIntervalMs || wave) {
    o.lastEventAt = now;
    o.events = wave ? 2 : o.events + 1;
    // Half-jitter keeps the probe spacing growing: one limiter, nothing to desynchronise.
    o.holdMs = backoffDelay(o.events - 1, s.baseDelayMs, s.maxDelayMs, () => 0.5 + random() / 2);
  }
  // In an outage every throttle renews the hold, so queued attempts never drain into it.
  return inOutage(o) ? o.holdMs : 0;
}
