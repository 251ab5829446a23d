import { scenarioNames, scenarios } from './scenarios.js';
import type {
  AccelerationSetting,
  ErrorRates,
  InflightAccelerationOptions,
  OutputTokensRange,
  RateAccelerationOptions,
  ResolvedAcceleration,
  RuntimeOptions,
  ScenarioName,
  SimulatorConfig,
  SimulatorOptions,
} from './types.js';

/** Thrown for an invalid option: names the option and the accepted values. */
export class SimulatorOptionsError extends Error {
  /** Path of the offending option, e.g. `errorRates.reset` or `script[2].status`. */
  readonly option: string;
  /** The accepted values, e.g. `an integer in [1, 1000000000]`. */
  readonly expected: string;
  /** The value given. */
  readonly received: unknown;

  constructor(option: string, expected: string, received: unknown) {
    super(`Invalid simulator option \`${option}\`: expected ${expected}, got ${describe(received)}`);
    this.name = 'SimulatorOptionsError';
    this.option = option;
    this.expected = expected;
    this.received = received;
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (value !== null && typeof value === 'object') return 'an object';
  return String(value);
}

/** Model ids known by default (unknown ids get 404). */
export const DEFAULT_MODELS: readonly string[] = Object.freeze([
  'claude-opus-4-1',
  'claude-opus-4-5',
  'claude-opus-4-6',
  'claude-opus-4-7',
  'claude-opus-4-8',
  'claude-opus-5',
  'claude-sonnet-4-5',
  'claude-sonnet-4-5-20250929',
  'claude-sonnet-4-6',
  'claude-sonnet-5',
  'claude-haiku-4-5',
  'claude-haiku-4-5-20251001',
]);

/** Default of `organizationId`. */
export const DEFAULT_ORGANIZATION_ID = '5a1e0000-0000-4000-8000-000000000001';

const ERROR_RATE_KEYS = [
  'api_error',
  'timeout_error',
  'reset',
  'hang',
  'streamErrorBeforeContent',
  'streamErrorAfterContent',
  'streamCut',
] as const satisfies readonly (keyof ErrorRates)[];

const RUNTIME_KEYS = [
  'requestsPerMinute',
  'burst',
  'requestIntervalMs',
  'tokenIntervalMs',
  'inputTokensPerMinute',
  'outputTokensPerMinute',
  'acceleration',
  'overloadRate',
  'overloadWindows',
  'errorRates',
  'spendLimit',
  'latency',
  'outputTokens',
  'models',
  'maxBodyBytes',
  'retryAfterMs',
  'organizations',
  'modelGroups',
] as const satisfies readonly (keyof RuntimeOptions)[];

const START_KEYS = [
  ...RUNTIME_KEYS,
  'port',
  'seed',
  'scenario',
  'script',
  'organizationId',
  'timeScale',
] as const;

/** Defaults of every runtime option but `burst` (derived from the request rate). */
const DEFAULTS = {
  requestsPerMinute: 100_000,
  inputTokensPerMinute: 1_000_000_000,
  outputTokensPerMinute: 1_000_000_000,
  acceleration: false,
  overloadRate: 0,
  overloadWindows: [],
  errorRates: {},
  spendLimit: false,
  latency: { ttftMs: 20, msPerToken: 1 },
  outputTokens: 16,
  models: DEFAULT_MODELS,
  maxBodyBytes: 32 * 1024 * 1024,
  retryAfterMs: false,
} as const satisfies RuntimeOptions;

const MAX_COUNT = 1_000_000_000;
const MAX_TOKENS_PER_MINUTE = 1_000_000_000_000;

// ---- primitive checks -------------------------------------------------------------------------

/** A finite number in [min, max] (an integer when `integer`), or throws. */
export function checkNumber(path: string, value: unknown, min: number, max: number, integer = false): number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= min &&
    value <= max &&
    (!integer || Number.isInteger(value));
  if (!ok)
    throw new SimulatorOptionsError(
      path,
      `${integer ? 'an integer' : 'a number'} in [${min}, ${max}]`,
      value,
    );
  return value as number;
}

