#!/usr/bin/env node
// One run of one cell and strategy, printed as a timeline: per 250 ms (real), successes, attempts
// by status, the strategy's concurrency limit, slots taken, queue, HTTP attempts in flight, a
// retry-after hold, and for the gateway its acceleration gate (rate per real second, closed, its
// ceiling on attempts in flight) and the simulator's view (attempts admitted in the bin, admitted
// attempts in flight). For diagnosing a result in RESULTS.md. Builds bench/.dist first (--no-build: use the last one).
//
//   node bench/timeline.mjs <workload/mechanism | variant/mechanism/param=value> [strategy] [--quick] [--rep N] [--time-scale K] [--no-build]
import { parseArgs } from 'node:util';
import { buildSnapshot } from './build.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: 'boolean', default: false },
    rep: { type: 'string', default: '0' },
    'time-scale': { type: 'string' },
    'no-build': { type: 'boolean', default: false },
  },
});
if (!values['no-build'] && !buildSnapshot()) process.exit(1);
const { runOnce, SAMPLE_MS } = await import('./harness.mjs');
const { gatewayEvidence, runMetrics } = await import('./metrics.mjs');
const { cells, variants } = await import('./scenarios.mjs');
const { STRATEGY_NAMES } = await import('./strategies.mjs');
const [name, strategy = 'gateway'] = positionals;
const timeScale = values['time-scale'] === undefined ? undefined : Number(values['time-scale']);
const all = [...cells({ quick: values.quick, timeScale }), ...variants({ quick: values.quick, timeScale })];
const cell = all.find((c) => c.name === name);
if (!cell || !STRATEGY_NAMES.includes(strategy)) {
  console.error(
    `usage: node bench/timeline.mjs <cell> [${STRATEGY_NAMES.join('|')}] [--quick] [--rep N]\ncells: ${all.map((c) => c.name).join(', ')}`,
  );
  process.exit(2);
}
const run = await runOnce(cell, strategy, Number(values.rep), { serverSamples: true });
const m = runMetrics(run, cell);
const { errors, refusals, ...rest } = m;
console.log(
  `${cell.name} ${strategy} rep ${values.rep}: T* ${(m.boundMs / 1000).toFixed(2)} s (this run's outputs: ${(m.runBoundMs / 1000).toFixed(2)} s)`,
);
console.log(JSON.stringify(rest));
console.log('errors', JSON.stringify(errors), 'refusals', JSON.stringify(refusals));
if (strategy === 'gateway') console.log(JSON.stringify(gatewayEvidence(run)));

const bins = new Map();
const at = (t) => {
  const k = Math.floor(t / SAMPLE_MS);
  if (!bins.has(k)) bins.set(k, { ok: 0, status: {} });
  return bins.get(k);
};
for (const c of run.calls) if (c.ok) at(c.settle).ok++;
for (const [t, status] of run.attempts) {
  const b = at(t);
  b.status[status] = (b.status[status] ?? 0) + 1;
}
for (const s of run.samples) at(s.tMs).sample = s;
let prevAdmitted = 0;
for (const s of run.serverSamples) {
  const b = at(s.tMs);
  b.server = { admitted: s.admitted - prevAdmitted, inFlight: s.inFlight };
  prevAdmitted = s.admitted;
}
const pad = (v, n = 4) => String(v ?? '').padStart(n);
console.log(
  '     t   ok | sent: 200  429  529 other | limit  slots queued in-flight hold | gate/s closed ceil | sim: admitted in-flight',
);
for (const k of [...bins.keys()].sort((a, b) => a - b)) {
  const b = bins.get(k);
  const { 200: ok = 0, 429: r429 = 0, 529: r529 = 0, ...others } = b.status;
  const other = Object.values(others).reduce((a, v) => a + v, 0);
  const s = b.sample;
  const gate =
    s && 'gateRate' in s ?
      `${pad(s.gateRate === null ? '-' : Math.round(s.gateRate), 6)} ${s.gateClosed ? 'closed' : '      '} ${pad(Number.isFinite(s.gateCeiling) ? s.gateCeiling.toFixed(1) : '-', 5)}`
    : pad('', 19);
  console.log(
    `${((k * SAMPLE_MS) / 1000).toFixed(2).padStart(6)} ${pad(b.ok)} |      ${pad(ok)} ${pad(r429)} ${pad(r529)} ${pad(other, 5)} |` +
      (s ?
        ` ${pad(s.limit, 5)} ${pad(s.active, 6)} ${pad(s.queued, 6)} ${pad(s.inFlight, 9)} ${s.holdUntil > 0 ? ' held' : '     '}`
      : pad('', 37)) +
      ` | ${gate} | ${b.server ? `${pad(b.server.admitted, 13)} ${pad(b.server.inFlight, 9)}` : ''}`,
  );
}
