// The benchmark matrix: every acceleration mechanism of the simulator × workloads, plus variants of
// each mechanism's parameters on the cold burst. A CELL is one workload against one mechanism;
// `cell.sim(seed)` gives the simulator's options, `cell.calls(seed)` the calls (arrival time,
// parameters, which client), `cell.bound(seed)` the lower bound T* with its derivation.
//
// Units: every duration and rate of a workload is SIMULATED (the API's own time). A workload with
// `timeScale` k runs k times faster than real time (the simulator's `timeScale` option): a call of
// 6 s takes 0.6 s on the wire, a limit of 900 requests per minute admits 150 per real second. The
// bench converts to real time where the client lives (arrival times, deadlines, the reported
// makespans, which are real seconds; T* is given in both).
import { estimateInputTokens } from './.dist/sim/content.js';
import {
  arrivalsAdmitMs,
  bucketAdmitMs,
  greedySchedule,
  inflightMakespanBound,
  inputBudgetAdmitMs,
  outageAdmitMs,
  outputBudgetAdmitMs,
  rateMakespanBound,
  simIdeal,
  windowsAloneAdmitMs,
  windowsBucketAdmitMs,
} from './bound.mjs';

export const MODEL = 'claude-sonnet-5';

/** The project's default parameters of each mechanism (src/sim/scenarios.ts, issue 13). */
export const MECHANISMS = {
  windows: { kind: 'windows', windowMs: 1000, floor: 20, factor: 2 },
  inflight: { kind: 'inflight', initial: 4, factorPerSec: 2, decayPerSec: 2 },
  rate: { kind: 'rate', initial: 20, growthPerSec: 40 },
  none: { kind: 'none' },
};
export const MECHANISM_NAMES = Object.keys(MECHANISMS);

/** Output sequences averaged for T* when outputs are drawn. */
export const SEQUENCES = 9;

/** Seeded uniform [0, 1) (mulberry32). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` Poisson arrivals at `perSecond`, in ms from the start, the first at 0. */
function poissonArrivals(n, perSecond, seed) {
  const random = rng(seed);
  const out = [0];
  while (out.length < n) out.push(out[out.length - 1] + (-Math.log(1 - random()) / perSecond) * 1000);
  return out;
}

const rpm = (rps) => rps * 60;
const sec = (ms) => `${(ms / 1000).toFixed(ms >= 100_000 ? 1 : 2)} s`;
const real = (cell, ms) => ms / cell.timeScale;

/** 50 ms calls (30 ms to the first token, 20 tokens at 1 ms), as today's burst. */
const FAST = { latency: { ttftMs: 30, msPerToken: 1 }, outputTokens: 20 };
/**
 * Seconds-long calls: 500 ms to the first token, then 100 tokens per second (10 ms each), outputs
 * drawn uniformly below max_tokens.
 */
const REAL_LATENCY = { ttftMs: 500, msPerToken: 10 };
const MAX_TOKENS = 1024;

/** A prompt of about `tokens` input tokens (as the simulator counts them: characters / 4 + 3). */
const promptCache = new Map();
export function promptOf(tokens) {
  let text = promptCache.get(tokens);
  if (!text) {
    const sentence = 'The quick brown fox reads the quarterly report and writes a summary of it. ';
    const chars = Math.max(1, (tokens - 3) * 4);
    text = sentence.repeat(Math.ceil(chars / sentence.length)).slice(0, chars);
    promptCache.set(tokens, text);
  }
  return text;
}
const SHORT_PROMPT = 'Summarise the benchmark in one line.';

/**
 * The workloads. Each: `timeScale`, `n(quick)`, the simulator's limits and latency (simulated
 * units), `maxTokens`, per-call shape (`stream`, `promptTokens`, `client`), arrivals, an outage.
 */
