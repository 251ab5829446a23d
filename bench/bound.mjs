// Lower bounds on the makespan of N calls against the simulator's limits. Pure functions.
//
// THE MODEL (the simulator's, exactly: src/sim/buckets.ts, src/sim/acceleration.ts, src/sim/limits.ts)
//   - Request bucket: capacity B, full at t = 0, refilled continuously at r per second. An attempt
//     is admitted only if a whole token is there; a refused attempt takes nothing.
//   - Acceleration limit: windows [kW, (k+1)W); window k admits at most
//     allowed(k) = max(floor, ⌊factor·A(k−1)⌋) attempts, A(k−1) = admitted in window k−1.
//   - Overload windows [s, e) with rate p: an admitted attempt (it has taken its token and counts
//     towards A(k)) gets 529 with probability p. Other fast faults (a stream's `event: error`
//     before any content) fail a fraction q of admitted attempts at any time.
//   - A limit drop at t_d: r → r₂, B → B₂ (tokens clamped to B₂).
//   - An admitted attempt that succeeds completes S ms later (S = ttft + ms/token × tokens).
//
// THE BOUND. No client, however clever, completes call N before the N-th successful admission
// plus S. So T* = t_N + S, where t_N is the earliest time by which N admissions can have
// succeeded. Failures are treated as a fluid (a fraction p of each admission fails, in
// expectation), and admissions may be fractional: both only relax the integer model, so T* stays
// a lower bound (of the expected makespan where faults are random).
//
// t_N is computed two ways, which must agree (run.mjs checks them):
//   1. `idealSchedule`: a fluid simulation of the best client at 1 ms steps. It admits as much as
//      the bucket, the acceleration allowance and the calls arrived so far allow (greedy), and
//      retries failures at once (it sends pending / ((1 − p)(1 − q)) attempts, which succeed for
//      every pending call in expectation). Greedy is optimal for a token bucket and for the acceleration
//      limit (admitting more now never lowers a later allowance). The one place it is not is an
//      overload window: there a token spent yields 1 − p successes, while a token saved until
//      the window ends yields 1, and the bucket can carry at most B across, so the best client
//      stops sending B/r before the window ends and spends a full bucket at its end. The
//      simulation does exactly that.
//   2. A closed form per scenario (below), derived by hand from the same model.
//
// Closed forms (all times in seconds, n = N):
//   bucket only (REFERENCE.md):      t_N = (N − B)/r
//   constant fault rate q:           t_N = (N/(1−q) − B)/r        (N/(1−q) admissions needed)
//   acceleration + bucket:           while factor^k·floor ≤ r·W − B the acceleration limit binds and
//                                    the bucket refills to B by each window's end, so after k*
//                                    windows A = floor·(factor^k* − 1)/(factor − 1) calls are in
//                                    (rampAdmissionBound); once allowed(k*) ≥ B + r·W the bucket
//                                    binds:  t_N = k*·W + (N − A − B)/r
//   overload window [s, e), rate p:  successes by T ≥ e: 2B + r(s + T − e) + (1−p)(r(e−s) − B)
//                                    (B + r·s before, (1−p) of r(e−s) − B during, B + r(T−e) after)
//                                    so t_N = e + (N − 2B − r·s − (1−p)(r(e−s) − B))/r
//   limit drop at t_d to r₂:         t_N = t_d + (N − B − r·t_d)/r₂   (the bucket is empty at t_d)
//   open-loop arrivals a₁ ≤ … ≤ a_N: t_N = max_i (a_i + (N − i + 1 − B)⁺/r)   (a token-bucket
//                                    shaper: the calls from i on cannot start before a_i, and at
//                                    most B + r·τ of them are admitted within τ of it)

/**
 * The best client's schedule, as a fluid at `stepMs` steps.
 * @param {object} spec
 * @param {number} spec.n calls
 * @param {number[]} [spec.arrivalsMs] sorted arrival times (default: all at 0)
 * @param {number} spec.rps refill per second
 * @param {number} spec.burst bucket capacity B
 * @param {{atMs:number,rps:number,burst:number}[]} [spec.changes] limit changes
 * @param {false|{windowMs:number,floor:number,factor:number}} [spec.acceleration]
 * @param {{startMs:number,endMs:number,rate:number}[]} [spec.outages]
 * @param {number} [spec.faultRate] q, failures of admitted attempts at any time
 * @param {number} spec.serviceMs S
 * @returns {{ boundMs:number, lastAdmitMs:number, curve:{tMs:number, completed:number}[] }}
 *   `curve`: the ideal cumulative completions every 250 ms (for the plot).
 */
