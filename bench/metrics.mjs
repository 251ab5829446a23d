// Per-run metrics from a raw run record (harness.mjs): client-side timestamps, the simulator's
// statistics and the client-side retry-after audit. Pure, but for the per-run bound, which runs
// the cell's ideal schedule on the outputs the run got.

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

/**
 * The outputs of a run in the order the API admitted the calls: each successful call at the send
 * time of its last attempt (the one answered 200).
 */
export function outputsInAdmissionOrder(run) {
  const lastOk = new Map();
  for (const [sent, status, call] of run.attempts) {
    if (status === 200 && call >= 0) lastOk.set(call, Math.max(lastOk.get(call) ?? -Infinity, sent));
  }
  return run.calls
    .map((c, i) => ({ at: lastOk.get(i) ?? c.settle, output: c.ok ? c.output : undefined, ok: c.ok }))
    .filter((x) => x.ok)
    .sort((a, b) => a.at - b.at)
    .map((x) => x.output);
}

/** Derives the reported metrics of one run. */
export function runMetrics(run, cell) {
  const { calls, stats, audit, n } = run;
  const ok = calls.filter((c) => c.ok);
  const successes = ok.length;
  const settled = calls.map((c) => c.settle).filter((t) => !Number.isNaN(t));
  const makespanMs = settled.length ? Math.max(...settled) : run.endMs;
  const latencies = ok.map((c) => c.settle - c.arrive).sort((a, b) => a - b);
  const per1k = (count) => (count * 1000) / n;
  const errors = {};
  for (const c of calls) if (!c.ok) errors[c.error] = (errors[c.error] ?? 0) + 1;
  const runBoundMs = cell.runBoundMs(run.seed, outputsInAdmissionOrder(run));
  const refusals = stats.refusals ?? {};
  const ramp = Object.entries(refusals)
    .filter(([k]) => k.startsWith('ramp'))
    .reduce((a, [, v]) => a + v, 0);
  return {
    success: successes / n,
    makespanMs,
    boundMs: run.bound.ms,
    runBoundMs,
    // ÷ the run's own T* (the ideal client with the outputs this run got): the luck of the draw out.
    ratio: makespanMs / runBoundMs,
    // ÷ the cell's T* (mean over output sequences).
    cellRatio: makespanMs / run.bound.ms,
    attemptsPerCall: audit.attempts / n,
    r429: per1k(stats.byStatus['429'] ?? 0),
    rampPer1k: per1k(ramp),
    r529: per1k(stats.byErrorType.overloaded_error ?? 0),
    raViolations: audit.violations,
    accelViolations: audit.accelerationViolations,
    serverRaViolations: stats.retryAfterViolations,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    peakInFlight: stats.peakInFlight,
    refusals,
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
 * Evidence about the gateway in one run, for the closing note: its concurrency limit, the time
 * attempts were held by a retry-after, the gate, and the throttles it met.
 */
export function gatewayEvidence(run) {
  const { samples, stats, calls } = run;
  const lastDone = Math.max(...calls.map((c) => c.settle).filter((t) => !Number.isNaN(t)));
  const busy = samples.filter(
    (s) => s.tMs <= lastDone && s.limit !== undefined && (s.queued > 0 || s.active > 0),
  );
  const share = (pred) => (busy.length ? busy.filter(pred).length / busy.length : 0);
  let cuts = 0;
  for (let i = 1; i < samples.length; i++) if (samples[i].limit < samples[i - 1].limit) cuts++;
  const ramp429 = stats.byErrorCode.ramp_limit_exceeded ?? 0;
  const all429 = stats.byStatus['429'] ?? 0;
  const r429 = run.attempts.filter(([, status]) => status === 429).map(([t]) => t);
  return {
    meanLimit: busy.length ? busy.reduce((a, s) => a + s.limit, 0) / busy.length : NaN,
    maxLimit: Math.max(0, ...busy.map((s) => s.limit)),
    meanInFlight: busy.length ? busy.reduce((a, s) => a + s.inFlight, 0) / busy.length : NaN,
    heldShare: share((s) => s.holdUntil > 0),
    gateClosedShare: share((s) => s.gateClosed),
    limitBoundShare: share((s) => s.queued > 0 && s.active >= s.limit && !(s.holdUntil > 0)),
    cuts,
    ramp429,
    rate429: all429 - ramp429,
    refusals: stats.refusals,
    first429Ms: r429.length ? Math.min(...r429) : null,
    last429Ms: r429.length ? Math.max(...r429) : null,
  };
}
