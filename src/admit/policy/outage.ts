/**
 * Outages: throttles with no success between them. The overload share (529s per attempt over the
 * current and the previous interval) tells an isolated 529 from a wave of them; a second throttle
 * event with no success in between, or a wave, starts a shared, jittered hold that grows with the
 * outage's age, so queued calls wait instead of spending their retries on attempts that would fail,
 * and one probe at a time finds the end; when it ends, the concurrency limit returns (by slow
 * start) to where it was before. Deterministic transitions on a plain value: no I/O, no timers; the
 * clock and the random source are parameters.
 */

/** Share of recent attempts overloaded (529) from which a 529 cuts the concurrency limit. */
export const OVERLOAD_SHARE = 0.1;
/** Share from which a success does not end an outage. */
export const OUTAGE_SHARE = 0.5;
/**
 * Overloads that make an outage at once, without waiting for a second interval: this many in a row
 * (no success between them; a run this long is a wave, not chance: at an isolated-529 rate of 30%
 * it comes about once in 15,000 answers, at 10% once in 100 million), or this many over the last
 * two intervals when they are half or more of the attempts sent in them ({@link OUTAGE_SHARE}).
 */
export const OUTAGE_STREAK = 8;

/**
 * The outage's hold as a share of its age (at least `baseDelayMs`, at most `maxDelayMs`, before
 * jitter): each probe comes at most a quarter of the outage's age after the last, so its end is
 * found within that share of its length, whatever the length, until `maxDelayMs` caps the hold. A
 * doubling hold finds it up to a whole length late: on average ~7 s after a 12 s outage and ~13 s
 * after a 60 s one, against ~1 s and ~6 s; the price is a probe, one attempt, per hold (~12 and
 * ~22 for those outages, against ~5 and ~7).
 */
export const OUTAGE_HOLD_SHARE = 0.25;

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
  /** When the current outage began (its second throttle event). */
  startedAt: number;
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
    startedAt: 0,
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
 * A success of an attempt sent at `sentAt` ends an outage, unless most recent attempts are
 * overloaded (the odd success inside one) or the attempt was sent before the outage began: admitted
 * before it, a call of seconds still ends well inside it, and says nothing of the API now.
 * Returns whether it ended one.
 */
export function outageSuccess(o: OutageState, now: number, intervalMs: number, sentAt: number): boolean {
  o.streak = 0;
  if (inOutage(o) && sentAt < o.startedAt) return false;
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
 * Whether the overloads so far are a wave ({@link OUTAGE_STREAK}). The share catches one while calls
 * sent before it still end well between its 529s, each success breaking a run.
 */
function isWave(o: OutageState, now: number, intervalMs: number): boolean {
  if (o.streak >= OUTAGE_STREAK) return true;
  const share = overloadShare(o, now, intervalMs);
  return o.overloads + o.overloadsBefore >= OUTAGE_STREAK && share >= OUTAGE_SHARE;
}

/**
 * A throttle without `retry-after`. Throttles within one interval are one congestion event (the
 * in-flight calls all see it). Returns the hold to impose, or 0 when this is no outage (yet).
 */
export function outageThrottle(o: OutageState, s: OutageSettings, now: number, random: () => number): number {
  // A wave of overloads is an outage now: waiting for the next interval would spend a limit's
  // worth of attempts on it.
  const wave = !inOutage(o) && isWave(o, now, s.rampIntervalMs);
  if (now - o.lastEventAt >= s.rampIntervalMs || wave) {
    o.lastEventAt = now;
    o.events = wave ? 2 : o.events + 1;
    if (o.events === 2) o.startedAt = now;
    const ceiling = Math.min(s.maxDelayMs, Math.max(s.baseDelayMs, OUTAGE_HOLD_SHARE * (now - o.startedAt)));
    // Half-jitter: one limiter, nothing to desynchronise, and the spacing keeps its share.
    o.holdMs = Math.round(ceiling * (0.5 + random() / 2));
  }
  // In an outage every throttle renews the hold, so queued attempts never drain into it.
  return inOutage(o) ? o.holdMs : 0;
}