export function idealSchedule(spec, stepMs = 1) {
  const { n, rps, burst, serviceMs } = spec;
  const arrivals = spec.arrivalsMs ?? [];
  const changes = [...(spec.changes ?? [])].sort((a, b) => a.atMs - b.atMs);
  const outages = spec.outages ?? [];
  const accel = spec.acceleration || undefined;
  const q = spec.faultRate ?? 0;
  const eps = 1e-9;
  let r = rps / 1000; // per ms
  let cap = burst;
  let tokens = burst;
  let pending = arrivals.length ? 0 : n;
  let nextArrival = 0;
  let succeeded = 0;
  let window = 0;
  let current = 0;
  let previous = 0;
  const samples = []; // [tMs, succeeded]
  const limitMs = 3_600_000;
  for (let t = 0; t <= limitMs; t += stepMs) {
    if (t > 0) tokens = Math.min(cap, tokens + r * stepMs);
    while (changes.length && changes[0].atMs <= t) {
      const c = changes.shift();
      r = c.rps / 1000;
      cap = c.burst;
      tokens = Math.min(tokens, cap);
    }
    while (nextArrival < arrivals.length && arrivals[nextArrival] <= t) {
      pending++;
      nextArrival++;
    }
    let room = Infinity;
    if (accel) {
      const w = Math.floor(t / accel.windowMs);
      if (w !== window) {
        previous = w === window + 1 ? current : 0;
        current = 0;
        window = w;
      }
      room = Math.max(accel.floor, accel.factor * previous) - current;
    }
    const outage = outages.find((o) => t >= o.startMs && t < o.endMs);
    const p = outage ? outage.rate : 0;
    // Clairvoyance: in the last B/r of an overload window, save the bucket for its end.
    const saving = outage && p > 0 && t >= outage.endMs - cap / r;
    // Enough attempts that, in expectation, every pending call succeeds: pending / (1 − p)(1 − q).
    const yieldRate = (1 - p) * (1 - q);
    const need = yieldRate > 0 ? pending / yieldRate : pending;
    const x = saving ? 0 : Math.max(0, Math.min(need, tokens, room));
    if (x > 0) {
      tokens -= x;
      current += x;
      const ok = Math.min(pending, x * yieldRate);
      pending -= ok;
      succeeded += ok;
    }
    if (t % 250 === 0) samples.push([t, succeeded]);
    if (succeeded >= n - eps) {
      const lastAdmitMs = t;
      const boundMs = lastAdmitMs + serviceMs;
      // Completions trail admissions by S.
      const curve = [];
      for (let s = 0; s <= boundMs + 250; s += 250) {
        const at = s - serviceMs;
        let done = 0;
        for (const [ts, v] of samples) if (ts <= at) done = v;
        if (at >= lastAdmitMs) done = n;
        curve.push({ tMs: s, completed: Math.min(n, done) });
      }
      return { boundMs, lastAdmitMs, curve };
    }
  }
  throw new Error('idealSchedule: no completion within an hour of simulated time');
}

/** Closed form: bucket only (REFERENCE.md), with a constant fault rate q. Returns t_N in ms. */
export function bucketAdmitMs(n, burst, rps, q = 0) {
  return (Math.max(0, n / (1 - q) - burst) / rps) * 1000;
}

/**
 * Closed form: acceleration limit then bucket. `admissionBound(k)` is the simulator's
 * `rampAdmissionBound(acceleration, k)`. Returns { ms: t_N, k, admitted: A } or throws when the
 * scenario leaves the regime the formula covers.
 */
export function accelBucketAdmitMs(n, burst, rps, acceleration, admissionBound) {
  const { windowMs, floor, factor } = acceleration;
  const perWindow = (rps * windowMs) / 1000;
  let k = 0;
  while (floor * factor ** k <= perWindow - burst) k++;
  if (floor * factor ** k < burst + perWindow)
    throw new Error('acceleration regime not covered by the closed form');
  const admitted = admissionBound(k);
  if (admitted + burst >= n) throw new Error('N too small for the closed form');
  return { ms: k * windowMs + ((n - admitted - burst) / rps) * 1000, k, admitted };
}

/** Closed form: one overload window [s, e) with rate p (no acceleration). Returns t_N in ms. */
export function outageAdmitMs(n, burst, rps, { startMs, endMs, rate }) {
  const r = rps / 1000;
  const before = burst + r * startMs;
  const during = (1 - rate) * (r * (endMs - startMs) - burst);
  if (n <= before + during + burst) throw new Error('N too small for the closed form');
  return endMs + (n - 2 * burst - r * startMs - during) / r;
}

/** Closed form: a limit drop to `rps2` at `atMs`. Returns t_N in ms. */
export function dropAdmitMs(n, burst, rps, { atMs, rps: rps2 }) {
  const before = burst + (rps * atMs) / 1000;
  if (n <= before) throw new Error('N too small for the closed form');
  return atMs + ((n - before) / rps2) * 1000;
}

/** Closed form: open-loop arrivals through a token bucket (network calculus). Returns t_N in ms. */
export function arrivalsAdmitMs(arrivalsMs, burst, rps) {
  const n = arrivalsMs.length;
  let worst = 0;
  for (let i = 0; i < n; i++) {
    worst = Math.max(worst, arrivalsMs[i] + (Math.max(0, n - i - burst) / rps) * 1000);
  }
  return worst;
}
