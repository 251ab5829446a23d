#!/usr/bin/env node
// The cost of a deep queue: 10,000 and 100,000 calls queued at once, the gateway against the bare
// SDK behind pLimit, against a fault-free simulator in a child process (latency 0).
//
// Each measurement runs in a fresh child process (its own heap and peak RSS):
//   memory    N calls queued behind 8 slots whose calls never answer (the simulator holds them):
//             heap per queued call (heapUsed after forced GCs, over a baseline, / N) and RSS.
//   dispatch  N calls queued at once, 16 slots, every call answered at once: dispatch rate (calls
//             completed per second, over the 20,000 after the first 2,000: the queue is still
//             78,000 deep at the end of that window with 100,000), CPU per call (user + system) and
//             peak RSS; and the same with the queue kept at 100 (a producer tops it up), the
//             reference the deep queue's rate is compared with. Dispatch runs are repeated
//             (3 repetitions, each the reference then every depth, for each side in turn): the
//             rate of one run moves by ±15% on a 2-core machine, so the report compares each deep
//             run with the reference of its own repetition and takes the median.
// The gateway runs with a fixed concurrency (16, or 8 for memory) so both sides have the same
// number of calls in flight; no tracer provider is registered (the CPU cost of spans is in
// overhead.mjs).
//
//   node --expose-gc bench/scale.mjs [--quick] [--json]     (--quick: 10,000 only, 1 repetition;
//   measures bench/.dist, which bench/run.mjs builds)
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const SELF = fileURLToPath(import.meta.url);
const WARMUP = 2_000;
const IN_FLIGHT = 16;
const MEMORY_IN_FLIGHT = 8;
/** Calls completed in the reference run (queue kept at 100). */
const REFERENCE_CALLS = 22_000;
/** Calls measured after the warm-up, at most (the rest of a deep queue is not waited for). */
const MEASURED = 20_000;
/** Repetitions of the dispatch runs. */
const REPS = 3;

if (process.argv[2] === '--scale-child') await child(JSON.parse(process.argv[3]));
else await parent();

async function parent() {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
  });
  const log = values.json ? (...a) => console.error(...a) : console.log;
  const sizes = values.quick ? [10_000] : [10_000, 100_000];
  const reps = values.quick ? 1 : REPS;
  const results = { memory: [], dispatch: [], reference: [] };
  for (const n of sizes) {
    for (const mode of ['bare', 'gateway']) {
      const mem = await run({ phase: 'memory', mode, n });
      results.memory.push(mem);
      log(
        `  ${mode} ${n} queued: ${(mem.bytesPerCall / 1024).toFixed(2)} KiB heap per queued call, RSS ${(mem.rssBytes / 2 ** 20).toFixed(0)} MiB`,
      );
    }
  }
  for (let rep = 0; rep < reps; rep++) {
    for (const mode of ['bare', 'gateway']) {
      const ref = { ...(await run({ phase: 'reference', mode, n: REFERENCE_CALLS })), rep };
      results.reference.push(ref);
      log(
        `  rep ${rep} ${mode} reference (100 queued): ${ref.rate.toFixed(0)} calls/s, ${ref.cpuUs.toFixed(0)} µs CPU/call`,
      );
      for (const n of sizes) {
        const d = { ...(await run({ phase: 'dispatch', mode, n })), rep };
        results.dispatch.push(d);
        log(
          `  rep ${rep} ${mode} ${n} at once: ${d.rate.toFixed(0)} calls/s (${(d.rate / ref.rate).toFixed(2)} of the reference), ${d.cpuUs.toFixed(0)} µs CPU/call, peak RSS ${(d.maxRssBytes / 2 ** 20).toFixed(0)} MiB, ${d.seconds.toFixed(1)} s`,
        );
      }
    }
  }
  if (values.json) console.log(JSON.stringify(results));
  return results;
}

