// The benchmark scenarios. Each: simulator options (the seed is added per repetition), the number
// of calls, how they arrive, timed changes to the simulator, and `bound(arrivalsMs)` — the
// makespan lower bound, both as the closed form derived by hand and as the fluid simulation of
// the best client (bench/bound.mjs); run.mjs checks that they agree.
import { rampAdmissionBound } from '../dist/sim/index.js';
import {
  accelBucketAdmitMs,
  arrivalsAdmitMs,
  bucketAdmitMs,
  dropAdmitMs,
  idealSchedule,
  outageAdmitMs,
} from './bound.mjs';

export const MODEL = 'claude-sonnet-5';
export const MAX_TOKENS = 1024;

/** The API every scenario starts from: 200 requests/s (12,000 RPM), a bucket of 40 (0.2 s). */
const RPS = 200;
const BURST = 40;
/** 50 ms per call: 30 ms to the first token, 20 tokens at 1 ms. */
const FAST = { latency: { ttftMs: 30, msPerToken: 1 }, outputTokens: 20 };

const rpm = (rps) => rps * 60;
const serviceMs = (sim) =>
  sim.latency.ttftMs + sim.latency.msPerToken * Math.min(MAX_TOKENS, sim.outputTokens);
const fmt = (ms) => `${(ms / 1000).toFixed(3)} s`;

/** Seeded uniform [0, 1) (mulberry32), for arrival times. */
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

function closedLoop(name, def) {
  return { arrivals: () => null, ...def, name };
}

function openLoop(load, quick) {
  const seconds = quick ? 1.5 : 3;
  const perSecond = load * RPS;
  const n = Math.round(perSecond * seconds);
  const sim = { requestsPerMinute: rpm(RPS), burst: BURST, ...FAST };
  const S = serviceMs(sim);
  return {
    name: `open-${load}x`,
    title: `Open-loop arrivals at ${load}× capacity`,
    description: `${n} calls arriving as a Poisson process at ${perSecond}/s (${load}× the ${RPS}/s limit) for about ${seconds} s; bucket ${BURST}; ${S} ms per call.`,
    n,
    sim,
    arrivals: (seed) => poissonArrivals(n, perSecond, seed),
    bound(arrivalsMs) {
      const closed = arrivalsAdmitMs(arrivalsMs, BURST, RPS);
      const ideal = idealSchedule({ n, arrivalsMs, rps: RPS, burst: BURST, serviceMs: S });
      return {
        ms: closed + S,
        ideal,
        derivation: [
          `Token-bucket shaper: the calls from the i-th arrival on cannot start before a_i, and at most B + r·τ of them are admitted within τ of it, so t_N = max_i (a_i + (N − i + 1 − B)⁺ / r).`,
          `Here (this repetition's arrivals): last arrival a_N = ${fmt(arrivalsMs[n - 1])}; t_N = ${fmt(closed)}; T* = t_N + S = ${fmt(closed + S)}.`,
        ],
      };
    },
  };
}

/**
 * The scenarios at full size, or smaller for `--quick` (the same limits and time scales, fewer
 * calls).
 */
