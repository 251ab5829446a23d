/** The span tree: one logical span per call, one CLIENT span per attempt, waits as spans. */
import Anthropic from '@anthropic-ai/sdk';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { gatewayClient, PARAMS, sim, tracing, until } from '../helpers.js';

const { spans } = tracing();

const byName = (name: string) => spans().filter((s) => s.name === name);
const childrenOf = (parent: ReadableSpan) =>
  spans()
    .filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId)
    .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);

describe('span tree', () => {
  it('429 (retry-after) → 529 → 200 under the SDK’s own call span', async () => {
    const s = await sim();
    s.enqueue(
      { kind: 'error', status: 429, retryAfterMs: 60, retryAfterSec: 1 },
      { kind: 'error', status: 529 },
    );
    const { client } = gatewayClient(s);
    await client.messages.create(PARAMS);
    await until(() => byName('anthropic.messages.create').length === 1);

    const logical = byName('anthropic.messages.create');
    expect(logical).toHaveLength(1);
    const call = logical[0]!;
    expect(call.kind).toBe(SpanKind.CLIENT);
    expect(call.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(call.attributes).toMatchObject({
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': PARAMS.model,
      'claude_gateway.attempts': 3,
      'claude_gateway.outcome': 'success',
    });
    expect(call.attributes['claude_gateway.retry.total_delay_ms']).toBeGreaterThanOrEqual(60);

    const attempts = byName('POST /v1/messages');
    expect(attempts).toHaveLength(3);
    for (const a of attempts) {
      expect(a.parentSpanContext?.spanId).toBe(call.spanContext().spanId);
      expect(a.kind).toBe(SpanKind.CLIENT);
    }
    const [first, second, third] = attempts.sort(
      (a, b) =>
        Number(a.attributes['http.request.resend_count'] ?? 0) -
        Number(b.attributes['http.request.resend_count'] ?? 0),
    );
    expect(first!.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.response.status_code': 429,
      'error.type': 'rate_limit_error',
      'claude_gateway.retry.delay_source': 'retry-after',
      'claude_gateway.retry.delay_ms': 60,
      'claude_gateway.retry.reason': 'rate_limit',
    });
    expect(first!.attributes['http.request.resend_count']).toBeUndefined();
    expect(String(first!.attributes['anthropic.request.id'])).toMatch(/^req_/);
    expect(first!.attributes['anthropic.ratelimit.requests.remaining']).toBeTypeOf('number');
    expect(first!.status.code).toBe(SpanStatusCode.ERROR);
    expect(second!.attributes).toMatchObject({
      'http.request.resend_count': 1,
      'http.response.status_code': 529,
      'error.type': 'overloaded_error',
      'claude_gateway.retry.delay_source': 'backoff',
    });
    expect(third!.attributes).toMatchObject({
      'http.request.resend_count': 2,
      'http.response.status_code': 200,
    });
    expect(third!.status.code).not.toBe(SpanStatusCode.ERROR);

    const backoffs = byName('claude_gateway.backoff');
    expect(backoffs).toHaveLength(2);
    expect(backoffs.map((b) => b.attributes['claude_gateway.retry.delay_source']).sort()).toEqual([
      'backoff',
      'retry-after',
    ]);
    for (const b of backoffs) expect(b.parentSpanContext?.spanId).toBe(call.spanContext().spanId);
    // Every span of the call is in one trace.
    expect(new Set(spans().map((x) => x.spanContext().traceId)).size).toBe(1);
  });

  it('with the SDK’s tracing off, the gateway emits exactly one logical span itself', async () => {
    const s = await sim();
    s.enqueue({ kind: 'error', status: 529 });
    const { client } = gatewayClient(s, {}, { openTelemetry: false });
    await client.messages.create(PARAMS);
    await until(() => byName(`chat ${PARAMS.model}`).length === 1);
    expect(byName('anthropic.messages.create')).toHaveLength(0);
    const call = byName(`chat ${PARAMS.model}`)[0]!;
    expect(call.kind).toBe(SpanKind.CLIENT);
    expect(call.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': PARAMS.model,
      'gen_ai.request.max_tokens': PARAMS.max_tokens,
      'claude_gateway.attempts': 2,
      'http.response.status_code': 200,
    });
    expect(call.attributes['gen_ai.response.id']).toMatch(/^msg_/);
    expect(call.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    expect(call.attributes['gen_ai.response.finish_reasons']).toEqual(['end_turn']);
    expect(childrenOf(call).filter((c) => c.name === 'POST /v1/messages')).toHaveLength(2);
  });

  it('a fatal 400: one attempt, the logical span is an error with error.type', async () => {
    const s = await sim();
    s.enqueue({ kind: 'error', status: 400 });
    const { client } = gatewayClient(s);
    await expect(client.messages.create(PARAMS)).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    await until(() => byName('anthropic.messages.create').length === 1);
    const call = byName('anthropic.messages.create')[0]!;
    expect(call.status.code).toBe(SpanStatusCode.ERROR);
    expect(call.attributes).toMatchObject({
      'error.type': 'invalid_request_error',
      'claude_gateway.attempts': 1,
      'claude_gateway.outcome': 'error',
    });
    const [attempt] = byName('POST /v1/messages');
    expect(attempt!.attributes).toMatchObject({
      'http.response.status_code': 400,
      'claude_gateway.retry.give_up': 'not_retryable',
    });
    expect(byName('claude_gateway.backoff')).toHaveLength(0);
  });

  it('a stream: the spans end when it is read to the end, with time to first chunk', async () => {
    const s = await sim({ latency: { ttftMs: 20, msPerToken: 2 } });
    const { client } = gatewayClient(s);
    const stream = await client.messages.create({ ...PARAMS, stream: true });
    expect(byName('POST /v1/messages')).toHaveLength(0); // still open while the body is unread
    for await (const _ of stream) void _;
    await until(
      () => byName('anthropic.messages.create').length === 1 && byName('POST /v1/messages').length === 1,
    );
    const [attempt] = byName('POST /v1/messages');
    expect(attempt!.attributes['claude_gateway.stream.end']).toBe('completed');
    expect(attempt!.attributes['claude_gateway.time_to_first_chunk_ms']).toBeGreaterThanOrEqual(15);
    expect(
      byName('anthropic.messages.create')[0]!.attributes['claude_gateway.time_to_first_chunk_ms'],
    ).toBeGreaterThanOrEqual(15);
  });

  it('a stream the consumer stops reading early ends its spans as canceled', async () => {
    const s = await sim({ latency: { ttftMs: 5, msPerToken: 5 }, outputTokens: 50 });
    const { gateway, client } = gatewayClient(s);
    const stream = await client.messages.create({ ...PARAMS, stream: true });
    for await (const event of stream) if (event.type === 'content_block_delta') break;
    await until(() => byName('POST /v1/messages').length === 1);
    expect(byName('POST /v1/messages')[0]!.attributes['claude_gateway.stream.end']).toBe('canceled');
    await until(() => gateway.limiters()[0]!.active === 0);
  });

  it('a call that waited for a slot has a claude_gateway.queue span with the limit and queue depth', async () => {
    const s = await sim({ latency: { ttftMs: 30, msPerToken: 0 } });
    const { client } = gatewayClient(s, { concurrencyInitial: 1, concurrencyMax: 1 });
    await Promise.all([
      client.messages.create(PARAMS),
      client.messages.create(PARAMS),
      client.messages.create(PARAMS),
    ]);
    await until(() => byName('claude_gateway.queue').length >= 2);
    const q = byName('claude_gateway.queue');
    expect(q.every((x) => x.attributes['claude_gateway.concurrency.limit'] === 1)).toBe(true);
    expect(
      Math.max(...q.map((x) => Number(x.attributes['claude_gateway.queue.depth']))),
    ).toBeGreaterThanOrEqual(1);
    const logical = byName('anthropic.messages.create');
    expect(
      Math.max(...logical.map((x) => Number(x.attributes['claude_gateway.queue.wait_ms']))),
    ).toBeGreaterThan(20);
  });

  it('the attempt span’s context goes to the server, and no key reaches any span', async () => {
    let traceparent: string | undefined;
    const s = await sim();
    const { client } = gatewayClient(
      s,
      {},
      {
        fetch: async (url, init) => {
          traceparent = new Headers(init?.headers).get('traceparent') ?? undefined;
          return fetch(url, init);
        },
      },
    );
    await client.messages.create(PARAMS);
    await until(() => byName('POST /v1/messages').length === 1);
    const attempt = byName('POST /v1/messages')[0]!;
    expect(traceparent).toContain(attempt.spanContext().spanId);
    const dump = JSON.stringify(spans().map((x) => ({ n: x.name, a: x.attributes, e: x.events })));
    expect(dump).not.toContain('sk-test-secret-key-123');
    expect(dump).not.toContain('Hello'); // content is off by default
  });
});

describe('a stream that fails after content', () => {
  it('ends its attempt span as failed with the error type, not as canceled', async () => {
    const s = await sim({ outputTokens: 20 });
    s.enqueue({ kind: 'stream-error', afterDeltas: 2 });
    const { client } = gatewayClient(s);
    await expect(client.messages.stream(PARAMS).finalMessage()).rejects.toThrow();
    await until(() => byName('POST /v1/messages').length === 1);
    const attempt = byName('POST /v1/messages')[0]!;
    expect(attempt.attributes).toMatchObject({
      'claude_gateway.stream.end': 'failed',
      'error.type': 'overloaded_error',
    });
    expect(attempt.status.code).toBe(SpanStatusCode.ERROR);
  });
});
