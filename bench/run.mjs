#!/usr/bin/env node
// `npm run bench`: builds the library, runs the matrix (every acceleration mechanism × every
// workload) and the variants (each mechanism's parameters halved and doubled, on the cold burst)
// under each strategy against the simulator (in a child process), measures the gateway's overhead,
// and writes bench/RESULTS.md, bench/results.json and the throughput plot.
//
//   node bench/run.mjs [--quick] [--reps N] [--variant-reps N] [--only token[,token…]]
//                      [--strategies a,b] [--no-overhead] [--no-scale] [--time-scale K]
//                      [--first-rep N] [--merge] [--report-only] [--no-build]
//
// The library is built into bench/.dist first (bench/build.mjs): the bench measures that copy.
//
// --quick:  1 repetition and fewer calls per workload (a smoke run; RESULTS.md says so).
// --only:   tokens, any mix of: a workload (burst, open-0.5x, open-1x, open-1.5x, otpm, itpm,
//           stream, two-keys, outage), a mechanism (windows, inflight, rate, none), a cell
//           (workload/mechanism), `matrix` (every cell), `variants`, `overhead` or `scale`. Workloads and mechanisms
//           select the matrix cells that match both (a missing kind matches all); `variants` adds
//           the variants (of the mechanisms named, if any). Without --only: everything.
// --first-rep: start the matrix's repetitions at this one (with --merge: re-run the last ones).
// --no-build: measure the bench/.dist already there (e.g. built from another revision; set
//           BENCH_REVISION to say which).
// --report-only: write RESULTS.md again from bench/results.json, running nothing.
// --merge:  keep bench/results.json's runs and replace those of the same cell, strategy and
//           repetition by this run's (to re-run cells disturbed by other load); RESULTS.md then
//           covers the union and says what was re-run.
// --time-scale: run the seconds-long workloads at this time scale instead of 10 (1: real time).
// --strategies: the strategies to run (default gateway, sdk-plimit, sdk-plimit64; sdk-default and
//           naive are available).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = join(BENCH, '..');

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    reps: { type: 'string' },
    'variant-reps': { type: 'string' },
    only: { type: 'string' },
    strategies: { type: 'string' },
    'no-overhead': { type: 'boolean', default: false },
    'no-scale': { type: 'boolean', default: false },
    'time-scale': { type: 'string' },
    merge: { type: 'boolean', default: false },
    'report-only': { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    'first-rep': { type: 'string' },
  },
});
const quick = values.quick;
const intArg = (name, value, fallback) => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 50) {
    console.error(`--${name} must be an integer from 1 to 50, got ${value}`);
    process.exit(2);
  }
  return n;
};
const reps = intArg('reps', values.reps, quick ? 1 : 3);
const variantReps = intArg('variant-reps', values['variant-reps'], 1);
const firstRep =
  values['first-rep'] === undefined ? 0 : intArg('first-rep', Number(values['first-rep']) + 1, 1) - 1;
if (firstRep >= reps) {
  console.error(`--first-rep must be below --reps (${reps})`);
  process.exit(2);
}

// Build first (into bench/.dist, the bench's own copy), so `npm run bench` works from a fresh clone
// after `npm install` and no other build during the run can change the code measured.
const { buildSnapshot } = await import('./build.mjs');
if (!values['report-only'] && !values['no-build'] && !buildSnapshot()) {
  console.error('The build failed (see above); run `npm install` and try again.');
  process.exit(1);
}

// Imported after the build: they load ./.dist.
const { writeReport, sourceRevision } = await import('./report.mjs');
const revision = sourceRevision();
const { cells, variants, MECHANISM_NAMES, workloadNames } = await import('./scenarios.mjs');
const { STRATEGY_NAMES, MATRIX_STRATEGIES } = await import('./strategies.mjs');
const { runOnce } = await import('./harness.mjs');
const { runMetrics, gatewayEvidence } = await import('./metrics.mjs');
const { writePlot } = await import('./plot.mjs');

