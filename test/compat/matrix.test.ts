/**
 * The gateway's core against every `@anthropic-ai/sdk` line in use, installed side by side as npm
 * aliases (`sdk058`, `sdk097`, `sdk0122`, `sdk0137`; the newest 1.x is the project's own):
 * retries by the table with `retry-after` waited, a 400 sent once as that version's typed error,
 * a stream read to the end across an error before content, the SDK's own retries off, the
 * per-attempt timeout kept off the queue wait, and the spans. 0.58 and 0.97 have no `middleware`
 * option: the gateway is their `fetch`.
 */
import Anthropic115 from '@anthropic-ai/sdk';
import Anthropic0122 from 'sdk0122';
import Anthropic0137 from 'sdk0137';
import Anthropic058 from 'sdk058';
import Anthropic097 from 'sdk097';
import { describe, expect, it } from 'vitest';
import { sdkErrorClasses } from '../../src/gateway/sdk-seams.js';
import { createGateway, isWrapped, type GatewayOptions } from '../../src/index.js';
import { FAST, PARAMS, sim, tracing } from '../helpers.js';
import type { Simulator } from '../../src/sim/index.js';

const { spans } = tracing();

interface Line {
  readonly name: string;
  /** The npm alias it is installed under. */
  readonly alias: string;
  readonly Anthropic:
    | typeof Anthropic058
    | typeof Anthropic097
    | typeof Anthropic0122
    | typeof Anthropic0137
    | typeof Anthropic115;
  /** Whether the client has the `middleware` option (else the gateway is its fetch). */
  readonly middleware: boolean;
  /** The logical span's name: the SDK's own (0.134+), else the gateway's. */
  readonly callSpan: string;
}

const LINES: Line[] = [
  {
    name: '0.58.0',
    alias: 'sdk058',
    Anthropic: Anthropic058,
    middleware: false,
    callSpan: 'chat claude-sonnet-5',
  },
  {
    name: '0.97.1',
    alias: 'sdk097',
    Anthropic: Anthropic097,
    middleware: false,
    callSpan: 'chat claude-sonnet-5',
  },
  {
    name: '0.122.0',
    alias: 'sdk0122',
    Anthropic: Anthropic0122,
    middleware: true,
    callSpan: 'chat claude-sonnet-5',
  },
  {
    name: '0.137.0',
    alias: 'sdk0137',
    Anthropic: Anthropic0137,
    middleware: true,
    callSpan: 'anthropic.messages.create',
  },
  {
    name: '1.15.0',
    alias: '@anthropic-ai/sdk',
    Anthropic: Anthropic115,
    middleware: true,
    callSpan: 'anthropic.messages.create',
  },
];

const attemptSpans = () => spans().filter((x) => x.name === 'POST /v1/messages');

