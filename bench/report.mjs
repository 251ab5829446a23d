// Writes bench/RESULTS.md from the results of a run (run.mjs): machine and versions, the
// "Done when" table of issue 13 per cell, the matrix (gateway against the best baseline), one
// section per workload with every strategy's metrics and the derivation of T*, the variants, the
// overhead, the plot, and a closing note with the evidence behind each miss.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './metrics.mjs';
import { runTimeoutMs } from './harness.mjs';
import { BASELINES, strategies } from './strategies.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(ROOT, 'package.json'));

function pkgVersion(name) {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    try {
      return require(`${name}/package.json`).version;
    } catch {
      return 'unknown';
    }
  }
}

/**
 * The code measured: the commit, and whether src/ differed from it (with a hash of src/'s content,
 * so two runs can be told apart). Taken by run.mjs right after the build.
 */
export function sourceRevision() {
  // A copy of the tree outside git (e.g. `git archive HEAD`) says what it is through the environment.
  if (process.env.BENCH_REVISION) return process.env.BENCH_REVISION;
  const git = (...args) =>
    execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  let rev = 'unknown';
  let changed = [];
  try {
    rev = git('rev-parse', '--short', 'HEAD');
    changed = git('status', '--porcelain', '--', 'src').split('\n').filter(Boolean);
  } catch {
    return rev;
  }
  if (!changed.length) return rev;
  const hash = createHash('sha256');
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else hash.update(path.slice(ROOT.length)).update(readFileSync(path));
    }
  };
  walk(join(ROOT, 'src'));
  return `${rev} + uncommitted changes to ${changed.length} file${changed.length > 1 ? 's' : ''} in src/ (content hash ${hash.digest('hex').slice(0, 10)})`;
}

/** Issue 13's "Done when", per cell. */
/** The scale section (bench/scale.mjs): heap per queued call, peak RSS, dispatch rate, CPU per call. */
function scaleSection(scale, lines) {
  const kib = (b) => `${(b / 1024).toFixed(2)} KiB`;
  const mib = (b) => `${(b / 2 ** 20).toFixed(0)} MiB`;
  const repOf = (r) => r.rep ?? 0;
  const reps = new Set(scale.dispatch.map(repOf)).size;
  lines.push(
    `Calls queued at once against a fault-free simulator in a child process (latency 0): the gateway (fixed concurrency, no tracer provider) against the SDK behind \`pLimit\` with the same number of calls in flight. Each figure from a fresh process. Heap per queued call: 8 in flight, the calls never answered, heap used after forced GCs over a baseline ÷ the calls. Dispatch rate and CPU per call: 16 in flight, every call answered at once, over the 20,000 calls completed after the first 2,000 (a queue of 100,000 is still 78,000 deep at the end); "100 queued" keeps the queue at 100 (a producer tops it up). ${reps} repetition${reps > 1 ? 's' : ''} of the dispatch runs, each the reference then every depth, for each side in turn: rates, CPU and peak RSS are medians, and "vs 100 queued" is the median of each run's rate over the reference of its own repetition (one run's rate moves by ±15% on this machine).`,
    '',
  );
  lines.push(
    '| Queued | Strategy | Heap per queued call | RSS (queued) | Dispatch rate | vs 100 queued | CPU per call | Peak RSS (dispatch) |',
    '|---:|---|---:|---:|---:|---:|---:|---:|',
  );
  const label = { bare: 'SDK + pLimit', gateway: 'gateway' };
  const refOf = (mode, rep) => scale.reference.find((r) => r.mode === mode && repOf(r) === rep);
  const modes = [...new Set(scale.reference.map((r) => r.mode))];
  /** Medians over the repetitions of `runs` (one mode and depth), and the per-repetition ratios to the reference. */
  const summary = (runs) => ({
    rate: median(runs.map((r) => r.rate)),
    cpuUs: median(runs.map((r) => r.cpuUs)),
    maxRssBytes: median(runs.map((r) => r.maxRssBytes)),
    ratios: runs.map((r) => r.rate / (refOf(r.mode, repOf(r))?.rate ?? NaN)),
  });
  for (const mode of modes) {
    const r = summary(scale.reference.filter((x) => x.mode === mode));
    lines.push(
      `| 100 | ${label[mode]} | — | — | ${r.rate.toFixed(0)}/s | 1.00 | ${r.cpuUs.toFixed(0)} µs | ${mib(r.maxRssBytes)} |`,
    );
  }
  const depths = [...new Set(scale.dispatch.map((d) => d.n))].sort((a, b) => a - b);
  const rows = new Map();
  for (const n of depths)
    for (const mode of modes) {
      const runs = scale.dispatch.filter((d) => d.mode === mode && d.n === n);
      if (runs.length === 0) continue;
      const d = summary(runs);
      rows.set(`${mode}:${n}`, d);
      const m = scale.memory.find((x) => x.mode === mode && x.n === n);
      lines.push(
        `| ${n.toLocaleString('en-US')} | ${label[mode]} | ${m ? kib(m.bytesPerCall) : '—'} | ${m ? mib(m.rssBytes) : '—'} | ${d.rate.toFixed(0)}/s | ${median(d.ratios).toFixed(2)} | ${d.cpuUs.toFixed(0)} µs | ${mib(d.maxRssBytes)} |`,
      );
    }
  lines.push('');
  const deepest = depths[depths.length - 1];
  const gw = rows.get(`gateway:${deepest}`);
  const gm = scale.memory.find((d) => d.mode === 'gateway' && d.n === deepest);
  const bare = rows.get(`bare:${deepest}`);
  if (gw && gm && bare) {
    const rateRatio = median(gw.ratios);
    lines.push(
      `Targets (issue 16) at ${deepest.toLocaleString('en-US')} queued: heap per queued call ≤ 2 KiB: ${kib(gm.bytesPerCall)} ${gm.bytesPerCall <= 2048 ? '✓' : '**✗**'}; dispatch rate within 10% of 100 queued: ${rateRatio.toFixed(2)} ${rateRatio >= 0.9 ? '✓' : '**✗**'} (per repetition: ${gw.ratios.map((x) => x.toFixed(2)).join(', ')}; the SDK behind pLimit: ${bare.ratios.map((x) => x.toFixed(2)).join(', ')}). CPU per call against the SDK behind pLimit at the same depth: ${(gw.cpuUs / bare.cpuUs).toFixed(2)}× (no tracer provider; see the overhead section for the interleaved measurement).`,
      '',
    );
  }
}

