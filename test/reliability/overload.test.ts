/** Sustained 529s do not turn into a retry storm, and throughput comes back when they end. */
import { describe, expect, it } from 'vitest';
import { gatewayClient, PARAMS, sim } from '../helpers.js';

describe('overload', () => {
  it('the retry budget bounds attempts per call in a sustained outage', async () => {
    const s = await sim({ overloadRate: 1 });
    const { client } = gatewayClient(s, {
      maxRetries: 5,
      baseDelayMs: 1,
      maxDelayMs: 2,
      retryBudgetRatio: 0.5,
    });
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, () => client.messages.create(PARAMS)),
    );
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    // Without a budget: 100 × 6 = 600 attempts. With it: 100 calls + at most max(10, 0.5 × 100) retries.
    expect(s.stats().attempts).toBeLessThanOrEqual(150);
  });

  it('after an outage window, calls succeed again and the limit was cut during it', async () => {
    const s = await sim({ overloadWindows: [{ startMs: 0, endMs: 400, rate: 1 }] });
    const { gateway, client } = gatewayClient(s, {
      concurrencyInitial: 8,
      baseDelayMs: 50,
      maxDelayMs: 200,
      maxRetries: 10,
    });
    const results = await Promise.all(Array.from({ length: 40 }, () => client.messages.create(PARAMS)));
    expect(results).toHaveLength(40);
    expect(s.stats().byStatus['529']).toBeGreaterThan(0);
    expect(gateway.limiters()[0]!.limit).toBeLessThan(8 * 4);
  });
});
