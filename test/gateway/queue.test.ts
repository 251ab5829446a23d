/**
 * A call waits for its first slot before the SDK builds anything for it: the SDK prepares a
 * request only when the call's turn comes; a call that ends while it waits (an abort, its
 * deadline) leaves the line at once and is still traced; what runs after the wait runs in the
 * caller's async context, whichever call freed the slot; and the fetch adapter queues the same way.
 */
import Anthropic from '@anthropic-ai/sdk';
import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { createGateway } from '../../src/index.js';
import { FAST, gatewayClient, PARAMS, sim, tracing, until } from '../helpers.js';

const { spans } = tracing();
/** The call's span: the SDK's own, which traces when a tracer provider is registered. */
const CALL_SPAN = 'anthropic.messages.create';

/** An Anthropic client that counts the requests its SDK prepares (a documented subclass hook). */
class CountingClient extends Anthropic {
  prepared = 0;
  protected override async prepareOptions(options: Parameters<Anthropic['prepareOptions']>[0]) {
    this.prepared++;
    await super.prepareOptions(options);
  }
}

describe('the queue before the request is built', () => {
  it('prepares no request for a call until its turn comes', async () => {
    const s = await sim({ latency: { ttftMs: 100, msPerToken: 0 } });
    const gateway = createGateway({ ...FAST, concurrencyInitial: 1, concurrencyMax: 1 }, {});
    const client = gateway.wrap(new CountingClient({ apiKey: 'sk-queue-test', baseURL: s.url }));
    const calls = Array.from({ length: 8 }, () => client.messages.create(PARAMS));
    await until(() => gateway.limiters()[0]?.queued === 7);
    await new Promise((r) => setTimeout(r, 30));
    // The SDK alone would have prepared all 8 by now; queued calls have not reached it.
    expect(client.prepared).toBe(1);
    await Promise.all(calls);
    expect(client.prepared).toBe(8);
    expect(s.stats().attempts).toBe(8);
  });

  it('ends a wait past the call’s deadline with the timeout error, frees the line and traces it', async () => {
    const s = await sim({ latency: { ttftMs: 3_000, msPerToken: 0 } });
    const { gateway, client } = gatewayClient(s, {
      concurrencyInitial: 1,
      concurrencyMax: 1,
      timeoutMs: 300,
    });
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: 5 }, () => client.messages.create(PARAMS).catch((e: unknown) => e)),
    );
    const elapsed = performance.now() - started;
    for (const e of results) expect(e).toBeInstanceOf(Anthropic.APIConnectionTimeoutError);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2_500); // long before the simulator would have answered
    expect(s.stats().attempts).toBe(1); // the four behind it never left the line
    await until(() => gateway.limiters()[0]!.queued === 0 && gateway.limiters()[0]!.active === 0);
    await until(() => spans().filter((x) => x.name === CALL_SPAN).length === 5);
    const calls = spans().filter((x) => x.name === CALL_SPAN);
    expect(calls.map((x) => x.attributes['claude_gateway.outcome'])).toEqual(Array(5).fill('timeout'));
    // The four behind the first ended in the queue, each with its wait recorded.
    const unsent = calls.filter((x) => x.attributes['claude_gateway.attempts'] === 0);
    expect(unsent).toHaveLength(4);
    const waits = spans().filter((x) => x.name === 'claude_gateway.queue');
    for (const call of unsent) {
      const wait = waits.find((w) => w.parentSpanContext?.spanId === call.spanContext().spanId);
      expect(wait).toBeDefined();
      expect(call.attributes['claude_gateway.queue.wait_ms']).toBeGreaterThanOrEqual(250);
    }
  });

  it('traces a call aborted while it waits: its span says aborted, with its wait in the queue', async () => {
    const s = await sim({ latency: { ttftMs: 200, msPerToken: 0 } });
    const { gateway, client } = gatewayClient(s, { concurrencyInitial: 1, concurrencyMax: 1 });
    const first = client.messages.create(PARAMS);
    const c = new AbortController();
    const queued = client.messages.create(PARAMS, { signal: c.signal }).catch((e: unknown) => e);
    await until(() => gateway.limiters()[0]?.queued === 1);
    await new Promise((r) => setTimeout(r, 30));
    c.abort();
    expect(await queued).toBeInstanceOf(Anthropic.APIUserAbortError);
    await first;
    await until(() => spans().filter((x) => x.name === CALL_SPAN).length === 2);
    const aborted = spans().find(
      (x) => x.name === CALL_SPAN && x.attributes['claude_gateway.outcome'] === 'aborted',
    )!;
    expect(aborted.attributes['claude_gateway.attempts']).toBe(0);
    expect(aborted.attributes['claude_gateway.queue.wait_ms']).toBeGreaterThanOrEqual(25);
    const wait = spans().find(
      (x) =>
        x.name === 'claude_gateway.queue' && x.parentSpanContext?.spanId === aborted.spanContext().spanId,
    );
    expect(wait).toBeDefined();
    expect(s.stats().attempts).toBe(1);
  });

  it('runs each call’s request in its caller’s async context, whichever call freed its slot', async () => {
    const s = await sim({ latency: { ttftMs: 5, msPerToken: 0 } });
    const store = new AsyncLocalStorage<number>();
    const seen: Array<[number | undefined, string | null]> = [];
    const { client } = gatewayClient(
      s,
      { concurrencyInitial: 1, concurrencyMax: 1 },
      {
        middleware: [
          (request, next) => {
            seen.push([store.getStore(), new Headers(request.headers).get('x-call')]);
            return next(request);
          },
        ],
      },
    );
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        store.run(i, () => client.messages.create(PARAMS, { headers: { 'x-call': String(i) } })),
      ),
    );
    expect(seen).toHaveLength(12);
    for (const [inContext, fromHeader] of seen) expect(String(inContext)).toBe(fromHeader);
  });

  it('queues a plain fetch caller the same way: an abort while it waits rejects with the abort and frees the line', async () => {
    const s = await sim({ latency: { ttftMs: 200, msPerToken: 0 } });
    const gateway = createGateway({ ...FAST, concurrencyInitial: 1, concurrencyMax: 1 }, {});
    const f = gateway.fetch();
    const post = (signal?: AbortSignal) =>
      f(`${s.url}/v1/messages`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-api-key': 'sk-fetch-queue',
          'anthropic-version': '2023-06-01',
        },
        body: JSON.stringify(PARAMS),
        signal,
      });
    const first = post();
    const c = new AbortController();
    const queued = post(c.signal).catch((e: unknown) => e);
    await until(() => gateway.limiters()[0]?.queued === 1);
    c.abort();
    expect((await queued) as Error).toMatchObject({ name: 'AbortError' });
    expect((await first).status).toBe(200);
    await until(() => gateway.limiters()[0]!.queued === 0 && gateway.limiters()[0]!.active === 0);
    expect(s.stats().attempts).toBe(1);
  });
});