export const TARGET = {
  success: 1,
  ratio: 1.15,
  outageRatio: 1.3,
  vsBaseline: 1.05,
  attempts: 1.05,
  outageAttempts: 1.2,
  violations: 0,
  /** Issue 16: CPU per call ÷ the bare SDK's, with a tracer provider and without one. */
  cpu: 1.1,
  cpuNoTracing: 1.03,
};

const s = (ms, digits = 2) =>
  ms === null || ms === undefined || Number.isNaN(ms) ? '—' : `${(ms / 1000).toFixed(digits)} s`;
const msf = (ms) =>
  ms === null || ms === undefined || Number.isNaN(ms) ? '—'
  : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s`
  : `${Math.round(ms)} ms`;
const pct = (x) =>
  x === null || x === undefined || Number.isNaN(x) ? '—' : `${(x * 100).toFixed(x === 1 ? 0 : 1)}%`;
const num = (x, d = 2) =>
  x === null || x === undefined || Number.isNaN(x) ? '—'
  : Number.isFinite(x) ? x.toFixed(d)
  : '∞';
const ratio = (x) => (x === null || x === undefined || Number.isNaN(x) ? '—' : `${x.toFixed(2)}×`);
const short = { 'sdk-plimit': 'p16', 'sdk-plimit64': 'p64', 'sdk-default': 'sdk', naive: 'naive' };

function group(results, cell, strategy) {
  return results.filter((r) => r.cell === cell && r.strategy === strategy);
}

function med(runs, key) {
  return median(runs.map((r) => r.metrics[key]));
}

/**
 * The best baseline of one repetition: of pLimit(16) / pLimit(64) (whichever ran), those that
 * completed every call, the one with the shorter makespan.
 */
function bestBaseline(results, cell, rep) {
  const candidates = results.filter(
    (r) => r.cell === cell && r.rep === rep && BASELINES.includes(r.strategy) && r.metrics.success === 1,
  );
  if (!candidates.length) return undefined;
  return candidates.reduce((a, b) => (b.metrics.makespanMs < a.metrics.makespanMs ? b : a));
}

/** Per cell: the gateway's numbers, the best baseline's, and the Done-when checks. */
export function cellSummary(results, cell) {
  const g = group(results, cell.name, 'gateway');
  if (!g.length) return undefined;
  const reps = g.map((r) => r.rep);
  const vs = [];
  const vsAdjusted = [];
  const bests = [];
  for (const run of g) {
    const b = bestBaseline(results, cell.name, run.rep);
    bests.push(b);
    if (b) {
      vs.push(run.metrics.makespanMs / b.metrics.makespanMs);
      vsAdjusted.push(run.metrics.ratio / b.metrics.ratio);
    }
  }
  // The best baseline shown: the one that was best in most repetitions.
  const counts = {};
  for (const b of bests) if (b) counts[b.strategy] = (counts[b.strategy] ?? 0) + 1;
  const bestName = Object.entries(counts).sort((a, b) => b[1] - a[1])[0]?.[0];
  const bestRuns = bestName ? group(results, cell.name, bestName) : [];
  const outage = Boolean(cell.outage);
  const minSuccess = Math.min(...g.map((r) => r.metrics.success));
  const r = med(g, 'ratio');
  const v = vs.length ? median(vs) : undefined;
  const a = med(g, 'attemptsPerCall');
  const viol = Math.max(...g.map((x) => x.metrics.raViolations));
  const ratioTarget = outage ? TARGET.outageRatio : TARGET.ratio;
  const attemptsTarget = outage ? TARGET.outageAttempts : TARGET.attempts;
  const checks = {
    success: { met: minSuccess >= TARGET.success, value: minSuccess },
    ratio: { met: r <= ratioTarget, value: r, target: ratioTarget },
    vsBaseline: { met: v === undefined || v <= TARGET.vsBaseline, value: v, target: TARGET.vsBaseline },
    attempts: { met: a <= attemptsTarget, value: a, target: attemptsTarget },
    violations: { met: viol === 0, value: viol },
  };
  return {
    cell,
    reps,
    g,
    bestName,
    bestRuns,
    vs: v,
    vsAdjusted: vsAdjusted.length ? median(vsAdjusted) : undefined,
    checks,
    met: Object.values(checks).every((c) => c.met),
  };
}

const mark = (c, text) => (c.met ? `${text} ✓` : `**${text} ✗**`);

function doneWhenRow(sum) {
  const c = sum.checks;
  return [
    `\`${sum.cell.name}\``,
    mark(c.success, pct(c.success.value)),
    mark(c.ratio, ratio(c.ratio.value)),
    c.vsBaseline.value === undefined ?
      '— (no baseline completed)'
    : mark(c.vsBaseline, ratio(c.vsBaseline.value)),
    mark(c.attempts, num(c.attempts.value, 3)),
    mark(c.violations, String(c.violations.value)),
    sum.met ? '**pass**' : '**FAIL**',
  ];
}

