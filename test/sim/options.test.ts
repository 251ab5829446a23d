// Option validation, defaults, scenarios, update() and reset().
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MODELS,
  scenarioNames,
  scenarios,
  SimulatorOptionsError,
  startSimulator,
  type SimulatorOptions,
} from '../../src/sim/index.js';
import { call, FAST, params, sdk, useSimulators } from './helpers.js';

const start = useSimulators();

async function optionError(options: unknown): Promise<SimulatorOptionsError> {
  try {
    const sim = await startSimulator(options as SimulatorOptions);
    await sim.close();
  } catch (error) {
    expect(error).toBeInstanceOf(SimulatorOptionsError);
    return error as SimulatorOptionsError;
  }
  throw new Error('expected a SimulatorOptionsError');
}

describe('option validation', () => {
  it.each([
    [{ requestsPerMinute: 0 }, 'requestsPerMinute', 'an integer in [1, 1000000000]'],
    [{ requestsPerMinute: 1.5 }, 'requestsPerMinute', 'an integer in [1, 1000000000]'],
    [{ burst: -1 }, 'burst', 'an integer in [1, 1000000000]'],
    [{ overloadRate: 1.2 }, 'overloadRate', 'a number in [0, 1]'],
    [{ overloadRate: Number.NaN }, 'overloadRate', 'a number in [0, 1]'],
    [{ seed: -3 }, 'seed', 'an integer in [0, 4294967295]'],
    [{ port: 70_000 }, 'port', 'an integer in [0, 65535]'],
    [{ inputTokensPerMinute: 0 }, 'inputTokensPerMinute', 'an integer in [1, 1000000000000]'],
    [
      { acceleration: { windowMs: 0, floor: 1, factor: 2 } },
      'acceleration.windowMs',
      'an integer in [1, 3600000]',
    ],
    [
      { acceleration: { windowMs: 100, floor: 1, factor: 0.5 } },
      'acceleration.factor',
      'a number in [1, 1000]',
    ],
    [{ acceleration: true }, 'acceleration', 'an object with keys windowMs, floor, factor'],
    [
      { overloadWindows: [{ startMs: 10, endMs: 5, rate: 1 }] },
      'overloadWindows[0].endMs',
      'a number in [10, 9007199254740991]',
    ],
    [{ errorRates: { reset: 2 } }, 'errorRates.reset', 'a number in [0, 1]'],
    [
      { errorRates: { api_error: 0.6, timeout_error: 0.6 } },
      'errorRates',
      'probabilities summing to at most 1',
    ],
    [{ spendLimit: 'yes' }, 'spendLimit', 'one of false, "enforced", "contract"'],
    [{ latency: { ttftMs: -1 } }, 'latency.ttftMs', 'a number in [0, 600000]'],
    [{ outputTokens: 0 }, 'outputTokens', 'an integer in [1, 1000000]'],
    [{ models: [] }, 'models', 'a non-empty array of model ids'],
    [{ maxBodyBytes: 0 }, 'maxBodyBytes', 'an integer in [1, 2147483648]'],
    [{ retryAfterMs: 'yes' }, 'retryAfterMs', 'one of true, false'],
    [{ scenario: 'chaos' }, 'scenario', `one of ${scenarioNames.map((n) => JSON.stringify(n)).join(', ')}`],
    [{ script: 'nope' }, 'script', 'an array of scripted outcomes or a function'],
    [
      { script: [{ kind: 'error', status: 418 }] },
      'script[0].status',
      'one of 400, 401, 402, 403, 404, 409, 413, 429, 500, 504, 529',
    ],
    [
      { script: [{ kind: 'explode' }] },
      'script[0].kind',
      'one of "ok", "error", "reset", "hang", "stream-error", "stream-cut", "delay"',
    ],
    [
      { organizationId: 'a b' },
      'organizationId',
      'a non-empty string of at most 200 visible ASCII characters',
    ],
  ])('rejects %j naming the option and the accepted range', async (options, option, expected) => {
    const error = await optionError(options);
    expect(error.option).toBe(option);
    expect(error.expected).toBe(expected);
    expect(error.message).toContain(`\`${option}\``);
    expect(error.message).toContain(expected);
  });

  it('rejects unknown options (typos)', async () => {
    const error = await optionError({ requestPerMinute: 10 });
    expect(error.option).toBe('requestPerMinute');
    expect(error.message).toMatch(/one of the known options: requestsPerMinute/);
    expect((await optionError({ errorRates: { resets: 0.1 } })).option).toBe('errorRates.resets');
  });
});

