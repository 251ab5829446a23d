/**
 * `npm start -- --workers N`: the burst split across N processes, each with its own gateway, on
 * one simulator organization. With CLAUDE_GATEWAY_REDIS_URL set they share one hold, one budget
 * and one concurrency limit through Redis; without it each learns alone, and together they send
 * N times what the organization allows. The summary shows the processes side by side.
 * @module
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config.js';
import { startSimulator, type SimulatorStats } from '../sim/index.js';
import type { LiveState, Observed } from './progress.js';
import { formatSeconds, percentile } from './progress.js';
import { countStreams, type RunResult, type RunSetup } from './run.js';

/** What the parent sends a worker. */
export interface WorkerTask {
  readonly simulatorUrl: string;
  readonly model: string;
  readonly streamShare: number;
  /** The burst's call numbers this worker makes. */
  readonly indices: readonly number[];
}

export interface WorkerSample {
  readonly type: 'sample';
  readonly done: number;
  readonly failed: number;
  readonly inFlight: number;
  readonly queued: number;
  readonly limit: number;
  readonly store: string;
  readonly processes: number;
}

export interface WorkerResult {
  readonly type: 'result';
  readonly ok: number;
  readonly failed: number;
  readonly aborted: number;
  readonly failures: Record<string, number>;
  readonly streamRestarts: number;
  readonly latenciesMs: number[];
  readonly makespanMs: number;
  readonly peakLimit: number;
  readonly store: string;
  readonly processes: number;
}

export type WorkerMessage = WorkerSample | WorkerResult;

/** One process's line of the summary. */
export interface ProcessRow {
  readonly index: number;
  readonly calls: number;
  readonly ok: number;
  readonly failed: number;
  readonly peakLimit: number;
  readonly store: string;
  readonly processes: number;
  readonly makespanMs: number;
  readonly p50Ms: number;
}

export type WorkersResult = RunResult & {
  readonly processes: readonly ProcessRow[];
  readonly shared: boolean;
};

const CHILD = fileURLToPath(new URL('./workers-child.js', import.meta.url));

function fromSimulator(s: SimulatorStats): Observed {
  return {
    attempts: s.attempts,
    status429: s.byStatus['429'] ?? 0,
    rampLimit: s.byErrorCode.ramp_limit_exceeded ?? 0,
    status529: s.byStatus['529'] ?? 0,
    midStream: s.streamErrors + s.streamCuts,
  };
}

/** A worker's result when it died without one. */
function lostWorker(calls: number, makespanMs: number): WorkerResult {
  return {
    type: 'result',
    ok: 0,
    failed: calls,
    aborted: 0,
    failures: { 'worker exited': calls },
    streamRestarts: 0,
    latenciesMs: [],
    makespanMs,
    peakLimit: 0,
    store: '?',
    processes: 0,
  };
}

