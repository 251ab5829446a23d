// One run: one scenario, one strategy, one repetition, against a fresh simulator child process.
// Records client-side timestamps of every call and attempt, samples the strategy's concurrency
// every 250 ms, and returns them with the simulator's statistics and the retry-after audit.
import { createFetchAudit } from '../dist/sim/audit.js';
import { spawnSimulator } from './sim-process.mjs';
import { callParams } from './scenarios.mjs';
import { strategies } from './strategies.mjs';

export const SAMPLE_MS = 250;

/** The per-run deadline: calls still pending then are aborted and count as failures. */
export const runTimeoutMs = (boundMs) => 3 * boundMs + 10_000;

/** Seed of repetition `rep`: the same for every strategy, so they meet the same fault sequence. */
export const seedOf = (rep) => 1000 + rep;

function errorKind(error) {
  if (error?.name === 'BenchTimeout' || error?.cause?.name === 'BenchTimeout') return 'bench-timeout';
  if (typeof error?.status === 'number') return `${error.status}`;
  return error?.constructor?.name ?? 'Error';
}

/**
 * @returns {Promise<object>} the raw record of the run (see metrics.mjs for what is derived).
 */
export async function runOnce(scenario, strategyName, rep) {
  const seed = seedOf(rep);
  const arrivalsMs = scenario.arrivals(seed);
  const bound = scenario.bound(arrivalsMs);
  const timeoutMs = runTimeoutMs(bound.ms);
  const n = scenario.n;
  const sim = await spawnSimulator({ ...scenario.sim, seed });
  const audit = createFetchAudit();
  let t0 = performance.now();
  const attempts = []; // [sentMs, status (0: no response)]
  let inFlight = 0;
  const fetch = async (input, init) => {
    const sent = performance.now() - t0;
    inFlight++;
    try {
      const response = await audit.fetch(input, init);
      attempts.push([sent, response.status]);
      return response;
    } catch (error) {
      attempts.push([sent, 0]);
      throw error;
    } finally {
      inFlight--;
    }
  };
  const strategy = strategies[strategyName].create(sim.url, fetch);
  const params = callParams(scenario);
  const calls = Array.from({ length: n }, () => ({ arrive: NaN, settle: NaN, ok: false, error: undefined }));
  let succeeded = 0;
  let failed = 0;
  const samples = [];
  const timers = new Set();
  const ctl = new AbortController();

  await sim.reset(); // the simulator's clock (acceleration and overload windows) starts now
  t0 = performance.now();
  const now = () => performance.now() - t0;
  const sample = () => samples.push({ tMs: now(), succeeded, failed, inFlight, ...strategy.limitTrace?.() });
  sample();
  const sampler = setInterval(sample, SAMPLE_MS);
  for (const ev of scenario.events ?? []) {
    const t = setTimeout(() => void sim.update(ev.update).catch(() => {}), ev.atMs);
    timers.add(t);
  }
  const deadline = setTimeout(() => {
    const reason = new Error(`run exceeded ${timeoutMs} ms`);
    reason.name = 'BenchTimeout';
    ctl.abort(reason);
  }, timeoutMs);

  const launch = (i) => {
    const c = calls[i];
    c.arrive = now();
    return strategy.call(params, ctl.signal).then(
      () => {
        c.settle = now();
        c.ok = true;
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
  if (!arrivalsMs) {
    for (let i = 0; i < n; i++) running.push(launch(i));
  } else {
    for (let i = 0; i < n && !ctl.signal.aborted; i++) {
      const wait = arrivalsMs[i] - now();
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
  for (const t of timers) clearTimeout(t);
  sample();
  const stats = await sim.stats();
  await sim.close();
  return {
    scenario: scenario.name,
    strategy: strategyName,
    rep,
    seed,
    n,
    bound: { ms: bound.ms, idealMs: bound.ideal.boundMs },
    timeoutMs,
    timedOut: ctl.signal.aborted,
    endMs,
    calls,
    attempts,
    samples,
    stats,
    audit: { attempts: audit.attempts(), violations: audit.violations() },
  };
}
