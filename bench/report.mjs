// Writes bench/RESULTS.md from the results of a run (run.mjs): machine and versions, one table
// per scenario (medians over repetitions), the gateway's ratios against each baseline (medians
// of per-repetition ratios), the targets met or missed, the bound derivations, the overhead, the
// plot, and a closing note with the evidence behind each missed target.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, RECOVERY_SHARE, RECOVERY_WINDOW_MS } from './metrics.mjs';
import { runTimeoutMs } from './harness.mjs';
import { strategies } from './strategies.mjs';

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

const TARGET = { success: 1, burstRatio: 1.1, ratio: 1.25, attempts: 1.05, violations: 0, cpu: 1.05 };

const s = (ms, digits = 2) =>
  ms === null || ms === undefined || Number.isNaN(ms) ? '—' : `${(ms / 1000).toFixed(digits)} s`;
const msf = (ms) =>
  ms === null || ms === undefined || Number.isNaN(ms) ? '—'
  : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s`
  : `${Math.round(ms)} ms`;
const pct = (x) => `${(x * 100).toFixed(x === 1 ? 0 : 1)}%`;
const num = (x, d = 2) =>
  x === null || x === undefined || Number.isNaN(x) ? '—'
  : Number.isFinite(x) ? x.toFixed(d)
  : '∞';
const ratio = (x) => (x === null || x === undefined || Number.isNaN(x) ? '—' : `${x.toFixed(2)}×`);

function group(results, scenario, strategy) {
  return results.filter((r) => r.scenario === scenario && r.strategy === strategy);
}

/** Median over repetitions of one metric (null recovery = never: kept as null unless all have it). */
function med(runs, key) {
  const values = runs.map((r) => r.metrics[key]);
  if (key === 'recoveryMs' && values.some((v) => v === null)) {
    const known = values.filter((v) => v !== null);
    return known.length > values.length / 2 ? median(known) : null;
  }
  return median(values);
}

/** Median over repetitions of gateway/baseline for one metric, both from the same repetition. */
function pairedRatio(results, scenario, baseline, key) {
  const out = [];
  for (const g of group(results, scenario, 'gateway')) {
    const b = results.find((r) => r.scenario === scenario && r.strategy === baseline && r.rep === g.rep);
    if (b && b.metrics[key] > 0) out.push(g.metrics[key] / b.metrics[key]);
  }
  return median(out);
}

function scenarioSection(ctx, scenario, lines, checks) {
  const { results, strategies: names } = ctx;
  const bound = scenario.bound(scenario.arrivals(1000));
  lines.push(`### ${scenario.title} (\`${scenario.name}\`)`, '');
  lines.push(scenario.description, '');
  lines.push(
    `**Lower bound** T* = **${s(bound.ms, 3)}**${scenario.arrivals(1000) ? ' (repetition 0; each repetition has its own arrivals and bound)' : ''}. Derivation:`,
    '',
  );
  for (const d of bound.derivation) lines.push(`- ${d}`);
  lines.push(
    `- Cross-check: the fluid simulation of the best client (bench/bound.mjs) gives ${s(bound.ideal.boundMs, 3)}.`,
    '',
  );
  lines.push(
    `Per-run deadline: ${s(runTimeoutMs(bound.ms), 1)} (3 × T* + 10 s); calls still pending then are aborted and count as failures.`,
    '',
  );
  const hasRecovery = Boolean(scenario.outage);
  const head = [
    'Strategy',
    'Success',
    'Makespan',
    '× bound',
    'Attempts / call',
    '429s / 1k ok',
    '529s / 1k ok',
    'Sent before known retry-after',
    'p50',
    'p99',
  ];
  if (hasRecovery) head.push('Recovery');
  lines.push(`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i ? '---:' : '---')).join('|')}|`);
  for (const name of names) {
    const runs = group(results, scenario.name, name);
    if (!runs.length) continue;
    const row = [
      name === 'gateway' ? '**gateway**' : name,
      pct(med(runs, 'success')),
      s(med(runs, 'makespanMs')),
      ratio(med(runs, 'ratio')),
      num(med(runs, 'attemptsPerRequest'), 3),
      num(med(runs, 'r429'), 1),
      num(med(runs, 'r529'), 1),
      num(med(runs, 'raViolations'), 0),
      msf(med(runs, 'p50')),
      msf(med(runs, 'p99')),
    ];
    if (hasRecovery) row.push(med(runs, 'recoveryMs') === null ? 'never' : msf(med(runs, 'recoveryMs')));
    lines.push(`| ${row.join(' | ')} |`);
  }
  lines.push('');
  const baselines = names.filter((n) => n !== 'gateway');
  if (names.includes('gateway') && baselines.length) {
    lines.push(
      'Gateway ÷ baseline, same repetition (median over repetitions; below 1 is better for the gateway, success is the difference in points):',
      '',
    );
    lines.push(
      '| Baseline | Makespan | p50 | p99 | Attempts / call | Success |',
      '|---|---:|---:|---:|---:|---:|',
    );
    for (const b of baselines) {
      const diff = median(
        group(results, scenario.name, 'gateway').map((g) => {
          const base = results.find(
            (r) => r.scenario === scenario.name && r.strategy === b && r.rep === g.rep,
          );
          return base ? (g.metrics.success - base.metrics.success) * 100 : NaN;
        }),
      );
      lines.push(
        `| ${b} | ${ratio(pairedRatio(results, scenario.name, b, 'makespanMs'))} | ${ratio(pairedRatio(results, scenario.name, b, 'p50'))} | ${ratio(pairedRatio(results, scenario.name, b, 'p99'))} | ${ratio(pairedRatio(results, scenario.name, b, 'attemptsPerRequest'))} | ${diff >= 0 ? '+' : ''}${num(diff, 1)} pt |`,
      );
    }
    lines.push('');
  }
  const failures = {};
  for (const r of results.filter((x) => x.scenario === scenario.name)) {
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

  // Targets for the gateway in this scenario.
  const g = group(results, scenario.name, 'gateway');
  if (!g.length) return;
  const minSuccess = Math.min(...g.map((r) => r.metrics.success));
  checks.push({
    target: '100% success (every repetition)',
    scenario: scenario.name,
    measured: pct(minSuccess),
    met: minSuccess >= TARGET.success,
    miss:
      minSuccess < 1 ?
        `${((1 - minSuccess) * scenario.n).toFixed(0)} of ${scenario.n} calls failed in the worst repetition`
      : '',
  });
  const limit = scenario.name === 'burst' ? TARGET.burstRatio : TARGET.ratio;
  const r = med(g, 'ratio');
  checks.push({
    target: 'makespan ≤ 1.10 × T* (burst), 1.25 × T* (others); median',
    scenario: scenario.name,
    measured: ratio(r),
    met: r <= limit,
    miss:
      r > limit ?
        `${((r / limit - 1) * 100).toFixed(0)}% over the ${limit.toFixed(2)}× target (${s(med(g, 'makespanMs'))} against T* = ${s(bound.ms)})`
      : '',
  });
  if (!scenario.outage) {
    const a = med(g, 'attemptsPerRequest');
    checks.push({
      target: `≤ ${TARGET.attempts} attempts per call (median)`,
      scenario: scenario.name,
      measured: num(a, 3),
      met: a <= TARGET.attempts,
      miss: a > TARGET.attempts ? `${num(a - TARGET.attempts, 3)} over` : '',
    });
  }
  const v = Math.max(...g.map((x) => x.metrics.raViolations));
  checks.push({
    target: '0 attempts before a known retry-after (every repetition)',
    scenario: scenario.name,
    measured: String(v),
    met: v === 0,
    miss: v ? `${v} in the worst repetition` : '',
  });
}