describe.each(LINES)('@anthropic-ai/sdk $name', (line) => {
  // Each version's client, typed as 1.x's for the calls below (their surface is the same there);
  // that the gateway takes every version without a cast is what `types.test.ts` checks.
  const client = (s: Simulator, options: Record<string, unknown> = {}) =>
    new line.Anthropic({ apiKey: 'sk-compat-secret', baseURL: s.url, ...options }) as unknown as Anthropic115;
  const gateway = (options: GatewayOptions = {}) => createGateway({ ...FAST, ...options }, {});

  it('is the version installed under its alias', async () => {
    const { VERSION } = (await import(`${line.alias}/version`)) as { VERSION: string };
    expect(VERSION).toBe(line.name);
  });

  it('its own error classes are found on its client, for errors raised for its calls', () => {
    const classes = sdkErrorClasses(new line.Anthropic({ apiKey: 'x' }));
    expect(classes?.APIConnectionError).toBe(line.Anthropic.APIConnectionError);
    expect(classes?.APIConnectionTimeoutError).toBe(line.Anthropic.APIConnectionTimeoutError);
    expect(classes?.APIUserAbortError).toBe(line.Anthropic.APIUserAbortError);
  });

  it('retries by the table and waits the retry-after; one logical span, one attempt span each', async () => {
    const s = await sim();
    s.enqueue({ kind: 'error', status: 429, retryAfterMs: 300 }, { kind: 'error', status: 529 });
    const wrapped = gateway().wrap(client(s));
    expect(isWrapped(wrapped)).toBe(true);
    expect(wrapped.maxRetries).toBe(0);
    const started = performance.now();
    const msg = await wrapped.messages.create(PARAMS);
    expect(msg.type).toBe('message');
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(s.stats().attempts).toBe(3);
    expect(s.stats().retryAfterViolations).toBe(0);
    const attempts = attemptSpans();
    expect(attempts.map((x) => x.attributes['http.response.status_code'])).toEqual([429, 529, 200]);
    expect(attempts[0]!.attributes['claude_gateway.retry.delay_source']).toBe('retry-after');
    const calls = spans().filter((x) => x.name === line.callSpan);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.attributes['claude_gateway.attempts']).toBe(3);
    for (const a of attempts) expect(a.parentSpanContext?.spanId).toBe(calls[0]!.spanContext().spanId);
    expect(JSON.stringify(spans().map((x) => x.attributes))).not.toContain('sk-compat-secret');
  });

  it('sees each attempt leave: long calls unrefused on the wire let the limit grow before any answer', async () => {
    const s = await sim({ latency: { ttftMs: 2000, msPerToken: 0 } });
    const g = createGateway({}, {});
    const wrapped = g.wrap(client(s));
    const calls = Array.from({ length: 12 }, () => wrapped.messages.create(PARAMS));
    // 500 ms on the wire is the evidence (ADMISSION_EVIDENCE_MS); then slow start steps.
    let limit = 4;
    for (let i = 0; i < 100 && limit <= 4; i++) {
      await new Promise((r) => setTimeout(r, 20));
      limit = g.limiters()[0]?.limit ?? 4;
    }
    expect(limit).toBeGreaterThan(4);
    expect(s.stats().byStatus['200'] ?? 0).toBe(0); // before any answer
    await Promise.all(calls);
    await g.close();
  });

  it('sends a 400 once and throws that version’s BadRequestError', async () => {
    const s = await sim();
    s.enqueue({ kind: 'error', status: 400 });
    const wrapped = gateway().wrap(client(s));
    const error = await wrapped.messages.create(PARAMS).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(line.Anthropic.BadRequestError);
    expect((error as { status: number }).status).toBe(400);
    expect(s.stats().attempts).toBe(1);
  });

  it('reads a stream to the end, the error before its content retried unseen', async () => {
    const s = await sim();
    s.enqueue({ kind: 'stream-error', afterDeltas: 0 });
    const g = gateway();
    const wrapped = g.wrap(client(s));
    const stream = wrapped.messages.stream(PARAMS);
    let text = '';
    stream.on('text', (t: string) => (text += t));
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe('end_turn');
    expect(text.length).toBeGreaterThan(0);
    expect(s.stats().attempts).toBe(2);
    expect(g.limiters().reduce((n, l) => n + l.active, 0)).toBe(0);
    const events: string[] = [];
    for await (const event of await wrapped.messages.create({ ...PARAMS, stream: true }))
      events.push(event.type);
    expect([events[0], events.at(-1)]).toEqual(['message_start', 'message_stop']);
  });

  it('turns the SDK’s own retries off: an always-529 API gets maxRetries + 1 attempts per call', async () => {
    const s = await sim({ overloadRate: 1 });
    const wrapped = gateway({ maxRetries: 2 }).wrap(client(s)); // the SDK's default would be 2 more each
    const errors = await Promise.all(
      [0, 1].map(() => wrapped.messages.create(PARAMS).catch((e: unknown) => e)),
    );
    for (const error of errors) {
      expect(error).toBeInstanceOf(line.Anthropic.InternalServerError);
      expect((error as { status: number }).status).toBe(529);
    }
    expect(s.stats().attempts).toBe(6);
  });

  it('a client’s own maxRetries (and a per-request one) go to the gateway, never on top', async () => {
    const s = await sim({ overloadRate: 1 });
    const wrapped = gateway({ maxRetries: 5 }).wrap(client(s, { maxRetries: 1 }));
    await wrapped.messages.create(PARAMS).catch(() => {});
    expect(s.stats().attempts).toBe(2);
    await wrapped.messages.create(PARAMS, { maxRetries: 0 }).catch(() => {});
    expect(s.stats().attempts).toBe(3);
  });

  it('a call waiting in the gateway’s queue is not cut by the client’s per-attempt timeout', async () => {
    // Each call takes ~250 ms and one runs at a time: the third waits ~500 ms, past the 400 ms timeout.
    const s = await sim({ latency: { ttftMs: 250, msPerToken: 0 } });
    const g = gateway({ concurrencyInitial: 1, concurrencyMax: 1 });
    const wrapped = g.wrap(client(s, { timeout: 400 }));
    const results = await Promise.allSettled([0, 1, 2].map(() => wrapped.messages.create(PARAMS)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    expect(s.stats().attempts).toBe(3);
    // … while an attempt that takes longer than the timeout is still cut and retried.
    s.enqueue({ kind: 'hang' });
    await wrapped.messages.create(PARAMS);
    expect(s.stats().attempts).toBe(5);
  });

  it('adopt() in place (the instrumentation’s way) and withOptions() copies stay on the gateway', async () => {
    const s = await sim();
    s.enqueue({ kind: 'error', status: 529 });
    const own = client(s);
    gateway().adopt(own);
    expect(isWrapped(own)).toBe(true);
    expect(own.maxRetries).toBe(0);
    expect((await own.messages.create(PARAMS)).type).toBe('message');
    expect(s.stats().attempts).toBe(2);
    const copy = gateway().wrap(client(s)).withOptions({ timeout: 5000 });
    expect(isWrapped(copy)).toBe(true);
    s.enqueue({ kind: 'error', status: 529 });
    await copy.messages.create(PARAMS);
    expect(s.stats().attempts).toBe(4);
    expect('middleware' in own).toBe(line.middleware);
  });
});
