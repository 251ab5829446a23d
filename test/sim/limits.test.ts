// Rate limits (token buckets), retry-after, violations, the acceleration limit and spend limits.
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import {
  call,
  FAST,
  errorJson,
  params,
  rejection,
  sdk,
  sleep,
  useSimulators,
  type Rejection,
} from './helpers.js';

type ErrorBody = { error: { message: string; details?: unknown } };

const start = useSimulators();

describe('request rate limit', () => {
  it('passes the burst, then admits about the configured rate (600 RPM, burst 5 → 10/s)', async () => {
    const sim = await start({ ...FAST, requestsPerMinute: 600, burst: 5 });
    const client = sdk(sim);
    // Ten at once: the burst of 5 passes, and the rest are refused unless their arrival spreads over
    // half a second (a refill every 100 ms). Sent one after another, a loaded machine can spread
    // six calls past 100 ms and let the sixth through.
    const settled = await Promise.allSettled(
      Array.from({ length: 10 }, () => client.messages.create(params())),
    );
    expect(settled.filter((r) => r.status === 'fulfilled').length).toBeGreaterThanOrEqual(5);
    const refused = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused).toBeDefined();
    const error = refused!.reason as Rejection;
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect(error.errorCode).toBeNull();
    expect(error.headers.get('retry-after')).toBe('1');
    expect(error.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    expect(error.error).toEqual(
      errorJson(
        'rate_limit_error',
        "This request would exceed your organization's rate limit of 600 requests per minute. Please reduce the prompt length or the maximum tokens requested, or try again later. See the response headers for current usage.",
        error.requestID,
      ),
    );

    // Hammer for ~1.2 s: the bucket lets one through every 100 ms.
    const okAt: number[] = [];
    const t0 = performance.now();
    while (performance.now() - t0 < 1200) {
      const res = await call(sim, '/v1/messages', params());
      if (res.status === 200) okAt.push(performance.now() - t0);
      else expect(res.status).toBe(429);
    }
    expect(okAt.length).toBeGreaterThanOrEqual(10);
    expect(okAt.length).toBeLessThanOrEqual(14);
    // Admissions are 100 ms apart at the simulator; this client sees each when its answer arrives,
    // which a loaded machine may delay for one and not the next, so one gap says little: the mean
    // over the run does not move by more than one answer's delay.
    const meanGap = (okAt.at(-1)! - okAt[0]!) / (okAt.length - 1);
    expect(meanGap).toBeGreaterThan(80);
    expect(sim.stats().byStatus['429']).toBeGreaterThan(20);
  });

  it('says retry-after in whole seconds (ceil, min 1) and retry-after-ms when asked', async () => {
    const sim = await start({ ...FAST, requestsPerMinute: 30, burst: 1, retryAfterMs: true });
    await call(sim, '/v1/messages', params());
    const res = await call(sim, '/v1/messages', params());
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('2');
    const ms = Number(res.headers.get('retry-after-ms'));
    expect(ms).toBeGreaterThan(1000); // 2000 minus the time between the two calls (long on a loaded machine)
    expect(ms).toBeLessThanOrEqual(2000);
    // One a second: the next call is refused for at most a second (retry-after 1), however long the
    // time between the two calls on a loaded machine (at 100/s a 10 ms gap let it through).
    const plain = await start({ ...FAST, requestsPerMinute: 60, burst: 1 });
    await call(plain, '/v1/messages', params());
    const quick = await call(plain, '/v1/messages', params());
    expect(quick.headers.get('retry-after')).toBe('1');
    expect(quick.headers.get('retry-after-ms')).toBeNull();
  });

  it('keeps state per organization and model (keys not mapped share the default organization); models and count_tokens share one request bucket', async () => {
    const sim = await start({ ...FAST, requestsPerMinute: 60, burst: 1, organizations: { 'sk-b': 'org-b' } });
    const a = { 'x-api-key': 'sk-a' };
    expect((await call(sim, '/v1/messages', params(), a)).status).toBe(200);
    expect((await call(sim, '/v1/messages', params(), a)).status).toBe(429);
    expect((await call(sim, '/v1/messages', params(), { 'x-api-key': 'sk-a2' })).status).toBe(429);
    expect((await call(sim, '/v1/messages', params({ model: 'claude-opus-4-1' }), a)).status).toBe(200);
    expect((await call(sim, '/v1/messages', params(), { 'x-api-key': 'sk-b' })).status).toBe(200);
    expect((await call(sim, '/v1/models', undefined, a)).status).toBe(200);
    const counted = await call(
      sim,
      '/v1/messages/count_tokens',
      { model: params().model, messages: params().messages },
      a,
    );
    expect(counted.status).toBe(429);
    expect(counted.headers.get('retry-after')).toBe('1');
  });

  it('counts retry-after violations per key and model, for any attempt', async () => {
    const sim = await start({ ...FAST, requestsPerMinute: 600, burst: 1, retryAfterMs: true });
    await call(sim, '/v1/messages', params());
    const refused = await call(sim, '/v1/messages', params());
    expect(refused.status).toBe(429);
    await call(sim, '/v1/messages', params()); // too early: a violation
    await call(sim, '/v1/messages', params({ model: 'claude-opus-4-1' })); // other model: fine
    expect(sim.stats().retryAfterViolations).toBe(1);
    await sleep(Number(refused.headers.get('retry-after-ms')) + 110);
    expect((await call(sim, '/v1/messages', params())).status).toBe(200);
    expect(sim.stats().retryAfterViolations).toBe(1);

    // Without retry-after-ms, the wait asked for is the whole seconds of retry-after.
    const plain = await start({ ...FAST, requestsPerMinute: 600, burst: 1 });
    await call(plain, '/v1/messages', params());
    expect((await call(plain, '/v1/messages', params())).headers.get('retry-after')).toBe('1');
    await sleep(150); // the bucket has a token again, but the 1 s asked for has not passed
    expect((await call(plain, '/v1/messages', params())).status).toBe(200);
    expect(plain.stats().retryAfterViolations).toBe(1);
  });

  it('limits input and output tokens (output estimated from max_tokens)', async () => {
    const sim = await start({ ...FAST, inputTokensPerMinute: 1000, outputTokensPerMinute: 100 });
    const client = sdk(sim);
    const big = params({ messages: [{ role: 'user', content: 'x'.repeat(3600) }] }); // ≈ 903 input tokens
    await client.messages.create(big);
    const error = await rejection(client.messages.create(big));
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect(error.message).toContain('1000 input tokens per minute');
    // 97 tokens left, 903 needed, 1000/min: (903 − 97) × 60 ms ≈ 48.4 s
    expect(error.headers.get('retry-after')).toBe('49');

    const out = await start({ ...FAST, outputTokensPerMinute: 100 });
    const outClient = sdk(out);
    await outClient.messages.create(params({ max_tokens: 100 })); // takes 16 actual tokens
    const refused = await rejection(outClient.messages.create(params({ max_tokens: 100 }))); // needs 100 up front
    expect(refused.message).toContain('100 output tokens per minute');
    expect((await outClient.messages.create(params({ max_tokens: 50 }))).usage.output_tokens).toBe(16);
  });
});

