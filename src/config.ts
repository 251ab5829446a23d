/**
 * Settings: each one an option and an environment variable (the option wins), validated once at
 * start. One table below is the single place each name, default and range lives.
 */
import { GatewayConfigError } from './errors.js';

export interface GatewayOptions {
  /** Retries after the first attempt (not counting retries the limiter never sent). */
  maxRetries?: number;
  /** First backoff step when the API gives no `retry-after`; doubles per retry, with full jitter. */
  baseDelayMs?: number;
  /** Cap on one backoff wait. */
  maxDelayMs?: number;
  /** Longest `retry-after` the gateway will honour; a longer one fails the call at once. */
  maxRetryAfterMs?: number;
  /** Deadline for the whole call (queue, attempts, waits and reading the body); 0 means none. */
  timeoutMs?: number;
  /** Longest silence while a response body (a stream, or a JSON body) is read; 0 means none. */
  idleTimeoutMs?: number;
  /** Concurrency limit per API key and model at start. */
  concurrencyInitial?: number;
  /** Floor the limit never drops below. */
  concurrencyMin?: number;
  /** Ceiling the ramp never exceeds. */
  concurrencyMax?: number;
  /** How often the ramp may raise the limit. */
  rampIntervalMs?: number;
  /** How much the ramp adds to the limit per interval once past slow start. */
  rampStep?: number;
  /** Most retries, as a share of calls started in the last minute, before retries are refused. */
  retryBudgetRatio?: number;
  /** Longest wait for telemetry to flush when a `register`ed app exits or gets SIGTERM. */
  shutdownTimeoutMs?: number;
  /** Turn the gateway off: `withGateway()` returns the client unchanged. */
  disabled?: boolean;
  /**
   * Model id → group, for models that share one rate-limit budget; a model not listed is grouped by
   * its family (`opus`, `sonnet`, `haiku`), else stands alone.
   */
  modelGroups?: Readonly<Record<string, string>>;
}

export type GatewayConfig = Required<GatewayOptions>;

/** Opt-in for prompt and completion content (GenAI instrumentations' common variable). */
export const ENV_CAPTURE_CONTENT = 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT';

/** Whether prompt and completion content is recorded on spans (off unless the variable says `true`). */
export function captureContent(env: Record<string, string | undefined>): boolean {
  return env[ENV_CAPTURE_CONTENT]?.toLowerCase() === 'true';
}

type Kind = 'int' | 'number' | 'bool' | 'map';
type Value = number | boolean | Readonly<Record<string, string>>;
interface Setting {
  readonly option: keyof GatewayOptions;
  readonly env: string;
  readonly kind: Kind;
  readonly min?: number;
  readonly max?: number;
  readonly default: Value;
  readonly doc: string;
}

/** A map entry's key and value: a model id or group name, letters, digits and `._:/@-`. */
const MAP_WORD = /^[\w.:/@-]{1,200}$/;

const MAX_MS = 24 * 60 * 60 * 1000;

