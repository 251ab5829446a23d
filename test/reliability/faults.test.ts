/** Aborts, refused connections, bad input, the 10-minute rule, and secrets. */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { createGateway, GatewayRequestError } from '../../src/index.js';
import { FAST, gatewayClient, PARAMS, sdk, sim, until } from '../helpers.js';
import { closedPort } from '../otlp.js';

describe('aborts', () => {
  it('in flight: rejects promptly with the SDK’s abort error and frees the slot', async () => {
    const s = await sim();
    s.enqueue({ kind: 'hang' });
    const { gateway, client } = gatewayClient(s);
    const c = new AbortController();
    const call = client.messages.create(PARAMS, { signal: c.signal });
    await until(() => s.stats().attempts === 1);
    c.abort();
    await expect(call).rejects.toBeInstanceOf(Anthropic.APIUserAbortError);
    await until(() => gateway.limiters()[0]!.active === 0);
  });

  it('during a backoff: rejects promptly and sends nothing more', async () => {
    const s = await sim();
    s.enqueue({ kind: 'error', status: 529 });
    const { client } = gatewayClient(s, { baseDelayMs: 5000, maxDelayMs: 5000 });
    const c = new AbortController();
    const call = client.messages.create(PARAMS, { signal: c.signal });
    await until(() => s.stats().attempts === 1);
    await new Promise((r) => setTimeout(r, 20));
    const t = Date.now();
    c.abort();
    await expect(call).rejects.toBeInstanceOf(Anthropic.APIUserAbortError);
    expect(Date.now() - t).toBeLessThan(1000); // against a 5 s backoff, with slack for a loaded machine
    expect(s.stats().attempts).toBe(1);
  });
});

describe('connections', () => {
  it('a refused connection is retried, then surfaces as the SDK’s connection error', async () => {
    const port = await closedPort();
    let sent = 0;
    const client = createGateway({ ...FAST, maxRetries: 2 }, {}).wrap(
      new Anthropic({
        apiKey: 'sk-test',
        baseURL: `http://127.0.0.1:${port}`,
        fetch: (u, i) => (sent++, fetch(u, i)),
      }),
    );
    await expect(client.messages.create(PARAMS)).rejects.toBeInstanceOf(Anthropic.APIConnectionError);
    expect(sent).toBe(3);
  });
});

describe('bad input', () => {
  it('a Messages body over 32 MB is refused locally before a byte is sent', async () => {
    const s = await sim();
    const { client } = gatewayClient(s);
    const big = 'x'.repeat(33 * 1024 * 1024);
    const err = await client.messages
      .create({ ...PARAMS, messages: [{ role: 'user', content: big }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayRequestError);
    expect(err).toBeInstanceOf(Anthropic.AnthropicError);
    expect((err as Error).message).toMatch(/over the Messages API's limit of 32 MB/);
    expect(s.stats().attempts).toBe(0);
  });

  it('a non-streaming call that the 10-minute rule rejects gets the SDK’s advice to stream', async () => {
    const s = await sim();
    const { client } = gatewayClient(s);
    // The SDK throws this synchronously, as it does without the gateway.
    expect(() => client.messages.create({ ...PARAMS, max_tokens: 128_000 })).toThrow(/Streaming is required/);
    expect(() => sdk(s).messages.create({ ...PARAMS, max_tokens: 128_000 })).toThrow(/Streaming is required/);
    expect(s.stats().attempts).toBe(0);
  });
});

describe('secrets', () => {
  it('the API key never appears in the SDK’s debug logs or in error messages', async () => {
    const s = await sim();
    s.enqueue({ kind: 'error', status: 529 }, { kind: 'error', status: 401 });
    const lines: string[] = [];
    const log = (...args: unknown[]) =>
      lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    const client = createGateway(FAST, {}).wrap(
      sdk(s, { logLevel: 'debug', logger: { debug: log, info: log, warn: log, error: log } }),
    );
    const err = (await client.messages.create(PARAMS).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
    const everything = lines.join('\n') + err.message + String(err.stack) + JSON.stringify(err);
    expect(lines.length).toBeGreaterThan(0);
    expect(everything).not.toContain('sk-test-secret-key-123');
  });
});