function evidenceText(ctx, scenarioName) {
  const g = group(ctx.results, scenarioName, 'gateway').filter((r) => r.evidence);
  if (!g.length) return '';
  const e = (k) => median(g.map((r) => r.evidence[k] ?? NaN));
  const reach = g.map((r) => r.evidence.reachNeededMs);
  const reachText =
    reach.every((x) => x === null) ? 'never reached it' : (
      `first reached it at ${s(median(reach.filter((x) => x !== null)), 1)}`
    );
  const m = (k) => median(g.map((r) => r.metrics[k]));
  return (
    `While calls were waiting its concurrency limit averaged ${num(e('meanLimit'), 1)} (max ${num(e('maxLimit'), 0)}) against r·S = ${num(e('neededConcurrency'), 0)} needed to run at the rate limit; it ${reachText}` +
    `${Number.isNaN(e('meanInFlight')) ? '' : `; HTTP attempts actually in flight averaged ${num(e('meanInFlight'), 1)} (slots taken but not sending are waiting for a hold or for pacing)`}. ` +
    `A retry-after held every attempt for ${pct(e('heldShare'))} of that time; calls queued behind a full limit with no hold for ${pct(e('limitBoundShare'))}. ` +
    (e('heldShare') > 0.1 ?
      'Each hold lasts the whole `retry-after`, which comes in whole seconds (at least 1 s) however short the real wait, so one 429 costs up to a second of capacity. '
    : '') +
    `It met ${num(e('ramp429'), 0)} acceleration-limit 429s and ${num(e('rate429'), 0)} rate-limit 429s${Number.isNaN(e('last429Ms')) ? '' : ` (the last at ${s(e('last429Ms'), 1)})`}, ${num(m('r529'), 1)} 529s per 1k successes, and cut its limit ${num(e('cuts'), 0)} times (medians over repetitions).`
  );
}

