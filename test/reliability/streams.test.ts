/** Streams under faults: what the consumer sees, what is retried, what is never replayed. */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { gatewayClient, PARAMS, sim, until } from '../helpers.js';

async function readAll(client: Anthropic) {
  const events: string[] = [];
  let text = '';
  const stream = await client.messages.create({ ...PARAMS, stream: true });
  for await (const e of stream) {
    events.push(e.type);
    if (e.type === 'content_block_delta' && e.delta.type === 'text_delta') text += e.delta.text;
  }
  return { events, text };
}

describe('streams', () => {
  it('an `event: error` before any content is retried transparently: the consumer sees one clean stream', async () => {
    const s = await sim();
    s.enqueue({ kind: 'stream-error', afterDeltas: 0 });
    const { client } = gatewayClient(s);
    const { events } = await readAll(client);
    expect(events[0]).toBe('message_start');
    expect(events.filter((e) => e === 'message_start')).toHaveLength(1);
    expect(events.at(-1)).toBe('message_stop');
    expect(s.stats()).toMatchObject({ attempts: 2, streamErrors: 1 });
  });

  it('the same through messages.stream() and finalMessage()', async () => {
    const s = await sim();
    s.enqueue({ kind: 'stream-error', afterDeltas: 0 });
    const { client } = gatewayClient(s);
    const final = await client.messages.stream(PARAMS).finalMessage();
    expect(final.stop_reason).toBe('end_turn');
    expect(s.stats().attempts).toBe(2);
  });

  it('an error after content reaches the consumer as a typed error and is never replayed', async () => {
    const s = await sim({ outputTokens: 20 });
    s.enqueue({ kind: 'stream-error', afterDeltas: 2 });
    const { client } = gatewayClient(s);
    const err = await readAll(client).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).type).toBe('overloaded_error');
    expect(s.stats().attempts).toBe(1);
  });

  it('a stream cut before message_stop is an error, not a silently short message', async () => {
    const s = await sim({ outputTokens: 20 });
    s.enqueue({ kind: 'stream-cut', afterDeltas: 2 });
    const { gateway, client } = gatewayClient(s);
    const err = await readAll(client).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(s.stats().attempts).toBe(1);
    await until(() => gateway.limiters()[0]!.active === 0);
  });

  it('a consumer that stops reading early frees its slot', async () => {
    const s = await sim({ outputTokens: 200, latency: { ttftMs: 1, msPerToken: 5 } });
    const { gateway, client } = gatewayClient(s, { concurrencyInitial: 1, concurrencyMax: 1 });
    const stream = client.messages.stream(PARAMS);
    for await (const e of stream) if (e.type === 'content_block_delta') break;
    await until(() => gateway.limiters()[0]!.active === 0);
    // The freed slot serves the next call at once.
    expect((await client.messages.create(PARAMS)).type).toBe('message');
  });

  it('a stream holds its slot until its body is read', async () => {
    const s = await sim({ outputTokens: 30, latency: { ttftMs: 1, msPerToken: 3 } });
    const { gateway, client } = gatewayClient(s, { concurrencyInitial: 1, concurrencyMax: 1 });
    const stream = await client.messages.create({ ...PARAMS, stream: true });
    expect(gateway.limiters()[0]!.active).toBe(1);
    for await (const _ of stream) void _;
    await until(() => gateway.limiters()[0]!.active === 0);
  });
});

describe('streams cut before content', () => {
  it('are retried transparently, like an error event before content', async () => {
    const s = await sim();
    s.enqueue({ kind: 'stream-cut', afterDeltas: 0 });
    const { client } = gatewayClient(s);
    const final = await client.messages.stream(PARAMS).finalMessage();
    expect(final.stop_reason).toBe('end_turn');
    expect(s.stats()).toMatchObject({ attempts: 2, streamCuts: 1 });
  });
});

describe('a stream whose first attempt timed out', () => {
  // Found by the property test: the SDK's own per-attempt timer would abort the call's shared
  // controller, and MessageStream then reports a user abort after reading the retried stream.
  it('is retried and read to the end through messages.stream()', async () => {
    const s = await sim();
    s.enqueue({ kind: 'hang' });
    const { client } = gatewayClient(s, {}, { timeout: 150 });
    const final = await client.messages.stream(PARAMS).finalMessage();
    expect(final.stop_reason).toBe('end_turn');
    expect(s.stats()).toMatchObject({ attempts: 2, hangs: 1 });
  });
});
