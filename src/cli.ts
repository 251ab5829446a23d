#!/usr/bin/env node
/**
 * `claude-otel-gateway <command> [options]`. Commands live in {@link commands}, a table of
 * name → {@link CliCommand}; add one by adding an entry.
 * @module
 */
import './node-version.js'; // oxlint-disable-line import/no-unassigned-import -- first: fails at once on Node.js < 22.15
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { scenarioNames, scenarios, SimulatorOptionsError, startSimulator } from './sim/index.js';
import type { ScenarioName, SimulatorOptions } from './sim/index.js';
import { demoCommand } from './demo/command.js';

/** Where a command writes and how it learns that it should stop. */
export interface CliIO {
  out(line: string): void;
  err(line: string): void;
  /** Calls `handler` once on SIGINT or SIGTERM (or whatever stands for them); returns an unsubscribe function. */
  onShutdown(handler: () => void): () => void;
}

/** A subcommand. */
export interface CliCommand {
  /** One line for the command list. */
  readonly summary: string;
  /** The usage text of `<command> --help`. */
  readonly usage: string;
  /** Runs the command; resolves to the exit code. Throw {@link UsageError} for bad arguments. */
  run(args: string[], io: CliIO): Promise<number>;
}

/** Bad command-line arguments: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

const SIM_FLAGS = {
  port: 'port',
  rpm: 'requestsPerMinute',
  burst: 'burst',
  'overload-rate': 'overloadRate',
  seed: 'seed',
} as const satisfies Record<string, keyof SimulatorOptions>;

const SIM_OPTIONS = {
  port: { type: 'string' },
  scenario: { type: 'string' },
  rpm: { type: 'string' },
  burst: { type: 'string' },
  'overload-rate': { type: 'string' },
  seed: { type: 'string' },
  'retry-after-ms': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const simCommand: CliCommand = {
  summary: 'Run the local Claude API simulator',
  usage: [
    'Usage: claude-otel-gateway sim [options]',
    '',
    'Options:',
    '  --port <n>            TCP port on 127.0.0.1 (default 0: a free port)',
    `  --scenario <name>     ${scenarioNames.join(', ')} (default none)`,
    '  --rpm <n>             requests per minute per API key and model',
    '  --burst <n>           request bucket capacity (default one second of --rpm)',
    '  --overload-rate <p>   probability in [0, 1] of 529 overloaded_error',
    '  --seed <n>            PRNG seed (default 1): same seed, same run',
    '  --retry-after-ms      also send retry-after-ms (a test aid, not sent by the real API)',
    '  -h, --help            show this help',
    '',
    'Scenarios:',
    ...scenarioNames.map((name) => `  ${name.padEnd(14)} ${scenarios[name].description}`),
  ].join('\n'),
  async run(args, io) {
    const { values } = asUsageError(() =>
      parseArgs({ args, options: SIM_OPTIONS, allowPositionals: false, strict: true }),
    );
    if (values.help) {
      io.out(this.usage);
      return 0;
    }
    const options: SimulatorOptions = {};
    const numeric = options as Record<string, unknown>;
    for (const [flag, option] of Object.entries(SIM_FLAGS)) {
      const text = values[flag as keyof typeof SIM_FLAGS];
      if (typeof text === 'string') numeric[option] = text.trim() === '' ? Number.NaN : Number(text);
    }
    if (typeof values.scenario === 'string') options.scenario = values.scenario as ScenarioName;
    if (values['retry-after-ms']) options.retryAfterMs = true;
    let sim;
    try {
      sim = await startSimulator(options);
    } catch (error) {
      if (error instanceof SimulatorOptionsError) {
        const flag =
          Object.entries(SIM_FLAGS).find(([, option]) => option === error.option)?.[0] ?? error.option;
        throw new UsageError(`--${flag}: expected ${error.expected}, got ${String(error.received)}`);
      }
      throw error;
    }
    const scenario = sim.config().scenario;
    // Listening for Ctrl+C before saying so: a signal sent on reading the line below would
    // otherwise find no handler yet and kill the process (seen once, on a loaded machine).
    const stopped = new Promise<void>((resolve) => io.onShutdown(resolve));
    io.out(`Claude API simulator listening on ${sim.url} (scenario ${scenario})`);
    io.out('Point the Anthropic SDK (or your app) at it:');
    io.out(`  ANTHROPIC_BASE_URL=${sim.url} ANTHROPIC_API_KEY=sk-sim-anything node your-app.js`);
    io.out('Press Ctrl+C to stop.');
    await stopped;
    const stats = sim.stats();
    await sim.close();
    const statuses = Object.entries(stats.byStatus)
      .map(([status, n]) => `${status}×${n}`)
      .join(', ');
    io.out(`Simulator stopped after ${stats.attempts} requests${statuses ? ` (${statuses})` : ''}.`);
    return 0;
  },
};

/** The command table. */
export const commands: Record<string, CliCommand> = {
  sim: simCommand,
  demo: demoCommand,
};

/** `fn()`, its errors (e.g. parseArgs's) turned into {@link UsageError}s. */
function asUsageError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function help(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [
    'Usage: claude-otel-gateway <command> [options]',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `claude-otel-gateway <command> --help` for its options.',
  ].join('\n');
}

/** The process's IO: stdout, stderr, SIGINT and SIGTERM. */
export function processIO(): CliIO {
  return {
    out: (line) => void process.stdout.write(`${line}\n`),
    err: (line) => void process.stderr.write(`${line}\n`),
    onShutdown(handler) {
      const once = () => {
        unsubscribe();
        handler();
      };
      const unsubscribe = () => {
        process.off('SIGINT', once);
        process.off('SIGTERM', once);
      };
      process.on('SIGINT', once);
      process.on('SIGTERM', once);
      return unsubscribe;
    },
  };
}

/** Runs the command named by `argv[0]`; resolves to the exit code. */
export async function main(argv: string[] = process.argv.slice(2), io: CliIO = processIO()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.out(help());
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    io.err(`Unknown command: ${name}\n\n${help()}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n\n${command.usage}`);
      return 2;
    }
    throw error;
  }
}

function isEntryPoint(): boolean {
  try {
    return realpathSync(process.argv[1] ?? '') === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

/**
 * Sets the process's exit code from a command's result (1 and the stack on a crash), without
 * `process.exit()`, so the process ends by itself once nothing is left to do.
 */
export function exitWhenSettled(run: Promise<number>): void {
  run.then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}

if (isEntryPoint()) exitWhenSettled(main());