/** A worker process on its share of the calls (every `workers`-th, from `w`). */
function startWorker(
  setup: RunSetup,
  simulatorUrl: string,
  w: number,
  workers: number,
  samples: Array<WorkerSample | undefined>,
  started: number,
): { child: ChildProcess; result: Promise<WorkerResult> } {
  const { options } = setup;
  const indices: number[] = [];
  for (let i = w; i < options.calls; i += workers) indices.push(i);
  const child = fork(CHILD, [], {
    env: setup.env as NodeJS.ProcessEnv,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const result = new Promise<WorkerResult>((resolve) => {
    let last: WorkerResult | undefined;
    child.on('message', (m: WorkerMessage) => {
      if (m.type === 'sample') samples[w] = m;
      else last = m;
    });
    child.once('exit', () => resolve(last ?? lostWorker(indices.length, performance.now() - started)));
  });
  const task: WorkerTask = { simulatorUrl, model: options.model, streamShare: options.streamShare, indices };
  child.send(task);
  return { child, result };
}

/** The live line over every worker's last sample. Shared: one limit; alone: their sum. */
function liveOf(
  samples: ReadonlyArray<WorkerSample | undefined>,
  shared: boolean,
  stats: SimulatorStats,
  total: number,
  elapsedMs: number,
): LiveState {
  const live = { elapsedMs, total, done: 0, failed: 0, inFlight: 0, queued: 0, limit: 0 };
  for (const s of samples) {
    if (!s) continue;
    live.done += s.done;
    live.failed += s.failed;
    live.inFlight += s.inFlight;
    live.queued += s.queued;
    live.limit = shared ? Math.max(live.limit, s.limit) : live.limit + s.limit;
  }
  return {
    ...live,
    retries: {},
    status429: stats.byStatus['429'] ?? 0,
    status529: stats.byStatus['529'] ?? 0,
  };
}

function summaryOf(
  setup: RunSetup,
  workers: number,
  done: readonly WorkerResult[],
  extra: { makespanMs: number; peakLimit: number; shared: boolean; simulator: Observed },
): WorkersResult {
  const { options } = setup;
  const failures: Record<string, number> = {};
  for (const d of done) for (const [k, v] of Object.entries(d.failures)) failures[k] = (failures[k] ?? 0) + v;
  const sum = (f: (d: WorkerResult) => number) => done.reduce((a, d) => a + f(d), 0);
  return {
    against: `simulator, scenario ${options.scenario}, ${workers} processes on one organization`,
    model: options.model,
    calls: options.calls,
    streams: countStreams(options.calls, options.streamShare),
    ok: sum((d) => d.ok),
    failed: sum((d) => d.failed),
    aborted: sum((d) => d.aborted),
    failures,
    streamRestarts: sum((d) => d.streamRestarts),
    latenciesMs: done.flatMap((d) => d.latenciesMs),
    retries: {},
    gateway: undefined,
    ...extra,
    processes: done.map((d, index) => ({
      index,
      calls: d.ok + d.failed + d.aborted,
      ok: d.ok,
      failed: d.failed,
      peakLimit: d.peakLimit,
      store: d.store,
      processes: d.processes,
      makespanMs: d.makespanMs,
      p50Ms: percentile(d.latenciesMs, 50),
    })),
  };
}

/** Runs the burst across `workers` processes. The simulator runs in this process. */
export async function runWorkers(setup: RunSetup, workers: number): Promise<WorkersResult> {
  const { options, signal } = setup;
  const sim = await startSimulator({ scenario: options.scenario });
  const shared = Boolean(setup.env.CLAUDE_GATEWAY_REDIS_URL?.trim());
  const children: ChildProcess[] = [];
  try {
    setup.onStart?.({ config: loadConfig({}, setup.env), simulatorUrl: sim.url });
    const samples: Array<WorkerSample | undefined> = [];
    const started = performance.now();
    const results: Array<Promise<WorkerResult>> = [];
    for (let w = 0; w < workers; w++) {
      const { child, result } = startWorker(setup, sim.url, w, workers, samples, started);
      children.push(child);
      results.push(result);
    }
    const onAbort = () => children.forEach((c) => c.connected && c.send({ type: 'abort' }));
    signal.addEventListener('abort', onAbort, { once: true });
    let peakLimit = 0;
    const live = () => {
      const l = liveOf(samples, shared, sim.stats(), options.calls, performance.now() - started);
      peakLimit = Math.max(peakLimit, l.limit);
      return l;
    };
    const sampler = setInterval(() => setup.onSample(live()), setup.sampleMs ?? 100);
    let done: WorkerResult[];
    try {
      done = await Promise.all(results);
    } finally {
      clearInterval(sampler);
      signal.removeEventListener('abort', onAbort);
    }
    const makespanMs = performance.now() - started;
    setup.onSample(live());
    return summaryOf(setup, workers, done, {
      makespanMs,
      peakLimit,
      shared,
      simulator: fromSimulator(sim.stats()),
    });
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill();
    await sim.close();
  }
}

/** The processes side by side, and what sharing (or its absence) did. */
export function renderProcesses(r: WorkersResult): string[] {
  const head = `  ${'process'.padEnd(9)}${'calls'.padStart(7)}${'ok'.padStart(7)}${'failed'.padStart(8)}${'peak limit'.padStart(12)}${'makespan'.padStart(10)}${'p50'.padStart(8)}  store`;
  const lines = ['', `The ${r.processes.length} processes side by side:`, head];
  for (const p of r.processes) {
    lines.push(
      `  ${`#${p.index + 1}`.padEnd(9)}${String(p.calls).padStart(7)}${String(p.ok).padStart(7)}${String(p.failed).padStart(8)}${String(p.peakLimit).padStart(12)}${formatSeconds(p.makespanMs).padStart(10)}${(Number.isNaN(p.p50Ms) ? 'n/a' : formatSeconds(p.p50Ms)).padStart(8)}  ${p.store}${p.processes > 1 ? ` (${p.processes} sharing)` : ''}`,
    );
  }
  const refusals = r.simulator?.status429 ?? 0;
  lines.push('');
  if (r.shared) {
    lines.push(
      `Shared through Redis (CLAUDE_GATEWAY_REDIS_URL): one hold, one budget and one concurrency limit for the organization; ${refusals} 429s in all.`,
      'Run it again without CLAUDE_GATEWAY_REDIS_URL to see the processes learn alone.',
    );
  } else {
    const sum = r.processes.reduce((a, p) => a + p.peakLimit, 0);
    lines.push(
      `Each process learned alone: together they allowed up to ${sum} calls in flight against one organization's limits, and met ${refusals} 429s.`,
      'Share them: `docker compose up -d redis` and run again with CLAUDE_GATEWAY_REDIS_URL=redis://localhost:6379 (README: "Many processes, one organization").',
    );
  }
  return lines;
}
