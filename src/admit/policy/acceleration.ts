/**
 * The acceleration gate: how fast the dispatch rate of a key+model may grow once the API has
 * shown an acceleration limit (429 `ramp_limit_exceeded`). The limit's mechanism is undocumented
 * ("ramp up gradually"): a cap on calls in flight, a cap on the rate, windows that each admit a
 * multiple of the last are all plausible, so the gate assumes none and learns from the answers.
 *
 * - Unarmed (no refusal yet), it lets everything through: the concurrency limit alone governs a
 *   cold start.
 * - A refusal starts an *event*: the rate drops to what the API was admitting, the dispatches it
 *   admitted over the second before (over the meter's age when younger), and that level keeps
 *   flowing: no hold, since limits that grow with use shrink again when a client stops sending.
 *   The refused call waits its own `retry-after`. The event's other refusals (attempts sent
 *   before the cut) lower the level further as they come back, and cut nothing more.
 * - Unless an in-flight cap explains the refusal: the attempt went with more in flight than any
 *   attempt the API admitted (a rate or a window refuses at any count). Then a *ceiling* on
 *   attempts in flight drops to what was in flight when it went, and the rate is left as it is: a
 *   cap that grows while used grows only while the client keeps it full, and a rate cut to the
 *   last second's average would keep it half empty. The ceiling grows as the rate does, to at most
 *   {@link HEADROOM} × the most in flight now or admitted at once; a refusal within it is the rate's.
 * - While calls wait, the rate grows (at first ×{@link GROWTH_PER_S} per second), to at most
 *   {@link HEADROOM} × the rate dispatched over the last second (calls held by another limit do not
 *   grow an allowance nobody uses).
 *   A refusal after the rate grew past the last cut is a new event that also slows growth (its
 *   exponent ×{@link SLOW_DOWN}); time without one restores it over {@link GROWTH_MEMORY_MS}.
 * - A refusal at the level kept (not grown) says the API admits nothing now, whatever the rate (a
 *   window already full): the gate closes and lets one probe through every {@link PROBE_MS} until
 *   one is not refused; the level is kept for when it opens. Unless the refused attempt went within
 *   {@link PROBE_MS} of the gate opening and the level is past {@link HEADROOM} × what the API
 *   admitted over the last second (more than the gate grows to itself): then the API does not
 *   admit that level at all (a limit that shrank, a level carried over from elsewhere), and the
 *   level drops to what it admitted.
 *
 * Deterministic transitions on a plain value: no I/O, no timers, the clock a parameter. Constant
 * work per dispatch: the admitted rate is counted in {@link SLOTS} slots of {@link SLOT_MS}.
 */

/** Slot length of the admitted-rate meter, and the shortest span it measures a rate over. */
export const SLOT_MS = 100;
/** The meter covers the last second. */
export const SLOTS = 10;
/** Growth of the rate per second while calls wait for it, at the most. */
export const GROWTH_PER_S = 3;
/** The least growth per second, however many events. */
export const MIN_GROWTH_PER_S = 1.15;
/** What each event of growing past what the API admits does to the growth exponent. */
export const SLOW_DOWN = 0.85;
/** How long the growth takes to come back from its least to its most without an event. */
export const GROWTH_MEMORY_MS = 10_000;
/** The spacing of probes while the gate is closed. */
export const PROBE_MS = 100;
/** A rate grown past its last cut by more than this makes a refusal a new event. */
const REGROWN = 1.05;
/** The pacing burst, in seconds of the rate: dispatches go out evenly spaced. */
const BURST_S = 0.01;

