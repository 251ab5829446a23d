// The multi-process bench (issue 15): P = 1, 2, 4, 8 worker processes doing the same total work
// (the cold burst: N calls at once, split evenly) against ONE simulator organization, for each
// acceleration mechanism, each worker a gateway alone (`memory`) or all of them sharing their
// limits through Redis (`redis`); then Redis killed for 5 s mid-run; then a worker killed while it
// holds slots (how long until its leases are back).
//
//   node bench/multiprocess.mjs [--quick] [--reps N] [--only windows,none] [--p 1,2,4,8]
//                               [--stores memory,redis] [--no-kill | --kill-only] [--json FILE] [--out FILE]
//                               [--no-build] [--trace] [--burn N]
// --trace prints each run's timeline to stderr: every 250 ms the simulator's admitted attempts in
// flight, its admissions and refusals so far, and each worker's view of its limiter (concurrency
// limit, slots, queue; the acceleration gate's rate, cut level, admitted count and growth; the
// store key it decides on; the requests bucket's mirror, level and capacity), every
// BENCH_TRACE_MS (250) ms. --burn N runs N processes
// that only burn CPU beside each run: a control for how much of a result is this machine's two
// cores, shared by P workers, the simulator and Redis.
// `npm run bench:multiprocess` runs the whole of it (the matrix's 1,000 calls, 3 repetitions:
// about 17 minutes on 2 cores) into bench/MULTIPROCESS.md and bench/multiprocess.json, so `npm run
// bench` (30 minutes already) leaves it out; `--quick` (400 calls, 1 repetition) takes about 5.
//
// It needs a Redis at $REDIS_URL (default redis://127.0.0.1:6379) for the shared runs, and
// `redis-server` on the PATH for the kill runs (it starts its own on a free port: the shared one
// is never stopped). Prints a Markdown report; `--json FILE` also writes every run's numbers.
// For bench/run.mjs: `import { runMultiprocess, renderMultiprocess } from './multiprocess.mjs'`.
import { fork, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cleanPrefix, OwnRedis } from '../test/fixtures/redis.mjs';
import { median, quantile } from './metrics.mjs';

const WORKER = fileURLToPath(new URL('./multiprocess-worker.mjs', import.meta.url));
const DEFAULT_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export const PROCESS_COUNTS = [1, 2, 4, 8];
/** Redis is killed this long after the calls start, for this long. */
const KILL_AT_MS = 1000;
const KILL_FOR_MS = 5000;
/**
 * Calls of a Redis-kill run: enough for the run to outlast the kill by seconds (T* from about
 * 10 s), so the workers are seen to re-sync and share again once Redis is back.
 */
const KILL_CALLS = 2000;