function workloads(quick, timeScale) {
  const list = [];
  // The scale of the seconds-long workloads (10 unless --time-scale says otherwise).
  const SCALE = timeScale ?? 10;

  // ---- cold burst: 1,000 calls at once, 50 ms calls, real time -------------------------------------
  list.push({
    name: 'burst',
    title: 'Cold burst',
    timeScale: 1,
    n: quick ? 400 : 1000,
    sim: { requestsPerMinute: rpm(200), burst: 40, ...FAST },
    maxTokens: MAX_TOKENS,
    describe(n) {
      return `${n} calls at once from idle, 50 ms each (30 ms to the first token, 20 tokens at 1 ms), against 200 requests/s (bucket 40), in real time (timeScale 1: \`retry-after\` in whole seconds, as the API sends it).`;
    },
  });

  // ---- open loop: Poisson arrivals at 0.5×, 1×, 1.5× the request limit ------------------------------
  const OPEN_RPS = 10;
  const openSeconds = quick ? 10 : 20;
  for (const load of [0.5, 1, 1.5]) {
    const perSecond = load * OPEN_RPS;
    list.push({
      name: `open-${load}x`,
      title: `Open loop at ${load}× capacity`,
      timeScale: SCALE,
      n: Math.round(perSecond * openSeconds),
      sim: {
        requestsPerMinute: rpm(OPEN_RPS),
        latency: REAL_LATENCY,
        outputTokens: { min: 50, max: 500 },
      },
      maxTokens: MAX_TOKENS,
      arrivals: (n, seed) => poissonArrivals(n, perSecond, seed),
      describe(n) {
        return `${n} calls arriving as a Poisson process at ${perSecond}/s (${load}× the limit of ${OPEN_RPS} requests/s, bucket ${OPEN_RPS}) for about ${openSeconds} s; each 500 ms to the first token plus 50–500 output tokens at 100/s (1.0–5.5 s; r·S̄ ≈ ${Math.round(OPEN_RPS * 3.25)} calls in flight at capacity).`;
      },
    });
  }

  // ---- OTPM-bound long outputs -------------------------------------------------------------------
  list.push({
    name: 'otpm',
    title: 'Long outputs, OTPM binds',
    timeScale: SCALE,
    n: quick ? 120 : 200,
    sim: {
      requestsPerMinute: rpm(100),
      outputTokensPerMinute: quick ? 50_000 : 80_000,
      latency: REAL_LATENCY,
      outputTokens: { min: 100, max: 1000 },
    },
    maxTokens: MAX_TOKENS,
    describe(n) {
      return `${n} calls at once, \`max_tokens\` ${MAX_TOKENS}, outputs drawn uniformly in 100–1000 tokens (1.5–10.5 s each); ${quick ? '50,000' : '80,000'} output tokens per minute (bucket one minute's worth; \`max_tokens\` reserved at admission, the unused part given back at the end) bind; 100 requests/s do not.`;
    },
  });

  // ---- ITPM-bound large prompts ------------------------------------------------------------------
  list.push({
    name: 'itpm',
    title: 'Large prompts, ITPM binds',
    timeScale: SCALE,
    n: quick ? 100 : 150,
    sim: {
      requestsPerMinute: rpm(100),
      inputTokensPerMinute: quick ? 500_000 : 800_000,
      latency: { ttftMs: 1000, msPerToken: 10 },
      outputTokens: { min: 50, max: 300 },
    },
    maxTokens: MAX_TOKENS,
    promptTokens: (i) => 2000 + Math.floor(rng(7_000 + i)() * 12_001),
    describe(n) {
      return `${n} calls at once with prompts of 2,000–14,000 input tokens (uniform, fixed per call), 1 s to the first token plus 50–300 output tokens at 100/s; ${quick ? '500,000' : '800,000'} input tokens per minute (bucket one minute's worth) bind; 100 requests/s do not.`;
    },
  });

  // ---- 60% streams of seconds-long calls ---------------------------------------------------------
  const STREAM_RPS = 10;
  list.push({
    name: 'stream',
    title: '60% streams, seconds-long calls',
    timeScale: SCALE,
    n: quick ? 150 : 250,
    sim: {
      requestsPerMinute: rpm(STREAM_RPS),
      latency: REAL_LATENCY,
      outputTokens: { min: 50, max: 500 },
    },
    maxTokens: MAX_TOKENS,
    stream: (i) => rng(9_000 + i)() < 0.6,
    describe(n) {
      return `${n} calls at once, 60% of them streamed (\`stream: true\`, read to the end), 1.0–5.5 s each (500 ms to the first token, 50–500 output tokens at 100/s); ${STREAM_RPS} requests/s (bucket ${STREAM_RPS}) bind: r·S̄ ≈ ${Math.round(STREAM_RPS * 3.25)} calls in flight needed.`;
    },
  });

  // ---- two API keys of one organization ----------------------------------------------------------
  const KEYS_RPS = 10;
  list.push({
    name: 'two-keys',
    title: 'Two API keys of one organization',
    timeScale: SCALE,
    n: quick ? 150 : 250,
    sim: {
      requestsPerMinute: rpm(KEYS_RPS),
      latency: REAL_LATENCY,
      outputTokens: { min: 50, max: 500 },
      organizations: { 'sk-bench-key-a': 'org-shared', 'sk-bench-key-b': 'org-shared' },
      organizationId: 'org-default',
    },
    maxTokens: MAX_TOKENS,
    clients: 2,
    describe(n) {
      return `${n} calls at once, alternating between two clients with API keys A and B that the simulator maps to one organization (\`organizations\`), so they share one pool of limits: ${KEYS_RPS} requests/s (bucket ${KEYS_RPS}); 1.0–5.5 s calls. Both clients are wrapped by ONE gateway (what a user with two keys in one process would do); the baselines share one p-limit between the two clients.`;
    },
  });

  // ---- a 529 outage ------------------------------------------------------------------------------
  const OUT_RPS = 12;
  const outage = { startMs: 8_000, endMs: 20_000, rate: 0.9 };
  list.push({
    name: 'outage',
    title: '529 outage',
    timeScale: SCALE,
    n: quick ? 150 : 250,
    sim: {
      requestsPerMinute: rpm(OUT_RPS),
      latency: REAL_LATENCY,
      outputTokens: { min: 50, max: 500 },
      overloadWindows: [outage],
    },
    outage,
    maxTokens: MAX_TOKENS,
    describe(n) {
      const o = this.outage; // a variant's own
      return `${n} calls at once against ${OUT_RPS} requests/s (bucket ${OUT_RPS}), 1.0–5.5 s each; from ${o.startMs / 1000} s to ${o.endMs / 1000} s (simulated) ${o.rate * 100}% of admitted attempts get 529 \`overloaded_error\` (no \`retry-after\`).`;
    },
  });
  return list;
}

