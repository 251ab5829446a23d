/** The retry table and the delay policy, end to end: the real SDK over real HTTP to the simulator. */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { gatewayClient, PARAMS, sim, until } from '../helpers.js';
import type { AttemptInfo, ScriptedErrorStatus, ScriptedOutcome } from '../../src/sim/index.js';

const fatal: Array<[ScriptedErrorStatus, abstract new (...a: never[]) => Error]> = [
  [400, Anthropic.BadRequestError],
  [401, Anthropic.AuthenticationError],
  [402, Anthropic.PaymentRequiredError],
  [403, Anthropic.PermissionDeniedError],
  [404, Anthropic.NotFoundError],
  [413, Anthropic.APIError],
];

describe('never retried: the caller must fix these', () => {
  it.each(fatal)('%i is sent exactly once and surfaces as the SDK’s typed error', async (status, Class) => {
    const s = await sim();
    s.enqueue({ kind: 'error', status });
    const { client } = gatewayClient(s);
    const err = await client.messages.create(PARAMS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Class);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(status);
    expect(s.stats().attempts).toBe(1);
  });

  it('a real validation error from the API (missing max_tokens) is sent once', async () => {
    const s = await sim();
    const { client } = gatewayClient(s);
    const err = await client.messages
      .create({ model: PARAMS.model, messages: PARAMS.messages } as never)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect(s.stats().attempts).toBe(1);
  });

  it('a 429 spend limit is not retried and has no retry-after', async () => {
    const s = await sim({ spendLimit: 'enforced' });
    const { client } = gatewayClient(s);
    const err = (await client.messages.create(PARAMS).catch((e: unknown) => e)) as InstanceType<
      typeof Anthropic.RateLimitError
    >;
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    expect(err.errorCode).toBe('enforced_spend_limit_reached');
    expect(s.stats().attempts).toBe(1);
  });

  it('x-should-retry: false on a 529 is obeyed', async () => {
    const s = await sim();
    s.enqueue({ kind: 'error', status: 529, shouldRetry: false });
    const { client } = gatewayClient(s);
    await expect(client.messages.create(PARAMS)).rejects.toBeInstanceOf(Anthropic.InternalServerError);
    expect(s.stats().attempts).toBe(1);
  });
});

/** Serves `outcomes` to the first attempts, in order, and records when each attempt arrived and
 * with which retry count. */
function arrivals(...outcomes: ScriptedOutcome[]) {
  const log: Array<{ at: number; retry: number }> = [];
  const script = (info: AttemptInfo) => {
    log.push({ at: performance.now(), retry: info.retryCount });
    return outcomes[info.attempt];
  };
  return { log, script };
}

