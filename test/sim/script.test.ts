// Scripted outcomes: the queue (option and enqueue()), the script function, AttemptInfo, and every
// scripted error status surfacing as the SDK's typed class; attempts-per-request statistics.
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { SimulatorOptionsError, type AttemptInfo } from '../../src/sim/index.js';
import { call, FAST, errorJson, MODEL, params, rejection, sdk, useSimulators } from './helpers.js';

type ErrorBody = { error: { message: string; details?: unknown } };

const start = useSimulators();

describe('scripted errors', () => {
  it.each([
    [400, Anthropic.BadRequestError, 'invalid_request_error'],
    [401, Anthropic.AuthenticationError, 'authentication_error'],
    [402, Anthropic.PaymentRequiredError, 'billing_error'],
    [403, Anthropic.PermissionDeniedError, 'permission_error'],
    [404, Anthropic.NotFoundError, 'not_found_error'],
    [409, Anthropic.ConflictError, 'conflict_error'],
    [413, Anthropic.ContentTooLargeError, 'request_too_large'],
    [429, Anthropic.RateLimitError, 'rate_limit_error'],
    [500, Anthropic.InternalServerError, 'api_error'],
    [504, Anthropic.GatewayTimeoutError, 'timeout_error'],
    [529, Anthropic.OverloadedError, 'overloaded_error'],
  ] as const)('%i surfaces as %O with error.type %s', async (status, ErrorClass, type) => {
    const sim = await start({ script: [{ kind: 'error', status }] });
    const error = await rejection(sdk(sim).messages.create(params()));
    expect(error).toBeInstanceOf(ErrorClass);
    expect(error.status).toBe(status);
    expect(error.type).toBe(type);
    expect(error.error).toEqual(errorJson(type, expect.any(String) as never, error.requestID));
    expect(error.headers.get('anthropic-organization-id')).not.toBeNull();
  });

  it('sends error codes, retry-after, retry-after-ms and x-should-retry as scripted', async () => {
    const sim = await start({ ...FAST });
    sim.enqueue({
      kind: 'error',
      status: 429,
      errorCode: 'ramp_limit_exceeded',
      retryAfterSec: 3,
      retryAfterMs: 2500,
      message: 'slow down',
    });
    const res = await call(sim, '/v1/messages', params());
    expect(res.json).toEqual(
      errorJson('rate_limit_error', 'slow down', res.headers.get('request-id')!, 'ramp_limit_exceeded'),
    );
    expect(res.headers.get('retry-after')).toBe('3');
    expect(res.headers.get('retry-after-ms')).toBe('2500');
    expect((await call(sim, '/v1/messages', params())).status).toBe(200); // within the scripted hold
    expect(sim.stats().retryAfterViolations).toBe(1);

    sim.enqueue({ kind: 'error', status: 500, shouldRetry: false });
    const client = sdk(sim, { maxRetries: 2 });
    const error = await rejection(client.messages.create(params({ model: 'claude-opus-4-1' })));
    expect(error.headers.get('x-should-retry')).toBe('false');
    expect(sim.stats().attempts).toBe(3);
  });
});

describe('queue and function', () => {
  it('consumes the queue one outcome per attempt, matching endpoints, then behaves normally', async () => {
    const sim = await start({
      ...FAST,
      script: [
        { kind: 'error', status: 529, endpoint: 'count_tokens' },
        { kind: 'error', status: 500 },
        { kind: 'error', status: 504, endpoint: 'any' },
      ],
    });
    const body = { model: MODEL, messages: params().messages };
    expect((await call(sim, '/v1/messages', params())).status).toBe(500);
    expect((await call(sim, '/v1/models')).status).toBe(504);
    expect((await call(sim, '/v1/messages', params())).status).toBe(200);
    expect((await call(sim, '/v1/messages/count_tokens', body)).status).toBe(529);
    expect((await call(sim, '/v1/messages/count_tokens', body)).status).toBe(200);
    expect(sim.stats().scripted).toBe(3);
    sim.reset(); // back to the option's queue
    expect((await call(sim, '/v1/messages', params())).status).toBe(500);
  });

  it('gives the function what it needs, never the API key', async () => {
    const infos: AttemptInfo[] = [];
    const sim = await start({ ...FAST, script: (info) => void infos.push(info) });
    await sdk(sim).messages.create(params({ stream: false }));
    await call(sim, '/v1/models?limit=1', undefined, { authorization: 'Bearer sk-secret' });
    await call(sim, '/v1/messages', '{oops');
    expect(infos[0]).toEqual({
      attempt: 0,
      method: 'POST',
      path: '/v1/messages',
      endpoint: 'messages',
      model: MODEL,
      stream: false,
      retryCount: 0,
      body: params({ stream: false }),
    });
    expect(infos[1]).toMatchObject({
      attempt: 1,
      method: 'GET',
      path: '/v1/models',
      endpoint: 'models',
      model: undefined,
      body: undefined,
    });
    expect(infos[2]).toMatchObject({ attempt: 2, endpoint: 'messages', body: undefined });
    expect(JSON.stringify(infos)).not.toMatch(/sk-/);
  });

  it('counts attempts per request through SDK retries', async () => {
    const sim = await start({
      ...FAST,
      script: (info) =>
        info.retryCount < 2 && (info.body as { metadata?: unknown }).metadata ?
          { kind: 'error', status: 529, retryAfterMs: 5 }
        : undefined,
    });
    const client = sdk(sim, { maxRetries: 3 });
    await client.messages.create(params({ metadata: { user_id: 'u1' } }));
    await client.messages.create(params());
    expect(sim.stats()).toMatchObject({
      attempts: 4,
      logicalRequests: 2,
      attemptsPerRequest: { mean: 2, histogram: { '1': 1, '3': 1 } },
      byStatus: { '200': 2, '529': 2 },
    });
  });

  it('delays, forces success past limits, and maps stream faults on non-streaming requests', async () => {
    const sim = await start({ ...FAST, spendLimit: 'enforced' });
    sim.enqueue(
      { kind: 'delay', ms: 150 },
      { kind: 'ok' },
      { kind: 'stream-error', afterDeltas: 1 },
      { kind: 'stream-cut', afterDeltas: 1 },
    );
    const client = sdk(sim);
    const t = performance.now();
    expect(await rejection(client.messages.create(params()))).toBeInstanceOf(
      Anthropic.EnforcedSpendLimitReachedError,
    );
    expect(performance.now() - t).toBeGreaterThanOrEqual(140);
    expect((await client.messages.create(params())).type).toBe('message');
    expect(await rejection(client.messages.create(params()))).toBeInstanceOf(Anthropic.OverloadedError);
    expect(await rejection(client.messages.create(params()))).toBeInstanceOf(Anthropic.APIConnectionError);
  });

  it('validates enqueued and returned outcomes', async () => {
    const sim = await start({ script: () => ({ kind: 'delay' }) as never });
    expect(() => sim.enqueue({ kind: 'stream-cut', afterDeltas: -1 })).toThrow(SimulatorOptionsError);
    expect(() => sim.enqueue({ kind: 'hang', status: 500 } as never)).toThrow(/enqueue\[0\]\.status/);
    const res = await call(sim, '/v1/messages', params());
    expect(res.status).toBe(500);
    expect((res.json as ErrorBody).error.message).toMatch(
      /^Simulator script failed: Invalid simulator option `script\(\)\.ms`/,
    );
  });
});