export function writeReport(file, ctx) {
  const { quick, reps, args, totalMs, scenarios, results, overhead, plotFile } = ctx;
  const lines = [];
  const cpu = os.cpus();
  lines.push('# Benchmark results', '');
  lines.push(
    `Generated by \`npm run bench${args ? ` -- ${args}` : ''}\` (bench/run.mjs) on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC in ${(totalMs / 60_000).toFixed(1)} min. Regenerate with \`npm run bench\`; do not edit by hand. See [README.md](README.md) in this folder for what is measured and how.`,
    '',
  );
  if (quick)
    lines.push(
      '> **Quick run** (`--quick`): one repetition and fewer calls per scenario. A smoke test, not results.',
      '',
    );
  lines.push('## Machine and versions', '');
  lines.push(
    `- CPU: ${cpu[0]?.model ?? 'unknown'}, ${cpu.length} cores; memory ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; ${os.type()} ${os.release()}`,
  );
  lines.push(
    `- Node ${process.version}; @anthropic-ai/sdk ${pkgVersion('@anthropic-ai/sdk')}; claude-otel-gateway ${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version} (${ctx.revision ?? sourceRevision()}, as built at the start of the run); p-limit ${pkgVersion('p-limit')}; p-retry ${pkgVersion('p-retry')}; @opentelemetry/sdk-trace ${pkgVersion('@opentelemetry/sdk-trace')}`,
  );
  lines.push(
    `- ${reps} repetition${reps > 1 ? 's' : ''} (repetition i uses simulator seed 1000 + i for every strategy); tables show medians over repetitions; gateway ÷ baseline ratios are medians of per-repetition ratios, each measured side by side in the same repetition with the same seed.`,
  );
  lines.push(
    '- The simulator runs in a child process (its own core); the client under test runs in the bench process. Both on 127.0.0.1.',
    '',
  );

  lines.push('## Strategies', '');
  for (const name of ctx.strategies) lines.push(`- **${name}**: ${strategies[name].summary}.`);
  lines.push('');

  // Per-scenario sections first (they fill `checks`), then the summary is put before them.
  const body = [];
  const checks = [];
  for (const sc of scenarios) scenarioSection(ctx, sc, body, checks);

  if (overhead) {
    const c = overhead.cpu;
    checks.push({
      target: `≤ +${((TARGET.cpu - 1) * 100).toFixed(0)}% CPU per call vs the bare SDK`,
      scenario: 'overhead',
      measured: `${c.ratio >= 1 ? '+' : ''}${((c.ratio - 1) * 100).toFixed(1)}%`,
      met: c.ratio <= TARGET.cpu,
      miss:
        c.ratio > TARGET.cpu ?
          `${((c.ratio - TARGET.cpu) * 100).toFixed(1)} points over (${num(c.gatewayUs - c.bareUs, 0)} µs more per call)`
        : '',
    });
  }

  lines.push('## Summary', '');
  lines.push(
    'Makespan as a multiple of the lower bound T*, and the share of calls that succeeded (medians over repetitions).',
    '',
  );
  const names = ctx.strategies;
  lines.push(
    `| Scenario | T* | ${names.map((n) => (n === 'gateway' ? '**gateway**' : n)).join(' | ')} |`,
    `|---|---:|${names.map(() => '---:').join('|')}|`,
  );
  for (const sc of scenarios) {
    const cells = names.map((n) => {
      const runs = group(results, sc.name, n);
      return runs.length ? `${ratio(med(runs, 'ratio'))}, ${pct(med(runs, 'success'))}` : '—';
    });
    lines.push(`| ${sc.name} | ${s(sc.bound(sc.arrivals(1000)).ms)} | ${cells.join(' | ')} |`);
  }
  lines.push('');

  lines.push('## Targets (gateway at default settings)', '');
  const cols = scenarios.map((sc) => sc.name);
  const targets = [...new Set(checks.filter((c) => c.scenario !== 'overhead').map((c) => c.target))];
  lines.push(`| Target | ${cols.join(' | ')} |`, `|---|${cols.map(() => ':---:').join('|')}|`);
  for (const t of targets) {
    const cells = cols.map((name) => {
      const c = checks.find((x) => x.target === t && x.scenario === name);
      return (
        c ?
          c.met ?
            `${c.measured} ✓`
          : `**${c.measured} ✗**`
        : '—'
      );
    });
    lines.push(`| ${t} | ${cells.join(' | ')} |`);
  }
  lines.push('');
  const cpuCheck = checks.find((c) => c.scenario === 'overhead');
  if (cpuCheck)
    lines.push(
      `CPU per call against the bare SDK (target ${cpuCheck.target.replace(' CPU per call vs the bare SDK', '')}): ${cpuCheck.met ? `${cpuCheck.measured} ✓` : `**${cpuCheck.measured} ✗**`}.`,
      '',
    );
  lines.push(
    `Met: ${checks.filter((c) => c.met).length} of ${checks.length} checks. ✓ met, ✗ missed (see the closing note).`,
    '',
  );

  lines.push('## Scenarios', '');
  lines.push(...body);

  lines.push('## Overhead', '');
  if (overhead) {
    const c = overhead.cpu;
    const mem = overhead.memory;
    lines.push(
      `CPU time of the client process (\`process.cpuUsage()\`, user + system) per call, fault-free simulator with no latency, ${c.inFlight} calls in flight, batches of ${c.callsPerBatch} calls; both with an OpenTelemetry TracerProvider (BatchSpanProcessor → InMemorySpanExporter, flushed inside the measured window) and the AsyncLocalStorage context manager. Batches interleaved bare/gateway, ${c.pairs} pairs after a warm-up pair; medians.`,
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
    lines.push(
      `Memory: ${mem.queued.toLocaleString('en-US')} calls queued behind a concurrency limit of 1 (the one call in flight takes 10 minutes); heap used after two forced GCs, before and after queueing, ÷ ${mem.queued.toLocaleString('en-US')}:`,
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
    lines.push(
      'The gateway queues inside the SDK middleware, so a queued call already holds its built request (headers, body, abort signals) and its spans; a call waiting in p-limit holds only a closure.',
      '',
    );
  } else {
    lines.push('Not measured in this run (`--no-overhead`).', '');
  }

  lines.push('## Throughput plot', '');
  if (plotFile)
    lines.push(
      `![Successes per second and concurrency limit over time, gateway vs SDK + p-limit, burst scenario](${plotFile})`,
      '',
    );
  else lines.push('Not drawn in this run (it needs the burst scenario with the gateway and sdk-plimit).', '');

  lines.push('## Definitions', '');
  lines.push(
    '- **Success**: calls that resolved (a stream read to `message_stop`) ÷ calls.',
    '- **Makespan**: from the first call (open loop: the first arrival) to the last call settled, success or failure; **× bound** divides it by T*.',
    '- **Attempts / call**: HTTP attempts sent by the client (counted by `createFetchAudit()`) ÷ calls.',
    '- **429s, 529s per 1k ok**: 429 responses and `overloaded_error`s (HTTP 529 and mid-stream `event: error`) sent by the simulator, per 1,000 successful calls.',
    '- **Sent before known retry-after**: attempts the client sent for an API key and model while a `retry-after` it had already received for them was still running (`createFetchAudit()` from `claude-otel-gateway/sim` audit, wrapped around fetch for every strategy).',
    '- **p50, p99**: latency of successful calls, from the call (arrival) to its completion, queueing included.',
    `- **Recovery** (overload storm): with R_pre the successes per second in the ${RECOVERY_WINDOW_MS / 1000} s before the overload window starts, the smallest d ≥ 0 (10 ms steps) such that successes in [end + d, end + d + ${RECOVERY_WINDOW_MS / 1000} s) reach ${RECOVERY_SHARE * 100}% of R_pre per second; "never" when that does not happen before the last call settles.`,
    "- **Lower bound T***: the earliest time any client could finish, from the simulator's limits (refill rate, bucket, acceleration windows, overload windows and fault rates, limit changes) and the service time S; derived in each scenario above and in bench/bound.mjs.",
    '',
  );

  lines.push('## Closing note', '');
  const missed = checks.filter((c) => !c.met);
  if (!missed.length) {
    lines.push('Every target was met.', '');
  } else {
    lines.push(`${missed.length} of ${checks.length} target checks were missed:`, '');
    const byScenario = new Map();
    for (const c of missed) byScenario.set(c.scenario, [...(byScenario.get(c.scenario) ?? []), c]);
    for (const [name, list] of byScenario) {
      lines.push(`- **${name}**: ${list.map((c) => `${c.target}: ${c.measured}, ${c.miss}`).join('; ')}.`);
      if (name === 'overhead' && overhead) {
        const c = overhead.cpu;
        lines.push(
          `  The gateway records ${num(c.spansPerCall.gateway - c.spansPerCall.bare, 2)} more spans per call than the SDK alone (an attempt span per HTTP attempt, queue and backoff spans when it waits)${c.noTracing ? `; without a TracerProvider the ratio is ${ratio(c.noTracing.ratio)}, so tracing accounts for ${num(Math.max(0, c.gatewayUs - c.bareUs - (c.noTracing.gatewayUs - c.noTracing.bareUs)), 0)} of the ${num(c.gatewayUs - c.bareUs, 0)} µs` : ''}.`,
        );
      } else {
        const text = evidenceText(ctx, name);
        if (text) lines.push(`  ${text}`);
      }
    }
    lines.push('');
  }
  writeFileSync(file, lines.join('\n'));
}