export interface AccelerationState {
  /** Admitted dispatches per slot, a ring of {@link SLOTS}; `slotAt` is the start of the newest. */
  readonly admitted: Float64Array;
  slotAt: number;
  slot: number;
  /** The first dispatch: a meter younger than a second measures over its own age. */
  firstAt: number;
  /** Armed by the first refusal; before it nothing is paced. */
  armed: boolean;
  /** The dispatch rate allowed, per second, and when its growth was last counted. */
  rate: number;
  rateAt: number;
  /** The rate the last event cut to: a refusal above it (after growth) is a new event. */
  cutRate: number;
  /** Pacing tokens (dispatches) and when they were counted. */
  tokens: number;
  tokensAt: number;
  /** When the last event (or the closing of the gate) happened: refusals of earlier dispatches belong to it. */
  eventAt: number;
  /** The growth in force, as ln(factor per second), and when it was last brought up to date. */
  logGrowth: number;
  logGrowthAt: number;
  /** Closed when above 0: no dispatch before it, but a probe at it. */
  closedUntil: number;
  /** When the probe of the closed gate went (0: none yet). */
  probeAt: number;
  /** When the gate last opened after being closed (-Infinity: never closed). */
  openedAt: number;
  /** The most attempts in flight at once (the new one included), once a refusal came at more
   * than the API had been admitting: an in-flight cap. Infinity: none seen. */
  ceiling: number;
  /** What the last in-flight refusal cut the ceiling to, and when. */
  ceilingCut: number;
  ceilingCutAt: number;
  /** When the ceiling's growth was last counted. */
  ceilingAt: number;
  /** The most attempts in flight (the new one included) at the sending of an attempt the API
   * admitted. */
  peak: number;
}

export function initialAcceleration(): AccelerationState {
  return {
    admitted: new Float64Array(SLOTS),
    slotAt: 0,
    slot: 0,
    firstAt: -1,
    armed: false,
    rate: Infinity,
    rateAt: 0,
    cutRate: Infinity,
    tokens: 0,
    tokensAt: 0,
    eventAt: -Infinity,
    logGrowth: Math.log(GROWTH_PER_S),
    logGrowthAt: 0,
    closedUntil: 0,
    probeAt: 0,
    openedAt: -Infinity,
    ceiling: Infinity,
    ceilingCut: Infinity,
    ceilingCutAt: -Infinity,
    ceilingAt: 0,
    peak: 0,
  };
}

/** Moves the meter on to the slot that holds `now`, clearing the slots passed. */
function advance(s: AccelerationState, now: number): void {
  const steps = Math.floor((now - s.slotAt) / SLOT_MS);
  if (steps <= 0) return;
  for (let i = 1; i <= Math.min(steps, SLOTS); i++) s.admitted[(s.slot + i) % SLOTS] = 0;
  s.slot = (s.slot + steps) % SLOTS;
  s.slotAt += steps * SLOT_MS;
}

/**
 * The rate the API admitted over the last second before `now`, per second: dispatches sent and not
 * refused. Over the meter's own age when it is younger (a cold start refused at 50 ms admitted at
 * twenty times what it sent).
 */
export function admittedRate(s: AccelerationState, now: number): number {
  advance(s, now);
  let total = 0;
  for (let i = 0; i < SLOTS; i++) total += s.admitted[i]!;
  const span = s.firstAt < 0 ? 1000 : Math.min(1000, Math.max(SLOT_MS, now - s.firstAt));
  return (total * 1000) / span;
}

/** The growth per second in force, brought up to date: it recovers while no event slows it. */
export function growthPerSecond(s: AccelerationState, now: number): number {
  const most = Math.log(GROWTH_PER_S);
  if (now > s.logGrowthAt) {
    const recovered = ((most - Math.log(MIN_GROWTH_PER_S)) * (now - s.logGrowthAt)) / GROWTH_MEMORY_MS;
    s.logGrowth = Math.min(most, s.logGrowth + recovered);
    s.logGrowthAt = now;
  }
  return Math.exp(s.logGrowth);
}

/** Refills the pacing tokens up to `now`. */
function refill(s: AccelerationState, now: number): void {
  if (now <= s.tokensAt) return;
  s.tokens = Math.min(Math.max(1, s.rate * BURST_S), s.tokens + ((now - s.tokensAt) * s.rate) / 1000);
  s.tokensAt = now;
}

/**
 * Lets the rate grow while calls wait (`saturated`) and the gate is open: by the growth in force,
 * per second since last counted. A rate nobody waits for does not grow: an allowance that grows
 * with use does not grow without it. The ceiling grows the same way, `inFlight` attempts in flight.
 */