/** A plain object with only `allowed` keys, or throws. */
export function checkObject(
  path: string,
  value: unknown,
  allowed: readonly string[],
): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SimulatorOptionsError(path || 'options', `an object with keys ${allowed.join(', ')}`, value);
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new SimulatorOptionsError(
        `${path ? `${path}.` : ''}${key}`,
        `one of the known options: ${allowed.join(', ')}`,
        'an unknown option',
      );
    }
  }
  return value as Record<string, unknown>;
}

/** `undefined`, or one of `choices`. */
export function checkChoice<T>(path: string, value: unknown, choices: readonly T[]): T {
  if (!choices.includes(value as T)) {
    throw new SimulatorOptionsError(
      path,
      `one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`,
      value,
    );
  }
  return value as T;
}

function checkHeaderText(path: string, value: unknown): string {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > 200 ||
    !/^[\x21-\x7e]+$/.test(value)
  ) {
    throw new SimulatorOptionsError(
      path,
      'a non-empty string of at most 200 visible ASCII characters',
      value,
    );
  }
  return value;
}

// ---- runtime options --------------------------------------------------------------------------

/** Validates a {@link RuntimeOptions} object (a scenario, the options or an `update()` patch). */
export function validateRuntime(value: unknown, keys: readonly string[] = RUNTIME_KEYS): RuntimeOptions {
  const o = checkObject('', value ?? {}, keys);
  const out: RuntimeOptions = {};
  if (o.requestsPerMinute !== undefined)
    out.requestsPerMinute = checkNumber('requestsPerMinute', o.requestsPerMinute, 1, MAX_COUNT, true);
  if (o.burst !== undefined) out.burst = checkNumber('burst', o.burst, 1, MAX_COUNT, true);
  if (o.inputTokensPerMinute !== undefined)
    out.inputTokensPerMinute = checkNumber(
      'inputTokensPerMinute',
      o.inputTokensPerMinute,
      1,
      MAX_TOKENS_PER_MINUTE,
      true,
    );
  if (o.outputTokensPerMinute !== undefined)
    out.outputTokensPerMinute = checkNumber(
      'outputTokensPerMinute',
      o.outputTokensPerMinute,
      1,
      MAX_TOKENS_PER_MINUTE,
      true,
    );
  if (o.requestIntervalMs !== undefined)
    out.requestIntervalMs = checkNumber('requestIntervalMs', o.requestIntervalMs, 1, 60_000, true);
  if (o.tokenIntervalMs !== undefined)
    out.tokenIntervalMs = checkNumber('tokenIntervalMs', o.tokenIntervalMs, 1, 60_000, true);
  if (o.acceleration !== undefined) out.acceleration = validateAcceleration(o.acceleration);
  if (o.organizations !== undefined) out.organizations = checkRecord('organizations', o.organizations);
  if (o.modelGroups !== undefined) out.modelGroups = checkRecord('modelGroups', o.modelGroups);
  if (o.overloadRate !== undefined) out.overloadRate = checkNumber('overloadRate', o.overloadRate, 0, 1);
  if (o.overloadWindows !== undefined) {
    if (!Array.isArray(o.overloadWindows))
      throw new SimulatorOptionsError(
        'overloadWindows',
        'an array of { startMs, endMs, rate }',
        o.overloadWindows,
      );
    out.overloadWindows = o.overloadWindows.map((w: unknown, i) => {
      const at = `overloadWindows[${i}]`;
      const win = checkObject(at, w, ['startMs', 'endMs', 'rate']);
      const startMs = checkNumber(`${at}.startMs`, win.startMs, 0, Number.MAX_SAFE_INTEGER);
      const endMs = checkNumber(`${at}.endMs`, win.endMs, startMs, Number.MAX_SAFE_INTEGER);
      if (endMs === startMs)
        throw new SimulatorOptionsError(`${at}.endMs`, `a number greater than startMs (${startMs})`, endMs);
      return { startMs, endMs, rate: checkNumber(`${at}.rate`, win.rate, 0, 1) };
    });
  }
  if (o.errorRates !== undefined) {
    const r = checkObject('errorRates', o.errorRates, ERROR_RATE_KEYS);
    const rates: ErrorRates = {};
    for (const key of ERROR_RATE_KEYS) {
      if (r[key] !== undefined) rates[key] = checkNumber(`errorRates.${key}`, r[key], 0, 1);
    }
    out.errorRates = rates;
  }
  if (o.spendLimit !== undefined)
    out.spendLimit = checkChoice('spendLimit', o.spendLimit, [false, 'enforced', 'contract'] as const);
  if (o.latency !== undefined) {
    const l = checkObject('latency', o.latency, ['ttftMs', 'msPerToken']);
    out.latency = {};
    if (l.ttftMs !== undefined) out.latency.ttftMs = checkNumber('latency.ttftMs', l.ttftMs, 0, 600_000);
    if (l.msPerToken !== undefined)
      out.latency.msPerToken = checkNumber('latency.msPerToken', l.msPerToken, 0, 60_000);
  }
  if (o.outputTokens !== undefined) out.outputTokens = validateOutputTokens(o.outputTokens);
  if (o.models !== undefined) {
    const models = o.models;
    if (!Array.isArray(models) || models.length === 0)
      throw new SimulatorOptionsError('models', 'a non-empty array of model ids', models);
    out.models = models.map((m: unknown, i) => checkHeaderText(`models[${i}]`, m));
  }
  if (o.maxBodyBytes !== undefined)
    out.maxBodyBytes = checkNumber('maxBodyBytes', o.maxBodyBytes, 1, 2 ** 31, true);
  if (o.retryAfterMs !== undefined)
    out.retryAfterMs = checkChoice('retryAfterMs', o.retryAfterMs, [true, false]);
  return out;
}

