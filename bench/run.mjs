#!/usr/bin/env node
// `npm run bench`: builds the library, runs every scenario under every strategy against the
// simulator (in a child process), measures the gateway's overhead, and writes bench/RESULTS.md,
// bench/results.json and the throughput plot.
//
//   node bench/run.mjs [--quick] [--reps N] [--only scenario[,scenario…]] [--strategies a,b] [--no-overhead]
//
// --quick: 1 repetition and fewer calls per scenario (a smoke run; RESULTS.md says so).
// --only:  run only the named scenarios (RESULTS.md then covers only those).
// --strategies: run only the named strategies (default: all four).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = join(BENCH, '..');

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    reps: { type: 'string' },
    only: { type: 'string' },
    strategies: { type: 'string' },
    'no-overhead': { type: 'boolean', default: false },
  },
});
const quick = values.quick;
const reps =
  values.reps !== undefined ? Number(values.reps)
  : quick ? 1
  : 3;
if (!Number.isInteger(reps) || reps < 1 || reps > 50) {
  console.error(`--reps must be an integer from 1 to 50, got ${values.reps}`);
  process.exit(2);
}

// Build first, so `npm run bench` works from a fresh clone after `npm install`.
const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
console.log('Building: node node_modules/typescript/bin/tsc -p tsconfig.json');
const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) {
  console.error('The build failed (see above); run `npm install`, then `npm run build`, and try again.');
  process.exit(1);
}

// Imported after the build: they load ../dist.
const { writeReport, sourceRevision } = await import('./report.mjs');
const revision = sourceRevision();
const { scenarios } = await import('./scenarios.mjs');
const { STRATEGY_NAMES } = await import('./strategies.mjs');
const { runOnce } = await import('./harness.mjs');
const { runMetrics, gatewayEvidence } = await import('./metrics.mjs');
const { writePlot } = await import('./plot.mjs');

const all = scenarios({ quick });
const only = values.only
  ?.split(',')
  .map((s) => s.trim())
  .filter(Boolean);
if (only) {
  const unknown = only.filter((name) => !all.some((s) => s.name === name));
  if (unknown.length) {
    console.error(`Unknown scenario ${unknown.join(', ')}; known: ${all.map((s) => s.name).join(', ')}`);
    process.exit(2);
  }
}
const selected = only ? all.filter((s) => only.includes(s.name)) : all;
const strategyNames = values.strategies ? values.strategies.split(',') : STRATEGY_NAMES;

// The two derivations of each bound must agree (closed form vs fluid simulation of the best client).
for (const s of selected) {
  const b = s.bound(s.arrivals(1000));
  if (Math.abs(b.ms - b.ideal.boundMs) > Math.max(3, b.ms * 0.002)) {
    console.error(
      `Bound mismatch in ${s.name}: closed form ${b.ms} ms, simulated best client ${b.ideal.boundMs} ms`,
    );
    process.exit(1);
  }
}

const started = performance.now();
const results = []; // { scenario, strategy, rep, metrics, evidence? }
const kept = {}; // raw runs kept for the plot
console.log(
  `${selected.length} scenarios × ${strategyNames.length} strategies × ${reps} repetitions${quick ? ' (quick)' : ''}`,
);
for (let rep = 0; rep < reps; rep++) {
  for (const scenario of selected) {
    for (const strategy of strategyNames) {
      const t = performance.now();
      const run = await runOnce(scenario, strategy, rep);
      const metrics = runMetrics(run, scenario);
      const entry = { scenario: scenario.name, strategy, rep, seed: run.seed, metrics };
      if (strategy === 'gateway') entry.evidence = gatewayEvidence(run, scenario);
      results.push(entry);
      if (rep === 0 && scenario.name === 'burst' && (strategy === 'gateway' || strategy === 'sdk-plimit'))
        kept[strategy] = run;
      const m = metrics;
      console.log(
        `  rep ${rep} ${scenario.name.padEnd(9)} ${strategy.padEnd(11)} ` +
          `ok ${(m.success * 100).toFixed(1).padStart(5)}%  makespan ${(m.makespanMs / 1000).toFixed(2).padStart(6)} s ` +
          `(${m.ratio.toFixed(2)}× bound)  att/req ${m.attemptsPerRequest.toFixed(3)}  RA-viol ${m.raViolations}` +
          `  [${((performance.now() - t) / 1000).toFixed(1)} s]`,
      );
    }
  }
}

let overhead;
if (!values['no-overhead']) {
  console.log('Overhead: CPU per call (bare SDK vs gateway, tracing on) and memory per queued call');
  const measure = (...flags) => {
    const child = spawnSync(
      process.execPath,
      ['--expose-gc', join(BENCH, 'overhead.mjs'), '--json', ...(quick ? ['--quick'] : []), ...flags],
      {
        cwd: ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    if (child.status !== 0) {
      console.error('bench/overhead.mjs failed');
      process.exit(1);
    }
    return JSON.parse(child.stdout.trim().split('\n').pop());
  };
  overhead = measure();
  overhead.cpu.noTracing = measure('--no-tracing', '--cpu-only').cpu;
  console.log(
    `  CPU per call: bare ${overhead.cpu.bareUs.toFixed(0)} µs, gateway ${overhead.cpu.gatewayUs.toFixed(0)} µs, ` +
      `ratio ${overhead.cpu.ratio.toFixed(3)}; memory per queued call ${overhead.memory.gatewayBytes.toFixed(0)} B`,
  );
}

const totalMs = performance.now() - started;
const args = process.argv.slice(2).join(' ');
const plotFile =
  kept.gateway && kept['sdk-plimit'] ?
    writePlot(
      join(BENCH, 'throughput-burst.svg'),
      kept,
      all.find((s) => s.name === 'burst'),
    )
  : undefined;
const context = {
  quick,
  reps,
  args,
  revision,
  totalMs,
  scenarios: selected,
  strategies: strategyNames,
  results,
  overhead,
  plotFile,
};
writeFileSync(
  join(BENCH, 'results.json'),
  JSON.stringify({ ...context, scenarios: selected.map((s) => s.name) }, null, 1) + '\n',
);
writeReport(join(BENCH, 'RESULTS.md'), context);
console.log(
  `Wrote bench/RESULTS.md, bench/results.json${plotFile ? ', bench/throughput-burst.svg' : ''} in ${(totalMs / 1000).toFixed(0)} s`,
);