const timeScale = values['time-scale'] === undefined ? undefined : Number(values['time-scale']);
if (timeScale !== undefined && !(timeScale >= 1 && timeScale <= 100)) {
  console.error(`--time-scale must be a number from 1 to 100, got ${values['time-scale']}`);
  process.exit(2);
}
if (values['report-only']) {
  const { readFileSync } = await import('node:fs');
  const prev = JSON.parse(readFileSync(join(BENCH, 'results.json'), 'utf8'));
  const pc = cells({ quick: Boolean(prev.quick), timeScale: prev.timeScale ?? undefined });
  const pv = variants({ quick: Boolean(prev.quick), timeScale: prev.timeScale ?? undefined });
  const names = (list) => new Set(list.map((c) => c.name));
  writeReport(join(BENCH, 'RESULTS.md'), {
    ...prev,
    cells: pc.filter((c) => names(prev.cells).has(c.name)),
    variants: pv.filter((c) => names(prev.variants).has(c.name)),
  });
  console.log('Wrote bench/RESULTS.md from bench/results.json');
  process.exit(0);
}
const allCells = cells({ quick, timeScale });
const allVariants = variants({ quick, timeScale });
const WORKLOADS = workloadNames();
let selectedCells = allCells;
let selectedVariants = allVariants;
if (values.only) {
  const tokens = values.only
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const known = (t) =>
    t === 'matrix' ||
    t === 'variants' ||
    t === 'overhead' ||
    t === 'scale' ||
    WORKLOADS.includes(t) ||
    MECHANISM_NAMES.includes(t) ||
    allCells.some((c) => c.name === t);
  const unknown = tokens.filter((t) => !known(t));
  if (unknown.length) {
    console.error(
      `Unknown --only ${unknown.join(', ')}; known: matrix, variants, overhead, scale, ${WORKLOADS.join(', ')}, ${MECHANISM_NAMES.join(', ')}, or a cell workload/mechanism`,
    );
    process.exit(2);
  }
  const ws = tokens.filter((t) => WORKLOADS.includes(t));
  const ms = tokens.filter((t) => MECHANISM_NAMES.includes(t));
  const named = tokens.filter((t) => allCells.some((c) => c.name === t));
  const matrix = tokens.includes('matrix');
  const wantCells =
    matrix || ws.length > 0 || named.length > 0 || (ms.length > 0 && !tokens.includes('variants'));
  selectedCells =
    !wantCells ?
      []
    : allCells.filter(
        (c) =>
          named.includes(c.name) ||
          (matrix && (!ms.length || ms.includes(c.mechanism))) ||
          ((ws.length || ms.length) &&
            (!ws.length || ws.includes(c.workload)) &&
            (!ms.length || ms.includes(c.mechanism))),
      );
  selectedVariants =
    tokens.includes('variants') ? allVariants.filter((v) => !ms.length || ms.includes(v.mechanism)) : [];
}
const strategyNames = values.strategies ? values.strategies.split(',') : MATRIX_STRATEGIES;
const badStrategy = strategyNames.filter((s) => !STRATEGY_NAMES.includes(s));
if (badStrategy.length) {
  console.error(`Unknown strategy ${badStrategy.join(', ')}; known: ${STRATEGY_NAMES.join(', ')}`);
  process.exit(2);
}

// The bounds must hold together: the greedy schedule agrees with the simulator's idealSchedule
// where that applies, and no closed form exceeds it.
for (const c of [...selectedCells, ...selectedVariants]) {
  const b = c.bound(1000);
  if (
    b.idealCheckSimMs !== undefined &&
    Math.abs(b.idealCheckSimMs - b.simMs) > Math.max(1, b.simMs * 0.002)
  ) {
    console.error(`Bound mismatch in ${c.name}: greedy ${b.simMs} ms, idealSchedule ${b.idealCheckSimMs} ms`);
    process.exit(1);
  }
  if (b.closedSimMs > b.simMs * 1.002 + 1) {
    console.error(`Bound inconsistency in ${c.name}: closed form ${b.closedSimMs} ms above T* ${b.simMs} ms`);
    process.exit(1);
  }
}