const MAX_TOKENS_OUT = 1_000_000;

function validateOutputTokens(value: unknown): number | OutputTokensRange {
  if (value === null || typeof value !== 'object')
    return checkNumber('outputTokens', value, 1, MAX_TOKENS_OUT, true);
  const r = checkObject('outputTokens', value, ['min', 'max']);
  const min = checkNumber('outputTokens.min', r.min, 1, MAX_TOKENS_OUT, true);
  const max = checkNumber('outputTokens.max', r.max, min, MAX_TOKENS_OUT, true);
  return { min, max };
}

const WINDOWS_KEYS = ['windowMs', 'floor', 'factor'] as const;
const ACCELERATION_KINDS = ['none', 'windows', 'inflight', 'rate'] as const;

/** Validates the `acceleration` option; `{ kind: 'none' }` becomes `false`. Defaults are filled in by {@link resolveAcceleration}. */
export function validateAcceleration(value: unknown, path = 'acceleration'): AccelerationSetting {
  if (value === false) return false;
  const tagged = value !== null && typeof value === 'object' && !Array.isArray(value) && 'kind' in value;
  if (!tagged) {
    const a = checkObject(path, value, WINDOWS_KEYS);
    return windows(path, a);
  }
  const kind = checkChoice(`${path}.kind`, (value as { kind: unknown }).kind, ACCELERATION_KINDS);
  const int = (key: string, v: unknown, min: number, max: number) =>
    checkNumber(`${path}.${key}`, v, min, max, true);
  const num = (key: string, v: unknown, min: number, max: number) =>
    checkNumber(`${path}.${key}`, v, min, max);
  switch (kind) {
    case 'none':
      checkObject(path, value, ['kind']);
      return false;
    case 'windows':
      return { kind: 'windows', ...windows(path, checkObject(path, value, ['kind', ...WINDOWS_KEYS])) };
    case 'inflight': {
      const a = checkObject(path, value, [
        'kind',
        'initial',
        'min',
        'max',
        'factorPerSec',
        'decayPerSec',
        'threshold',
      ]);
      const initial = int('initial', a.initial, 1, MAX_COUNT);
      const out: InflightAccelerationOptions = { kind: 'inflight', initial };
      if (a.min !== undefined) out.min = int('min', a.min, 1, initial);
      if (a.max !== undefined) out.max = int('max', a.max, initial, MAX_COUNT);
      if (a.factorPerSec !== undefined) out.factorPerSec = num('factorPerSec', a.factorPerSec, 1, 1000);
      if (a.decayPerSec !== undefined) out.decayPerSec = num('decayPerSec', a.decayPerSec, 1, 1000);
      if (a.threshold !== undefined) out.threshold = num('threshold', a.threshold, 0.01, 0.5);
      return out;
    }
    case 'rate': {
      const a = checkObject(path, value, [
        'kind',
        'initial',
        'growthPerSec',
        'windowMs',
        'shrinkPerSec',
        'min',
        'max',
        'threshold',
      ]);
      const initial = int('initial', a.initial, 1, MAX_COUNT);
      const out: RateAccelerationOptions = {
        kind: 'rate',
        initial,
        growthPerSec: num('growthPerSec', a.growthPerSec, 0, MAX_COUNT),
      };
      if (a.windowMs !== undefined) out.windowMs = int('windowMs', a.windowMs, 1, 3_600_000);
      if (a.shrinkPerSec !== undefined) out.shrinkPerSec = num('shrinkPerSec', a.shrinkPerSec, 0, MAX_COUNT);
      if (a.min !== undefined) out.min = int('min', a.min, 1, initial);
      if (a.max !== undefined) out.max = int('max', a.max, initial, MAX_COUNT);
      if (a.threshold !== undefined) out.threshold = num('threshold', a.threshold, 0.01, 0.5);
      return out;
    }
  }
}