describe('retried, after the right wait from the right source', () => {
  it('429 with retry-after: waits at least that long, then succeeds', async () => {
    const a = arrivals({ kind: 'error', status: 429, retryAfterMs: 300, retryAfterSec: 1 });
    const s = await sim({ script: a.script });
    const { client } = gatewayClient(s);
    const msg = await client.messages.create(PARAMS);
    expect(msg.type).toBe('message');
    expect(a.log.map((x) => x.retry)).toEqual([0, 1]);
    expect(a.log[1]!.at - a.log[0]!.at).toBeGreaterThanOrEqual(295);
    expect(s.stats().retryAfterViolations).toBe(0);
  });

  it('whole-second retry-after without retry-after-ms is honoured too', async () => {
    const a = arrivals({ kind: 'error', status: 429, retryAfterSec: 1 });
    const s = await sim({ script: a.script });
    const { client } = gatewayClient(s);
    await client.messages.create(PARAMS);
    expect(a.log[1]!.at - a.log[0]!.at).toBeGreaterThanOrEqual(995);
  });

  it.each([500, 504, 529] as const)(
    '%i without retry-after: exponential backoff within the cap',
    async (status) => {
      const a = arrivals({ kind: 'error', status }, { kind: 'error', status });
      const s = await sim({ script: a.script });
      const { client } = gatewayClient(s, { baseDelayMs: 40, maxDelayMs: 60 });
      const msg = await client.messages.create(PARAMS);
      expect(msg.type).toBe('message');
      expect(a.log.map((x) => x.retry)).toEqual([0, 1, 2]);
      // Full jitter: each wait in [0, min(cap, base·2^(n−1))], plus request time.
      expect(a.log[2]!.at - a.log[1]!.at).toBeLessThan(60 + 150);
    },
  );

  it('ramp_limit_exceeded: the refused call waits its own retry-after; other calls are not held', async () => {
    const s = await sim({ latency: { ttftMs: 5, msPerToken: 0 } });
    s.enqueue({
      kind: 'error',
      status: 429,
      errorCode: 'ramp_limit_exceeded',
      retryAfterMs: 300,
      retryAfterSec: 1,
    });
    const { gateway, client } = gatewayClient(s, { concurrencyInitial: 8 });
    const started = performance.now();
    const refused = client.messages.create(PARAMS).then(() => performance.now() - started);
    await until(() => s.stats().attempts >= 1);
    const other = client.messages.create(PARAMS).then(() => performance.now() - started);
    expect(await other).toBeLessThan(250); // sent at once: the key+model is not held
    expect(await refused).toBeGreaterThanOrEqual(295); // its own retry-after
    expect(gateway.limiters()[0]!.limit).toBe(8); // the concurrency limit is not what it cut
    expect(s.stats().attempts).toBe(3);
  });

  it('a reset connection is retried', async () => {
    const s = await sim();
    s.enqueue({ kind: 'reset' });
    const { client } = gatewayClient(s);
    expect((await client.messages.create(PARAMS)).type).toBe('message');
    expect(s.stats()).toMatchObject({ attempts: 2, resets: 1 });
  });

  it('a response that never comes hits the per-attempt timeout and is retried on a live signal', async () => {
    const s = await sim();
    s.enqueue({ kind: 'hang' }, { kind: 'hang' });
    const { client } = gatewayClient(s, {}, { timeout: 150 });
    const started = Date.now();
    expect((await client.messages.create(PARAMS)).type).toBe('message');
    expect(s.stats()).toMatchObject({ attempts: 3, hangs: 2 });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('gives up after maxRetries with the last typed error', async () => {
    const s = await sim({ overloadRate: 1 });
    const { client } = gatewayClient(s, { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 10 });
    await expect(client.messages.create(PARAMS)).rejects.toBeInstanceOf(Anthropic.InternalServerError);
    expect(s.stats().attempts).toBe(3);
  });

  it('a per-request maxRetries sets the gateway’s limit for that call, and the SDK never retries on top', async () => {
    const s = await sim({ overloadRate: 1 });
    const { client } = gatewayClient(s, { baseDelayMs: 5, maxDelayMs: 10 });
    await expect(client.messages.create(PARAMS, { maxRetries: 1 })).rejects.toBeInstanceOf(
      Anthropic.APIError,
    );
    expect(s.stats().attempts).toBe(2);
  });
});

describe('caps and deadline: fail at once instead of sleeping', () => {
  it('a retry-after over maxRetryAfterMs fails at once with the RateLimitError', async () => {
    const s = await sim();
    s.enqueue({ kind: 'error', status: 429, retryAfterSec: 30 });
    const { client } = gatewayClient(s, { maxRetryAfterMs: 5000 });
    const started = Date.now();
    const err = (await client.messages.create(PARAMS).catch((e: unknown) => e)) as InstanceType<
      typeof Anthropic.RateLimitError
    >;
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    expect(err.headers?.get('retry-after')).toBe('30');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(s.stats().attempts).toBe(1);
  });

  it('a wait past the whole-call deadline fails at once', async () => {
    const s = await sim();
    s.enqueue({ kind: 'error', status: 429, retryAfterSec: 2 });
    const { client } = gatewayClient(s, { timeoutMs: 1000 });
    const started = Date.now();
    await expect(client.messages.create(PARAMS)).rejects.toBeInstanceOf(Anthropic.RateLimitError);
    expect(Date.now() - started).toBeLessThan(800);
  });

  it('the deadline ends a call stuck in flight with the SDK’s timeout error', async () => {
    const s = await sim();
    s.enqueue({ kind: 'hang' });
    const { client } = gatewayClient(s, { timeoutMs: 200 });
    const started = Date.now();
    await expect(client.messages.create(PARAMS)).rejects.toBeInstanceOf(Anthropic.APIConnectionTimeoutError);
    expect(Date.now() - started).toBeLessThan(1500);
  });
});

describe('non-idempotent creates', () => {
  it('batches.create is not resent after a dropped connection, where the server may have acted', async () => {
    const s = await sim();
    s.enqueue({ kind: 'reset', endpoint: 'any' });
    const { client } = gatewayClient(s);
    const err = await client.messages.batches
      .create({ requests: [{ custom_id: 'a', params: PARAMS }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIConnectionError);
    expect(s.stats().attempts).toBe(1);
  });
});

describe('retries a call may spend', () => {
  it('acceleration refusals while the API admits other calls do not spend the call’s retries', async () => {
    const s = await sim({ latency: { ttftMs: 2, msPerToken: 0 } });
    const { client } = gatewayClient(s, { maxRetries: 1 });
    await client.messages.create(PARAMS); // the API admits this key+model's calls
    const refusal = {
      kind: 'error' as const,
      status: 429 as const,
      errorCode: 'ramp_limit_exceeded',
      retryAfterMs: 20,
    };
    s.enqueue(refusal, refusal, refusal);
    expect((await client.messages.create(PARAMS)).type).toBe('message');
    expect(s.stats().attempts).toBe(5); // 1 + 3 refused + 1, with maxRetries 1
  });

  it('rate-limit refusals while the API admits other calls do not spend them either; 529s do', async () => {
    const s = await sim({ latency: { ttftMs: 2, msPerToken: 0 } });
    const { client } = gatewayClient(s, { maxRetries: 1 });
    await client.messages.create(PARAMS);
    const refusal = { kind: 'error' as const, status: 429 as const, retryAfterMs: 20 };
    s.enqueue(refusal, refusal, refusal);
    expect((await client.messages.create(PARAMS)).type).toBe('message');
    expect(s.stats().attempts).toBe(5); // 1 + 3 refused + 1, with maxRetries 1
    s.enqueue(...Array.from({ length: 3 }, () => ({ kind: 'error' as const, status: 529 as const })));
    await expect(client.messages.create(PARAMS)).rejects.toBeInstanceOf(Anthropic.InternalServerError);
    expect(s.stats().attempts).toBe(7); // 2 overloads: maxRetries 1
  });

  it('a per-request maxRetries above the gateway’s is honoured (and the SDK still never retries)', async () => {
    const s = await sim();
    const always529 = Array.from({ length: 10 }, () => ({ kind: 'error' as const, status: 529 as const }));
    s.enqueue(...always529);
    const { client } = gatewayClient(s, { maxRetries: 2 });
    await expect(client.messages.create(PARAMS, { maxRetries: 4 })).rejects.toBeInstanceOf(
      Anthropic.InternalServerError,
    );
    expect(s.stats().attempts).toBe(5);
  });
});
