// One run: one cell (workload × mechanism), one strategy, one repetition, against a fresh
// simulator child process. Records client-side timestamps of every call and attempt (each attempt
// tagged with its call by an `x-bench-call` header), the output tokens each call reported, samples
// the strategy's concurrency (and the gateway's gate) every 250 ms, and returns them with the
// simulator's statistics and the retry-after audit.
import { createFetchAudit } from './.dist/sim/audit.js';
import { poolTotals, spawnSimulator } from './sim-process.mjs';
import { strategies } from './strategies.mjs';

export const SAMPLE_MS = 250;

/** The per-run deadline (real ms): calls still pending then are aborted and count as failures. */
export const runTimeoutMs = (boundMs) => 2.5 * boundMs + 5_000;

/** Seed of repetition `rep`: the same for every strategy, so they meet the same draws as far as their order allows. */
export const seedOf = (rep) => 1000 + rep;

/** The API keys of a cell's clients. */
export function keysOf(cell) {
  return cell.clients > 1 ?
      Array.from({ length: cell.clients }, (_, i) => `sk-bench-key-${String.fromCharCode(97 + i)}`)
    : ['sk-bench-key'];
}

function errorKind(error) {
  if (error?.name === 'BenchTimeout' || error?.cause?.name === 'BenchTimeout') return 'bench-timeout';
  if (typeof error?.status === 'number') {
    const code = error?.error?.error?.details?.error_code;
    return code ? `${error.status} ${code}` : `${error.status}`;
  }
  return error?.constructor?.name ?? 'Error';
}

function callIndexOf(init) {
  const h = init?.headers;
  if (!h) return -1;
  const v =
    h instanceof Headers ? h.get('x-bench-call') : (h['x-bench-call'] ?? new Headers(h).get('x-bench-call'));
  return v === null || v === undefined ? -1 : Number(v);
}

/**
 * @param {object} [options]
 * @param {boolean} [options.serverSamples] also sample the simulator's pools every 250 ms (timeline)
 * @returns {Promise<object>} the raw record of the run (see metrics.mjs for what is derived).
 */
export async function runOnce(cell, strategyName, rep, options = {}) {
  const seed = seedOf(rep);
  const k = cell.timeScale;
  const bound = cell.bound(seed);
  const timeoutMs = runTimeoutMs(bound.ms);
  const plan = cell.calls(seed);
  const n = plan.length;
  const sim = await spawnSimulator(cell.sim(seed));
  const audit = createFetchAudit();
  let t0 = performance.now();
  const attempts = []; // [sentMs, status (0: no response), call index]
  let inFlight = 0;
  const fetch = async (input, init) => {
    const sent = performance.now() - t0;
    const call = callIndexOf(init);
    inFlight++;
    try {
      const response = await audit.fetch(input, init);
      attempts.push([sent, response.status, call]);
      return response;
    } catch (error) {
      attempts.push([sent, 0, call]);
      throw error;
    } finally {
      inFlight--;
    }
  };
  const strategy = strategies[strategyName].create(sim.url, fetch, keysOf(cell));
  const calls = plan.map(() => ({
    arrive: NaN,
    settle: NaN,
    ok: false,
    error: undefined,
    output: undefined,
  }));
  let succeeded = 0;
  let failed = 0;
  const samples = [];
  const serverSamples = [];
  const timers = new Set();
  const ctl = new AbortController();

  await sim.reset(); // the simulator's clock (acceleration and overload windows) starts now
  t0 = performance.now();
  const now = () => performance.now() - t0;
  const sample = () => samples.push({ tMs: now(), succeeded, failed, inFlight, ...strategy.limitTrace?.() });
  sample();
  const sampler = setInterval(sample, SAMPLE_MS);
  let serverSampler;
  if (options.serverSamples) {
    serverSampler = setInterval(() => {
      const tMs = now();
      sim
        .stats()
        .then((st) => {
          serverSamples.push({ tMs, ...poolTotals(st), refusals: { ...st.refusals } });
        })
        .catch(() => {});
    }, SAMPLE_MS);
  }
  const deadline = setTimeout(() => {
    const reason = new Error(`run exceeded ${timeoutMs} ms`);
    reason.name = 'BenchTimeout';
    ctl.abort(reason);
  }, timeoutMs);

  const launch = (i) => {
    const c = calls[i];
    c.arrive = now();
    const { params, client } = plan[i];
    return strategy.call(params, ctl.signal, client, { 'x-bench-call': String(i) }).then(
      (output) => {
        c.settle = now();
        c.ok = true;
        c.output = output;
        succeeded++;
      },
      (error) => {
        c.settle = now();
        c.error = errorKind(ctl.signal.aborted ? ctl.signal.reason : error);
        failed++;
      },
    );
  };

  const running = [];
  const openLoop = plan.some((p) => p.arriveMs > 0);
  if (!openLoop) {
    for (let i = 0; i < n; i++) running.push(launch(i));
  } else {
    for (let i = 0; i < n && !ctl.signal.aborted; i++) {
      const wait = plan[i].arriveMs / k - now();
      if (wait > 1) {
        await new Promise((resolve) => {
          const t = setTimeout(() => (timers.delete(t), resolve()), wait);
          timers.add(t);
        });
      }
      if (ctl.signal.aborted) break;
      running.push(launch(i));
    }
    for (const c of calls) {
      if (Number.isNaN(c.arrive)) {
        c.arrive = c.settle = now();
        c.error = 'bench-timeout';
        failed++;
      }
    }
  }
  await Promise.allSettled(running);
  const endMs = now();
  clearTimeout(deadline);
  clearInterval(sampler);
  if (serverSampler) clearInterval(serverSampler);
  for (const t of timers) clearTimeout(t);
  sample();
  const stats = await sim.stats();
  await strategy.close?.();
  await sim.close();
  return {
    cell: cell.name,
    strategy: strategyName,
    rep,
    seed,
    n,
    timeScale: k,
    bound,
    timeoutMs,
    timedOut: ctl.signal.aborted,
    endMs,
    calls,
    attempts,
    samples,
    serverSamples,
    stats,
    audit: {
      attempts: audit.attempts(),
      violations: audit.violations(),
      accelerationViolations: audit.accelerationViolations(),
    },
  };
}
