// The limit mechanisms of issue 13 over HTTP, with the real SDK: the inflight and rate
// acceleration mechanisms, output-token reservations, organization and model-group pools, the
// interval-enforced request bucket, drawn output lengths and the time scale. Timings are loose:
// the machine may be loaded.
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ORGANIZATION_ID } from '../../src/sim/index.js';
import { call, FAST, params, sdk, sleep, useSimulators } from './helpers.js';

type ErrorBody = { error: { message: string; details?: unknown } };

const start = useSimulators();
const ORG = { organizations: { 'sk-test': 'org-test' } };
const POOL = 'org-test/claude-haiku-4-5';

describe('inflight acceleration mechanism', () => {
  it('refuses attempts past the in-flight cap with ramp_limit_exceeded and retry-after 1', async () => {
    const sim = await start({
      ...ORG,
      retryAfterMs: true,
      latency: { ttftMs: 1000, msPerToken: 0 },
      acceleration: { kind: 'inflight', initial: 3, max: 3 },
    });
    const client = sdk(sim);
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => client.messages.create(params())),
    );
    const refused = results
      .filter((r) => r.status === 'rejected')
      .map((r) => (r as PromiseRejectedResult).reason);
    expect(refused).toHaveLength(5);
    const error = refused[0];
    expect(error).toBeInstanceOf(Anthropic.RampLimitExceededError);
    expect(error.headers.get('retry-after')).toBe('1');
    expect(error.headers.get('retry-after-ms')).toBe('1000'); // at max: only a finishing call makes room
    const stats = sim.stats();
    expect(stats.refusals).toEqual({ 'ramp:inflight': 5 });
    expect(stats.byErrorCode).toEqual({ ramp_limit_exceeded: 5 });
    expect(stats.pools[POOL]).toMatchObject({
      admitted: 3,
      peakInFlight: 3,
      inFlight: 0,
      refusals: { 'ramp:inflight': 5 },
    });
    // Slots are free again once the responses ended.
    sim.update({ latency: { ttftMs: 0 } });
    expect((await call(sim, '/v1/messages', params({ max_tokens: 1 }))).status).toBe(200);
  });

  it('counts a hung attempt as in flight until its connection closes', async () => {
    const sim = await start({
      ...FAST,
      acceleration: { kind: 'inflight', initial: 1, max: 1 },
      errorRates: { hang: 1 },
    });
    const client = sdk(sim, { timeout: 300 });
    await expect(client.messages.create(params())).rejects.toBeInstanceOf(
      Anthropic.APIConnectionTimeoutError,
    );
    sim.update({ errorRates: { hang: 0 } });
    await sleep(50);
    expect((await client.messages.create(params())).type).toBe('message');
  });
});

describe('rate acceleration mechanism', () => {
  it('caps admissions in the trailing window', async () => {
    const sim = await start({
      ...FAST,
      acceleration: { kind: 'rate', initial: 4, growthPerSec: 0, windowMs: 2000 },
    });
    const results = await Promise.all(Array.from({ length: 10 }, () => call(sim, '/v1/messages', params())));
    expect(results.filter((r) => r.status === 200)).toHaveLength(4);
    const refusal = results.find((r) => r.status === 429)!;
    expect((refusal.json as ErrorBody).error.details).toEqual({ error_code: 'ramp_limit_exceeded' });
    expect(['1', '2']).toContain(refusal.headers.get('retry-after')); // the oldest slides out ≤ 2 s later
    expect(sim.stats().refusals).toEqual({ 'ramp:rate': 6 });
  });
});

