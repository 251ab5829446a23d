/**
 * Runs an example of `examples/` as a user would (`node [--import claude-otel-gateway/register]
 * examples/<guide>/<file>.ts`, the package resolved by its name from `dist/`) against the
 * simulator, with its spans exported over OTLP to a receiver here, and reports what it got: the
 * example's own summary, the attempts and refusals the simulator saw, and the gateway's spans.
 */
import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { otlpAttr, otlpReceiver, type OtlpSpan } from '../otlp.js';
import { sim } from '../helpers.js';
import type { SimulatorOptions, SimulatorStats } from '../../src/sim/index.js';
import { cloudProxy } from './cloud-proxy.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SECRET = 'sk-example-secret-key';

/** What an example prints: one JSON line. */
export interface ExampleSummary {
  example: string;
  calls: number;
  ok: number;
  failed: number;
}

export interface ExampleRun {
  readonly summary: ExampleSummary;
  readonly stats: SimulatorStats;
  readonly spans: OtlpSpan[];
  /** Spans of the logical calls the gateway ran (they carry `claude_gateway.attempts`). */
  readonly callSpans: OtlpSpan[];
  /** The gateway's attempt spans (`POST /v1/messages`). */
  readonly attemptSpans: OtlpSpan[];
  readonly attemptsPerCall: number;
  readonly refusals: number;
  readonly stderr: string;
  /** One line for the log: what the example got. */
  readonly line: string;
}

export interface RunOptions {
  /** Under `node --import claude-otel-gateway/register` (the app has no gateway code). */
  readonly register?: boolean;
  /** The simulator's options; default the `burst` scenario. */
  readonly sim?: SimulatorOptions;
  /** The example's calls. */
  readonly calls: number;
  /** More environment (e.g. `CLAUDE_GATEWAY_MAX_RETRIES`). */
  readonly env?: Record<string, string>;
  /** The base URL the example gets is the simulator's with this suffix (the Vercel AI SDK wants `/v1`). */
  readonly baseUrlSuffix?: string;
}

/** The environment a cloud example needs: the stand-in as its endpoint, fake credentials. */
function cloudEnv(url: string): Record<string, string> {
  return {
    ANTHROPIC_BEDROCK_BASE_URL: url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    ANTHROPIC_VERTEX_BASE_URL: `${url}/v1`,
    CLOUD_ML_REGION: 'us-east5',
    ANTHROPIC_VERTEX_PROJECT_ID: 'sim-project',
    // Application Default Credentials from a metadata server (the stand-in answers as one).
    GCE_METADATA_HOST: url.replace('http://', ''),
    METADATA_SERVER_DETECTION: 'assume-present',
  };
}

/** Node runs `.ts` as is from 22.18 (and 23.6); from 22.15, the lowest the package supports, with
 * this flag, as the README says. */
const STRIP_TYPES =
  process.features.typescript ? [] : ['--experimental-strip-types', '--disable-warning=ExperimentalWarning'];

function spawnExample(file: string, register: boolean, env: Record<string, string>) {
  const args = [
    ...STRIP_TYPES,
    ...(register ? ['--import', 'claude-otel-gateway/register'] : []),
    `examples/${file}`,
  ];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err += c));
  return new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, out, err })),
  );
}

/** Runs `examples/<file>` against a fresh simulator and returns what it got. */
export async function runExample(file: string, options: RunOptions): Promise<ExampleRun> {
  const s = await sim({
    scenario: 'burst',
    retryAfterMs: false,
    latency: { ttftMs: 20, msPerToken: 1 },
    ...options.sim,
  });
  const cloud = await cloudProxy(s.url);
  const otlp = await otlpReceiver();
  const result = await spawnExample(file, options.register ?? false, {
    ANTHROPIC_API_KEY: SECRET,
    ANTHROPIC_BASE_URL: `${s.url}${options.baseUrlSuffix ?? ''}`,
    ...cloudEnv(cloud.url),
    OTEL_SERVICE_NAME: `example-${file}`,
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
    CALLS: String(options.calls),
    ...options.env,
  });
  if (result.code !== 0)
    throw new Error(`examples/${file} exited with ${result.code}:\n${result.err}${result.out}`);
  const summary = JSON.parse(result.out.trim().split('\n').at(-1)!) as ExampleSummary;
  const stats = s.stats();
  const callSpans = otlp.spans.filter((x) => otlpAttr(x, 'claude_gateway.attempts') !== undefined);
  const attemptSpans = otlp.spans.filter((x) => x.name === 'POST /v1/messages');
  const refusals = Object.values(stats.refusals).reduce((n, k) => n + k, 0);
  const attemptsPerCall = stats.attempts / summary.calls;
  const mode = options.register ? 'register' : 'explicit';
  const line =
    `${file} (${mode}): ${summary.ok}/${summary.calls} ok, ${stats.attempts} attempts ` +
    `(${attemptsPerCall.toFixed(2)}/call), ${refusals} refusals ${JSON.stringify(stats.refusals)}, ` +
    `byStatus ${JSON.stringify(stats.byStatus)}, spans: ${callSpans.length} calls + ${attemptSpans.length} attempts`;
  console.log(line);
  return {
    summary,
    stats,
    spans: otlp.spans,
    callSpans,
    attemptSpans,
    attemptsPerCall,
    refusals,
    stderr: result.err,
    line,
  };
}

