#!/usr/bin/env node
// The gateway's overhead, against a fault-free simulator in a child process.
//
// CPU: client CPU time (`process.cpuUsage()`, user + system) per call for batches of K calls (8 in
// flight), the bare SDK (A) against the gateway-wrapped SDK (B), both with a real OpenTelemetry
// TracerProvider (BatchSpanProcessor → InMemorySpanExporter, flushed inside the measured
// window) and the AsyncLocalStorage context manager registered, so the SDK's own call spans are
// there in both. After warm-up pairs, batches are interleaved in pairs whose order alternates
// (A B, B A, A B, …), so a drift over the run weighs on neither side; the reported ratio is the
// median of the per-pair ratios B/A. With --no-tracing nothing is registered (no TracerProvider,
// no context manager), to separate the cost of the gateway's spans from the rest; run.mjs runs both.
//
// Memory: heap per queued call: 10,000 calls queued behind a concurrency limit of 1 against a
// simulator whose one call in flight takes 10 minutes; heapUsed (after two forced GCs) before and
// after queueing, divided by 10,000. For the gateway (`concurrencyInitial`/`concurrencyMax` 1) and,
// for context, for the SDK behind pLimit(1).
//
//   node --expose-gc bench/overhead.mjs [--quick] [--json] [--no-tracing] [--cpu-only]
import Anthropic from '@anthropic-ai/sdk';
import pLimit from 'p-limit';
import { parseArgs } from 'node:util';
import { createGateway } from './.dist/index.js';
import { callsInFlight, spawnUnlimitedSimulator, tracingSetup } from './cpu-load.mjs';
import { spawnSimulator } from './sim-process.mjs';
import { callParams } from './scenarios.mjs';
import { defaultsEnv } from './strategies.mjs';
import { median } from './metrics.mjs';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    'no-tracing': { type: 'boolean', default: false },
    'cpu-only': { type: 'boolean', default: false },
  },
});
const tracing = !values['no-tracing'];
if (typeof globalThis.gc !== 'function') {
  console.error('Run with --expose-gc: node --expose-gc bench/overhead.mjs');
  process.exit(2);
}
const log = values.json ? (...a) => console.error(...a) : console.log;

const K = values.quick ? 400 : 2000;
const PAIRS = values.quick ? 4 : 8;
const WARM_UP_PAIRS = values.quick ? 1 : 5;
const IN_FLIGHT = 8;
const QUEUED = 10_000;
const params = callParams({});

const { exporter, provider } = tracingSetup(tracing);

async function batch(client) {
  exporter.reset();
  const before = process.cpuUsage();
  const wall = performance.now();
  await callsInFlight(client, params, K, IN_FLIGHT);
  await provider.forceFlush();
  const cpu = process.cpuUsage(before);
  return {
    cpuUs: (cpu.user + cpu.system) / K,
    wallMs: performance.now() - wall,
    spans: exporter.getFinishedSpans().length / K,
  };
}

