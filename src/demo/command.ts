/**
 * The demo as a command: arguments, telemetry, the burst with its live line, the summary. Shaped
 * as a {@link CliCommand} so the `claude-otel-gateway` CLI can offer it as `demo` too.
 * @module
 */
import type { CliCommand, CliIO } from '../cli.js';
import { GatewayConfigError } from '../errors.js';
import { scenarios } from '../sim/index.js';
import { DemoUsageError, parseDemoArgs, USAGE, type DemoOptions } from './args.js';
import { fit, renderLive, renderSummary, wrap, type LiveState } from './progress.js';
import { countStreams, runBurst, type RunResult } from './run.js';
import { startTelemetry, type Telemetry } from './telemetry.js';
import { renderProcesses, type WorkersResult } from './workers.js';

/** How often the live line is redrawn on a terminal, and printed anew otherwise. */
export const TTY_REDRAW_MS = 200;
export const LOG_LINE_MS = 2000;

/** The CLI's IO, plus the terminal when stdout is one (the live line is then redrawn in place). */
export interface DemoIO extends CliIO {
  readonly terminal?: { write(text: string): void; columns(): number | undefined } | undefined;
}

/** Prints the live line: redrawn with `\r` on a terminal, one line every 2 s otherwise. */
function livePrinter(io: DemoIO): { sample(live: LiveState): void; end(): void } {
  const term = io.terminal;
  let last = -Infinity;
  let drawn = false;
  return {
    sample(live) {
      const every = term ? TTY_REDRAW_MS : LOG_LINE_MS;
      const done = live.done === live.total;
      if (live.elapsedMs - last < every && !done) return;
      last = live.elapsedMs;
      if (!term) return void (done ? undefined : io.out(renderLive(live)));
      const width = term.columns();
      term.write(`\r${fit(renderLive(live), width === undefined ? undefined : width - 1)}\u001b[K`);
      drawn = true;
    },
    end() {
      if (term && drawn) term.write('\n');
    },
  };
}

function intro(o: DemoOptions, streams: number, env: Record<string, string | undefined>): string {
  const what = `${o.calls} calls (${streams} as streams) to ${o.model}`;
  if (o.real)
    return `Calling the Claude API with ANTHROPIC_API_KEY (--real): ${what}, all at once through the gateway.`;
  if (o.workers !== undefined && o.workers > 1) {
    const how =
      env.CLAUDE_GATEWAY_REDIS_URL?.trim() ?
        'sharing their limits through Redis (CLAUDE_GATEWAY_REDIS_URL)'
      : 'each learning alone (set CLAUDE_GATEWAY_REDIS_URL to share)';
    return `Sending ${what} from ${o.workers} processes, each with its own gateway, ${how}, to one simulator organization, all at once.`;
  }
  return `Sending ${what} through the gateway to the bundled API simulator, all at once.`;
}

async function burst(
  options: DemoOptions,
  io: DemoIO,
  env: Record<string, string | undefined>,
  telemetry: Telemetry,
): Promise<RunResult> {
  const abort = new AbortController();
  const unsubscribe = io.onShutdown(() => {
    io.out('\nStopping: aborting the calls still running (Ctrl+C again to quit at once).');
    abort.abort();
  });
  const printer = livePrinter(io);
  try {
    return await runBurst({
      options,
      counts: telemetry.counts,
      counting: telemetry.counting,
      env,
      signal: abort.signal,
      onSample: (live) => printer.sample(live),
      onStart({ config, simulatorUrl }) {
        if (simulatorUrl) {
          io.out(`Simulator: ${simulatorUrl}, scenario ${options.scenario}:`);
          for (const line of wrap(
            scenarios[options.scenario!].description,
            Math.min(100, io.terminal?.columns() ?? 100),
            '  ',
          ))
            io.out(line);
        }
        io.out(
          `Gateway: concurrency limit starts at ${config.concurrencyInitial} and ramps up to ${config.concurrencyMax}; ` +
            `up to ${config.maxRetries} retries per call (CLAUDE_GATEWAY_* variables change these).`,
        );
        io.out('');
      },
    });
  } finally {
    printer.end();
    unsubscribe();
  }
}

/**
 * Runs the demo; resolves to the exit code: 0 every call succeeded, 1 some failed, 2 bad arguments
 * or settings, 130 interrupted.
 */
export async function runDemo(
  argv: readonly string[],
  io: DemoIO,
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  let parsed;
  try {
    parsed = parseDemoArgs(argv, env);
  } catch (error) {
    if (!(error instanceof DemoUsageError)) throw error;
    io.err(`${error.message}\nRun with --help to see the options.`);
    return 2;
  }
  if (parsed.help) {
    io.out(USAGE);
    return 0;
  }
  const options: DemoOptions = parsed;
  if (!options.real && env.ANTHROPIC_API_KEY?.trim()) {
    io.out(
      'ANTHROPIC_API_KEY is set but ignored: the demo calls the bundled simulator. Add --real to call the real API.',
    );
  }
  const telemetry = await startTelemetry(env);
  let result: RunResult;
  try {
    io.out(
      telemetry.notice ??
        `Exporting traces and metrics over OTLP to ${telemetry.target.endpoint} (service ${telemetry.serviceName}).`,
    );
    io.out(intro(options, countStreams(options.calls, options.streamShare), env));
    try {
      result = await burst(options, io, env, telemetry);
    } catch (error) {
      if (!(error instanceof GatewayConfigError)) throw error;
      io.err(error.message);
      return 2;
    }
    for (const line of renderSummary({
      ...result,
      telemetry: {
        exporting: telemetry.exporting,
        endpoint: telemetry.target.endpoint,
        serviceName: telemetry.serviceName,
      },
    })) {
      io.out(line);
    }
    if ('processes' in result) for (const line of renderProcesses(result as WorkersResult)) io.out(line);
    if (telemetry.exporting) io.out('\nFlushing spans and metrics to the collector…');
  } finally {
    await telemetry.shutdown();
  }
  return (
    result.aborted > 0 ? 130
    : result.failed > 0 ? 1
    : 0
  );
}

/** The demo as a `claude-otel-gateway` subcommand. */
export const demoCommand: CliCommand = {
  summary: 'A burst of calls through the gateway against the bundled simulator, with live progress',
  usage: USAGE,
  run: (args, io) => runDemo(args, io),
};