/** Every setting, in the order of the README table. */
export const SETTINGS: readonly Setting[] = [
  {
    option: 'maxRetries',
    env: 'CLAUDE_GATEWAY_MAX_RETRIES',
    kind: 'int',
    min: 0,
    max: 100,
    default: 5,
    doc: 'Retries after the first attempt.',
  },
  {
    option: 'baseDelayMs',
    env: 'CLAUDE_GATEWAY_BASE_DELAY_MS',
    kind: 'int',
    min: 1,
    max: MAX_MS,
    default: 1000,
    doc: 'First backoff step without `retry-after` (then 2×, 4×, … with full jitter).',
  },
  {
    option: 'maxDelayMs',
    env: 'CLAUDE_GATEWAY_MAX_DELAY_MS',
    kind: 'int',
    min: 1,
    max: MAX_MS,
    default: 32_000,
    doc: 'Cap on one backoff wait.',
  },
  {
    option: 'maxRetryAfterMs',
    env: 'CLAUDE_GATEWAY_MAX_RETRY_AFTER_MS',
    kind: 'int',
    min: 0,
    max: MAX_MS,
    default: 60_000,
    doc: 'Longest `retry-after` honoured; longer fails at once with the API error.',
  },
  {
    option: 'timeoutMs',
    env: 'CLAUDE_GATEWAY_TIMEOUT_MS',
    kind: 'int',
    min: 0,
    max: MAX_MS,
    default: 600_000,
    doc: 'Deadline for the whole call: queue, attempts, waits and reading the body or stream (0 = none).',
  },
  {
    option: 'idleTimeoutMs',
    env: 'CLAUDE_GATEWAY_IDLE_TIMEOUT_MS',
    kind: 'int',
    min: 0,
    max: MAX_MS,
    default: 120_000,
    doc: 'Longest silence while a response body or stream is read; past it the call fails with a timeout error (0 = none).',
  },
  {
    option: 'concurrencyInitial',
    env: 'CLAUDE_GATEWAY_CONCURRENCY_INITIAL',
    kind: 'int',
    min: 1,
    max: 10_000,
    default: 4,
    doc: 'Concurrency limit per API key and model at start.',
  },
  {
    option: 'concurrencyMin',
    env: 'CLAUDE_GATEWAY_CONCURRENCY_MIN',
    kind: 'int',
    min: 1,
    max: 10_000,
    default: 1,
    doc: 'The limit never drops below this.',
  },
  {
    option: 'concurrencyMax',
    env: 'CLAUDE_GATEWAY_CONCURRENCY_MAX',
    kind: 'int',
    min: 1,
    max: 10_000,
    default: 256,
    doc: 'The ramp never raises the limit above this.',
  },
  {
    option: 'rampIntervalMs',
    env: 'CLAUDE_GATEWAY_RAMP_INTERVAL_MS',
    kind: 'int',
    min: 1,
    max: MAX_MS,
    default: 500,
    doc: 'How often the ramp may raise the limit.',
  },
  {
    option: 'rampStep',
    env: 'CLAUDE_GATEWAY_RAMP_STEP',
    kind: 'int',
    min: 1,
    max: 10_000,
    default: 2,
    doc: 'Least growth per interval after slow start (which doubles the limit until the first throttle); past it the limit grows by a quarter per interval.',
  },
  {
    option: 'retryBudgetRatio',
    env: 'CLAUDE_GATEWAY_RETRY_BUDGET_RATIO',
    kind: 'number',
    min: 0,
    max: 100,
    default: 3,
    doc: 'Retries allowed per call started, over a sliding minute; past it, calls fail fast instead of retrying.',
  },
  {
    option: 'shutdownTimeoutMs',
    env: 'CLAUDE_GATEWAY_SHUTDOWN_TIMEOUT_MS',
    kind: 'int',
    min: 0,
    max: MAX_MS,
    default: 2000,
    doc: 'Under `--import claude-otel-gateway/register`: longest wait for telemetry to flush when the app exits or gets SIGTERM (a dead collector never holds an app up longer).',
  },
  {
    option: 'disabled',
    env: 'CLAUDE_GATEWAY_DISABLED',
    kind: 'bool',
    default: false,
    doc: 'Turn the gateway off; clients keep the SDK’s own retries.',
  },
  {
    option: 'modelGroups',
    env: 'CLAUDE_GATEWAY_MODEL_GROUPS',
    kind: 'map',
    default: Object.freeze({}),
    doc: 'Models that share one limiter, as `model=group,…`; a model not listed shares its family’s (`opus`, `sonnet`, `haiku`), else has its own.',
  },
];

function describe(s: Setting): string {
  if (s.kind === 'bool') return '`true` or `false`';
  if (s.kind === 'map') return 'entries `model=group` separated by commas (an object in code)';
  const what = s.kind === 'int' ? 'an integer' : 'a number';
  return `${what} from ${s.min} to ${s.max}`;
}

function fail(s: Setting, got: string, from: 'option' | 'env'): never {
  const where = from === 'option' ? `option \`${s.option}\`` : `environment variable ${s.env}`;
  throw new GatewayConfigError(
    `Invalid ${where}: got ${got}; expected ${describe(s)} (option \`${s.option}\`, environment variable ${s.env}).`,
    s.option,
    s.env,
  );
}