const started = performance.now();
const results = []; // { cell, strategy, rep, metrics, evidence? }
const kept = {}; // raw runs kept for the plot
const loadNow = () => os.loadavg()[0];
console.log(
  `${selectedCells.length} cells × ${strategyNames.length} strategies × ${reps} repetitions` +
    `${selectedVariants.length ? ` + ${selectedVariants.length} variants × ${variantReps}` : ''}${quick ? ' (quick)' : ''}; load ${loadNow().toFixed(2)}`,
);

async function one(cell, strategy, rep, variant) {
  const t = performance.now();
  const run = await runOnce(cell, strategy, rep);
  const metrics = runMetrics(run, cell);
  const load = loadNow();
  const entry = { cell: cell.name, strategy, rep, seed: run.seed, variant, load, metrics };
  if (strategy === 'gateway') entry.evidence = gatewayEvidence(run);
  results.push(entry);
  if (rep === 0 && cell.name === 'burst/windows' && (strategy === 'gateway' || strategy === 'sdk-plimit'))
    kept[strategy] = run;
  const m = metrics;
  console.log(
    `  rep ${rep} ${cell.name.padEnd(30)} ${strategy.padEnd(12)} ` +
      `ok ${(m.success * 100).toFixed(1).padStart(5)}%  ${(m.makespanMs / 1000).toFixed(2).padStart(6)} s ` +
      `(${m.ratio.toFixed(2)}× T*)  att ${m.attemptsPerCall.toFixed(3)}  429/1k ${m.r429.toFixed(0)}  RA ${m.raViolations}/${m.accelViolations}` +
      `  [${((performance.now() - t) / 1000).toFixed(1)} s, load ${load.toFixed(2)}]`,
  );
}

for (let rep = firstRep; rep < reps; rep++)
  for (const cell of selectedCells)
    for (const strategy of strategyNames) await one(cell, strategy, rep, false);
const matrixMs = performance.now() - started;
for (let rep = 0; rep < variantReps; rep++)
  for (const cell of selectedVariants)
    for (const strategy of strategyNames) await one(cell, strategy, rep, true);
const variantsMs = performance.now() - started - matrixMs;

// The overhead and scale sections run unless left out; with --only, when named.
const onlyTokens = values.only ? values.only.split(',').map((t) => t.trim()) : undefined;
const section = (name) => (onlyTokens ? onlyTokens.includes(name) : !values[`no-${name}`] && !values.merge);