function windows(path: string, a: Record<string, unknown>) {
  return {
    windowMs: checkNumber(`${path}.windowMs`, a.windowMs, 1, 3_600_000, true),
    floor: checkNumber(`${path}.floor`, a.floor, 1, MAX_COUNT, true),
    factor: checkNumber(`${path}.factor`, a.factor, 1, 1000),
  };
}

/** A validated setting with every default filled in (frozen), or `false`. */
export function resolveAcceleration(setting: AccelerationSetting | undefined): false | ResolvedAcceleration {
  if (!setting || !('kind' in setting) || setting.kind === undefined || setting.kind === 'windows') {
    return setting ? Object.freeze({ ...setting }) : false;
  }
  switch (setting.kind) {
    case 'none':
      return false;
    case 'inflight':
      return Object.freeze({
        kind: 'inflight',
        initial: setting.initial,
        min: setting.min ?? setting.initial,
        max: setting.max ?? MAX_COUNT,
        factorPerSec: setting.factorPerSec ?? 2,
        decayPerSec: setting.decayPerSec ?? 2,
        threshold: setting.threshold ?? 0.5,
      });
    case 'rate':
      return Object.freeze({
        kind: 'rate',
        initial: setting.initial,
        growthPerSec: setting.growthPerSec,
        windowMs: setting.windowMs ?? 1000,
        shrinkPerSec: setting.shrinkPerSec ?? setting.growthPerSec,
        min: setting.min ?? setting.initial,
        max: setting.max ?? MAX_COUNT,
        threshold: setting.threshold ?? 0.5,
      });
  }
}

/** A map of non-empty string keys to header-safe names. */
function checkRecord(path: string, value: unknown): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SimulatorOptionsError(path, 'an object mapping strings to names', value);
  }
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, name] of Object.entries(value)) {
    if (key.length === 0) throw new SimulatorOptionsError(path, 'non-empty keys', key);
    out[key] = checkHeaderText(`${path}[${JSON.stringify(key)}]`, name);
  }
  return Object.freeze(out);
}

/** `patch` over `base`; `errorRates` and `latency` merge key by key. */
export function mergeRuntime(base: RuntimeOptions, patch: RuntimeOptions): RuntimeOptions {
  const merged: RuntimeOptions = { ...base };
  for (const key of RUNTIME_KEYS) {
    if (patch[key] !== undefined) (merged as Record<string, unknown>)[key] = patch[key];
  }
  if (patch.errorRates) merged.errorRates = { ...base.errorRates, ...patch.errorRates };
  if (patch.latency) merged.latency = { ...base.latency, ...patch.latency };
  return merged;
}

// ---- start options ----------------------------------------------------------------------------

/** The start-only options, validated. */
export interface StartOptions {
  port: number;
  seed: number;
  scenario: ScenarioName;
  organizationId: string;
  script: SimulatorOptions['script'];
  timeScale: number;
}

/**
 * Validates the options of `startSimulator` and layers them: defaults, then the scenario, then
 * the explicit options. Returns the start-only options and the runtime layer (without defaults).
 */