export function workloadNames() {
  return workloads(false).map((w) => w.name);
}

/** The time scale of the seconds-long workloads by default. */
export const DEFAULT_TIME_SCALE = 10;

/** The per-call output tokens of one sequence `j` (the distribution the simulator draws from). */
function outputsOf(w, n, j) {
  const spec = w.sim.outputTokens;
  if (typeof spec === 'number') return Array(n).fill(Math.min(w.maxTokens, spec));
  const random = rng(1 + j);
  return Array.from({ length: n }, () =>
    Math.min(w.maxTokens, spec.min + Math.floor(random() * (spec.max - spec.min + 1))),
  );
}

function serviceOf(w, produced) {
  const { ttftMs, msPerToken } = w.sim.latency;
  return ttftMs + msPerToken * produced;
}

function mean(xs) {
  return xs.reduce((a, x) => a + x, 0) / xs.length;
}

/** A cell: workload × mechanism (or a variant's acceleration). */
function makeCell(w, mechanism, acceleration, { variant } = {}) {
  const n = w.n;
  const cell = {
    name: variant ? `variant/${mechanism}/${variant}` : `${w.name}/${mechanism}`,
    workload: w.name,
    mechanism,
    variant,
    title: w.title,
    timeScale: w.timeScale,
    n,
    outage: w.outage,
    clients: w.clients ?? 1,
    acceleration,
    description: w.describe(n),
    maxTokens: w.maxTokens,
    /** The simulator's options for repetition seed `seed`. */
    sim(seed) {
      const { organizationId, ...runtime } = w.sim;
      return {
        ...runtime,
        ...(organizationId ? { organizationId } : {}),
        acceleration,
        timeScale: w.timeScale,
        // With a time scale, whole real seconds of retry-after would be k simulated seconds: the
        // simulator's precise retry-after-ms carries the scaled wait instead (see README).
        retryAfterMs: w.timeScale > 1,
        seed,
      };
    },
    /** Arrival times in simulated ms (null: all at once). */
    arrivals(seed) {
      return w.arrivals ? w.arrivals(n, seed) : null;
    },
    /** The calls, in order: arrival (simulated ms), request params, client index. */
    calls(seed) {
      const arrivals = this.arrivals(seed);
      return Array.from({ length: n }, (_, i) => {
        const prompt = w.promptTokens ? promptOf(w.promptTokens(i)) : SHORT_PROMPT;
        const params = {
          model: MODEL,
          max_tokens: w.maxTokens,
          messages: [{ role: 'user', content: prompt }],
          ...(w.stream?.(i) ? { stream: true } : {}),
        };
        return { arriveMs: arrivals ? arrivals[i] : 0, params, client: i % (w.clients ?? 1) };
      });
    },
    /**
     * T* (simulated and real ms), the closed-form bound, and the derivation, for repetition seed
     * `seed` (only open-loop arrivals depend on it).
     */
    /**
     * T* of one run (real ms): the ideal client's schedule given the outputs that run's calls got,
     * `outputs[j]` the output of the j-th call the API admitted (undefined: unknown, the mean).
     */
    runBoundMs(seed, outputs) {
      const sim = boundOptions(this, seed);
      const calls = this.calls(seed);
      const spec = w.sim.outputTokens;
      const fallback = typeof spec === 'number' ? spec : Math.round((spec.min + spec.max) / 2);
      const plan = calls.map((c, i) => {
        const produced = Math.min(w.maxTokens, outputs[i] ?? fallback);
        return {
          arriveMs: c.arriveMs,
          serviceMs: serviceOf(w, produced),
          input: estimateInputTokens(c.params),
          maxTokens: w.maxTokens,
          produced,
        };
      });
      return real(this, greedySchedule(sim, plan).makespanMs);
    },
    bound(seed) {
      const key = `${seed}`;
      this._bounds ??= new Map();
      if (this._bounds.has(key)) return this._bounds.get(key);
      const result = computeBound(this, w, seed);
      this._bounds.set(key, result);
      return result;
    },
  };
  return cell;
}

