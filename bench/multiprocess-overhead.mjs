// The memory store's cost on the hot path (issue 15): CPU per call through a gateway built from
// one tree (`--base DIR`, e.g. the commit before the store seam, built into DIR/dist) against the
// current dist/, in one process, against a fault-free simulator in a child process. Batches of
// 2,000 calls (8 in flight) alternate base, current, base, …; the result is the median of the
// per-pair ratios current ÷ base (1.00: no extra cost). No tracer is registered, so the gateway's
// own work is what is measured.
//
//   git archive HEAD src tsconfig.json package.json | tar -x -C /tmp/base \
//     && ln -s "$PWD/node_modules" /tmp/base/node_modules && (cd /tmp/base && npx tsc -p tsconfig.json)
//   node bench/multiprocess-overhead.mjs --base /tmp/base [--pairs 8] [--calls 2000]
import Anthropic from '@anthropic-ai/sdk';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { spawnSimulator } from './sim-process.mjs';
import { callParams } from './scenarios.mjs';

const { values } = parseArgs({
  options: { base: { type: 'string' }, pairs: { type: 'string' }, calls: { type: 'string' } },
});
if (!values.base) {
  console.error('usage: node bench/multiprocess-overhead.mjs --base DIR (a tree built into DIR/dist)');
  process.exit(2);
}
const PAIRS = Number(values.pairs ?? 8);
const K = Number(values.calls ?? 2000);
const IN_FLIGHT = 8;

const base = await import(pathToFileURL(`${values.base}/dist/index.js`).href);
const current = await import('../dist/index.js');
const sim = await spawnSimulator({ latency: { ttftMs: 0, msPerToken: 0 }, requestsPerMinute: 100_000_000 });
const params = callParams();

function client(lib) {
  const gateway = lib.createGateway({}, {});
  return gateway.wrap(new Anthropic({ apiKey: 'sk-overhead', baseURL: sim.url }));
}

async function batch(c) {
  let next = 0;
  const t0 = process.cpuUsage();
  const w0 = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < K) {
        next++;
        await c.messages.create(params);
      }
    }),
  );
  const d = process.cpuUsage(t0);
  return { cpuUsPerCall: (d.user + d.system) / K, wallMs: performance.now() - w0 };
}

const clients = { base: client(base), current: client(current) };
await batch(clients.base); // warm-up, both
await batch(clients.current);
const ratios = [];
const rows = [];
for (let i = 0; i < PAIRS; i++) {
  const b = await batch(clients.base);
  const c = await batch(clients.current);
  ratios.push(c.cpuUsPerCall / b.cpuUsPerCall);
  rows.push({ base: b.cpuUsPerCall, current: c.cpuUsPerCall });
}
await sim.close();
const sorted = [...ratios].sort((a, b) => a - b);
const median =
  sorted.length % 2 ?
    sorted[sorted.length >> 1]
  : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
const med = (k) => rows.map((r) => r[k]).sort((a, b) => a - b)[rows.length >> 1];
console.log(
  JSON.stringify({
    calls: K,
    pairs: PAIRS,
    baseCpuUsPerCall: Math.round(med('base')),
    currentCpuUsPerCall: Math.round(med('current')),
    medianRatio: Number(median.toFixed(3)),
    ratios: ratios.map((r) => Number(r.toFixed(3))),
  }),
);
