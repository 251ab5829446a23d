// Per-run metrics from a raw run record (harness.mjs): client-side timestamps, the simulator's
// statistics and the client-side retry-after audit. Pure.

/** The q-quantile (0..1) of sorted numbers, nearest rank; NaN when empty. */
export function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

export function median(values) {
  const v = values.filter((x) => x !== null && x !== undefined && !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Successes per second in [from, to) ms, from sorted completion times. */
function rateIn(sortedDone, from, to) {
  let lo = 0;
  let hi = sortedDone.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sortedDone[mid] < from) lo = mid + 1;
    else hi = mid;
  }
  let count = 0;
  for (let i = lo; i < sortedDone.length && sortedDone[i] < to; i++) count++;
  return (count * 1000) / (to - from);
}

/** Window over which completion rates are measured for the recovery time. */
export const RECOVERY_WINDOW_MS = 1000;
export const RECOVERY_SHARE = 0.9;

/**
 * Recovery time after an outage [startMs, endMs): with R_pre the successes per second in
 * [startMs − 1 s, startMs), the smallest d ≥ 0 (10 ms steps) such that the successes in
 * [endMs + d, endMs + d + 1 s) reach 0.9 × R_pre per second. `null` if it never does before the
 * last call settles (the work ran out or the strategy never got back).
 */
export function recoveryMs(sortedDone, { startMs, endMs }, lastMs) {
  const pre = rateIn(sortedDone, startMs - RECOVERY_WINDOW_MS, startMs);
  if (pre === 0) return null;
  for (let d = 0; endMs + d <= lastMs; d += 10) {
    if (rateIn(sortedDone, endMs + d, endMs + d + RECOVERY_WINDOW_MS) >= RECOVERY_SHARE * pre) return d;
  }
  return null;
}

/** Derives the reported metrics of one run. */
export function runMetrics(run, scenario) {
  const { calls, stats, audit, n } = run;
  const ok = calls.filter((c) => c.ok);
  const successes = ok.length;
  const settled = calls.map((c) => c.settle).filter((t) => !Number.isNaN(t));
  const makespanMs = settled.length ? Math.max(...settled) : run.endMs;
  const latencies = ok.map((c) => c.settle - c.arrive).sort((a, b) => a - b);
  const done = ok.map((c) => c.settle).sort((a, b) => a - b);
  const per1k = (count) => (successes ? (count * 1000) / successes : null);
  const errors = {};
  for (const c of calls) if (!c.ok) errors[c.error] = (errors[c.error] ?? 0) + 1;
  return {
    success: successes / n,
    makespanMs,
    boundMs: run.bound.ms,
    ratio: makespanMs / run.bound.ms,
    attemptsPerRequest: audit.attempts / n,
    r429: per1k(stats.byStatus['429'] ?? 0),
    r529: per1k(stats.byErrorType.overloaded_error ?? 0),
    raViolations: audit.violations,
    serverRaViolations: stats.retryAfterViolations,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    recoveryMs: scenario.outage ? recoveryMs(done, scenario.outage, makespanMs) : undefined,
    peakInFlight: stats.peakInFlight,
    timedOut: run.timedOut,
    errors,
  };
}

/** Throughput (successes per second) in `binMs` bins, from a run's calls. */
export function throughput(run, binMs = 250) {
  const bins = [];
  for (const c of run.calls) {
    if (!c.ok) continue;
    const b = Math.floor(c.settle / binMs);
    bins[b] = (bins[b] ?? 0) + 1;
  }
  return Array.from(bins, (v, i) => ({ tMs: (i + 1) * binMs, perSecond: ((v ?? 0) * 1000) / binMs }));
}

/**
 * Evidence about the gateway in one run, for the closing note: its concurrency limit against the
 * r·S the scenario needs, the share of busy time attempts were held by a retry-after, and the
 * throttles it met.
 */
export function gatewayEvidence(run, scenario) {
  const { samples, stats, calls } = run;
  const rps = scenario.sim.requestsPerMinute / 60;
  const needed = (rps * scenario.serviceMs) / 1000;
  const lastDone = Math.max(...calls.map((c) => c.settle).filter((t) => !Number.isNaN(t)));
  const busy = samples.filter(
    (s) => s.tMs <= lastDone && s.limit !== undefined && (s.queued > 0 || s.active > 0),
  );
  const share = (pred) => (busy.length ? busy.filter(pred).length / busy.length : 0);
  let cuts = 0;
  for (let i = 1; i < samples.length; i++) if (samples[i].limit < samples[i - 1].limit) cuts++;
  const reach = busy.find((s) => s.limit >= needed);
  const ramp429 = stats.byErrorCode.ramp_limit_exceeded ?? 0;
  const all429 = stats.byStatus['429'] ?? 0;
  const r429 = run.attempts.filter(([, status]) => status === 429).map(([t]) => t);
  return {
    neededConcurrency: needed,
    meanLimit: busy.length ? busy.reduce((a, s) => a + s.limit, 0) / busy.length : NaN,
    maxLimit: Math.max(0, ...busy.map((s) => s.limit)),
    // HTTP attempts awaiting their response headers (a stream's body is not counted).
    meanInFlight:
      scenario.stream || !busy.length ? null : busy.reduce((a, s) => a + s.inFlight, 0) / busy.length,
    reachNeededMs: reach ? reach.tMs : null,
    heldShare: share((s) => s.holdUntil > 0),
    limitBoundShare: share((s) => s.queued > 0 && s.active >= s.limit && !(s.holdUntil > 0)),
    cuts,
    ramp429,
    rate429: all429 - ramp429,
    first429Ms: r429.length ? Math.min(...r429) : null,
    last429Ms: r429.length ? Math.max(...r429) : null,
  };
}