function strategyTable(ctx, cell, lines) {
  const head = [
    'Strategy',
    'Success',
    'Makespan',
    '÷ T* (run)',
    '÷ T* (cell)',
    'Attempts / call',
    '429s / 1k',
    'of which ramp',
    '529s / 1k',
    'Into rate-limit retry-after',
    'Into ramp retry-after',
    'p50',
    'p99',
  ];
  lines.push(`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i ? '---:' : '---')).join('|')}|`);
  for (const name of ctx.strategies) {
    const runs = group(ctx.results, cell.name, name);
    if (!runs.length) continue;
    lines.push(
      `| ${name === 'gateway' ? '**gateway**' : name} | ${pct(Math.min(...runs.map((r) => r.metrics.success)))} | ${s(med(runs, 'makespanMs'))} | ${ratio(med(runs, 'ratio'))} | ${ratio(med(runs, 'cellRatio'))} | ${num(med(runs, 'attemptsPerCall'), 3)} | ${num(med(runs, 'r429'), 1)} | ${num(med(runs, 'rampPer1k'), 1)} | ${num(med(runs, 'r529'), 1)} | ${num(med(runs, 'raViolations'), 0)} | ${num(med(runs, 'accelViolations'), 0)} | ${msf(med(runs, 'p50'))} | ${msf(med(runs, 'p99'))} |`,
    );
  }
  lines.push('');
  const failures = {};
  for (const r of ctx.results.filter((x) => x.cell === cell.name)) {
    for (const [kind, count] of Object.entries(r.metrics.errors)) {
      failures[r.strategy] ??= {};
      failures[r.strategy][kind] = (failures[r.strategy][kind] ?? 0) + count;
    }
  }
  const failText = Object.entries(failures).map(
    ([st, kinds]) =>
      `${st}: ${Object.entries(kinds)
        .map(([k, c]) => `${c} × ${k === 'bench-timeout' ? 'pending at the deadline' : k}`)
        .join(', ')}`,
  );
  if (failText.length)
    lines.push(`Failed calls over all repetitions, by final error: ${failText.join('; ')}.`, '');
}