describe('output tokens reserved from max_tokens', () => {
  it('refuses while reservations are outstanding, then gives back the unused part', async () => {
    const sim = await start({ ...ORG, outputTokensPerMinute: 100, latency: { ttftMs: 400, msPerToken: 0 } });
    const client = sdk(sim);
    // Two concurrent calls reserving 60 each: the second does not fit while the first runs…
    const [first, second] = await Promise.allSettled([
      client.messages.create(params({ max_tokens: 60 })),
      client.messages.create(params({ max_tokens: 60 })),
    ]);
    const outcomes = [first.status, second.status].sort();
    expect(outcomes).toEqual(['fulfilled', 'rejected']);
    const refused = (first.status === 'rejected' ? first : second) as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(Anthropic.RateLimitError);
    expect(refused.reason.message).toContain('100 output tokens per minute');
    // …and once it ended only its 16 actual tokens stay taken: 84 (+ refill) ≥ 60.
    const ok = await client.messages.create(params({ max_tokens: 60 }));
    expect(ok.usage.output_tokens).toBe(16);
    const stats = sim.stats();
    expect(stats.outputTokens).toEqual({ reserved: 120, refunded: 88 });
    expect(stats.pools[POOL]!.outputTokens).toEqual({ reserved: 120, refunded: 88 });
    expect(stats.refusals).toEqual({ output_tokens: 1 });
  });

  it('states the remaining tokens after the reservation in the headers', async () => {
    const sim = await start({ ...FAST, outputTokensPerMinute: 100_000 });
    const res = await call(sim, '/v1/messages', params({ max_tokens: 40_000 }));
    expect(res.status).toBe(200);
    expect(res.headers.get('anthropic-ratelimit-output-tokens-remaining')).toBe('60000');
    expect(res.headers.get('anthropic-ratelimit-output-tokens-limit')).toBe('100000');
  });

  it('gives back what a cut stream did not send', async () => {
    const sim = await start({ ...FAST, outputTokens: 12, errorRates: { streamCut: 1 } });
    const stream = sdk(sim).messages.stream(params({ max_tokens: 64 }));
    let deltas = 0;
    stream.on('streamEvent', (event) => {
      if (event.type === 'content_block_delta') deltas++;
    });
    await expect(stream.finalMessage()).rejects.toThrow();
    await sleep(20);
    expect(sim.stats().outputTokens).toEqual({ reserved: 64, refunded: 64 - deltas }); // one token per delta
  });
});

describe('organizations and model groups', () => {
  it('pools limits per organization and model group and names the caller’s organization', async () => {
    const sim = await start({
      ...FAST,
      requestsPerMinute: 60,
      burst: 1,
      organizations: { 'sk-a': 'org-1', 'sk-b': 'org-1' },
      modelGroups: { 'claude-opus-4-1': 'opus', 'claude-opus-4-5': 'opus' },
    });
    const a = { 'x-api-key': 'sk-a' };
    const b = { 'x-api-key': 'sk-b' };
    const first = await call(sim, '/v1/messages', params({ model: 'claude-opus-4-1' }), a);
    expect(first.status).toBe(200);
    expect(first.headers.get('anthropic-organization-id')).toBe('org-1');
    const pooled = await call(sim, '/v1/messages', params({ model: 'claude-opus-4-5' }), b);
    expect(pooled.status).toBe(429);
    expect(pooled.headers.get('anthropic-organization-id')).toBe('org-1');
    expect((await call(sim, '/v1/messages', params(), b)).status).toBe(200); // haiku: its own group
    const other = await call(sim, '/v1/messages', params({ model: 'claude-opus-4-1' }), {
      'x-api-key': 'sk-c',
    });
    expect(other.status).toBe(200); // a key not listed: the default organization's pools
    expect(other.headers.get('anthropic-organization-id')).toBe(DEFAULT_ORGANIZATION_ID);
    const pools = sim.stats().pools;
    expect(pools['org-1/opus']).toMatchObject({ admitted: 1, refusals: { requests: 1 } });
    expect(Object.keys(pools).sort()).toEqual(
      ['org-1/claude-haiku-4-5', 'org-1/opus', `${DEFAULT_ORGANIZATION_ID}/opus`].sort(),
    );
    expect(JSON.stringify(sim.stats())).not.toContain('sk-c');
  });

  it('shares retry-after holds within a pool', async () => {
    const sim = await start({
      ...FAST,
      requestsPerMinute: 60,
      burst: 1,
      organizations: { 'sk-a': 'o', 'sk-b': 'o' },
    });
    await call(sim, '/v1/messages', params(), { 'x-api-key': 'sk-a' });
    expect((await call(sim, '/v1/messages', params(), { 'x-api-key': 'sk-a' })).status).toBe(429);
    await call(sim, '/v1/messages', params(), { 'x-api-key': 'sk-b' });
    expect(sim.stats().retryAfterViolations).toBe(1);
  });
});

