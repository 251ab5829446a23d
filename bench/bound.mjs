// Lower bounds on the makespan of a cell (a workload against one acceleration mechanism). Pure
// functions over the simulator's own limit code (src/sim/limits.ts, built in bench/.dist), so the bound and the server
// can never disagree about a limit.
//
// T* (what RESULTS.md divides by) is the schedule of an IDEAL CLIENT: it knows every limit exactly
// and sends each call at the first instant every limit (request bucket, input- and output-token
// buckets with the output reservation given back at the call's end, the acceleration mechanism)
// would admit it, in call order, never refused. It is computed by `greedySchedule` below, which is
// the simulator's `idealSchedule` (src/sim/bounds.ts) extended to arrivals, per-call costs and
// service times, and overload windows; where `idealSchedule` applies (every call alike, all at
// once, no outage) the two must agree and run.mjs refuses to run if they do not.
//
// For token buckets and the fixed windows, admitting earlier never lowers a later allowance, so the
// greedy makespan is the least achievable: a lower bound for any client. For the `inflight` and
// `rate` mechanisms it is the schedule of an ideal client that keeps the cap full, not a proof of
// optimality. Next to it each cell reports a CLOSED-FORM bound (`closedFormMs`): the largest of the
// hand-derived bounds that hold for its limits (bucket only; network calculus for arrivals; the
// output- and input-token budgets; `rampAdmissionBound` for windows; `inflightMakespanBound` and
// `rateMakespanBound` for the caps). Those are proven lower bounds, looser than T*; the check is
// closed form ≤ T*.
//
// Random outputs: the simulator draws each message's output tokens when it admits it, from its
// seeded generator, interleaved with other draws (request ids, fault draws) in arrival order, so no
// bound can replay the exact draws a run will get. T* for a workload with drawn outputs is the mean
// over `SEQUENCES` output sequences drawn from the same distribution (uniform integers in
// [min, max], capped by max_tokens); its spread is reported next to it.
//
// Overload windows (the 529 outage): an attempt admitted in a window [s, e) with rate p fails at
// once with probability p (its tokens and acceleration admission spent, its output reservation
// given back). The ideal client is taken in expectation: each admission in the window yields 1 − p
// of a success (a deterministic credit), and it stops sending B/r before the window ends to carry
// a full request bucket across it (a token saved yields 1 success, a token spent 1 − p). This is
// the expected-value schedule of that client, not a proof.
import { Limits } from './.dist/sim/limits.js';
import { modelConfig } from './.dist/sim/options.js';
import {
  idealSchedule as simIdealSchedule,
  inflightMakespanBound,
  rampAdmissionBound,
  rateMakespanBound,
} from './.dist/sim/index.js';

/** Steps shorter than this (ms) are floating-point noise in a wait. */
const MIN_STEP = 1e-6;

/** A min-heap of [time, payload]. */
class Heap {
  #a = [];
  get size() {
    return this.#a.length;
  }
  peek() {
    return this.#a[0];
  }
  push(item) {
    const a = this.#a;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p][0] <= a[i][0]) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }
  pop() {
    const a = this.#a;
    const top = a[0];
    const last = a.pop();
    if (a.length) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l][0] < a[m][0]) m = l;
        if (r < a.length && a[r][0] < a[m][0]) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}

/**
 * The ideal client's schedule, in simulated ms.
 * @param {object} options the simulator's RuntimeOptions (limits, acceleration, overloadWindows)
 * @param {{arriveMs:number, serviceMs:number, input:number, maxTokens:number, produced:number}[]} calls
 *   in call order; `serviceMs` is the call's duration once admitted
 * @returns {{ admitMs:number[], makespanMs:number, lastAdmitMs:number }}
 */
export function greedySchedule(options, calls) {
  const config = modelConfig(options);
  const limits = new Limits(config);
  const pool = limits.get('ideal', 'model', 0);
  const windows = config.overloadWindows ?? [];
  const burst = config.burst;
  const perMs = config.requestsPerMinute / 60_000;
  const ends = new Heap(); // [endMs, {maxTokens, produced}]
  const admitMs = [];
  let makespan = 0;
  let next = 0; // index of the next call to admit (FIFO)
  let credit = 0; // expected successes owed by the outage, as a fraction
  let t = 0;
  const finishUpTo = (time) => {
    while (ends.size && ends.peek()[0] <= time) {
      const [at, c] = ends.pop();
      limits.finish(pool, at, c.maxTokens, c.produced);
    }
  };
  let guard = 0;
  while (next < calls.length) {
    if (++guard > 50_000_000) throw new Error('greedySchedule: no progress');
    const call = calls[next];
    if (call.arriveMs > t) {
      // Nothing to send before the next arrival; ends in between free their reservations.
      finishUpTo(call.arriveMs);
      t = call.arriveMs;
      continue;
    }
    finishUpTo(t);
    const outage = windows.find((w) => t >= w.startMs && t < w.endMs && w.rate > 0);
    if (outage && t >= outage.endMs - burst / perMs) {
      // Carry a full request bucket across the window's end.
      finishUpTo(outage.endMs);
      t = outage.endMs;
      continue;
    }
    const admission = limits.admit(pool, t, { input: call.input, reserve: call.maxTokens });
    if (admission.ok) {
      if (outage) {
        credit += 1 - outage.rate;
        if (credit < 1 - 1e-9) {
          // This attempt gets 529: it ends at once, its reservation given back.
          limits.finish(pool, t, call.maxTokens, 0);
          continue;
        }
        credit -= 1;
      }
      admitMs.push(t);
      const end = t + call.serviceMs;
      makespan = Math.max(makespan, end);
      ends.push([end, call]);
      next++;
      continue;
    }
    let step = t + Math.max(admission.waitMs, MIN_STEP);
    if (ends.size && ends.peek()[0] < step) step = ends.peek()[0];
    if (!Number.isFinite(step)) throw new Error('greedySchedule: no call can ever be admitted');
    t = step;
  }
  return { admitMs, makespanMs: makespan, lastAdmitMs: admitMs[admitMs.length - 1] ?? 0 };
}

