/**
 * Scripted outcomes: a queue (from the `script` option and `enqueue()`) consumed one outcome per
 * arriving attempt, the first queued outcome targeting the attempt's endpoint; then the script
 * function, if any.
 * @module
 */
import { STATUS_ERROR_TYPES } from './errors.js';
import { checkChoice, checkNumber, checkObject, SimulatorOptionsError } from './options.js';
import type { ApiErrorType, AttemptInfo, ScriptedOutcome, ScriptFunction, ScriptTarget } from './types.js';

const KINDS = ['ok', 'error', 'reset', 'hang', 'stream-error', 'stream-cut', 'delay'] as const;
const TARGETS: readonly ScriptTarget[] = ['messages', 'count_tokens', 'models', 'unknown', 'any'];
const STATUSES = Object.keys(STATUS_ERROR_TYPES).map(Number);
const ERROR_TYPES = Object.values(STATUS_ERROR_TYPES) as ApiErrorType[];

const KEYS: Record<ScriptedOutcome['kind'], readonly string[]> = {
  ok: [],
  error: ['status', 'errorType', 'errorCode', 'message', 'retryAfterSec', 'retryAfterMs', 'shouldRetry'],
  reset: [],
  hang: [],
  'stream-error': ['afterDeltas', 'errorType'],
  'stream-cut': ['afterDeltas'],
  delay: ['ms'],
};

function checkText(path: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'string' || value.length === 0)) {
    throw new SimulatorOptionsError(path, 'a non-empty string', value);
  }
}

/** Validates one scripted outcome (`path` names it in errors). */
export function validateOutcome(value: unknown, path: string): ScriptedOutcome {
  const kind = checkChoice(`${path}.kind`, (value as { kind?: unknown } | null)?.kind, KINDS);
  const o = checkObject(path, value, ['kind', 'endpoint', ...KEYS[kind]]);
  if (o.endpoint !== undefined) checkChoice(`${path}.endpoint`, o.endpoint, TARGETS);
  if (kind === 'error') {
    checkChoice(`${path}.status`, o.status, STATUSES);
    if (o.errorType !== undefined) checkChoice(`${path}.errorType`, o.errorType, ERROR_TYPES);
    checkText(`${path}.errorCode`, o.errorCode);
    checkText(`${path}.message`, o.message);
    if (o.retryAfterSec !== undefined) checkNumber(`${path}.retryAfterSec`, o.retryAfterSec, 0, 86_400, true);
    if (o.retryAfterMs !== undefined) checkNumber(`${path}.retryAfterMs`, o.retryAfterMs, 0, 86_400_000);
    if (o.shouldRetry !== undefined) checkChoice(`${path}.shouldRetry`, o.shouldRetry, [true, false]);
  } else if (kind === 'stream-error' || kind === 'stream-cut') {
    checkNumber(`${path}.afterDeltas`, o.afterDeltas, 0, 1_000_000, true);
    if (o.errorType !== undefined) checkChoice(`${path}.errorType`, o.errorType, ERROR_TYPES);
  } else if (kind === 'delay') {
    checkNumber(`${path}.ms`, o.ms, 0, 600_000);
  }
  return { ...(value as ScriptedOutcome) };
}

/** The queue and the script function. */
export class Script {
  #queue: ScriptedOutcome[] = [];
  #fn: ScriptFunction | undefined;
  #initial: readonly ScriptedOutcome[];

  /** Validates the `script` option. */
  constructor(script: unknown) {
    if (typeof script === 'function') {
      this.#fn = script as ScriptFunction;
      this.#initial = [];
    } else if (script === undefined) {
      this.#initial = [];
    } else if (Array.isArray(script)) {
      this.#initial = script.map((o, i) => validateOutcome(o, `script[${i}]`));
    } else {
      throw new SimulatorOptionsError('script', 'an array of scripted outcomes or a function', script);
    }
    this.#queue = [...this.#initial];
  }

  /** Appends validated outcomes. */
  enqueue(outcomes: readonly unknown[]): void {
    const valid = outcomes.map((o, i) => validateOutcome(o, `enqueue[${i}]`));
    this.#queue.push(...valid);
  }

  /** Back to the `script` option's queue. */
  reset(): void {
    this.#queue = [...this.#initial];
  }

  /** The outcome for this attempt, if scripted. A function's invalid answer throws {@link SimulatorOptionsError}. */
  next(info: AttemptInfo): ScriptedOutcome | undefined {
    if (this.#queue.length > 0) {
      const i = this.#queue.findIndex((o) => {
        const target = o.endpoint ?? 'messages';
        return target === 'any' || target === info.endpoint;
      });
      if (i >= 0) return this.#queue.splice(i, 1)[0];
    }
    if (!this.#fn) return undefined;
    const outcome = this.#fn(info);
    return outcome === undefined ? undefined : validateOutcome(outcome, 'script()');
  }
}
