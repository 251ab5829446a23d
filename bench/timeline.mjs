#!/usr/bin/env node
// One run of one scenario and strategy, printed as a timeline: per 250 ms, successes, attempts by
// status, and the strategy's concurrency limit, slots taken, queue, HTTP attempts in flight and
// whether a retry-after hold is on. For diagnosing a result in RESULTS.md. Needs a build first.
//
//   node bench/timeline.mjs <scenario> [strategy] [--quick] [--rep N]
import { parseArgs } from 'node:util';
import { runOnce, SAMPLE_MS } from './harness.mjs';
import { gatewayEvidence, runMetrics } from './metrics.mjs';
import { scenarios } from './scenarios.mjs';
import { STRATEGY_NAMES } from './strategies.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { quick: { type: 'boolean', default: false }, rep: { type: 'string', default: '0' } },
});
const [name, strategy = 'gateway'] = positionals;
const scenario = scenarios({ quick: values.quick }).find((s) => s.name === name);
if (!scenario || !STRATEGY_NAMES.includes(strategy)) {
  console.error(
    `usage: node bench/timeline.mjs <${scenarios()
      .map((s) => s.name)
      .join('|')}> [${STRATEGY_NAMES.join('|')}] [--quick] [--rep N]`,
  );
  process.exit(2);
}
const run = await runOnce(scenario, strategy, Number(values.rep));
console.log(JSON.stringify(runMetrics(run, scenario)));
if (strategy === 'gateway') console.log(JSON.stringify(gatewayEvidence(run, scenario)));

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
const pad = (v, n = 4) => String(v ?? '').padStart(n);
console.log('     t   ok | sent: 200  429  529 other | limit  slots queued in-flight hold');
for (const k of [...bins.keys()].sort((a, b) => a - b)) {
  const b = bins.get(k);
  const { 200: ok = 0, 429: r429 = 0, 529: r529 = 0, ...rest } = b.status;
  const other = Object.values(rest).reduce((a, v) => a + v, 0);
  const s = b.sample;
  console.log(
    `${((k * SAMPLE_MS) / 1000).toFixed(2).padStart(6)} ${pad(b.ok)} |      ${pad(ok)} ${pad(r429)} ${pad(r529)} ${pad(other, 5)} |` +
      (s ?
        ` ${pad(s.limit, 5)} ${pad(s.active, 6)} ${pad(s.queued, 6)} ${pad(s.inFlight, 9)} ${s.holdUntil > 0 ? ' held' : ''}`
      : ''),
  );
}