describe('defaults and scenarios', () => {
  it('has documented defaults', async () => {
    const sim = await start();
    expect(sim.url).toBe(`http://127.0.0.1:${sim.port}`);
    expect(sim.config()).toEqual({
      port: sim.port,
      seed: 1,
      scenario: 'none',
      organizationId: expect.any(String),
      requestsPerMinute: 100_000,
      burst: 1667,
      inputTokensPerMinute: 1e9,
      outputTokensPerMinute: 1e9,
      acceleration: false,
      overloadRate: 0,
      overloadWindows: [],
      errorRates: {
        api_error: 0,
        timeout_error: 0,
        reset: 0,
        hang: 0,
        streamErrorBeforeContent: 0,
        streamErrorAfterContent: 0,
        streamCut: 0,
      },
      spendLimit: false,
      latency: { ttftMs: 20, msPerToken: 1 },
      outputTokens: 16,
      models: DEFAULT_MODELS,
      maxBodyBytes: 32 * 1024 * 1024,
      retryAfterMs: false,
      // Added with the limit mechanisms (issue 13): all off / neutral by default.
      requestIntervalMs: undefined,
      tokenIntervalMs: undefined,
      organizations: {},
      modelGroups: {},
      timeScale: 1,
    });
    expect(DEFAULT_MODELS).toEqual(
      expect.arrayContaining(['claude-sonnet-4-5', 'claude-haiku-4-5', 'claude-opus-4-1']),
    );
  });

  it('derives burst from the rate (one second, at least 1)', async () => {
    expect((await start({ requestsPerMinute: 600 })).config().burst).toBe(10);
    expect((await start({ requestsPerMinute: 20 })).config().burst).toBe(1);
  });

  it('applies a scenario with explicit options overriding it, nested ones key by key', async () => {
    const sim = await start({
      scenario: 'demo',
      burst: 3,
      latency: { ttftMs: 0 },
      errorRates: { api_error: 0 },
    });
    const c = sim.config();
    expect(c.scenario).toBe('demo');
    expect(c.requestsPerMinute).toBe(scenarios.demo.options.requestsPerMinute);
    expect(c.burst).toBe(3);
    expect(c.latency).toEqual({ ttftMs: 0, msPerToken: 4 });
    expect(c.errorRates.api_error).toBe(0);
    expect(c.errorRates.streamErrorAfterContent).toBe(0.03);
    expect(c.acceleration).toEqual({ windowMs: 1000, floor: 4, factor: 2 });
  });

  it('accepts every scenario', async () => {
    for (const name of scenarioNames) {
      const sim = await start({ scenario: name });
      expect(sim.config().scenario).toBe(name);
      expect(scenarios[name].description.length).toBeGreaterThan(10);
    }
  });
});

describe('update() and reset()', () => {
  it('drops a limit mid-run, validates patches atomically', async () => {
    const sim = await start(FAST);
    const client = sdk(sim);
    await client.messages.create(params());
    sim.update({ requestsPerMinute: 60, burst: 1 });
    expect(sim.config()).toMatchObject({ requestsPerMinute: 60, burst: 1 });
    await client.messages.create(params()); // the bucket, clamped to 1, still holds one
    const res = await call(sim, '/v1/messages', params());
    expect(res.status).toBe(429);
    expect(res.headers.get('anthropic-ratelimit-requests-limit')).toBe('60');

    expect(() => sim.update({ overloadRate: 3 })).toThrow(SimulatorOptionsError);
    expect(() => sim.update({ port: 1 } as never)).toThrow(/`port`/);
    expect(() => sim.update({ errorRates: { api_error: 0.7 } })).not.toThrow();
    expect(() => sim.update({ errorRates: { reset: 0.7 } })).toThrow(/summing to at most 1/);
    expect(sim.config().errorRates).toMatchObject({ api_error: 0.7, reset: 0 });
    sim.update({ requestsPerMinute: 100_000, errorRates: { api_error: 0 } });
    expect(sim.config().burst).toBe(1); // burst stays as set
  });

  it('reset() clears statistics and buckets and re-seeds', async () => {
    const sim = await start({ ...FAST, requestsPerMinute: 60, burst: 1 });
    const first = await call(sim, '/v1/messages', params());
    expect((await call(sim, '/v1/messages', params())).status).toBe(429);
    expect(sim.stats().attempts).toBe(2);
    sim.reset();
    expect(sim.stats()).toMatchObject({ attempts: 0, byStatus: {}, retryAfterViolations: 0 });
    const again = await call(sim, '/v1/messages', params());
    expect(again.status).toBe(200);
    expect(again.headers.get('request-id')).toBe(first.headers.get('request-id'));
    expect((again.json as { id: string }).id).toBe((first.json as { id: string }).id);
  });
});