export function growRate(s: AccelerationState, now: number, saturated: boolean, inFlight = 0): void {
  if (!s.armed || now <= s.rateAt) return;
  if (saturated && s.closedUntil === 0) {
    refill(s, now);
    // Calls may wait for another limit (slots, a bucket) while the gate is not what holds them: the
    // rate then stays within reach of what is dispatched, so a later refusal cannot let a burst
    // through at a rate never tried.
    s.rate = grown(s, s.rate, s.rateAt, now, s.cutRate, admittedRate(s, now));
  }
  s.rateAt = now;
  if (saturated && s.ceiling < Infinity && now > s.ceilingAt) {
    // Within reach of what is in flight (or was admitted at once): calls of seconds would hold
    // it to the cut until their answers came back.
    s.ceiling = grown(s, s.ceiling, s.ceilingAt, now, s.ceilingCut, Math.max(s.peak, inFlight));
  }
  s.ceilingAt = now;
}

/**
 * `level` grown by the growth in force from `since` to `now`, to at most the larger of `kept` (the
 * level the last event cut to) and {@link HEADROOM} × `reach` (what is in use).
 */
function grown(
  s: AccelerationState,
  level: number,
  since: number,
  now: number,
  kept: number,
  reach: number,
): number {
  const within = Math.max(kept, HEADROOM * reach);
  return Math.min(level * growthPerSecond(s, now) ** ((now - since) / 1000), within);
}

/** How far past the rate dispatched over the last second the gate's rate may grow. */
export const HEADROOM = 2;

/** Milliseconds until one more dispatch fits the gate; 0 when it fits now (always, unarmed). */
export function accelerationWait(s: AccelerationState, now: number, inFlight = 0): number {
  if (!s.armed) return 0;
  if (inFlight + 1 > s.ceiling) return PROBE_MS; // an answer frees room sooner, and wakes the waiter
  if (s.closedUntil > 0) {
    if (now < s.closedUntil) return s.closedUntil - now;
    if (s.probeAt === 0) return 0; // the probe
    open(s, now); // the probe's time passed with no refusal: the API admits again
  }
  refill(s, now);
  return s.tokens >= 1 ? 0 : Math.ceil(((1 - s.tokens) * 1000) / s.rate);
}

/** Counts a dispatch at `now`: one more admitted until a refusal says not, and a pacing token. */
export function recordDispatch(s: AccelerationState, now: number): void {
  if (s.firstAt < 0) s.firstAt = now;
  advance(s, now);
  s.admitted[s.slot]! += 1;
  if (!s.armed) return;
  if (s.closedUntil > 0) {
    // The probe: the next one waits for this one's answer, or its time.
    s.probeAt = now;
    s.closedUntil = now + PROBE_MS;
    return;
  }
  refill(s, now);
  s.tokens -= 1;
}

/** Takes a refused dispatch (any 429) out of the admitted count: the API admitted nothing for it. */
export function forget(s: AccelerationState, at: number, now: number): void {
  advance(s, now);
  const age = Math.floor((s.slotAt - Math.floor(at / SLOT_MS) * SLOT_MS) / SLOT_MS);
  if (age < 0 || age >= SLOTS) return;
  const i = (s.slot - age + SLOTS) % SLOTS;
  s.admitted[i] = Math.max(0, s.admitted[i]! - 1);
}

/**
 * An acceleration refusal of the attempt dispatched at `refusedAt`, already forgotten, with the
 * wait the server gave (`ms`; `precise` when to the millisecond, `retry-after-ms`, else whole
 * seconds rounded up).
 */