export function scenarios({ quick = false } = {}) {
  const burstSim = {
    requestsPerMinute: rpm(RPS),
    burst: BURST,
    acceleration: { windowMs: 1000, floor: 20, factor: 2 },
    ...FAST,
  };
  const stormWindow = { startMs: 2000, endMs: 5000, rate: 0.9 };
  const stormSim = { requestsPerMinute: rpm(RPS), burst: BURST, overloadWindows: [stormWindow], ...FAST };
  const LONG_RPS = 100;
  const longSim = {
    requestsPerMinute: rpm(LONG_RPS),
    burst: BURST,
    latency: { ttftMs: 200, msPerToken: 8 },
    outputTokens: 100,
  };
  const drop = { atMs: quick ? 1500 : 3000, rps: RPS / 2, burst: BURST / 2 };
  const dropSim = { requestsPerMinute: rpm(RPS), burst: BURST, ...FAST };
  const STREAM_FAULT = 0.03;
  const streamSim = {
    requestsPerMinute: rpm(RPS),
    burst: BURST,
    latency: { ttftMs: 100, msPerToken: 2.5 },
    outputTokens: 40,
    errorRates: { streamErrorBeforeContent: STREAM_FAULT },
  };

  const list = [
    closedLoop('burst', {
      title: 'Cold-start burst',
      n: quick ? 600 : 1000,
      sim: burstSim,
      get description() {
        return `${this.n} calls at once, from idle, against ${RPS} requests/s (bucket ${BURST}) and an acceleration limit (1 s windows, floor 20, ×2); ${serviceMs(burstSim)} ms per call.`;
      },
      bound() {
        const S = serviceMs(burstSim);
        const accel = burstSim.acceleration;
        const { ms, k, admitted } = accelBucketAdmitMs(this.n, BURST, RPS, accel, (w) =>
          rampAdmissionBound(accel, w),
        );
        const ideal = idealSchedule({ n: this.n, rps: RPS, burst: BURST, acceleration: accel, serviceMs: S });
        const perWindow = (RPS * accel.windowMs) / 1000;
        return {
          ms: ms + S,
          ideal,
          derivation: [
            `Window k admits at most 20·2^k; the bucket gives at most B + r·W = ${BURST} + ${perWindow} per window. While 20·2^k ≤ r·W − B = ${perWindow - BURST} the acceleration limit binds and the bucket is full again at each window's end: windows 0–${k - 1} admit 20 + 40 + … = 20·(2^${k} − 1) = ${admitted} calls (\`rampAdmissionBound\`).`,
            `From window ${k} (allowed 20·2^${k} = ${20 * 2 ** k} ≥ B + r·W = ${BURST + perWindow}) the bucket binds: t_N = ${k} s + (N − ${admitted} − B)/r = ${k} + (${this.n} − ${admitted} − ${BURST})/${RPS} = ${fmt(ms)}.`,
            `T* = t_N + S = ${fmt(ms)} + ${S} ms = ${fmt(ms + S)}.`,
          ],
        };
      },
    }),
    closedLoop('storm', {
      title: 'Overload storm',
      n: quick ? 600 : 1000,
      sim: stormSim,
      outage: stormWindow,
      get description() {
        return `${this.n} calls at once against ${RPS} requests/s (bucket ${BURST}); from ${stormWindow.startMs / 1000} s to ${stormWindow.endMs / 1000} s ${stormWindow.rate * 100}% of admitted attempts get 529 overloaded_error (no retry-after); ${serviceMs(stormSim)} ms per call.`;
      },
      bound() {
        const S = serviceMs(stormSim);
        const ms = outageAdmitMs(this.n, BURST, RPS, stormWindow);
        const ideal = idealSchedule({
          n: this.n,
          rps: RPS,
          burst: BURST,
          outages: [stormWindow],
          serviceMs: S,
        });
        const { startMs: s, endMs: e, rate: p } = stormWindow;
        const during = (1 - p) * ((RPS * (e - s)) / 1000 - BURST);
        return {
          ms: ms + S,
          ideal,
          derivation: [
            `Before the window: B + r·s = ${BURST} + ${RPS}·${s / 1000} = ${BURST + (RPS * s) / 1000} successes. During it the best client spends r·(e − s) − B = ${(RPS * (e - s)) / 1000 - BURST} tokens at ${Math.round((1 - p) * 100)}% success (${during.toFixed(0)} successes) and saves a full bucket (B = ${BURST}) for the window's end, since a token saved yields 1 success and a token spent ${(1 - p).toFixed(1)}.`,
            `After it: B + r·(T − e). So t_N = e + (N − 2B − r·s − ${during.toFixed(0)})/r = ${e / 1000} + (${this.n} − ${2 * BURST} − ${(RPS * s) / 1000} − ${during.toFixed(0)})/${RPS} = ${fmt(ms)} (expected value: the 529s are random).`,
            `T* = t_N + S = ${fmt(ms + S)}.`,
          ],
        };
      },
    }),
    closedLoop('long', {
      title: 'Long generations',
      n: quick ? 250 : 400,
      sim: longSim,
      get description() {
        return `${this.n} calls at once against ${LONG_RPS} requests/s (bucket ${BURST}), each taking ${serviceMs(longSim)} ms (200 ms to the first token, 100 tokens at 8 ms): full speed needs r·S = ${(LONG_RPS * serviceMs(longSim)) / 1000} calls in flight.`;
      },
      bound() {
        const S = serviceMs(longSim);
        const ms = bucketAdmitMs(this.n, BURST, LONG_RPS);
        const ideal = idealSchedule({ n: this.n, rps: LONG_RPS, burst: BURST, serviceMs: S });
        return {
          ms: ms + S,
          ideal,
          derivation: [
            `Bucket only (REFERENCE.md): T* = (N − B)/r + S = (${this.n} − ${BURST})/${LONG_RPS} + ${S / 1000} = ${fmt(ms + S)}. Concurrency is not limited by the API; a client needs ≥ r·S = ${(LONG_RPS * S) / 1000} calls in flight to reach it.`,
          ],
        };
      },
    }),
    closedLoop('drop', {
      title: 'Mid-run limit drop',
      n: quick ? 500 : 1000,
      sim: dropSim,
      events: [{ atMs: drop.atMs, update: { requestsPerMinute: rpm(drop.rps), burst: drop.burst } }],
      get description() {
        return `${this.n} calls at once against ${RPS} requests/s (bucket ${BURST}); at ${drop.atMs / 1000} s another tenant takes half: ${drop.rps}/s, bucket ${drop.burst}; ${serviceMs(dropSim)} ms per call.`;
      },
      bound() {
        const S = serviceMs(dropSim);
        const ms = dropAdmitMs(this.n, BURST, RPS, drop);
        const ideal = idealSchedule({ n: this.n, rps: RPS, burst: BURST, changes: [drop], serviceMs: S });
        return {
          ms: ms + S,
          ideal,
          derivation: [
            `Before the drop: B + r·t_d = ${BURST} + ${RPS}·${drop.atMs / 1000} = ${BURST + (RPS * drop.atMs) / 1000} calls; the bucket is empty at t_d, and refills at r₂ = ${drop.rps}/s after: t_N = t_d + (N − B − r·t_d)/r₂ = ${drop.atMs / 1000} + (${this.n} − ${BURST + (RPS * drop.atMs) / 1000})/${drop.rps} = ${fmt(ms)}.`,
            `T* = t_N + S = ${fmt(ms + S)}.`,
          ],
        };
      },
    }),
    openLoop(0.5, quick),
    openLoop(1, quick),
    openLoop(1.5, quick),
    closedLoop('stream', {
      title: 'Streaming calls',
      n: quick ? 300 : 600,
      sim: streamSim,
      stream: true,
      get description() {
        return `${this.n} streamed calls at once against ${RPS} requests/s (bucket ${BURST}), ${serviceMs(streamSim)} ms each (100 ms to the first token, 40 tokens at 2.5 ms); ${STREAM_FAULT * 100}% of streams fail with \`event: error\` (overloaded) before any content.`;
      },
      bound() {
        const S = serviceMs(streamSim);
        const ms = bucketAdmitMs(this.n, BURST, RPS, STREAM_FAULT);
        const ideal = idealSchedule({
          n: this.n,
          rps: RPS,
          burst: BURST,
          faultRate: STREAM_FAULT,
          serviceMs: S,
        });
        return {
          ms: ms + S,
          ideal,
          derivation: [
            `A fraction q = ${STREAM_FAULT} of admitted streams fail at once, so N/(1 − q) = ${(this.n / (1 - STREAM_FAULT)).toFixed(1)} admissions are needed (in expectation): t_N = (N/(1 − q) − B)/r = ${fmt(ms)}; T* = t_N + S = ${fmt(ms + S)}.`,
          ],
        };
      },
    }),
  ];
  for (const s of list) s.serviceMs = serviceMs(s.sim);
  return list;
}

/** The request every call sends. */
export function callParams(scenario) {
  return {
    model: MODEL,
    max_tokens: MAX_TOKENS,
    messages: [{ role: 'user', content: 'Summarise the benchmark in one line.' }],
    ...(scenario.stream ? { stream: true } : {}),
  };
}