describe('options of the limit mechanisms (issue 13)', () => {
  it.each([
    [
      { acceleration: { kind: 'burst' } },
      'acceleration.kind',
      'one of "none", "windows", "inflight", "rate"',
    ],
    [
      { acceleration: { kind: 'windows', windowMs: 0, floor: 1, factor: 2 } },
      'acceleration.windowMs',
      'an integer in [1, 3600000]',
    ],
    [{ acceleration: { kind: 'inflight' } }, 'acceleration.initial', 'an integer in [1, 1000000000]'],
    [{ acceleration: { kind: 'inflight', initial: 4, min: 5 } }, 'acceleration.min', 'an integer in [1, 4]'],
    [
      { acceleration: { kind: 'inflight', initial: 4, max: 3 } },
      'acceleration.max',
      'an integer in [4, 1000000000]',
    ],
    [
      { acceleration: { kind: 'inflight', initial: 4, factorPerSec: 0.5 } },
      'acceleration.factorPerSec',
      'a number in [1, 1000]',
    ],
    [
      { acceleration: { kind: 'inflight', initial: 4, threshold: 0.9 } },
      'acceleration.threshold',
      'a number in [0.01, 0.5]',
    ],
    [
      { acceleration: { kind: 'inflight', initial: 4, growthPerSec: 1 } },
      'acceleration.growthPerSec',
      'one of the known options: kind, initial, min, max, factorPerSec, decayPerSec, threshold',
    ],
    [
      { acceleration: { kind: 'rate', initial: 4 } },
      'acceleration.growthPerSec',
      'a number in [0, 1000000000]',
    ],
    [
      { acceleration: { kind: 'rate', initial: 4, growthPerSec: 1, windowMs: 0 } },
      'acceleration.windowMs',
      'an integer in [1, 3600000]',
    ],
    [
      { acceleration: { kind: 'rate', initial: 4, growthPerSec: 1, shrinkPerSec: -1 } },
      'acceleration.shrinkPerSec',
      'a number in [0, 1000000000]',
    ],
    [{ acceleration: { kind: 'none', floor: 1 } }, 'acceleration.floor', 'one of the known options: kind'],
    [{ requestIntervalMs: 0 }, 'requestIntervalMs', 'an integer in [1, 60000]'],
    [{ tokenIntervalMs: 60_001 }, 'tokenIntervalMs', 'an integer in [1, 60000]'],
    [{ organizations: ['a'] }, 'organizations', 'an object mapping strings to names'],
    [
      { organizations: { 'sk-a': 'org 1' } },
      'organizations["sk-a"]',
      'a non-empty string of at most 200 visible ASCII characters',
    ],
    [
      { modelGroups: { m: 3 } },
      'modelGroups["m"]',
      'a non-empty string of at most 200 visible ASCII characters',
    ],
    [{ outputTokens: { min: 0, max: 3 } }, 'outputTokens.min', 'an integer in [1, 1000000]'],
    [{ outputTokens: { min: 5, max: 3 } }, 'outputTokens.max', 'an integer in [5, 1000000]'],
    [{ outputTokens: { min: 5 } }, 'outputTokens.max', 'an integer in [5, 1000000]'],
    [{ timeScale: 0 }, 'timeScale', 'a number in [0.01, 1000]'],
  ])('rejects %j naming the option and the accepted range', async (options, option, expected) => {
    const error = await optionError(options);
    expect(error.option).toBe(option);
    expect(error.expected).toBe(expected);
  });

  it('resolves the new options into the configuration, and update() changes the runtime ones', async () => {
    const sim = await start({
      requestsPerMinute: 600,
      requestIntervalMs: 500,
      acceleration: { kind: 'rate', initial: 5, growthPerSec: 1 },
      organizations: { 'sk-a': 'org-a' },
      modelGroups: { 'claude-opus-4-1': 'opus' },
      outputTokens: { min: 1, max: 9 },
      timeScale: 2,
    });
    expect(sim.config()).toMatchObject({
      burst: 5,
      requestIntervalMs: 500,
      acceleration: {
        kind: 'rate',
        initial: 5,
        growthPerSec: 1,
        windowMs: 1000,
        shrinkPerSec: 1,
        min: 5,
        max: 1e9,
        threshold: 0.5,
      },
      organizations: { 'sk-a': 'org-a' },
      modelGroups: { 'claude-opus-4-1': 'opus' },
      outputTokens: { min: 1, max: 9 },
      timeScale: 2,
    });
    sim.update({ acceleration: { kind: 'none' }, organizations: {}, outputTokens: 3 });
    expect(sim.config()).toMatchObject({ acceleration: false, organizations: {}, outputTokens: 3, burst: 5 });
    expect(() => sim.update({ timeScale: 3 } as never)).toThrow(/`timeScale`/);
    sim.update({ acceleration: { kind: 'inflight', initial: 2 } });
    expect(sim.config().acceleration).toMatchObject({
      kind: 'inflight',
      initial: 2,
      min: 2,
      factorPerSec: 2,
      decayPerSec: 2,
    });
  });

  it('has scenarios for the new mechanisms', async () => {
    expect((await start({ scenario: 'ramp-inflight' })).config().acceleration).toMatchObject({
      kind: 'inflight',
      initial: 8,
    });
    expect((await start({ scenario: 'ramp-rate' })).config()).toMatchObject({
      burst: 100,
      acceleration: { kind: 'rate', initial: 10 },
    });
  });
});
