/**
 * Telemetry never breaks a call: every telemetry step runs under {@link guard}, which turns what it
 * throws into a `diag` line (a warning the first time a step fails, debug after that, so a broken
 * exporter does not flood the log) and returns `undefined`.
 */
import { diag } from '@opentelemetry/api';

const warned = new Set<string>();

/** Runs telemetry step `what`; a throw is logged through `diag` and dropped. */
export function guard<T>(what: string, step: () => T): T | undefined {
  try {
    return step();
  } catch (error) {
    logFailure(what, error);
    return undefined;
  }
}

/** Logs a failed telemetry step through `diag`: a warning once per step, debug afterwards. */
export function logFailure(what: string, error: unknown): void {
  try {
    const message = `claude-otel-gateway: ${what} failed; the call goes on without it`;
    if (warned.has(what)) diag.debug(message, error);
    else {
      if (warned.size < 64) warned.add(what);
      diag.warn(message, error);
    }
  } catch {
    // A diag logger that throws has nowhere left to report to.
  }
}