/** The simulator's runtime limits of a cell, for the bound (no seed, scale or organizations: one pool). */
function boundOptions(cell, seed) {
  const sim = { ...cell.sim(seed) };
  delete sim.seed;
  delete sim.timeScale;
  delete sim.retryAfterMs;
  delete sim.organizations;
  delete sim.organizationId;
  return sim;
}

function computeBound(cell, w, seed) {
  const n = cell.n;
  const sim = boundOptions(cell, seed);
  const arrivals = cell.arrivals(seed);
  const calls = cell.calls(seed);
  const inputs = calls.map((c) => estimateInputTokens(c.params));
  const drawn = typeof w.sim.outputTokens !== 'number';
  const sequences = drawn ? SEQUENCES : 1;
  const makespans = [];
  const closedForms = [];
  let example;
  for (let j = 0; j < sequences; j++) {
    const outputs = outputsOf(w, n, j);
    const plan = calls.map((c, i) => ({
      arriveMs: c.arriveMs,
      serviceMs: serviceOf(w, outputs[i]),
      input: inputs[i],
      maxTokens: w.maxTokens,
      produced: outputs[i],
    }));
    const g = greedySchedule(sim, plan);
    makespans.push(g.makespanMs);
    const cf = closedForm(cell, w, sim, plan, arrivals);
    closedForms.push(cf);
    if (j === 0) example = { g, cf, plan };
  }
  const tStar = mean(makespans);
  const closedMs = mean(closedForms.map((c) => c.ms));
  // Cross-check with the simulator's own idealSchedule where it applies.
  let check;
  if (!drawn && !arrivals && !w.outage && !w.promptTokens) {
    const p = example.plan[0];
    check = simIdeal(sim, {
      calls: n,
      serviceMs: p.serviceMs,
      input: p.input,
      maxTokens: p.maxTokens,
      produced: p.produced,
    });
  }
  const derivation = derive(cell, w, sim, { tStar, makespans, closedForms, closedMs, check, arrivals });
  // The ideal client's completions every 250 ms (real), first sequence, for the plot.
  const done = example.g.admitMs
    .map((a, i) => real(cell, a + example.plan[i].serviceMs))
    .sort((a, b) => a - b);
  const curve = [];
  for (let t = 0, j = 0; t <= done[done.length - 1] + 250; t += 250) {
    while (j < done.length && done[j] <= t) j++;
    curve.push({ tMs: t, completed: j });
  }
  return {
    curve,
    simMs: tStar,
    ms: real(cell, tStar),
    closedSimMs: closedMs,
    closedMs: real(cell, closedMs),
    spreadMs: makespans.length > 1 ? real(cell, Math.max(...makespans) - Math.min(...makespans)) : 0,
    idealCheckSimMs: check,
    proven: cell.mechanism === 'none' || cell.mechanism === 'windows',
    derivation,
  };
}