function run(spec) {
  return new Promise((resolve, reject) => {
    const c = fork(SELF, ['--scale-child', JSON.stringify(spec)], {
      execArgv: ['--expose-gc', '--max-old-space-size=8192'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result;
    c.on('message', (m) => (result = m));
    c.on('exit', (code) =>
      result ? resolve({ ...spec, ...result }) : reject(new Error(`${JSON.stringify(spec)} exited ${code}`)),
    );
  });
}

async function child({ phase, mode, n }) {
  const [{ default: Anthropic }, { default: pLimit }, { createGateway }, { spawnSimulator }, { callParams }] =
    await Promise.all([
      import('@anthropic-ai/sdk'),
      import('p-limit'),
      import('./.dist/index.js'),
      import('./sim-process.mjs'),
      import('./scenarios.mjs'),
    ]);
  const held = phase === 'memory';
  const sim = await spawnSimulator({
    seed: 1,
    requestsPerMinute: 1_000_000_000,
    burst: 1_000_000,
    latency: { ttftMs: held ? 600_000 : 0, msPerToken: 0 },
  });
  const slots = held ? MEMORY_IN_FLIGHT : IN_FLIGHT;
  const params = callParams();
  let start;
  let queued;
  if (mode === 'bare') {
    const client = new Anthropic({ apiKey: 'sk-bench-key', baseURL: sim.url, maxRetries: 0 });
    const limit = pLimit(slots);
    start = () => limit(() => client.messages.create(params));
    queued = () => limit.pendingCount;
  } else {
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('CLAUDE_GATEWAY_')),
    );
    const gateway = createGateway({ concurrencyInitial: slots, concurrencyMax: slots }, env);
    const client = gateway.wrap(new Anthropic({ apiKey: 'sk-bench-key', baseURL: sim.url }));
    start = () => client.messages.create(params);
    queued = () => gateway.limiters().reduce((s, l) => s + l.queued, 0);
  }
  const settle = (ms) => new Promise((r) => setTimeout(r, ms));
  const heap = () => {
    globalThis.gc();
    globalThis.gc();
    return process.memoryUsage().heapUsed;
  };
  // Warm the code paths and the connection pool first.
  await Promise.all(Array.from({ length: held ? 0 : 200 }, () => start()));
  if (held) {
    await settle(200);
    const before = heap();
    for (let i = 0; i < n; i++) start().catch(() => {});
    for (let i = 0; i < 1000 && queued() < n - slots; i++) await settle(20);
    await settle(300);
    const after = heap();
    process.send({
      bytesPerCall: (after - before) / n,
      queued: queued(),
      rssBytes: process.memoryUsage().rss,
    });
  } else {
    let done = 0;
    let warmAt = 0;
    let warmCpu;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const finished = () => {
      done++;
      if (done === WARMUP) {
        warmAt = performance.now();
        warmCpu = process.cpuUsage();
      }
    };
    if (phase === 'reference') {
      // Keep 100 calls waiting beyond those in flight until `n` have been started.
      let started = 0;
      await new Promise((resolve, reject) => {
        const one = () => {
          started++;
          start().then(() => {
            finished();
            if (started < n) one();
            else if (done === n) resolve();
          }, reject);
        };
        for (let i = 0; i < slots + 100; i++) one();
      });
    } else {
      // All queued at once; measured until MEASURED calls past the warm-up have completed.
      const target = Math.min(n, WARMUP + MEASURED);
      await new Promise((resolve, reject) => {
        for (let i = 0; i < n; i++)
          start().then(() => {
            finished();
            if (done === target) resolve();
          }, reject);
      });
    }
    const measured = done - WARMUP;
    const seconds = (performance.now() - warmAt) / 1000;
    const cpu = process.cpuUsage(warmCpu);
    const all = process.cpuUsage(cpu0);
    process.send({
      rate: measured / seconds,
      cpuUs: (cpu.user + cpu.system) / measured,
      cpuUsAll: (all.user + all.system) / done,
      measured,
      seconds: (performance.now() - t0) / 1000,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
    });
  }
  await sim.close().catch(() => {});
  process.exit(0);
}
