/** The fetch adapter: the gateway for clients that take a `fetch` and have no SDK middleware. */
import { describe, expect, it } from 'vitest';
import { createGateway } from '../../src/index.js';
import { FAST, PARAMS, sim, tracing, until } from '../helpers.js';

const { spans } = tracing();

function post(f: typeof fetch, url: string, body: unknown = PARAMS) {
  return f(`${url}/v1/messages`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-api-key': 'sk-fetch-test',
      'anthropic-version': '2023-06-01',
    },
    body: JSON.stringify(body),
  });
}

describe('createGatewayFetch / gateway.fetch()', () => {
  it('retries by the table, waits the retry-after, and traces each attempt', async () => {
    const s = await sim();
    s.enqueue({ kind: 'error', status: 429, retryAfterMs: 50 }, { kind: 'error', status: 529 });
    const f = createGateway({ ...FAST }, {}).fetch();
    const started = performance.now();
    const response = await post(f, s.url);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { type: string }).type).toBe('message');
    expect(s.stats().attempts).toBe(3);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    const attempts = spans().filter((x) => x.name === 'POST /v1/messages');
    expect(attempts.map((x) => x.attributes['http.response.status_code'])).toEqual([429, 529, 200]);
    await until(() => spans().some((x) => x.name === 'chat claude-sonnet-5'));
    const call = spans().find((x) => x.name === 'chat claude-sonnet-5')!;
    expect(call.attributes['claude_gateway.attempts']).toBe(3);
  });

  it('the final answer of a call it gave up on says x-should-retry: false; a 400 is sent once', async () => {
    const s = await sim();
    s.enqueue({ kind: 'error', status: 529 }, { kind: 'error', status: 529 });
    const f = createGateway({ ...FAST, maxRetries: 1 }, {}).fetch();
    const failed = await post(f, s.url);
    expect(failed.status).toBe(529);
    expect(failed.headers.get('x-should-retry')).toBe('false');
    expect(s.stats().attempts).toBe(2);
    const bad = await post(f, s.url, { ...PARAMS, max_tokens: -1 });
    expect(bad.status).toBe(400);
    expect(s.stats().attempts).toBe(3);
  });

  it('streams go through it, held until read to the end', async () => {
    const s = await sim();
    s.enqueue({ kind: 'stream-error', afterDeltas: 0 });
    const gateway = createGateway({ ...FAST }, {});
    const response = await post(gateway.fetch(), s.url, { ...PARAMS, stream: true });
    expect(gateway.limiters()[0]!.active).toBe(1);
    const text = await response.text();
    expect(text).toContain('event: message_stop');
    expect(text).not.toContain('event: error'); // the error before content was retried unseen
    expect(gateway.limiters()[0]!.active).toBe(0);
  });
});