/** The hand-derived bounds that hold for this cell's limits; the largest. Simulated ms. */
function closedForm(cell, w, sim, plan, arrivals) {
  const parts = [];
  const n = plan.length;
  const rps = sim.requestsPerMinute / 60;
  const burst = sim.burst ?? Math.max(1, Math.round(rps));
  const minS = Math.min(...plan.map((p) => p.serviceMs));
  const meanS = mean(plan.map((p) => p.serviceMs));
  const lastS = plan[n - 1].serviceMs;
  // Request bucket (network calculus with arrivals).
  if (arrivals) {
    parts.push({
      name: 'requests (arrivals through the bucket)',
      ms: arrivalsAdmitMs(arrivals, burst, rps) + lastS,
    });
  } else if (w.outage) {
    const o = outageAdmitMs(n, burst, rps, w.outage);
    if (o !== undefined) parts.push({ name: 'requests through the outage', ms: o + minS });
  } else {
    parts.push({ name: 'requests', ms: bucketAdmitMs(n, burst, rps) + minS });
  }
  if (sim.outputTokensPerMinute)
    parts.push({
      name: 'output tokens',
      ms: outputBudgetAdmitMs(plan, sim.outputTokensPerMinute, sim.outputTokensPerMinute) + minS,
    });
  if (sim.inputTokensPerMinute)
    parts.push({
      name: 'input tokens',
      ms: inputBudgetAdmitMs(plan, sim.inputTokensPerMinute, sim.inputTokensPerMinute) + minS,
    });
  const a = cell.acceleration;
  if (a.kind === 'windows') {
    const wb = arrivals || w.outage ? undefined : windowsBucketAdmitMs(n, burst, rps, a);
    if (wb) parts.push({ name: 'windows then requests', ms: wb.ms + minS, k: wb.k, admitted: wb.admitted });
    parts.push({ name: 'windows', ms: windowsAloneAdmitMs(n, a) + minS });
  } else if (a.kind === 'inflight') {
    parts.push({ name: 'in-flight cap', ms: inflightMakespanBound(a, n, meanS) });
  } else if (a.kind === 'rate') {
    parts.push({ name: 'rate cap', ms: rateMakespanBound(a, n, minS) });
  }
  const best = parts.reduce((x, y) => (y.ms > x.ms ? y : x));
  return { ms: best.ms, binding: best.name, parts };
}

function derive(cell, w, sim, { tStar, makespans, closedForms, closedMs, check, arrivals }) {
  const lines = [];
  const k = cell.timeScale;
  const drawn = makespans.length > 1;
  lines.push(
    `T* = ${sec(tStar)} simulated${k > 1 ? ` = ${sec(tStar / k)} real (timeScale ${k})` : ''}: the ideal client's schedule (\`greedySchedule\`, bench/bound.mjs: the simulator's own limit code, each call sent at the first instant every limit admits it, in call order${w.outage ? ', the outage taken in expectation' : ''})${drawn ? `, mean over ${makespans.length} output sequences (range ${sec(Math.min(...makespans))}–${sec(Math.max(...makespans))})` : ''}.`,
  );
  if (check !== undefined)
    lines.push(`Cross-check: the simulator's \`idealSchedule\` gives ${sec(check)} for the same calls.`);
  const cf = closedForms[0];
  const partText = cf.parts.map((p) => `${p.name} ${sec(p.ms)}`).join(', ');
  lines.push(
    `Closed-form lower bound ${sec(closedMs)} simulated (the largest of: ${partText}${drawn ? '; first sequence' : ''}): ${cf.binding} binds.`,
  );
  const a = cell.acceleration;
  if (a.kind === 'inflight' || a.kind === 'rate')
    lines.push(
      `For the \`${a.kind}\` mechanism T* is the schedule of an ideal client keeping the cap full, not a proven bound; the proven (looser) bound is the closed form above.`,
    );
  if (w.outage) lines.push('The outage part of T* is an expected value (529s are random), not a proof.');
  if (arrivals)
    lines.push(`Arrivals of this repetition: the last at ${sec(arrivals[arrivals.length - 1])} simulated.`);
  return lines;
}

