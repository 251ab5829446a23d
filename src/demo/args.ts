/**
 * The demo's command line: `npm start -- [options]`. Pure: argv and the environment in, options or
 * a {@link DemoUsageError} out.
 * @module
 */
import { parseArgs } from 'node:util';
import { DEFAULT_MODELS, scenarioNames, scenarios, type ScenarioName } from '../sim/index.js';

export interface DemoOptions {
  /** Calls in the burst. */
  readonly calls: number;
  /** Simulator scenario; `undefined` with `--real`. */
  readonly scenario: ScenarioName | undefined;
  /** Share of the calls made with `messages.stream()`, in [0, 1]. */
  readonly streamShare: number;
  /** Call the real Claude API (needs `ANTHROPIC_API_KEY`). */
  readonly real: boolean;
  readonly model: string;
  /**
   * Processes the burst is split across (`--workers`), each with its own gateway, all on one
   * simulator organization; they share their limits when `CLAUDE_GATEWAY_REDIS_URL` is set.
   * Undefined: one process.
   */
  readonly workers?: number;
}

export type ParsedArgs = { readonly help: true } | ({ readonly help: false } & DemoOptions);

/** Bad arguments: printed with a pointer to `--help`, exit code 2. */
export class DemoUsageError extends Error {
  override readonly name = 'DemoUsageError';
}

/** Sized so the `demo` scenario's 600 RPM bucket makes the run last about 30 to 60 s. */
export const DEFAULT_CALLS = 360;
/** Against the real API the burst is small by default: it costs tokens. */
export const DEFAULT_REAL_CALLS = 20;
export const MAX_CALLS = 100_000;
export const DEFAULT_SCENARIO: ScenarioName = 'demo';
export const DEFAULT_STREAM_SHARE = 0.4;
/** A model id both the simulator and the real API know. */
export const DEFAULT_MODEL = 'claude-sonnet-5';
export const MAX_WORKERS = 16;

const OPTIONS = {
  calls: { type: 'string' },
  scenario: { type: 'string' },
  'stream-share': { type: 'string' },
  real: { type: 'boolean' },
  model: { type: 'string' },
  workers: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const USAGE = [
  'Usage: npm start -- [options]      (or: node dist/demo/main.js [options])',
  '',
  'Sends a burst of Claude API calls through the gateway and shows the retries it survives. By',
  'default the calls go to the bundled API simulator, on a fault scenario; no API key is needed.',
  '',
  'Options:',
  `  --calls <n>            calls in the burst, 1 to ${MAX_CALLS} (default ${DEFAULT_CALLS}; ${DEFAULT_REAL_CALLS} with --real)`,
  `  --scenario <name>      simulator scenario (default ${DEFAULT_SCENARIO}); see below`,
  `  --stream-share <p>     share of the calls made as streams, 0 to 1 (default ${DEFAULT_STREAM_SHARE})`,
  `  --model <id>           model to call (default ${DEFAULT_MODEL})`,
  '  --real                 call the real Claude API instead (needs ANTHROPIC_API_KEY; costs tokens)',
  `  --workers <n>          split the burst across n processes, 1 to ${MAX_WORKERS}, each with its own gateway,`,
  '                         on one simulator organization; they share their limits through Redis when',
  '                         CLAUDE_GATEWAY_REDIS_URL is set (`docker compose up -d` starts one), else each learns alone',
  '  -h, --help             show this help',
  '',
  'Telemetry: spans and metrics go over OTLP to $OTEL_EXPORTER_OTLP_ENDPOINT (default',
  'http://localhost:4318) when a collector answers there; `docker compose up -d` starts one with Jaeger.',
  'Gateway settings come from the CLAUDE_GATEWAY_* variables, as in any app.',
  '',
  'Scenarios:',
  ...scenarioNames.map((name) => `  ${name.padEnd(14)} ${scenarios[name].description}`),
].join('\n');

function parseNumber(flag: string, text: string, min: number, max: number, integer: boolean): number {
  const pattern = integer ? /^\d+$/ : /^(\d+\.?\d*|\.\d+)$/;
  const value = Number(text.trim());
  if (!pattern.test(text.trim()) || value < min || value > max) {
    const what = integer ? 'an integer' : 'a number';
    throw new DemoUsageError(
      `--${flag}: expected ${what} from ${min} to ${max}, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

/**
 * Parses the demo's arguments. `env` is read only for `ANTHROPIC_API_KEY`, which `--real` needs.
 * @throws {DemoUsageError} naming the flag and what it accepts.
 */
export function parseDemoArgs(argv: readonly string[], env: Record<string, string | undefined>): ParsedArgs {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: false, strict: true }));
  } catch (error) {
    throw new DemoUsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return { help: true };
  const real = values.real === true;
  if (real && !env.ANTHROPIC_API_KEY?.trim()) {
    throw new DemoUsageError('--real calls the real Claude API and needs ANTHROPIC_API_KEY; it is not set.');
  }
  if (real && values.scenario !== undefined) {
    throw new DemoUsageError('--scenario picks a simulator scenario; it cannot be combined with --real.');
  }
  let scenario: ScenarioName | undefined;
  if (!real) {
    const name = values.scenario ?? DEFAULT_SCENARIO;
    if (!(scenarioNames as string[]).includes(name)) {
      throw new DemoUsageError(
        `--scenario: expected one of ${scenarioNames.join(', ')}, got ${JSON.stringify(name)}`,
      );
    }
    scenario = name as ScenarioName;
  }
  const model = values.model?.trim() ?? DEFAULT_MODEL;
  if (model === '') throw new DemoUsageError('--model: expected a model id, got ""');
  if (!real && !DEFAULT_MODELS.includes(model)) {
    throw new DemoUsageError(
      `--model: the simulator knows ${DEFAULT_MODELS.join(', ')}; got ${JSON.stringify(model)}`,
    );
  }
  if (real && values.workers !== undefined) {
    throw new DemoUsageError(
      '--workers splits the burst over the simulator; it cannot be combined with --real.',
    );
  }
  return {
    help: false,
    ...(values.workers === undefined ?
      {}
    : { workers: parseNumber('workers', values.workers, 1, MAX_WORKERS, true) }),
    calls:
      values.calls === undefined ?
        real ? DEFAULT_REAL_CALLS
        : DEFAULT_CALLS
      : parseNumber('calls', values.calls, 1, MAX_CALLS, true),
    scenario,
    streamShare:
      values['stream-share'] === undefined ?
        DEFAULT_STREAM_SHARE
      : parseNumber('stream-share', values['stream-share'], 0, 1, false),
    real,
    model,
  };
}
