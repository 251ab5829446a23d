/**
 * The acceleration gate, armed by the API's acceleration limit (`ramp_limit_exceeded`). Its model:
 * fixed windows of {@link ACCELERATION_WINDOW_MS}, each admitting `max(floor, factor × what the
 * window before admitted)`. Once armed, an attempt goes out only if the window it falls in stays
 * within {@link ACCELERATION_ACCELERATION_GROWTH_FACTOR} × the window before it (or the floor).
 *
 * The client does not know where the API's windows start (their phase), so it checks every window
 * that may contain the attempt, one per phase still possible. Each refusal rules out the phases
 * under which it could not have happened (the window it fell in had room to spare); if every phase
 * gets ruled out, the model does not fit and the gate starts over from all phases. Guarding against
 * every possible phase would be safe but slow: after a hold, some phase always sees a quiet window,
 * and growth would restart from the floor (measured: 9.2 s instead of 7.65 s for a cold burst of
 * 1,000 calls). So an attempt may go when it overruns the windows of at most
 * {@link PHASE_RISK} of the possible phases, each weighted by what a refusal there would cost: the
 * odd refusal costs less, and rules phases out.
 *
 * Unarmed, it costs a push per attempt: without an acceleration limit, the concurrency limit alone
 * governs a cold start. Pure: the clock is a parameter.
 */

/** The period over which the API compares attempt counts (assumed; not documented). */
export const ACCELERATION_WINDOW_MS = 1000;
/** Most growth per window once armed: just under the ×2 the simulator's limit grants. */
export const ACCELERATION_GROWTH_FACTOR = 1.9;
/**
 * Least growth per window any real acceleration limit is assumed to grant, for ruling phases out:
 * a refused window with `admitted + SLACK < FACTOR_ASSUMED × previous` cannot be the API's.
 */
const FACTOR_ASSUMED = 1.9;
/** Attempts a window's count may be off by (clock skew between dispatch and arrival). */
const SLACK = 1;
/** Share of the possible phases under which an attempt may overrun the window (see accelerationWait). */
export const PHASE_RISK = 0.25;

const W = ACCELERATION_WINDOW_MS;

export interface AccelerationState {
  /** Dispatch times, ascending, from `head` on; refused attempts are taken out again. */
  times: number[];
  head: number;
  /** 0 until the first acceleration-limit refusal; then the attempts per window always allowed. */
  floor: number;
  /** Per ms of phase (window end mod W): 1 while the API's windows may end there. */
  readonly phases: Uint8Array;
  /** Prefix sums of `phases`, for range queries. */
  readonly phaseSums: Int32Array;
}

export function initialAcceleration(): AccelerationState {
  const state = {
    times: [],
    head: 0,
    floor: 0,
    phases: new Uint8Array(W).fill(1),
    phaseSums: new Int32Array(W + 1),
  };
  sumPhases(state);
  return state;
}

/** The phase (ms, in `[0, W)`) of a window ending at integer time `e`. */
function phaseOf(e: number): number {
  return ((e % W) + W) % W;
}

function sumPhases(state: AccelerationState): void {
  for (let p = 0; p < W; p++) state.phaseSums[p + 1] = state.phaseSums[p]! + state.phases[p]!;
}

/** How many phases (ms) of windows ending in `[a, b)` may be the API's. */
function phaseCount(state: AccelerationState, a: number, b: number): number {
  const from = Math.ceil(a);
  const to = Math.ceil(b); // integer ends in [from, to)
  if (to - from >= W) return state.phaseSums[W]!;
  if (to <= from) return 0;
  const i = phaseOf(from);
  const j = i + (to - from);
  const s = state.phaseSums;
  return j <= W ? s[j]! - s[i]! : s[W]! - s[i]! + s[j - W]!;
}

/** Drops the dispatches that no window from `now` on can count (older than two windows). */
function prune(state: AccelerationState, now: number): void {
  const { times } = state;
  while (state.head < times.length && times[state.head]! <= now - 2 * W) state.head++;
  if (state.head > 256 && state.head * 2 > times.length) {
    times.splice(0, state.head);
    state.head = 0;
  }
}

/** First index from `head` whose time is above `t`. */
function firstAbove(state: AccelerationState, t: number): number {
  const { times } = state;
  let lo = state.head;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! > t) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Walks the windows `(e − W, e]` for ends `e` in `[s, s + W)`, in stretches where the counts do
 * not change: `recent` counts the attempts in the window up to `cutoff`, `base` those in the
 * window before it.
 */