/** Every cell of the matrix: workload × mechanism, in workload order. */
export function cells({ quick = false, timeScale } = {}) {
  const out = [];
  for (const w of workloads(quick, timeScale))
    for (const m of MECHANISM_NAMES) out.push(makeCell(w, m, MECHANISMS[m]));
  return out;
}

/** The cold burst's cells (one per mechanism) at `n` calls: for runs that must last a while. */
export function burstCells(n) {
  const burst = { ...workloads(false, undefined).find((w) => w.name === 'burst'), n };
  return MECHANISM_NAMES.map((m) => makeCell(burst, m, MECHANISMS[m]));
}

/**
 * The variants: each mechanism's parameters at half and double the defaults, on the cold burst.
 * "Half and double" per parameter: windows windowMs 500/2000, floor 10/40, and factor 1.5/3 (the
 * growth factor − 1 halved and doubled: a factor of 1 would not grow at all); inflight initial
 * 2/8 and factorPerSec √2/4 (the exponent halved and doubled); rate initial 10/40 and growthPerSec
 * 20/80. Then the outage workload (at `timeScale`) on no acceleration limit, its window halved and
 * doubled, and with 50% and 100% of the attempts admitted in it failed.
 */
export function variants({ quick = false, timeScale } = {}) {
  // The cold burst at 600 calls (300 with --quick), to fit the time budget.
  const burst = { ...workloads(quick, undefined).find((w) => w.name === 'burst'), n: quick ? 300 : 600 };
  const { windows, inflight, rate } = MECHANISMS;
  const list = [
    ['windows', 'windowMs=500', { ...windows, windowMs: 500 }],
    ['windows', 'windowMs=2000', { ...windows, windowMs: 2000 }],
    ['windows', 'floor=10', { ...windows, floor: 10 }],
    ['windows', 'floor=40', { ...windows, floor: 40 }],
    ['windows', 'factor=1.5', { ...windows, factor: 1.5 }],
    ['windows', 'factor=3', { ...windows, factor: 3 }],
    ['inflight', 'initial=2', { ...inflight, initial: 2 }],
    ['inflight', 'initial=8', { ...inflight, initial: 8 }],
    ['inflight', 'factorPerSec=1.41', { ...inflight, factorPerSec: Math.SQRT2 }],
    ['inflight', 'factorPerSec=4', { ...inflight, factorPerSec: 4 }],
    ['rate', 'initial=10', { ...rate, initial: 10 }],
    ['rate', 'initial=40', { ...rate, initial: 40 }],
    ['rate', 'growthPerSec=20', { ...rate, growthPerSec: 20 }],
    ['rate', 'growthPerSec=80', { ...rate, growthPerSec: 80 }],
  ];
  const out = list.map(([m, v, a]) => makeCell(burst, m, a, { variant: v }));
  // The outage at half and double its length and at 50% and 100% of attempts failed, on no
  // acceleration limit: the gateway's outage handling should not fit one outage's shape either.
  const outage = workloads(quick, timeScale).find((w) => w.name === 'outage');
  const { startMs, endMs } = outage.outage;
  const lengthMs = endMs - startMs;
  const shapes = [
    [`outage=${lengthMs / 2000}s`, { endMs: startMs + lengthMs / 2 }],
    [`outage=${(lengthMs * 2) / 1000}s`, { endMs: startMs + lengthMs * 2 }],
    ['overload=50%', { rate: 0.5 }],
    ['overload=100%', { rate: 1 }],
  ];
  for (const [v, change] of shapes) {
    const window = { ...outage.outage, ...change };
    const w = { ...outage, outage: window, sim: { ...outage.sim, overloadWindows: [window] } };
    out.push(makeCell(w, 'none', MECHANISMS.none, { variant: v }));
  }
  return out;
}

/** A plain short call (bench/overhead.mjs). */
export function callParams() {
  return { model: MODEL, max_tokens: MAX_TOKENS, messages: [{ role: 'user', content: SHORT_PROMPT }] };
}