describe('acceleration limit', () => {
  it('refuses a sharp burst far above the floor with ramp_limit_exceeded', async () => {
    const sim = await start({ ...FAST, acceleration: { windowMs: 1000, floor: 3, factor: 2 } });
    const client = sdk(sim);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => client.messages.create(params())),
    );
    const refused = results
      .filter((r) => r.status === 'rejected')
      .map((r) => (r as PromiseRejectedResult).reason);
    expect(results.length - refused.length).toBe(3);
    expect(refused).toHaveLength(17);
    const error = refused[0];
    expect(error).toBeInstanceOf(Anthropic.RampLimitExceededError);
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect(error.errorCode).toBe('ramp_limit_exceeded');
    expect(error.error.error.details).toEqual({ error_code: 'ramp_limit_exceeded' });
    expect(error.error.request_id).toBe(error.requestID);
    expect(error.headers.get('retry-after')).toBe('1');
    expect(sim.stats().byErrorCode).toEqual({ ramp_limit_exceeded: 17 });
  });

  it('lets a gradual ramp pass (floor, then ×factor per window)', async () => {
    const sim = await start({ ...FAST, acceleration: { windowMs: 250, floor: 2, factor: 2 } });
    const client = sdk(sim);
    sim.reset(); // windows start now
    const t0 = performance.now();
    for (const [window, count] of [
      [0, 2],
      [1, 4],
      [2, 8],
      [3, 16],
    ] as const) {
      await sleep(Math.max(0, t0 + window * 250 + 60 - performance.now()));
      await Promise.all(Array.from({ length: count }, () => client.messages.create(params())));
    }
    expect(sim.stats().byStatus).toEqual({ '200': 30 });
  });
});

describe('spend limits', () => {
  it('answers 429 enforced_spend_limit_reached without retry-after', async () => {
    const sim = await start({ scenario: 'spend-limit' });
    const error = await rejection(sdk(sim).messages.create(params()));
    expect(error).toBeInstanceOf(Anthropic.EnforcedSpendLimitReachedError);
    expect(error.status).toBe(429);
    expect(error.errorCode).toBe('enforced_spend_limit_reached');
    expect(error.headers.get('retry-after')).toBeNull();
    expect(error.error.error.details).toEqual({ error_code: 'enforced_spend_limit_reached' });
  });

  it('supports contract_spend_limit_reached', async () => {
    const sim = await start({ spendLimit: 'contract', retryAfterMs: true });
    const res = await call(sim, '/v1/messages', params());
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBeNull();
    expect(res.headers.get('retry-after-ms')).toBeNull();
    expect((res.json as ErrorBody).error.details).toEqual({ error_code: 'contract_spend_limit_reached' });
    const error = await rejection(sdk(sim).messages.create(params()));
    expect(error).toBeInstanceOf(Anthropic.ContractSpendLimitReachedError);
  });
});