export function accelerationRefused(
  s: AccelerationState,
  refusedAt: number,
  now: number,
  wait: { readonly ms?: number | undefined; readonly precise?: boolean | undefined } = {},
  inFlightAt?: number,
): void {
  const wasArmed = s.armed;
  s.armed = true;
  if (refusedAt <= s.eventAt) {
    // The same event: its other refusals come back, and what the API admitted was less.
    if (s.closedUntil === 0) lowerLevel(s, admittedRate(s, now));
    return;
  }
  if (inFlightCap(s, refusedAt, inFlightAt)) {
    // The ceiling drops to what was in flight, and grows more slowly for a while (once per event:
    // attempts sent before the cut are of it). The rate is not what the API refused: left as it is.
    if (wasArmed && refusedAt > s.ceilingCutAt) slowGrowth(s, now);
    return cutCeiling(s, inFlightAt!, now);
  }
  // Never cut: a cold start's overshoot (no sign that the growth in force is too fast), or the
  // first refusal the ceiling does not explain.
  if (s.cutRate === Infinity) return cut(s, now);
  if (s.rate > s.cutRate * REGROWN) {
    // Grown past the last cut and refused: cut again, and grow more slowly for a while.
    slowGrowth(s, now);
    return cut(s, now);
  }
  if (refusedAt >= s.openedAt && refusedAt - s.openedAt < PROBE_MS) {
    // Refused as soon as the gate opened, at a level it could not have grown to itself (past
    // HEADROOM × what the API admitted): the API does not admit that level at all (a limit that
    // shrank while little was sent, a level carried over from a shared store's other processes).
    // Kept, it would close the gate again at every opening and leave the key at the probes' pace.
    const admitted = admittedRate(s, now);
    if (s.rate > HEADROOM * admitted) {
      lowerLevel(s, admitted);
      s.rateAt = now;
    }
  }
  // Refused at the level kept: the API admits nothing now (a window already full). Close: one
  // probe every PROBE_MS, or the API's own wait when it gave it to the millisecond. Waiting out a
  // whole-second retry-after instead would idle past the moment it admits again, and a limit that
  // grows with use grants less after each idle stretch.
  s.closedUntil = now + (wait.precise && wait.ms !== undefined ? Math.max(1, wait.ms) : PROBE_MS);
  s.probeAt = 0;
  s.eventAt = now;
}

/**
 * Whether an in-flight cap explains a refusal of an attempt sent at `refusedAt` with `inFlightAt`
 * others in flight: more than the API ever admitted with (a rate or a window refuses at any
 * count), and more than the ceiling's last cut let through unless the attempt went before that cut
 * (one event's refusals may come back in any order).
 */
function inFlightCap(s: AccelerationState, refusedAt: number, inFlightAt: number | undefined): boolean {
  if (inFlightAt === undefined || inFlightAt < 1 || inFlightAt + 1 <= s.peak) return false;
  return s.ceiling === Infinity || refusedAt <= s.ceilingCutAt || inFlightAt + 1 > s.ceilingCut;
}

/** A new event of growing past what the API admits: growth slows (see {@link SLOW_DOWN}). */
function slowGrowth(s: AccelerationState, now: number): void {
  growthPerSecond(s, now);
  s.logGrowth = Math.max(Math.log(MIN_GROWTH_PER_S), s.logGrowth * SLOW_DOWN);
}

/** The ceiling drops to the attempts in flight (a whole number) when a refused one went. */
function cutCeiling(s: AccelerationState, inFlightAt: number, now: number): void {
  s.ceiling = s.ceilingCut = Math.max(1, Math.min(Math.floor(s.ceiling), inFlightAt));
  s.ceilingAt = s.ceilingCutAt = now;
}

/**
 * Cuts the rate to what the API admitted over the second before. When it admitted nothing, no rate
 * is right yet: the gate closes and probes instead.
 */
function cut(s: AccelerationState, now: number): void {
  const admitted = admittedRate(s, now);
  lowerLevel(s, admitted);
  s.rateAt = now;
  s.tokens = Math.min(s.tokens, 1);
  s.tokensAt = now;
  s.eventAt = now;
  if (admitted < PROBE_RATE) {
    s.closedUntil = now + PROBE_MS;
    s.probeAt = 0;
  }
}

/** The rate of probes: what a gate that opens after a probe was admitted knows to be admitted. */
const PROBE_RATE = 1000 / PROBE_MS;

/** Lowers the level kept (the rate, and the cut a regrown rate is judged by) to `admitted`, never
 * below the probes' rate. */
function lowerLevel(s: AccelerationState, admitted: number): void {
  s.rate = s.cutRate = Math.max(PROBE_RATE, Math.min(s.rate, admitted));
}

function open(s: AccelerationState, now: number): void {
  s.closedUntil = 0;
  s.probeAt = 0;
  s.openedAt = now;
}

/**
 * An answer that is not a refusal came back at `now` for an attempt sent at `at`: a closed gate
 * opens when that attempt went after it closed.
 */
export function accelerationAdmitted(
  s: AccelerationState,
  at: number,
  now: number,
  inFlightAt?: number,
): void {
  if (inFlightAt !== undefined) s.peak = Math.max(s.peak, inFlightAt + 1);
  if (s.closedUntil > 0 && at >= s.eventAt) open(s, now);
}