describe('request bucket over short intervals', () => {
  it('lets 6000 RPM enforced per 100 ms through 10 at once, not 100', async () => {
    const sim = await start({ ...FAST, requestsPerMinute: 6000, requestIntervalMs: 100 });
    expect(sim.config().burst).toBe(10);
    // 60 at once: with a bucket of 100 all would pass; with 10 (one more per 10 ms), all 60 pass
    // only if a loaded machine spreads their arrival over half a second.
    const results = await Promise.all(Array.from({ length: 60 }, () => call(sim, '/v1/messages', params())));
    const ok = results.filter((r) => r.status === 200).length;
    expect(ok).toBeGreaterThanOrEqual(10);
    expect(ok).toBeLessThan(60);
  });
});

describe('drawn output lengths', () => {
  it('draws each message’s output in the range, capped by max_tokens, the same per seed', async () => {
    const lengths = async (seed: number) => {
      const sim = await start({ ...FAST, seed, outputTokens: { min: 5, max: 40 } });
      const client = sdk(sim);
      const out: number[] = [];
      for (let i = 0; i < 12; i++)
        out.push((await client.messages.create(params({ max_tokens: 30 }))).usage.output_tokens);
      return out;
    };
    const a = await lengths(9);
    expect(await lengths(9)).toEqual(a);
    for (const n of a) {
      expect(n).toBeGreaterThanOrEqual(5);
      expect(n).toBeLessThanOrEqual(30);
    }
    expect(new Set(a).size).toBeGreaterThan(3);
  });

  it('says max_tokens when the drawn length was capped', async () => {
    const sim = await start({ ...FAST, outputTokens: { min: 50, max: 60 } });
    const m = await sdk(sim).messages.create(params({ max_tokens: 10 }));
    expect(m.usage.output_tokens).toBe(10);
    expect(m.stop_reason).toBe('max_tokens');
  });
});

describe('time scale', () => {
  it('runs latency and streaming timeScale times faster', async () => {
    // 2 s of TTFT and 50 tokens at 40 ms: 4 s nominal, 100 ms real at ×40.
    const sim = await start({ timeScale: 40, latency: { ttftMs: 2000, msPerToken: 40 }, outputTokens: 50 });
    const client = sdk(sim);
    let t = performance.now();
    await client.messages.create(params({ max_tokens: 100 }));
    let took = performance.now() - t;
    expect(took).toBeGreaterThanOrEqual(90);
    expect(took).toBeLessThan(2000);
    t = performance.now();
    const message = await client.messages.stream(params({ max_tokens: 100 })).finalMessage();
    took = performance.now() - t;
    expect(message.usage.output_tokens).toBe(50);
    expect(took).toBeGreaterThanOrEqual(90);
    expect(took).toBeLessThan(2000);
  });

  it('refills buckets faster and states waits and limits in real time', async () => {
    const sim = await start({ ...FAST, timeScale: 60, requestsPerMinute: 60, burst: 1, retryAfterMs: true });
    expect(sim.config().timeScale).toBe(60);
    await call(sim, '/v1/messages', params());
    const refused = await call(sim, '/v1/messages', params());
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1'); // whole seconds, at least 1
    expect(Number(refused.headers.get('retry-after-ms'))).toBeLessThanOrEqual(17); // 1 s simulated = 16.7 ms real
    expect(refused.headers.get('anthropic-ratelimit-requests-limit')).toBe('3600'); // per real minute
    expect((refused.json as ErrorBody).error.message).toContain('3600 requests per minute');
    await sleep(40);
    expect((await call(sim, '/v1/messages', params())).status).toBe(200);
    expect(sim.stats().retryAfterViolations).toBe(0);
  });
});