export function parseOptions(options: SimulatorOptions | undefined): {
  start: StartOptions;
  layer: RuntimeOptions;
} {
  const raw = checkObject('', options ?? {}, START_KEYS);
  const explicit = validateRuntime(raw, START_KEYS);
  const scenario = raw.scenario === undefined ? 'none' : checkChoice('scenario', raw.scenario, scenarioNames);
  const start: StartOptions = {
    port: raw.port === undefined ? 0 : checkNumber('port', raw.port, 0, 65535, true),
    seed: raw.seed === undefined ? 1 : checkNumber('seed', raw.seed, 0, 2 ** 32 - 1, true),
    scenario,
    organizationId:
      raw.organizationId === undefined ?
        DEFAULT_ORGANIZATION_ID
      : checkHeaderText('organizationId', raw.organizationId),
    script: raw.script as SimulatorOptions['script'],
    timeScale: raw.timeScale === undefined ? 1 : checkNumber('timeScale', raw.timeScale, 0.01, 1000),
  };
  const layer = mergeRuntime(scenarios[scenario].options, explicit);
  return { start, layer };
}

/** The configuration in force for a runtime layer (defaults filled in, cross-option checks done). */
export function resolveConfig(start: StartOptions, layer: RuntimeOptions): SimulatorConfig {
  const l = mergeRuntime(DEFAULTS, layer);
  const rates = {
    ...Object.fromEntries(ERROR_RATE_KEYS.map((k) => [k, 0])),
    ...l.errorRates,
  } as Required<ErrorRates>;
  const sum = ERROR_RATE_KEYS.reduce((s, k) => s + rates[k], 0);
  if (sum > 1 + 1e-9)
    throw new SimulatorOptionsError('errorRates', 'probabilities summing to at most 1', sum);
  const requestsPerMinute = l.requestsPerMinute ?? DEFAULTS.requestsPerMinute;
  const burst =
    layer.requestIntervalMs !== undefined ?
      intervalCapacity(requestsPerMinute, layer.requestIntervalMs)
    : (layer.burst ?? Math.max(1, Math.round(requestsPerMinute / 60)));
  const outputTokens = l.outputTokens ?? DEFAULTS.outputTokens;
  return Object.freeze({
    port: start.port,
    seed: start.seed,
    scenario: start.scenario,
    organizationId: start.organizationId,
    requestsPerMinute,
    burst,
    requestIntervalMs: layer.requestIntervalMs,
    tokenIntervalMs: layer.tokenIntervalMs,
    inputTokensPerMinute: l.inputTokensPerMinute ?? DEFAULTS.inputTokensPerMinute,
    outputTokensPerMinute: l.outputTokensPerMinute ?? DEFAULTS.outputTokensPerMinute,
    acceleration: resolveAcceleration(l.acceleration),
    organizations: l.organizations ?? EMPTY_MAP,
    modelGroups: l.modelGroups ?? EMPTY_MAP,
    timeScale: start.timeScale,
    overloadRate: l.overloadRate ?? 0,
    overloadWindows: Object.freeze((l.overloadWindows ?? []).map((w) => Object.freeze({ ...w }))),
    errorRates: Object.freeze(rates),
    spendLimit: l.spendLimit ?? false,
    latency: Object.freeze({ ...DEFAULTS.latency, ...l.latency }),
    outputTokens: typeof outputTokens === 'number' ? outputTokens : Object.freeze({ ...outputTokens }),
    models: Object.freeze([...(l.models ?? DEFAULT_MODELS)]),
    maxBodyBytes: l.maxBodyBytes ?? DEFAULTS.maxBodyBytes,
    retryAfterMs: l.retryAfterMs ?? false,
  });
}

/**
 * The configuration a simulator would run `options` with (validated, defaults filled), for the
 * limit code used without a server: the bounds, the bench's ideal client, tests of the mechanisms.
 * @throws {SimulatorOptionsError} for invalid options.
 */
export function modelConfig(options: unknown, timeScale = 1): SimulatorConfig {
  return resolveConfig(
    {
      port: 0,
      seed: 1,
      scenario: 'none',
      organizationId: DEFAULT_ORGANIZATION_ID,
      script: undefined,
      timeScale,
    },
    validateRuntime(options),
  );
}

const EMPTY_MAP: Readonly<Record<string, string>> = Object.freeze({});

/** A bucket's capacity when its limit is enforced over `intervalMs`: `max(1, ⌊perMinute × intervalMs / 60 000⌋)`. */
export function intervalCapacity(perMinute: number, intervalMs: number): number {
  return Math.max(1, Math.floor((perMinute * intervalMs) / 60_000));
}

/** The key order in which `errorRates` intervals are laid out for the fault draw. */
export const errorRateKeys: readonly (keyof ErrorRates)[] = ERROR_RATE_KEYS;