/** The calls of the burst each example makes, all at once, against the `burst` scenario. */
export const BURST_CALLS = 100;
/**
 * The gateway's `maxRetries` in the stacking runs, and the examples' own where they set one (the
 * client's `maxRetries` becomes the gateway's for its calls): 4 attempts per call either way.
 */
const STACK_MAX_RETRIES = 3;

export interface ExampleCase {
  /** `examples/<file>`. */
  readonly file: string;
  readonly register?: boolean;
  readonly baseUrlSuffix?: string;
}

/**
 * The two runs each guide's example must pass: a cold burst (all succeed, no attempt wasted but the
 * acceleration limit's refusals while the gateway finds it from cold, every call and attempt
 * traced) and an always-529 API (at most maxRetries + 1 attempts per call: no framework, SDK or
 * gateway retries on top of another).
 *
 * The refusals are a fixed cost, not a share: against the burst scenario's acceleration limit (a
 * floor of 5 per 1 s window) the gateway, which assumes no mechanism, is refused a fixed number of
 * times while it learns the limit from cold, however many calls follow: 3–11 on an idle machine,
 * 9–21 (12 runs of the cloud examples) with both cores busy, as under the whole suite, where a
 * starved event loop bunches attempts into one window (Vertex 40–86 before the gateway counted
 * attempts in flight from when they reach the wire, not from when its middleware hands them on:
 * under load its first OAuth token took 2 s, and the limit grew meanwhile). The bound leaves room
 * for that load and still fails a gateway that spends a share of the calls on refusals.
 */
const MOST_REFUSALS = 45;
export function exampleTests(c: ExampleCase): void {
  const mode = c.register ? 'under register (no code change)' : 'the explicit way';
  it(`${c.file} ${mode}: a cold burst of ${BURST_CALLS} calls all succeed, no attempt wasted but ≤ ${MOST_REFUSALS} acceleration refusals, with the gateway's spans`, async () => {
    const run = await runExample(c.file, { ...c, calls: BURST_CALLS });
    expect(run.summary).toMatchObject({ calls: BURST_CALLS, ok: BURST_CALLS, failed: 0 });
    expect(run.stats.attempts - run.refusals).toBe(BURST_CALLS);
    expect(Object.keys(run.stats.refusals).every((reason) => reason.startsWith('ramp:'))).toBe(true);
    expect(run.refusals).toBeLessThanOrEqual(MOST_REFUSALS);
    expect(run.callSpans).toHaveLength(BURST_CALLS);
    expect(run.attemptSpans).toHaveLength(run.stats.attempts);
    expect(JSON.stringify(run.spans)).not.toContain(SECRET);
    expect(run.stderr).not.toContain('claude-otel-gateway');
  }, 90_000);
  it(`${c.file} ${mode}: against an always-529 API, maxRetries + 1 attempts per call and no more`, async () => {
    const run = await runExample(c.file, {
      ...c,
      calls: 2,
      sim: { scenario: 'none', overloadRate: 1 },
      env: {
        CLAUDE_GATEWAY_MAX_RETRIES: String(STACK_MAX_RETRIES),
        CLAUDE_GATEWAY_BASE_DELAY_MS: '10',
        CLAUDE_GATEWAY_MAX_DELAY_MS: '40',
      },
    });
    expect(run.summary).toMatchObject({ ok: 0, failed: 2 });
    expect(run.stats.attempts).toBe(2 * (STACK_MAX_RETRIES + 1));
    expect(run.callSpans).toHaveLength(2);
  }, 60_000);
}