function evidenceText(sum) {
  const g = sum.g.filter((r) => r.evidence);
  if (!g.length) return '';
  const e = (k) => median(g.map((r) => r.evidence[k] ?? NaN));
  const refusals = {};
  for (const r of g)
    for (const [k, v] of Object.entries(r.evidence.refusals ?? {}))
      refusals[k] = (refusals[k] ?? 0) + v / g.length;
  const refusalText = Object.entries(refusals)
    .map(([k, v]) => `${k} ${v.toFixed(1)}`)
    .join(', ');
  return (
    `While calls waited, its concurrency limit averaged ${num(e('meanLimit'), 1)} (max ${num(e('maxLimit'), 0)}) and HTTP attempts in flight ${num(e('meanInFlight'), 1)}; ` +
    `a hold was on for ${pct(e('heldShare'))} of that time, the acceleration gate closed for ${pct(e('gateClosedShare'))}, calls queued behind a full limit for ${pct(e('limitBoundShare'))}. ` +
    `Refusals per run (mean): ${refusalText || 'none'}${Number.isNaN(e('last429Ms')) ? '' : `, the last 429 at ${s(e('last429Ms'), 1)}`}; the limit was cut ${num(e('cuts'), 0)} times (medians over repetitions).`
  );
}

export function writeReport(file, ctx) {
  const { quick, reps, args, totalMs, results, overhead, plotFile } = ctx;
  const lines = [];
  const cpu = os.cpus();
  const loads = results.map((r) => r.load).filter((x) => x !== undefined);
  lines.push('# Benchmark results', '');
  lines.push(
    `Generated by \`npm run bench${args ? ` -- ${args}` : ''}\` (bench/run.mjs) on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC in ${(totalMs / 60_000).toFixed(1)} min (matrix ${(ctx.matrixMs / 60_000).toFixed(1)} min, variants ${(ctx.variantsMs / 60_000).toFixed(1)} min, overhead and report the rest). Regenerate with \`npm run bench\`; do not edit by hand. See [README.md](README.md) in this folder for what is measured and how.`,
    '',
  );
  if (quick)
    lines.push(
      '> **Quick run** (`--quick`): one repetition and fewer calls per workload. A smoke test, not results.',
      '',
    );
  lines.push('## Machine and versions', '');
  lines.push(
    `- CPU: ${cpu[0]?.model ?? 'unknown'}, ${cpu.length} cores; memory ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; ${os.type()} ${os.release()}`,
  );
  lines.push(
    `- Node ${process.version}; @anthropic-ai/sdk ${pkgVersion('@anthropic-ai/sdk')}; claude-otel-gateway ${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version} (${ctx.revision ?? sourceRevision()}, as built into bench/.dist at the start of the run); p-limit ${pkgVersion('p-limit')}; p-retry ${pkgVersion('p-retry')}`,
  );
  if (loads.length)
    lines.push(
      `- Load average (1 min) after each run: median ${num(median(loads), 2)}, max ${num(Math.max(...loads), 2)} (2 cores: the bench itself keeps about 1–2 busy).`,
    );
  lines.push(
    `- ${reps} repetition${reps > 1 ? 's' : ''} of the matrix (repetition i uses simulator seed 1000 + i for every strategy), ${ctx.variantReps} of the variants; tables show medians over repetitions; gateway ÷ baseline ratios are medians of per-repetition ratios, measured side by side in the same repetition with the same seed.`,
  );
  lines.push(
    '- The simulator runs in a child process (its own core); the client under test runs in the bench process. Both on 127.0.0.1.',
    '',
  );

  lines.push('## Strategies', '');
  for (const name of ctx.strategies) lines.push(`- **${name}**: ${strategies[name].summary}.`);
  lines.push(
    '',
    '`sdk-default` (2 retries, no limit) and `naive` (p-retry ignoring `retry-after`) stay available (`--strategies`) but are left out of the matrix to fit the time budget; earlier results showed them losing calls or time in every cell with limits.',
    '',
  );

  const summaries = ctx.cells.map((c) => cellSummary(results, c)).filter(Boolean);

  // ---- Done when --------------------------------------------------------------------------------
  lines.push('## Done when (issue 13), per cell', '');
  lines.push(
    `Gateway at default settings, medians over ${reps} repetition${reps > 1 ? 's' : ''}: 100% success in every repetition; makespan ≤ ${TARGET.ratio} × T* (≤ ${TARGET.outageRatio} in the outage cells) and ≤ ${TARGET.vsBaseline} × the better of SDK + pLimit(16) / pLimit(64) that completed every call in the same repetition; ≤ ${TARGET.attempts} attempts per call (≤ ${TARGET.outageAttempts} in the outage cells); 0 attempts sent into a known rate-limit \`retry-after\` (every repetition). "÷ T*" divides by the run's own T* (the ideal client given the outputs that run drew; see "The lower bound").`,
    '',
  );
  if (summaries.length) {
    const head = [
      'Cell',
      'Success',
      '÷ T*',
      '÷ best baseline',
      'Attempts / call',
      'Into rate-limit retry-after',
      'Verdict',
    ];
    lines.push(
      `| ${head.join(' | ')} |`,
      `|---|${head
        .slice(1)
        .map(() => ':---:')
        .join('|')}|`,
    );
    for (const sum of summaries) lines.push(`| ${doneWhenRow(sum).join(' | ')} |`);
    lines.push('');
    const passed = summaries.filter((x) => x.met).length;
    lines.push(`**${passed} of ${summaries.length} cells pass.**`, '');

    // ---- the matrix at a glance ------------------------------------------------------------------
    lines.push('## The matrix', '');
    lines.push(
      'Makespan ÷ T*, attempts per call and success (worst repetition) of the gateway and of the best baseline (the one best in most repetitions: p16 = SDK + pLimit(16), p64 = SDK + pLimit(64)); gateway ÷ best is the median of per-repetition makespan ratios ("luck-adjusted": of the ÷ T* ratios, which take out the outputs each run drew).',
      '',
    );
    lines.push(
      '| Cell | T* | gateway ÷ T* | attempts | success | best baseline | ÷ T* | attempts | success | gateway ÷ best | luck-adjusted |',
      '|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|',
    );
    for (const sum of summaries) {
      const b = sum.bestRuns;
      lines.push(
        `| \`${sum.cell.name}\` | ${s(sum.cell.bound(1000).ms)} | ${ratio(med(sum.g, 'ratio'))} | ${num(med(sum.g, 'attemptsPerCall'), 3)} | ${pct(Math.min(...sum.g.map((r) => r.metrics.success)))} | ${sum.bestName ? short[sum.bestName] : 'none completed'} | ${b.length ? ratio(med(b, 'ratio')) : '—'} | ${b.length ? num(med(b, 'attemptsPerCall'), 3) : '—'} | ${b.length ? pct(Math.min(...b.map((r) => r.metrics.success))) : '—'} | ${ratio(sum.vs)} | ${ratio(sum.vsAdjusted)} |`,
      );
    }
    lines.push('');
  }

  // ---- variants ---------------------------------------------------------------------------------
  if (ctx.variants.length) {
    const burst = ctx.variants.find((c) => !c.outage);
    const outages = ctx.variants.some((c) => c.outage);
    const parts = [
      burst && 'each mechanism at half and double its parameters (cold burst)',
      outages && 'the outage at other shapes',
    ].filter(Boolean);
    lines.push(`## Variants: ${parts.join(', and ')}`, '');
    const burstText =
      burst ?
        `The cold burst (${burst.n} calls at once, 50 ms each, 200 requests/s, bucket 40) against each mechanism with one parameter halved or doubled (windows: \`windowMs\` 500/2000, \`floor\` 10/40, \`factor\` 1.5/3 — the growth factor − 1 halved and doubled, since a factor of 1 would not grow at all; inflight: \`initial\` 2/8, \`factorPerSec\` √2/4; rate: \`initial\` 10/40, \`growthPerSec\` 20/80). `
      : '';
    const outageText =
      outages ?
        ` The \`none\` rows are the 529 outage (its workload, no acceleration limit) at half and double its length and with 50% and 100% of the attempts admitted in it failed: the outage handling should not fit one outage either. Their targets are the outage cells' (≤ ${TARGET.outageRatio} × T*, ≤ ${TARGET.outageAttempts} attempts per call).`
      : '';
    lines.push(
      `${burstText}${ctx.variantReps} repetition${ctx.variantReps > 1 ? 's' : ''}. The gateway's settings are its defaults throughout: a controller that learned no constant of the default mechanism should stay as close to T* here as in the matrix.${outageText}`,
      '',
    );
    const vsum = ctx.variants.map((c) => cellSummary(results, c)).filter(Boolean);
    lines.push(
      '| Variant | T* | gateway ÷ T* | attempts | success | p16 ÷ T* | p16 success | p64 ÷ T* | p64 success | gateway ÷ best | passes the cell targets |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|',
    );
    for (const sum of vsum) {
      const p16 = group(results, sum.cell.name, 'sdk-plimit');
      const p64 = group(results, sum.cell.name, 'sdk-plimit64');
      lines.push(
        `| \`${sum.cell.mechanism} ${sum.cell.variant}\` | ${s(sum.cell.bound(1000).ms)} | ${ratio(med(sum.g, 'ratio'))} | ${num(med(sum.g, 'attemptsPerCall'), 3)} | ${pct(Math.min(...sum.g.map((r) => r.metrics.success)))} | ${p16.length ? ratio(med(p16, 'ratio')) : '—'} | ${p16.length ? pct(Math.min(...p16.map((r) => r.metrics.success))) : '—'} | ${p64.length ? ratio(med(p64, 'ratio')) : '—'} | ${p64.length ? pct(Math.min(...p64.map((r) => r.metrics.success))) : '—'} | ${ratio(sum.vs)} | ${
          sum.met ? '✓' : (
            `✗ (${Object.entries(sum.checks)
              .filter(([, c]) => !c.met)
              .map(([k]) => k)
              .join(', ')})`
          )
        } |`,
      );
    }
    lines.push('');
    for (const sum of vsum) {
      lines.push(
        `- \`${sum.cell.mechanism} ${sum.cell.variant}\`: ${sum.cell.bound(1000).derivation.join(' ')}`,
      );
    }
    lines.push('');
  }

  // ---- per workload -----------------------------------------------------------------------------
  if (ctx.cells.length) {
    lines.push('## Workloads', '');
    const byWorkload = new Map();
    for (const c of ctx.cells) byWorkload.set(c.workload, [...(byWorkload.get(c.workload) ?? []), c]);
    for (const [, list] of byWorkload) {
      const first = list[0];
      lines.push(`### ${first.title} (\`${first.workload}\`)`, '');
      lines.push(
        `${first.description}${first.timeScale > 1 ? ` Simulated time runs ${first.timeScale}× faster than real time (\`timeScale\` ${first.timeScale}, \`retry-after-ms\` on): makespans below are real seconds.` : ''}`,
        '',
      );
      for (const cell of list) {
        const b = cell.bound(1000);
        lines.push(`#### \`${cell.name}\` — acceleration ${JSON.stringify(cell.acceleration)}`, '');
        for (const d of b.derivation) lines.push(`- ${d}`);
        lines.push(
          `- Per-run deadline: ${s(runTimeoutMs(b.ms), 1)} (2.5 × T* + 5 s, real); calls still pending then are aborted and count as failures.`,
          '',
        );
        strategyTable(ctx, cell, lines);
      }
    }
  }

  // ---- overhead ---------------------------------------------------------------------------------
  lines.push('## Overhead', '');
  if (overhead) {
    const c = overhead.cpu;
    const mem = overhead.memory;
    lines.push(
      `CPU time of the client process (\`process.cpuUsage()\`, user + system) per call, fault-free simulator with no latency, ${c.inFlight} calls in flight, batches of ${c.callsPerBatch} calls; both with an OpenTelemetry TracerProvider (BatchSpanProcessor → InMemorySpanExporter, flushed inside the measured window) and the AsyncLocalStorage context manager. Batches interleaved in ${c.pairs} pairs whose order alternates (bare first, then gateway first, …) after ${c.warmUpPairs ?? 1} warm-up pair${(c.warmUpPairs ?? 1) === 1 ? '' : 's'}; medians.${c.ratioBareFirst !== undefined ? ` Ratio in the pairs run bare first ${c.ratioBareFirst.toFixed(3)}, gateway first ${c.ratioGatewayFirst.toFixed(3)}.` : ''}`,
      '',
    );
    lines.push('| | CPU per call | Spans per call | Wall time per batch |', '|---|---:|---:|---:|');
    lines.push(
      `| bare SDK | ${num(c.bareUs, 0)} µs | ${num(c.spansPerCall.bare, 2)} | ${msf(c.wallMsPerBatch.bare)} |`,
    );
    lines.push(
      `| gateway | ${num(c.gatewayUs, 0)} µs | ${num(c.spansPerCall.gateway, 2)} | ${msf(c.wallMsPerBatch.gateway)} |`,
    );
    lines.push(
      `| **gateway ÷ bare** | **${ratio(c.ratio)}** (per pair: ${c.ratios.map((x) => x.toFixed(3)).join(', ')}) | | |`,
    );
    if (c.noTracing) {
      lines.push(
        `| without a TracerProvider: gateway ÷ bare | ${ratio(c.noTracing.ratio)} (bare ${num(c.noTracing.bareUs, 0)} µs, gateway ${num(c.noTracing.gatewayUs, 0)} µs) | | |`,
      );
    }
    lines.push('');
    const verdict = (r, t) => (r <= t ? `${r.toFixed(2)}× ✓` : `**${r.toFixed(2)}× ✗**`);
    lines.push(
      `Targets (issue 16): with a tracer provider ≤ ${TARGET.cpu.toFixed(2)}× the bare SDK: ${verdict(c.ratio, TARGET.cpu)}; without one ≤ ${TARGET.cpuNoTracing.toFixed(2)}×: ${c.noTracing ? verdict(c.noTracing.ratio, TARGET.cpuNoTracing) : 'not measured'}. Where the time goes, by component: [PROFILE.md](PROFILE.md).`,
      '',
    );
    lines.push(
      `Memory, with the tracer provider on: ${mem.queued.toLocaleString('en-US')} calls queued behind a concurrency limit of 1 (the one call in flight takes 10 minutes); heap used after two forced GCs, before and after queueing, ÷ ${mem.queued.toLocaleString('en-US')}. A call through the gateway queues after the SDK has started its own call span (the SDK's tracing opens it before the request is made): the difference from the scale section's figure without a tracer provider, below. The SDK behind pLimit(1) has not started its call at all. The scale section below measures without a tracer provider.`,
      '',
    );
    lines.push('| | Heap per queued call | Calls seen waiting |', '|---|---:|---:|');
    lines.push(
      `| gateway (\`concurrencyInitial\`/\`concurrencyMax\` 1) | ${(mem.gatewayBytes / 1024).toFixed(1)} KiB | ${mem.gatewayWaiting} |`,
    );
    lines.push(
      `| SDK behind pLimit(1), for context | ${(mem.plimitBytes / 1024).toFixed(1)} KiB | ${mem.plimitWaiting} |`,
    );
    lines.push('');
  } else {
    lines.push('Not measured in this run (`--no-overhead`).', '');
  }

  // ---- scale ------------------------------------------------------------------------------------
  lines.push('## Scale: a deep queue', '');
  if (ctx.scale) scaleSection(ctx.scale, lines);
  else lines.push('Not measured in this run (`--no-scale`).', '');

  // ---- many processes ---------------------------------------------------------------------------
  lines.push(
    '## Many processes, one organization',
    '',
    'In [MULTIPROCESS.md](MULTIPROCESS.md) (`npm run bench:multiprocess`: P = 1, 2, 4, 8 worker processes on one organization, alone and through Redis; Redis killed for 5 s; a worker killed while it holds slots).',
    '',
  );

  lines.push('## Throughput plot', '');
  if (plotFile)
    lines.push(
      `![Successes per second and concurrency limit over time, gateway vs SDK + pLimit(16), cell burst/windows](${plotFile})`,
      '',
    );
  else
    lines.push(
      'Not drawn in this run (it needs the cell burst/windows with the gateway and sdk-plimit).',
      '',
    );

  lines.push('## The lower bound', '');
  lines.push(
    "- **T\\*** is the makespan of an *ideal client*: it knows every limit exactly and sends each call, in call order, at the first instant the simulator's own limit code (`Limits` in src/sim/limits.ts: request bucket, input- and output-token buckets with `max_tokens` reserved and the unused part given back at the call's end, the acceleration mechanism) would admit it; each call then lasts its service time (time to first token + output tokens × time per token). `greedySchedule` in bench/bound.mjs computes it; it is the simulator's `idealSchedule` (src/sim/bounds.ts) extended to arrivals, per-call prompts and outputs, and overload windows, and the bench refuses to run unless the two agree where both apply (calls alike, all at once).",
    '- For token buckets and fixed windows, admitting earlier never lowers a later allowance, so T\\* is the least makespan any client can reach: a lower bound. For the `inflight` and `rate` mechanisms, T\\* is the schedule of an ideal client keeping the cap full, **not a proven bound**; each cell also gives a **closed-form** bound (proven, looser): the largest of the request bucket ((N − B)/r, or network calculus max_i(a_i + (N − i + 1 − B)⁺/r) for arrivals), the output-token budget (C + R·t_N ≥ Σ_{i<N} output_i + max_tokens), the input-token budget (C + R·t_N ≥ Σ input_i), the windows (`rampAdmissionBound`, and k\\*·W + (N − A − B)/r when the bucket takes over), `inflightMakespanBound` (∫₀ᵀ c(t) dt ≥ Σ S_i) and `rateMakespanBound`, plus the service time. The bench refuses to run if a closed form exceeds T\\*.',
    "- **Outputs are drawn** by the simulator (uniform below `max_tokens`, seeded, interleaved with its other draws in arrival order), so no bound can replay a run's exact outputs. The cell's T\\* is the mean over 9 output sequences from the same distribution (its range is given per cell); the **÷ T\\* (run)** ratio divides each run's makespan by the T\\* of the ideal client given *that run's* outputs, in the order the API admitted its calls: the luck of the draw (a long output among the last calls admitted can move the makespan by 10–20%) cancels out. **÷ T\\* (cell)** divides by the cell's mean.",
    '- **The outage** is taken in expectation: an attempt admitted in the window fails with probability p (its request token and acceleration admission spent); the ideal client counts 1 − p of a success per admission there and stops sending B/r before the window ends to carry a full bucket across it. An expected value, not a proof.',
    "- **Time scale.** Workloads with seconds-long calls run with the simulator's `timeScale` k = 10: every simulated duration ÷ 10 and every rate × 10 on the wire. T\\* is derived in simulated time and divided by k. The simulator then also sends `retry-after-ms` (the precise real wait) beside `retry-after`: whole real seconds would be 10 simulated seconds per refusal. The clients' own clocks are not scaled: the gateway's intervals (500 ms ramp interval, 100 ms probes, its ×3 per second gate growth) and the SDK's backoff (0.5 s doubling) are real time, so against a time-scaled API they are 10× slower relative to the calls and to the acceleration mechanisms than they would be against the real API with calls of the simulated length.",
    '',
  );

  lines.push('## Definitions', '');
  lines.push(
    '- **Success**: calls that resolved (a stream read to `message_stop`) ÷ calls; tables show the worst repetition.',
    '- **Makespan**: real time from the first call (open loop: the first arrival) to the last call settled, success or failure.',
    '- **Attempts / call**: HTTP attempts sent by the client (counted by `createFetchAudit()`) ÷ calls.',
    '- **429s, 529s per 1k**: 429 responses (and of them acceleration refusals, `ramp_limit_exceeded`) and `overloaded_error`s (HTTP 529 and mid-stream `event: error`) sent by the simulator, per 1,000 calls.',
    "- **Into rate-limit retry-after**: attempts the client sent for an organization and model while a rate-limit `retry-after` it had already received for them was still running (`createFetchAudit().violations()`); **into ramp retry-after**: the same for acceleration refusals' waits (`accelerationViolations()`), reported apart: the gateway by design holds only the refused call for those, not the organization.",
    '- **p50, p99**: latency of successful calls, from the call (arrival) to its completion, queueing included.',
    '',
  );

  // ---- closing note -----------------------------------------------------------------------------
  lines.push('## Closing note', '');
  const missed = summaries.filter((x) => !x.met);
  if (!summaries.length) lines.push('No matrix cells in this run.', '');
  else if (!missed.length) lines.push('Every cell of the matrix meets every target.', '');
  else {
    lines.push(`${missed.length} of ${summaries.length} cells miss at least one target:`, '');
    for (const sum of missed) {
      const c = sum.checks;
      const parts = [];
      if (!c.success.met)
        parts.push(
          `success ${pct(c.success.value)} in the worst repetition (${Math.round((1 - c.success.value) * sum.cell.n)} of ${sum.cell.n} calls failed)`,
        );
      if (!c.ratio.met)
        parts.push(
          `÷ T* ${ratio(c.ratio.value)}, ${((c.ratio.value / c.ratio.target - 1) * 100).toFixed(0)}% over ${c.ratio.target}`,
        );
      if (!c.vsBaseline.met)
        parts.push(
          `÷ best baseline ${ratio(c.vsBaseline.value)} (luck-adjusted ${ratio(sum.vsAdjusted)}), ${((c.vsBaseline.value / c.vsBaseline.target - 1) * 100).toFixed(0)}% over ${c.vsBaseline.target}`,
        );
      if (!c.attempts.met)
        parts.push(`${num(c.attempts.value, 3)} attempts per call (target ${c.attempts.target})`);
      if (!c.violations.met) parts.push(`${c.violations.value} attempts into a rate-limit retry-after`);
      lines.push(`- **\`${sum.cell.name}\`**: ${parts.join('; ')}.`);
      const text = evidenceText(sum);
      if (text) lines.push(`  ${text}`);
    }
    lines.push('');
  }
  if (overhead && overhead.cpu.ratio > TARGET.cpu)
    lines.push(
      `Overhead: +${((overhead.cpu.ratio - 1) * 100).toFixed(1)}% CPU per call against the bare SDK (target +${((TARGET.cpu - 1) * 100).toFixed(0)}%).`,
      '',
    );
  if (ctx.notes?.length) lines.push(...ctx.notes, '');
  writeFileSync(file, lines.join('\n'));
}