function sweep(
  state: AccelerationState,
  s: number,
  cutoff: number,
  visit: (from: number, to: number, recent: number, base: number) => void,
): void {
  const { times } = state;
  const n = firstAbove(state, cutoff);
  let i = firstAbove(state, s - W); // first attempt in the window
  let j = firstAbove(state, s - 2 * W); // first attempt in the window before
  for (let t = s; t < s + W;) {
    // An attempt moves from the window to the one before at its time + W, and out at + 2W.
    const next = Math.min(i < n ? times[i]! + W : Infinity, j < i ? times[j]! + 2 * W : Infinity, s + W);
    visit(t, next, n - i, i - j);
    t = next;
    while (i < n && times[i]! + W <= t) i++;
    while (j < i && times[j]! + 2 * W <= t) j++;
  }
}

export function recordDispatch(state: AccelerationState, at: number): void {
  prune(state, at);
  const { times } = state;
  // Clocks may step back; keep the log sorted.
  let i = times.length;
  while (i > state.head && times[i - 1]! > at) i--;
  if (i === times.length) times.push(at);
  else times.splice(i, 0, at);
}

/** Takes an attempt dispatched at `at` out of the log: the API refused it, so admitted none. */
export function forget(state: AccelerationState, at: number): void {
  const { times } = state;
  for (let i = times.length - 1; i >= state.head; i--) {
    if (times[i] === at) {
      times.splice(i, 1);
      return;
    }
    if (times[i]! < at) return;
  }
}

/**
 * The phases (as window-end stretches) under which a refusal of an attempt dispatched at `at` (still
 * in the log) could not have happened with the API's floor at least `floor`: its window had room
 * to spare. Also the least its window held under a phase still possible (Infinity if none is).
 */
function misfits(
  state: AccelerationState,
  at: number,
  floor: number,
): { ruledOut: Array<[number, number]>; least: number } {
  const ruledOut: Array<[number, number]> = [];
  let least = Infinity;
  sweep(state, at, at, (from, to, held, before) => {
    const admitted = held - 1; // the refused attempt itself was not admitted
    if (admitted + SLACK < Math.max(floor, FACTOR_ASSUMED * before)) ruledOut.push([from, to]);
    else if (phaseCount(state, from, to) > 0) least = Math.min(least, admitted);
  });
  return { ruledOut, least };
}

/**
 * Arms the gate on an acceleration-limit refusal of an attempt dispatched at `at` (still in the
 * log), and learns from it. The first refusal sets the floor to what the trailing window accepted:
 * from cold, the API's window most likely held the whole burst so far (a window edge inside a
 * burst is unlikely, and would only lower what the API allows). Phases under which the refusal
 * could not have happened with that floor are ruled out. If none fits, the floor is lowered to
 * what fits; if still none, the model is off and the gate starts over from all phases.
 */
export function arm(state: AccelerationState, at: number): void {
  const trailing = Math.max(1, firstAbove(state, at - 1) - firstAbove(state, at - W));
  const guess = state.floor === 0 ? trailing : state.floor;
  let fit = misfits(state, at, guess);
  let floor = guess;
  if (fit.least === Infinity) {
    fit = misfits(state, at, 1);
    floor = Math.max(1, Math.min(guess, fit.least));
  }
  if (fit.least === Infinity) {
    state.phases.fill(1);
    floor = Math.min(guess, trailing);
  } else {
    for (const [from, to] of fit.ruledOut)
      for (let e = Math.ceil(from); e < Math.ceil(to); e++) state.phases[phaseOf(e)] = 0;
  }
  sumPhases(state);
  state.floor = floor;
}

/**
 * Milliseconds until one more dispatch fits the gate; 0 when it fits now (always, unarmed). It fits
 * when the phases under which it would overrun the API's window are at most {@link PHASE_RISK} of
 * those still possible, each weighted by the share of its window already gone (a refusal holds
 * 1 s, so one late in a window idles most of the next): guarding against every phase makes growth
 * restart from the floor after each hold, which costs more than the odd early refusal.
 */
export function accelerationWait(state: AccelerationState, now: number): number {
  if (state.floor === 0) return 0;
  prune(state, now);
  const tolerated = PHASE_RISK * state.phaseSums[W]!;
  let s = now;
  // Each pass moves past a refusing stretch; a few suffice, and the caller checks again anyway.
  for (let pass = 0; pass < 16; pass++) {
    let over = 0;
    let firstEnd = -1;
    sweep(state, s, Infinity, (from, to, recent, base) => {
      if (recent + 1 > Math.max(state.floor, ACCELERATION_GROWTH_FACTOR * base)) {
        // A refusal's hold costs as much of the next window as has passed of this one.
        over += (phaseCount(state, from, to) * (s + W - (from + to) / 2)) / W;
        if (firstEnd < 0 && over > 0) firstEnd = to;
      }
    });
    if (over <= tolerated) break;
    s = firstEnd;
  }
  return Math.max(0, Math.ceil(s - now));
}

/** The share of window phases still possible (1 until refusals rule some out); for tests. */
export function phaseShare(state: AccelerationState): number {
  return state.phaseSums[W]! / W;
}
