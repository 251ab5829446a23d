// Overloads, server errors, resets, hangs, close() with hung requests, and seeded determinism.
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import type { SimulatorOptions } from '../../src/sim/index.js';
import { call, FAST, errorJson, params, rejection, sdk, sleep, useSimulators } from './helpers.js';

const start = useSimulators();

describe('overload', () => {
  it('answers 529 overloaded_error at overloadRate', async () => {
    const sim = await start({ ...FAST, overloadRate: 1 });
    const error = await rejection(sdk(sim).messages.create(params()));
    expect(error).toBeInstanceOf(Anthropic.OverloadedError);
    expect(error).toBeInstanceOf(Anthropic.InternalServerError);
    expect(error.status).toBe(529);
    expect(error.error).toEqual(errorJson('overloaded_error', 'Overloaded', error.requestID));
    expect(error.headers.get('retry-after')).toBeNull();
  });

  it('follows timed overload windows relative to start', async () => {
    const sim = await start({ ...FAST, overloadWindows: [{ startMs: 0, endMs: 300, rate: 1 }] });
    expect((await call(sim, '/v1/messages', params())).status).toBe(529);
    await sleep(320);
    expect((await call(sim, '/v1/messages', params())).status).toBe(200);
  });

  it('draws faults at about their rates', async () => {
    const sim = await start({ ...FAST, seed: 3, overloadRate: 0.3, errorRates: { api_error: 0.2 } });
    const statuses: number[] = [];
    for (let i = 0; i < 400; i++) statuses.push((await call(sim, '/v1/messages', params())).status);
    const share = (s: number) => statuses.filter((x) => x === s).length / statuses.length;
    expect(share(529)).toBeGreaterThan(0.22);
    expect(share(529)).toBeLessThan(0.38);
    expect(share(500)).toBeGreaterThan(0.08); // 0.7 × 0.2 = 0.14
    expect(share(500)).toBeLessThan(0.2);
  });
});

describe('server errors and broken connections', () => {
  it('answers 500 api_error and 504 timeout_error', async () => {
    const sim = await start({ ...FAST, errorRates: { api_error: 1 } });
    const client = sdk(sim);
    const e500 = await rejection(client.messages.create(params()));
    expect(e500).toBeInstanceOf(Anthropic.InternalServerError);
    expect(e500.error).toEqual(errorJson('api_error', 'Internal server error', e500.requestID));
    sim.update({ errorRates: { api_error: 0, timeout_error: 1 } });
    const e504 = await rejection(client.messages.create(params()));
    expect(e504).toBeInstanceOf(Anthropic.GatewayTimeoutError);
    expect(e504.error).toEqual(
      errorJson('timeout_error', 'Request timed out. Please try again.', e504.requestID),
    );
  });

  it('resets connections', async () => {
    const sim = await start({ ...FAST, errorRates: { reset: 1 } });
    const error = await rejection(sdk(sim).messages.create(params()));
    expect(error).toBeInstanceOf(Anthropic.APIConnectionError);
    expect(sim.stats()).toMatchObject({ resets: 1, byStatus: {}, inFlight: 0 });
  });

  it('hangs until the client gives up', async () => {
    const sim = await start({ ...FAST, errorRates: { hang: 1 } });
    const t = performance.now();
    const error = await rejection(sdk(sim, { timeout: 250 }).messages.create(params()));
    expect(error).toBeInstanceOf(Anthropic.APIConnectionTimeoutError);
    expect(performance.now() - t).toBeGreaterThanOrEqual(240);
    await sleep(20);
    expect(sim.stats()).toMatchObject({ hangs: 1, inFlight: 0 });
  });

  it('close() ends promptly with hung and slow requests pending', async () => {
    const sim = await start({ latency: { ttftMs: 60_000, msPerToken: 0 } });
    sim.enqueue({ kind: 'hang' }, { kind: 'hang' });
    const client = sdk(sim);
    const pending = [
      client.messages.create(params()),
      client.messages.create(params()),
      client.messages.create(params()),
    ].map(rejection);
    await sleep(50);
    expect(sim.stats().inFlight).toBe(3);
    const t = performance.now();
    await sim.close();
    expect(performance.now() - t).toBeLessThan(500);
    for (const error of await Promise.all(pending))
      expect(error).toBeInstanceOf(Anthropic.APIConnectionError);
    expect(sim.stats().inFlight).toBe(0);
    await sim.close(); // idempotent
  });

  it('clears latency timers when the client disconnects', async () => {
    const sim = await start({ latency: { ttftMs: 30_000, msPerToken: 0 } });
    const controller = new AbortController();
    const pending = rejection(sdk(sim).messages.create(params(), { signal: controller.signal }));
    await sleep(50);
    expect(sim.stats().inFlight).toBe(1);
    controller.abort();
    expect(await pending).toBeInstanceOf(Anthropic.APIUserAbortError);
    await sleep(50);
    expect(sim.stats().inFlight).toBe(0);
  });
});

describe('determinism', () => {
  async function run(options: SimulatorOptions) {
    const sim = await start({
      ...FAST,
      overloadRate: 0.3,
      errorRates: { api_error: 0.1, timeout_error: 0.1, streamErrorAfterContent: 0.2 },
      ...options,
    });
    const seen: string[] = [];
    for (let i = 0; i < 40; i++) {
      const res = await call(sim, '/v1/messages', params({ stream: i % 2 === 0 }));
      const id = /"id":"(msg_\w+)"/.exec(res.text)?.[1] ?? '-';
      seen.push(
        `${res.status} ${res.headers.get('request-id')} ${id} ${res.text.includes('event: error') ? 'stream-error' : ''}`,
      );
    }
    return seen;
  }

  it('gives the same outcomes and ids for the same seed, others for another', async () => {
    const a = await run({ seed: 42 });
    const b = await run({ seed: 42 });
    expect(b).toEqual(a);
    expect(new Set(a.map((s) => s.split(' ')[0])).size).toBeGreaterThanOrEqual(3);
    expect(a.some((s) => s.endsWith('stream-error'))).toBe(true);
    expect(await run({ seed: 43 })).not.toEqual(a);
  });
});