/** Forks `p` workers and waits until each is ready. */
async function startWorkers(p, env) {
  const workers = [];
  for (let i = 0; i < p; i++) {
    const child = fork(WORKER, [], { env: { ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    workers.push({
      child,
      ready: new Promise((resolve, reject) => {
        child.once('message', (m) => (m.type === 'ready' ? resolve() : reject(new Error('bad hello'))));
        child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it was ready`)));
      }),
    });
  }
  await Promise.all(workers.map((w) => w.ready));
  return workers.map((w) => w.child);
}

/** `n` child processes that only burn CPU; `stop()` kills them (and so does this process's exit:
 * a run that throws must not leave them spinning). */
function burnCpu(n) {
  const burners = Array.from({ length: n }, () =>
    spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
  );
  const stop = () => burners.forEach((b) => b.kill('SIGKILL'));
  if (n > 0) process.once('exit', stop);
  return {
    stop: () => {
      process.off('exit', stop);
      stop();
    },
  };
}

/** Samples the simulator every 250 ms while a run lasts; `stop()` returns the lines. */
function simTimeline(sim, started, poolTotals) {
  const lines = [];
  const timer = setInterval(() => {
    const t = (performance.now() - started) / 1000;
    sim
      .stats()
      .then((st) => {
        const { inFlight, admitted } = poolTotals(st);
        lines.push(
          `${t.toFixed(2)} s  sim: in flight ${inFlight}, admitted ${admitted}, refusals ${JSON.stringify(st.refusals)}`,
        );
      })
      .catch(() => {});
  }, 250);
  return {
    stop: () => {
      clearInterval(timer);
      return lines;
    },
  };
}

/**
 * One run: `p` workers, `store` ('memory' | 'redis'), the cell's calls split evenly.
 * `redis`: { url, kill?: { at, forMs, server } } for the kill runs. `extra`: { trace, burn } (see the top).
 */
async function runOnce(cell, p, store, rep, redis, sims, callParams, extra = {}) {
  const { spawnSimulator, poolTotals } = sims;
  const seed = 1000 + rep;
  const burners = burnCpu(extra.burn ?? 0);
  const sim = await spawnSimulator(cell.sim(seed));
  const prefix = `cgw-bench:${randomUUID().slice(0, 8)}:`;
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('CLAUDE_GATEWAY_')),
  );
  Object.assign(env, { BENCH_SIM_URL: sim.url, BENCH_API_KEY: 'sk-bench-key', BENCH_PREFIX: prefix });
  if (store === 'redis') env.BENCH_REDIS_URL = redis.url;
  if (extra.trace) env.BENCH_TRACE = '1';
  const workers = await startWorkers(p, env);
  const n = cell.n;
  const shares = Array.from({ length: p }, (_, i) => Math.floor(n / p) + (i < n % p ? 1 : 0));
  const deadlineMs = 2.5 * cell.bound(seed).ms + 15_000;
  await sim.reset();
  const started = performance.now();
  const results = workers.map(
    (child, i) =>
      new Promise((resolve) => {
        // Past the deadline the worker is asked what it has done so far: its calls still pending
        // fail the run, and its counts, store statistics and limiters say where it stalled.
        const timeout = { ok: 0, failed: shares[i], errors: { 'bench-timeout': shares[i] } };
        const timer = setTimeout(() => {
          child.send({ type: 'report' }, () => {});
          setTimeout(() => resolve(timeout), 2000).unref();
        }, deadlineMs);
        child.on('message', (m) => {
          if (m.type === 'partial') {
            const errors = { ...m.errors, 'bench-timeout': m.pending };
            process.stderr.write(
              `worker ${i} past the deadline: ${m.ok} ok, ${m.failed} failed, ${m.pending} pending; ` +
                `store ${JSON.stringify({ ...m.stats, admitMs: undefined })}; limiters ${JSON.stringify(m.limiters)}\n`,
            );
            resolve({ ...m, failed: m.failed + m.pending, errors });
          }
          if (m.type !== 'done') return;
          clearTimeout(timer);
          resolve({ ...m, endMs: performance.now() - started });
        });
        child.once('exit', () =>
          setTimeout(() => resolve({ ok: 0, failed: shares[i], errors: { 'worker-exit': shares[i] } }), 100),
        );
      }),
  );
  workers.forEach((child, i) => child.send({ type: 'go', calls: shares[i], params: callParams() }));
  const timeline = extra.trace && simTimeline(sim, started, poolTotals);
  // Redis killed `at` ms into the run and started again `forMs` later, even if the run ended first.
  const restarted =
    redis?.kill &&
    new Promise((resolve) => {
      setTimeout(() => void redis.kill.server.kill(), redis.kill.at);
      setTimeout(() => void redis.kill.restart().then(resolve), redis.kill.at + redis.kill.forMs);
    });
  const done = await Promise.all(results);
  if (timeline) {
    const ends = done.map((d) => `${((d.endMs ?? NaN) / 1000).toFixed(2)} s`).join(', ');
    process.stderr.write(
      [`--- ${cell.name} P=${p} ${store} rep ${rep}: workers ended at ${ends}`, ...timeline.stop()]
        .concat(done.flatMap((d, i) => (d.trace ?? []).map((l) => `${l}  (worker ${i})`)))
        .join('\n') + '\n',
    );
  }
  await restarted;
  const makespanMs = Math.max(...done.map((d) => d.endMs ?? deadlineMs));
  const stats = await sim.stats();
  for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
  await sim.close();
  burners.stop();
  if (store === 'redis' && !redis.kill) await cleanPrefix(prefix, redis.url);
  const ok = done.reduce((a, d) => a + d.ok, 0);
  const errors = {};
  for (const d of done) for (const [k, v] of Object.entries(d.errors ?? {})) errors[k] = (errors[k] ?? 0) + v;
  const storeStats = done.map((d) => d.stats).filter(Boolean);
  const admitMs = storeStats.flatMap((s) => s.admitMs).sort((a, b) => a - b);
  const sum = (k) => storeStats.reduce((a, s) => a + (s[k] ?? 0), 0);
  const tStarMs = cell.bound(seed).ms;
  return {
    cell: cell.name,
    mechanism: cell.mechanism,
    p,
    store,
    rep,
    n,
    killed: Boolean(redis?.kill),
    success: ok / n,
    errors,
    refusalsPer1k: ((stats.byStatus['429'] ?? 0) * 1000) / n,
    refusals: stats.refusals ?? {},
    retryAfterViolations: stats.retryAfterViolations,
    attemptsPerCall: stats.attempts / n,
    makespanMs,
    tStarMs,
    ratio: makespanMs / tStarMs,
    store_:
      storeStats.length ?
        {
          opsPerCall: sum('operations') / n,
          transactionsPerCall: sum('transactions') / n,
          conflictsPerCall: sum('conflicts') / n,
          fallbacks: sum('fallbacks'),
          timeouts: sum('timeouts'),
          errors: sum('errors'),
          resyncs: sum('resyncs'),
          admitP50Ms: quantile(admitMs, 0.5),
          admitP99Ms: quantile(admitMs, 0.99),
        }
      : undefined,
    load: loadavg()[0],
  };
}

/** A worker SIGKILLed while it holds slots: how long until its leases are gone from Redis. */
async function killedWorkerRun(cell, redisUrl, spawnSimulator, callParams) {
  const { Redis } = await import('ioredis');
  // Long calls, so the worker holds its slots when it dies.
  const sim = await spawnSimulator({ ...cell.sim(1000), latency: { ttftMs: 3000, msPerToken: 0 } });
  const prefix = `cgw-bench:${randomUUID().slice(0, 8)}:`;
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('CLAUDE_GATEWAY_')),
  );
  Object.assign(env, {
    BENCH_SIM_URL: sim.url,
    BENCH_API_KEY: 'sk-bench-key',
    BENCH_PREFIX: prefix,
    BENCH_REDIS_URL: redisUrl,
  });
  const [victim] = await startWorkers(1, env);
  await sim.reset();
  victim.send({ type: 'go', calls: 8, params: callParams() });
  const redis = new Redis(redisUrl);
  const leases = async () => {
    const keys = await redis.keys(`${prefix}*:l`);
    let n = 0;
    for (const k of keys) n += await redis.zcard(k);
    return n;
  };
  let held = 0;
  for (let i = 0; i < 40 && held === 0; i++) {
    await new Promise((r) => setTimeout(r, 50));
    held = await leases();
  }
  const killedAt = performance.now();
  victim.kill('SIGKILL');
  let backMs = NaN;
  for (let i = 0; i < 400; i++) {
    // Expired leases leave the set when a script next reads it; a reader does what a live worker would.
    const keys = await redis.keys(`${prefix}*:l`);
    for (const k of keys) await redis.zremrangebyscore(k, '-inf', Date.now());
    if ((await leases()) === 0) {
      backMs = performance.now() - killedAt;
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  redis.disconnect();
  await sim.close();
  await cleanPrefix(prefix, redisUrl);
  return { held, backMs, leaseMs: 10_000 };
}

/**
 * Runs the multi-process bench. Options: quick, reps, only (mechanisms), p (process counts),
 * stores, kill (the Redis-kill and killed-worker runs), redisUrl, log, trace, burn (see the top).
 */
export async function runMultiprocess(options = {}) {
  const { cells, burstCells, callParams } = await import('./scenarios.mjs');
  const sims = await import('./sim-process.mjs');
  const extra = { trace: options.trace, burn: options.burn };
  const quick = options.quick ?? false;
  const reps = options.reps ?? (quick ? 1 : 3);
  const counts = options.p ?? PROCESS_COUNTS;
  const stores = options.stores ?? ['memory', 'redis'];
  const redisUrl = options.redisUrl ?? DEFAULT_REDIS_URL;
  const log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  const burst = cells({ quick }).filter((c) => c.workload === 'burst');
  const chosen = burst.filter((c) => !options.only || options.only.includes(c.mechanism));
  const runs = [];
  for (const cell of options.matrix === false ? [] : chosen) {
    for (const p of counts) {
      for (const store of stores) {
        for (let rep = 0; rep < reps; rep++) {
          const r = await runOnce(cell, p, store, rep, { url: redisUrl }, sims, callParams, extra);
          runs.push(r);
          options.onRun?.({ runs });
          log(
            `${cell.name} P=${p} ${store} rep ${rep}: success ${(r.success * 100).toFixed(1)}%, 429/1k ${r.refusalsPer1k.toFixed(0)}, ÷T* ${r.ratio.toFixed(2)}` +
              (r.store_ ?
                `, ops/call ${r.store_.opsPerCall.toFixed(1)}, admit p50 ${r.store_.admitP50Ms.toFixed(2)} ms p99 ${r.store_.admitP99Ms.toFixed(2)} ms`
              : '') +
              ` (load ${r.load.toFixed(1)})`,
          );
        }
      }
    }
  }
  const kills = [];
  let killedWorker;
  if (options.kill !== false && stores.includes('redis')) {
    const long = burstCells(KILL_CALLS);
    for (const cell of long.filter((c) => chosen.some((k) => k.mechanism === c.mechanism))) {
      const server = await OwnRedis.start();
      const url = server.url;
      const kill = { at: KILL_AT_MS, forMs: KILL_FOR_MS, server, restart: () => server.start() };
      const r = await runOnce(cell, 4, 'redis', 0, { url, kill }, sims, callParams, extra);
      await server.kill();
      kills.push(r);
      log(
        `${cell.name} P=4 redis killed ${KILL_FOR_MS / 1000} s at ${KILL_AT_MS / 1000} s: success ${(r.success * 100).toFixed(1)}%, 429/1k ${r.refusalsPer1k.toFixed(0)}, ÷T* ${r.ratio.toFixed(2)}, fallbacks ${r.store_?.fallbacks}, re-syncs ${r.store_?.resyncs}`,
      );
    }
    killedWorker = await killedWorkerRun(chosen[0] ?? burst[0], redisUrl, sims.spawnSimulator, callParams);
    log(
      `killed worker: ${killedWorker.held} leases held, back after ${killedWorker.backMs.toFixed(0)} ms (lease ${killedWorker.leaseMs} ms)`,
    );
  }
  return { quick, reps, counts, stores, runs, kills, killedWorker, cores: availableParallelism() };
}

const pct = (x) => `${(x * 100).toFixed(x === 1 ? 0 : 1)}%`;

/** The report as Markdown lines: one table per mechanism, then the kill runs and the targets. */
export function renderMultiprocess(result) {
  const lines = [];
  const { runs } = result;
  const mechanisms = [...new Set(runs.map((r) => r.mechanism))];
  lines.push(
    `## Many processes, one organization (issue 15)`,
    '',
    `P worker processes share the cold burst (${runs[0]?.n ?? '?'} calls at once, split evenly) against one simulator organization; each a gateway at its defaults, alone (memory) or sharing its limits through Redis. ${result.reps} repetition(s): medians; success is the worst repetition. 429s per 1,000 calls are the simulator's count; "into retry-after" is the simulator's count of attempts that arrived while a \`retry-after\` it had sent for the organization was running, any 429's, acceleration refusals included (a gateway holds only the refused call for those, by design; with \`none\`, the only 429s are rate limits); makespan ÷ T* uses the cell's T* (one org, whatever P). Store latency: time an attempt's admission spent in Redis transactions (p50/p99 over every attempt of the runs); operations: Redis round trips per call.`,
    '',
  );
  const targets = [];
  for (const m of mechanisms) {
    lines.push(`### \`${m}\``, '');
    lines.push(
      '| P | store | success | 429s / 1k | into retry-after | attempts / call | makespan ÷ T* | store p50 / p99 (ms) | Redis ops / call | conflicts / call |',
    );
    lines.push('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    const base = {};
    for (const p of result.counts) {
      for (const store of result.stores) {
        const rs = runs.filter((r) => r.mechanism === m && r.p === p && r.store === store);
        if (rs.length === 0) continue;
        const row = {
          success: Math.min(...rs.map((r) => r.success)),
          per1k: median(rs.map((r) => r.refusalsPer1k)),
          viol: median(rs.map((r) => r.retryAfterViolations)),
          apc: median(rs.map((r) => r.attemptsPerCall)),
          ratio: median(rs.map((r) => r.ratio)),
          p50: median(rs.map((r) => r.store_?.admitP50Ms)),
          p99: median(rs.map((r) => r.store_?.admitP99Ms)),
          ops: median(rs.map((r) => r.store_?.opsPerCall)),
          conflicts: median(rs.map((r) => r.store_?.conflictsPerCall)),
        };
        if (p === 1) base[store] = row;
        lines.push(
          `| ${p} | ${store} | ${pct(row.success)} | ${row.per1k.toFixed(1)} | ${row.viol.toFixed(0)} | ${row.apc.toFixed(2)} | ${row.ratio.toFixed(2)} | ${store === 'redis' ? `${row.p50.toFixed(2)} / ${row.p99.toFixed(2)}` : '–'} | ${store === 'redis' ? row.ops.toFixed(1) : '–'} | ${store === 'redis' ? row.conflicts.toFixed(2) : '–'} |`,
        );
        if (store === 'redis' && base.redis) {
          const okSuccess = row.success === 1;
          const okRefusals = row.per1k <= 1.5 * base.redis.per1k + 2;
          const okRatio = row.ratio <= 1.1 * base.redis.ratio;
          targets.push({ m, p, okSuccess, okRefusals, okRatio, row, base: base.redis });
        }
      }
    }
    lines.push('');
  }
  lines.push('### Targets with Redis (issue 15, "Done when")', '');
  lines.push('| mechanism | P | 100% success | 429s/1k ≤ 1.5 × P=1’s + 2 | ÷ T* ≤ 1.10 × P=1’s |');
  lines.push('|---|---:|---|---|---|');
  for (const t of targets) {
    const yes = (ok, text) => `${ok ? 'yes' : '**no**'} (${text})`;
    lines.push(
      `| ${t.m} | ${t.p} | ${yes(t.okSuccess, pct(t.row.success))} | ${yes(t.okRefusals, `${t.row.per1k.toFixed(1)} vs ${(1.5 * t.base.per1k + 2).toFixed(1)}`)} | ${yes(t.okRatio, `${t.row.ratio.toFixed(2)} vs ${(1.1 * t.base.ratio).toFixed(2)}`)} |`,
    );
  }
  lines.push('');
  if (result.kills.length) {
    lines.push(
      `### Redis killed for ${KILL_FOR_MS / 1000} s, ${KILL_AT_MS / 1000} s into the run (P = 4)`,
      '',
      `The cold burst at ${result.kills[0].n} calls, so that the run outlasts the kill and the workers are seen to share again (re-syncs: each worker's store found Redis back and wrote its state there).`,
      '',
    );
    lines.push(
      '| mechanism | success | 429s / 1k | makespan ÷ T* | fallbacks | re-syncs | store timeouts + errors |',
    );
    lines.push('|---|---:|---:|---:|---:|---:|---:|');
    for (const r of result.kills)
      lines.push(
        `| ${r.mechanism} | ${pct(r.success)} | ${r.refusalsPer1k.toFixed(1)} | ${r.ratio.toFixed(2)} | ${r.store_?.fallbacks ?? 0} | ${r.store_?.resyncs ?? 0} | ${(r.store_?.timeouts ?? 0) + (r.store_?.errors ?? 0)} |`,
      );
    lines.push('');
  }
  if (result.killedWorker) {
    const k = result.killedWorker;
    lines.push(
      `A worker SIGKILLed while holding ${k.held} slots: its leases were gone ${Number.isFinite(k.backMs) ? `${(k.backMs / 1000).toFixed(1)} s` : 'never (within 20 s)'} later (lease ${k.leaseMs / 1000} s).`,
      '',
    );
  }
  return lines;
}

async function main() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      reps: { type: 'string' },
      only: { type: 'string' },
      p: { type: 'string' },
      stores: { type: 'string' },
      'no-kill': { type: 'boolean' },
      'kill-only': { type: 'boolean' },
      'no-build': { type: 'boolean' },
      json: { type: 'string' },
      out: { type: 'string' },
      trace: { type: 'boolean' },
      burn: { type: 'string' },
    },
  });
  const { buildSnapshot } = await import('./build.mjs');
  if (!values['no-build'] && !buildSnapshot()) {
    console.error('The build failed (see above); run `npm install` and try again.');
    process.exit(1);
  }
  const result = await runMultiprocess({
    quick: values.quick,
    reps: values.reps ? Number(values.reps) : undefined,
    only: values.only?.split(','),
    p: values.p?.split(',').map(Number),
    stores: values.stores?.split(','),
    kill: !values['no-kill'],
    matrix: !values['kill-only'],
    trace: values.trace,
    burn: values.burn ? Number(values.burn) : 0,
    // Every run as it ends, so a long run that stops early keeps what it measured.
    onRun: values.json ? (partial) => writeFileSync(values.json, `${JSON.stringify(partial)}\n`) : undefined,
  });
  if (values.json) writeFileSync(values.json, `${JSON.stringify(result, null, 1)}\n`);
  const report = `${renderMultiprocess(result).join('\n')}\n`;
  if (values.out) writeFileSync(values.out, `# Bench results: many processes, one organization\n\n${report}`);
  process.stdout.write(report);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