async function cpuOverhead() {
  const sim = await spawnUnlimitedSimulator();
  try {
    const bare = new Anthropic({ apiKey: 'sk-bench-key', baseURL: sim.url });
    const gateway = createGateway({}, defaultsEnv());
    const wrapped = gateway.wrap(new Anthropic({ apiKey: 'sk-bench-key', baseURL: sim.url }));
    // Warm-up, not counted: a process's CPU per call keeps falling over its first ~20,000 calls
    // (measured: 760 → 420 µs for the bare SDK over eight pairs after one warm-up pair).
    for (let i = 0; i < WARM_UP_PAIRS; i++) {
      await batch(bare);
      await batch(wrapped);
    }
    const pairs = [];
    for (let i = 0; i < PAIRS; i++) {
      // Each pair's order alternates (A B, B A, …): CPU per call drifts over a run, and with a fixed
      // order the drift would favour whichever side always runs second.
      const gatewayFirst = i % 2 === 1;
      const b0 = gatewayFirst ? await batch(wrapped) : undefined;
      const a = await batch(bare);
      const b = b0 ?? (await batch(wrapped));
      pairs.push({ bare: a, gateway: b, ratio: b.cpuUs / a.cpuUs, gatewayFirst });
      log(
        `  pair ${i} (${gatewayFirst ? 'gateway first' : 'bare first'}): bare ${a.cpuUs.toFixed(0)} µs/call, gateway ${b.cpuUs.toFixed(0)} µs/call, ratio ${(b.cpuUs / a.cpuUs).toFixed(3)}`,
      );
    }
    return {
      callsPerBatch: K,
      pairs: PAIRS,
      warmUpPairs: WARM_UP_PAIRS,
      inFlight: IN_FLIGHT,
      bareUs: median(pairs.map((p) => p.bare.cpuUs)),
      gatewayUs: median(pairs.map((p) => p.gateway.cpuUs)),
      ratio: median(pairs.map((p) => p.ratio)),
      ratios: pairs.map((p) => p.ratio),
      ratioBareFirst: median(pairs.filter((p) => !p.gatewayFirst).map((p) => p.ratio)),
      ratioGatewayFirst: median(pairs.filter((p) => p.gatewayFirst).map((p) => p.ratio)),
      spansPerCall: { bare: pairs[0].bare.spans, gateway: pairs[0].gateway.spans },
      wallMsPerBatch: {
        bare: median(pairs.map((p) => p.bare.wallMs)),
        gateway: median(pairs.map((p) => p.gateway.wallMs)),
      },
    };
  } finally {
    await sim.close();
  }
}

function heapUsed() {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
}

const settle = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Heap per queued call: `start(signal)` starts one call; `queued()` says how many wait. */
async function perQueuedCall(start, queued) {
  const ctl = new AbortController();
  await settle(300); // let what an earlier measurement left behind be freed first
  heapUsed();
  const before = heapUsed();
  const calls = Array.from({ length: QUEUED }, () => start(ctl.signal).catch(() => {}));
  for (let i = 0; i < 500 && queued() < QUEUED - 1; i++) await settle(10);
  await settle(200);
  const after = heapUsed();
  const waiting = queued();
  ctl.abort(new Error('done'));
  await Promise.all(calls);
  return { bytes: (after - before) / QUEUED, waiting };
}

async function memoryOverhead() {
  const sim = await spawnSimulator({
    seed: 1,
    requestsPerMinute: 1_000_000_000,
    burst: 1_000_000,
    latency: { ttftMs: 600_000, msPerToken: 0 },
  });
  try {
    const gateway = createGateway({ concurrencyInitial: 1, concurrencyMax: 1 }, defaultsEnv());
    const wrapped = gateway.wrap(new Anthropic({ apiKey: 'sk-bench-key', baseURL: sim.url }));
    const g = await perQueuedCall(
      (signal) => wrapped.messages.create(params, { signal }),
      () => gateway.limiters()[0]?.queued ?? 0,
    );
    const bare = new Anthropic({ apiKey: 'sk-bench-key', baseURL: sim.url });
    const limit = pLimit(1);
    const p = await perQueuedCall(
      (signal) => limit(() => bare.messages.create(params, { signal })),
      () => limit.pendingCount,
    );
    return {
      queued: QUEUED,
      gatewayBytes: g.bytes,
      gatewayWaiting: g.waiting,
      plimitBytes: p.bytes,
      plimitWaiting: p.waiting,
    };
  } finally {
    await sim.close();
  }
}

log(`CPU${tracing ? '' : ' without tracing'}: ${PAIRS} pairs of ${K}-call batches, ${IN_FLIGHT} in flight`);
const cpu = await cpuOverhead();
let memory;
if (!values['cpu-only']) {
  log(`Memory: ${QUEUED} calls queued behind a limit of 1`);
  memory = await memoryOverhead();
}
await provider.shutdown();
const result = { tracing, cpu, memory };
if (values.json) console.log(JSON.stringify(result));
else console.log(JSON.stringify(result, null, 2));