/** The simulator's own `idealSchedule`, for the cross-check (every call alike, all at once). */
export function simIdeal(options, { calls, serviceMs, input, maxTokens, produced }) {
  return simIdealSchedule(options, {
    calls,
    serviceMs,
    inputTokens: input,
    maxTokens,
    outputTokens: produced,
  }).makespanMs;
}

// ---- closed forms (simulated ms) ------------------------------------------------------------------

/** Request bucket only, all at once (REFERENCE.md): t_N = (N − B)/r. */
export function bucketAdmitMs(n, burst, perSecond) {
  return (Math.max(0, n - burst) / perSecond) * 1000;
}

/** Open-loop arrivals through a token bucket (network calculus): t_N = max_i (a_i + (N − i + 1 − B)⁺/r). */
export function arrivalsAdmitMs(arrivalsMs, burst, perSecond) {
  const n = arrivalsMs.length;
  let worst = 0;
  for (let i = 0; i < n; i++)
    worst = Math.max(worst, arrivalsMs[i] + (Math.max(0, n - i - burst) / perSecond) * 1000);
  return worst;
}

/**
 * Output-token budget: by the last admission every call's output but the last one's has been
 * consumed or is reserved, and the last one reserves all its max_tokens, so
 * C + R·t_N ≥ Σ_{i<N} produced_i + max_tokens_N.
 */
export function outputBudgetAdmitMs(calls, capacity, perMinute) {
  let need = 0;
  for (let i = 0; i < calls.length - 1; i++) need += calls[i].produced;
  need += calls[calls.length - 1].maxTokens;
  return (Math.max(0, need - capacity) / perMinute) * 60_000;
}

/** Input-token budget: C + R·t_N ≥ Σ input_i. */
export function inputBudgetAdmitMs(calls, capacity, perMinute) {
  const need = calls.reduce((a, c) => a + c.input, 0);
  return (Math.max(0, need - capacity) / perMinute) * 60_000;
}

/**
 * Fixed windows then the bucket: while floor·factor^k ≤ r·W − B the acceleration limit binds and the
 * bucket is full again at each window's end; after k* windows A = rampAdmissionBound(k*) calls are
 * in, then the bucket binds: t_N = k*·W + (N − A − B)/r. Returns undefined outside that regime.
 */
export function windowsBucketAdmitMs(n, burst, perSecond, accel) {
  const { windowMs, floor, factor } = accel;
  const perWindow = (perSecond * windowMs) / 1000;
  if (factor <= 1) return undefined;
  let k = 0;
  while (floor * factor ** k <= perWindow - burst) k++;
  if (floor * factor ** k < burst + perWindow) return undefined;
  const admitted = rampAdmissionBound(accel, k);
  if (admitted + burst >= n) return undefined;
  return { ms: k * windowMs + ((n - admitted - burst) / perSecond) * 1000, k, admitted };
}

/**
 * Fixed windows alone: the calls admitted in the first w windows are at most rampAdmissionBound(w),
 * so the last call starts no earlier than (w* − 1)·W with w* the fewest windows that hold N.
 */
export function windowsAloneAdmitMs(n, accel) {
  let w = 1;
  while (rampAdmissionBound(accel, w) < n) w++;
  return (w - 1) * accel.windowMs;
}

/** One overload window [s, e) with rate p and the bucket (the storm's closed form). */
export function outageAdmitMs(n, burst, perSecond, { startMs, endMs, rate }) {
  const r = perSecond / 1000;
  const before = burst + r * startMs;
  const during = (1 - rate) * (r * (endMs - startMs) - burst);
  if (n <= before) return bucketAdmitMs(n, burst, perSecond);
  if (n <= before + during + burst) return undefined;
  return endMs + (n - 2 * burst - r * startMs - during) / r;
}

export { inflightMakespanBound, rateMakespanBound, rampAdmissionBound };