function parseMap(s: Setting, entries: Array<[string, unknown]>, got: string, from: 'option' | 'env') {
  const out: Record<string, string> = {};
  for (const [key, value] of entries) {
    if (!MAP_WORD.test(key) || typeof value !== 'string' || !MAP_WORD.test(value)) return fail(s, got, from);
    out[key] = value;
  }
  return Object.freeze(out);
}

function parseEnv(s: Setting, raw: string): Value {
  const text = raw.trim();
  if (s.kind === 'map') {
    const entries = text.split(',').map((e) => e.split('=').map((x) => x.trim()) as [string, unknown]);
    if (entries.some((e) => e.length !== 2)) return fail(s, JSON.stringify(raw), 'env');
    return parseMap(s, entries, JSON.stringify(raw), 'env');
  }
  if (s.kind === 'bool') {
    if (/^(true|1|yes)$/i.test(text)) return true;
    if (/^(false|0|no)$/i.test(text)) return false;
    return fail(s, JSON.stringify(raw), 'env');
  }
  const pattern = s.kind === 'int' ? /^-?\d+$/ : /^-?(\d+\.?\d*|\.\d+)$/;
  if (!pattern.test(text)) return fail(s, JSON.stringify(raw), 'env');
  const value = Number(text);
  if (value < s.min! || value > s.max!) return fail(s, JSON.stringify(raw), 'env');
  return value;
}

function checkOption(s: Setting, value: unknown): Value {
  if (s.kind === 'map') {
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      return fail(s, JSON.stringify(value), 'option');
    return parseMap(s, Object.entries(value), JSON.stringify(value), 'option');
  }
  if (s.kind === 'bool') {
    if (typeof value !== 'boolean') fail(s, JSON.stringify(value), 'option');
    return value as boolean;
  }
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (s.kind === 'number' || Number.isInteger(value)) &&
    value >= s.min! &&
    value <= s.max!;
  if (!ok) fail(s, typeof value === 'number' ? String(value) : JSON.stringify(value), 'option');
  return value as number;
}

/**
 * Resolves the gateway's settings: `options` first, then `CLAUDE_GATEWAY_*` variables in `env`,
 * then defaults. Throws {@link GatewayConfigError} naming the setting on any invalid value.
 */
export function loadConfig(
  options: GatewayOptions = {},
  env: Record<string, string | undefined> = process.env,
): GatewayConfig {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(
      `Gateway options must be an object, got ${options === null ? 'null' : typeof options}`,
    );
  }
  const known = new Set<string>(SETTINGS.map((s) => s.option));
  for (const key of Object.keys(options)) {
    if (!known.has(key)) {
      throw new GatewayConfigError(
        `Unknown gateway option \`${key}\`; known options: ${[...known].join(', ')}.`,
        key,
        '',
      );
    }
  }
  const out: Record<string, Value> = {};
  for (const s of SETTINGS) {
    const given = options[s.option];
    const raw = env[s.env];
    out[s.option] =
      given !== undefined ? checkOption(s, given)
      : raw !== undefined && raw.trim() !== '' ? parseEnv(s, raw)
      : s.default;
  }
  const config = out as unknown as GatewayConfig;
  const range = SETTINGS.find((s) => s.option === 'concurrencyMin')!;
  if (config.concurrencyMin > config.concurrencyMax) {
    throw new GatewayConfigError(
      `concurrencyMin (${config.concurrencyMin}) is above concurrencyMax (${config.concurrencyMax}); ` +
        `set CLAUDE_GATEWAY_CONCURRENCY_MIN ≤ CLAUDE_GATEWAY_CONCURRENCY_MAX.`,
      range.option,
      range.env,
    );
  }
  // The start value is clamped into [min, max] rather than refused: both bounds may come from
  // different sources (an option and an env var), and clamping is what a user would expect.
  config.concurrencyInitial = Math.min(
    config.concurrencyMax,
    Math.max(config.concurrencyMin, config.concurrencyInitial),
  );
  return Object.freeze(config);
}