let overhead;
if (section('overhead')) {
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

let scale;
if (section('scale')) {
  console.log('Scale: 10,000 and 100,000 calls queued at once, gateway vs SDK behind pLimit');
  const child = spawnSync(
    process.execPath,
    ['--expose-gc', join(BENCH, 'scale.mjs'), '--json', ...(quick ? ['--quick'] : [])],
    { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 },
  );
  if (child.status !== 0) {
    console.error('bench/scale.mjs failed');
    process.exit(1);
  }
  scale = JSON.parse(child.stdout.trim().split('\n').pop());
}

let totalMs = performance.now() - started;
let args = process.argv.slice(2).join(' ');
let mergedResults = results;
let mergedCells = selectedCells;
let mergedVariants = selectedVariants;
let matrixTotalMs = matrixMs;
let variantsTotalMs = variantsMs;
let mergedReps = reps;
let mergedVariantReps = variantReps;
const notes = [];
if (values.merge) {
  const { readFileSync } = await import('node:fs');
  const prev = JSON.parse(readFileSync(join(BENCH, 'results.json'), 'utf8'));
  if (Boolean(prev.quick) !== quick || (prev.timeScale ?? null) !== (timeScale ?? null)) {
    console.error('--merge: bench/results.json was made with other --quick / --time-scale settings');
    process.exit(2);
  }
  const key = (r) => `${r.cell}\u0000${r.strategy}\u0000${r.rep}`;
  const replaced = new Set(results.map(key));
  mergedResults = [...prev.results.filter((r) => !replaced.has(key(r))), ...results];
  const present = new Set(mergedResults.map((r) => r.cell));
  mergedCells = allCells.filter((c) => present.has(c.name));
  mergedVariants = allVariants.filter((c) => present.has(c.name));
  const rerunMs = totalMs;
  matrixTotalMs = prev.matrixMs ?? matrixTotalMs;
  variantsTotalMs = prev.variantsMs ?? variantsTotalMs;
  totalMs = prev.totalMs ?? totalMs;
  mergedReps = Math.max(reps, prev.reps ?? reps);
  // The variants' repetitions are those kept: a run without variants leaves them as they were.
  mergedVariantReps =
    results.some((r) => r.variant) ?
      Math.max(variantReps, prev.variantReps ?? 0)
    : (prev.variantReps ?? variantReps);
  if (!overhead && prev.overhead) overhead = prev.overhead;
  if (!scale && prev.scale) scale = prev.scale;
  const rerun = [...new Set(results.map((r) => r.cell))];
  const load =
    results.length ?
      `, load ${Math.min(...results.map((r) => r.load)).toFixed(2)}–${Math.max(...results.map((r) => r.load)).toFixed(2)}`
    : '';
  // What this run measured again: matrix runs, and the overhead and scale sections when they ran.
  const parts = [
    ...(rerun.length ? [`${rerun.map((c) => `\`${c}\``).join(', ')} (${results.length} runs replaced)`] : []),
    ...(section('overhead') ? ['the overhead section'] : []),
    ...(section('scale') ? ['the scale section'] : []),
  ];
  notes.push(
    ...(prev.notes ?? []),
    `Re-run and merged (\`npm run bench -- ${args}\`, ${(rerunMs / 60_000).toFixed(1)} min${load}): ${parts.join('; ')}.`,
  );
  args = prev.args;
  if (prev.revision !== revision)
    notes.push(`The merged runs measured ${revision}; the others ${prev.revision}.`);
}
const burstCell = allCells.find((c) => c.name === 'burst/windows');
const plotFile =
  kept.gateway && kept['sdk-plimit'] ? writePlot(join(BENCH, 'throughput-burst.svg'), kept, burstCell)
  : values.merge && mergedCells.some((c) => c.name === 'burst/windows') ? 'throughput-burst.svg'
  : undefined;
const context = {
  quick,
  timeScale,
  reps: mergedReps,
  variantReps: mergedVariantReps,
  args,
  revision,
  totalMs,
  matrixMs: matrixTotalMs,
  variantsMs: variantsTotalMs,
  cells: mergedCells,
  variants: mergedVariants,
  strategies: values.merge ? [...new Set(mergedResults.map((r) => r.strategy))] : strategyNames,
  results: mergedResults,
  overhead,
  scale,
  plotFile,
  notes,
};
writeFileSync(
  join(BENCH, 'results.json'),
  JSON.stringify(
    {
      ...context,
      cells: mergedCells.map((c) => ({ name: c.name, bound: c.bound(1000) })),
      variants: mergedVariants.map((c) => ({ name: c.name, bound: c.bound(1000) })),
    },
    (key, value) => (key === 'curve' ? undefined : value),
    1,
  ) + '\n',
);
writeReport(join(BENCH, 'RESULTS.md'), context);
console.log(
  `Wrote bench/RESULTS.md, bench/results.json${plotFile ? ', bench/throughput-burst.svg' : ''} in ${(totalMs / 1000).toFixed(0)} s`,
);
