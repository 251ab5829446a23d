/**
 * Settings: each one an option and an environment variable (the option wins), validated once at
 * start. One table below is the single place each name, default and range lives.
 */
import { GatewayConfigError } from './errors.js';
import type { LimiterStore } from './admit/store/types.js';
import type { RedisClientLike } from './admit/store/redis.js';

export interface GatewayOptions {
  /** Retries after the first attempt (not counting retries the limiter never sent). */
  maxRetries?: number;
  /**
   * First backoff step when the API gives no `retry-after`; doubles per retry, with full jitter.
   * Also the shortest outage hold.
   */
  baseDelayMs?: number;
  /** Cap on one backoff wait and on the outage hold. */
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
  /**
   * Redis to share the limits of each organization and model group with the application's other
   * processes: `redis://[user:password@]host:port[/db]`, `rediss://` for TLS (needs the `ioredis`
   * package). Empty: each process keeps its own. Never logged; `config.redisUrl` shows it without
   * its credentials.
   */
  redisUrl?: string;
  /** Prefix of the gateway's Redis keys and channels. */
  redisKeyPrefix?: string;
  /** Longest wait for one Redis operation before a process goes on with its share of the limits (one
   * more such wait when the process itself was too busy to read the answer in time). */
  redisTimeoutMs?: number;
  /**
   * Where the limiter state lives: a `LimiterStore`, or a connected ioredis client (`Redis` or
   * `Cluster`, which the application keeps and closes) to share it through. Wins over `redisUrl`.
   */
  store?: LimiterStore | RedisClientLike;
}

/** The settings in force (the `store` option is not a setting: it is read by the gateway). */
export type GatewayConfig = Required<Omit<GatewayOptions, 'store'>>;

/** Opt-in for prompt and completion content (GenAI instrumentations' common variable). */
export const ENV_CAPTURE_CONTENT = 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT';

/** Whether prompt and completion content is recorded on spans (off unless the variable says `true`). */
export function captureContent(env: Record<string, string | undefined>): boolean {
  return env[ENV_CAPTURE_CONTENT]?.toLowerCase() === 'true';
}

type Kind = 'int' | 'number' | 'bool' | 'map' | 'url' | 'prefix';
type Value = number | boolean | string | Readonly<Record<string, string>>;
interface Setting {
  readonly option: keyof GatewayConfig;
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
    doc: 'First backoff step without `retry-after` (then 2×, 4×, … with full jitter); the shortest outage hold.',
  },
  {
    option: 'maxDelayMs',
    env: 'CLAUDE_GATEWAY_MAX_DELAY_MS',
    kind: 'int',
    min: 1,
    max: MAX_MS,
    default: 32_000,
    doc: 'Cap on one backoff wait and on the outage hold.',
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
  {
    option: 'redisUrl',
    env: 'CLAUDE_GATEWAY_REDIS_URL',
    kind: 'url',
    default: '',
    doc: 'Redis shared by the processes of one organization (`redis://[user:password@]host:port[/db]`, `rediss://` for TLS; needs the `ioredis` package): they share one hold, one budget and one concurrency limit per model group. Empty: each process alone. Never logged.',
  },
  {
    option: 'redisKeyPrefix',
    env: 'CLAUDE_GATEWAY_REDIS_KEY_PREFIX',
    kind: 'prefix',
    default: 'claude-gateway:',
    doc: 'Prefix of the gateway’s Redis keys and channels (letters, digits and `._:/@-`).',
  },
  {
    option: 'redisTimeoutMs',
    env: 'CLAUDE_GATEWAY_REDIS_TIMEOUT_MS',
    kind: 'int',
    min: 10,
    max: 10_000,
    default: 200,
    doc: 'Longest wait for one Redis operation (one more such wait when the process itself was too busy to read the answer in time); past it (or on an error) each process goes on with its share of the last shared limits until Redis answers again.',
  },
];

/** A key prefix: no braces (they would end the hash tag Redis Cluster groups a key+model by). */
const PREFIX = /^[\w.:/@-]{1,100}$/;

/** Whether `text` is a Redis URL the gateway accepts. */
function isRedisUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** `url` without its credentials, for display: `redis://***@host:6379/0`. */
export function redactUrl(url: string): string {
  if (!url) return '';
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = '***';
      u.password = '';
    }
    return u.toString();
  } catch {
    return '***';
  }
}

function describe(s: Setting): string {
  if (s.kind === 'bool') return '`true` or `false`';
  if (s.kind === 'url') return 'a `redis://` or `rediss://` URL, or empty';
  if (s.kind === 'prefix') return '1 to 100 letters, digits or `._:/@-`';
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

/** What a refused value is shown as: never a URL's text, which may hold a password. */
function shown(s: Setting, value: unknown): string {
  if (s.kind === 'url') return typeof value === 'string' ? 'a string that is not one' : typeof value;
  return typeof value === 'number' ? String(value) : JSON.stringify(value);
}

function parseEnv(s: Setting, raw: string): Value {
  const text = raw.trim();
  if (s.kind === 'url') return isRedisUrl(text) ? redactUrl(text) : fail(s, shown(s, raw), 'env');
  if (s.kind === 'prefix') return PREFIX.test(text) ? text : fail(s, shown(s, raw), 'env');
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
  if (s.kind === 'url') {
    if (value === '') return '';
    return typeof value === 'string' && isRedisUrl(value.trim()) ?
        redactUrl(value.trim())
      : fail(s, shown(s, value), 'option');
  }
  if (s.kind === 'prefix') {
    return typeof value === 'string' && PREFIX.test(value) ? value : fail(s, shown(s, value), 'option');
  }
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
  const known = new Set<string>([...SETTINGS.map((s) => s.option), 'store']);
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
    const given = options[s.option as keyof GatewayConfig];
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

/**
 * The Redis URL in force, with its credentials (`config.redisUrl` shows it without them): the
 * option, else `CLAUDE_GATEWAY_REDIS_URL`; undefined when neither is set. Validated by
 * {@link loadConfig} first.
 */
export function redisUrlOf(
  options: GatewayOptions = {},
  env: Record<string, string | undefined> = process.env,
): string | undefined {
  const given = options.redisUrl;
  if (given !== undefined) return given.trim() || undefined;
  return env.CLAUDE_GATEWAY_REDIS_URL?.trim() || undefined;
}
