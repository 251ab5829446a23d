/**
 * Issue 12, one test per defect: hostile answers, broken clocks and lost slots must not wedge a
 * key+model. The real SDK over real HTTP to a raw server (./server.ts) answering exactly the bytes
 * each test chooses; real timers; the library through its public entry only.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { GatewayConfigError, createGateway, type Gateway } from '../../src/index.js';
import {
  FAST,
  PARAMS,
  countSpans,
  describeError,
  endedSpans,
  gatewayClient,
  hostile,
  idle,
  isTypedError,
  leakedSince,
  limiterState,
  openSpans,
  sdk,
  settleWithin,
  sleep,
  testSignal,
  until,
  warningSummary,
  warnings,
  watchProcess,
} from './harness.js';
import { SSE_EVENTS, errorAnswer, okAnswer, response, type Answer, type HostileServer } from './server.js';

countSpans();
watchProcess();

const json = [['content-type', 'application/json']] as const;
const sse = [['content-type', 'text/event-stream']] as const;
const errorBody = (type = 'api_error') =>
  JSON.stringify({ type: 'error', error: { type, message: 'hostile' }, request_id: 'req_h' });

/** The error (or `undefined`) a bare SDK client with `maxRetries: 0` gets for `answer`. */
async function bareSdkError(server: HostileServer, answer: Answer): Promise<unknown> {
  server.clear();
  server.enqueue(answer);
  const bare = sdk(server, { maxRetries: 0, timeout: 5_000 });
  return bare.messages.create(PARAMS).then(
    () => undefined,
    (e: unknown) => e,
  );
}

/** Makes an ordinary call and says after how long its request reached the server (or that it did
 * not within `ms`); the call itself runs on, ended by the test's signal. */
async function nextCallDelay(server: HostileServer, client: Anthropic, ms: number) {
  const index = server.requests.length;
  const sentAt = performance.now();
  const call = settleWithin(client.messages.create(PARAMS, { signal: testSignal() }), ms + 3_000);
  const req = await server.nextRequest(index, ms);
  return { delayMs: req ? req.at - sentAt : Infinity, call };
}

/** Reads `create({ stream: true })` to the end. */
async function readStream(client: Anthropic): Promise<number> {
  let events = 0;
  for await (const _ of await client.messages.create({ ...PARAMS, stream: true }, { signal: testSignal() }))
    events++;
  return events;
}

function overflowWarnings(from: number) {
  return warnings.slice(from).filter((w) => w.name === 'TimeoutOverflowWarning');
}

// ---------------------------------------------------------------------------------------------

describe('statuses 600–999 and reason phrases with control or non-Latin-1 bytes', () => {
  const answers: Array<[string, Answer]> = [
    ['status 999', response({ status: 999, reason: 'Weird', headers: json, body: errorBody() })],
    ['status 600', response({ status: 600, reason: 'Weird', headers: json, body: errorBody() })],
    [
      'status 700 with an HTML body',
      response({ status: 700, headers: [['content-type', 'text/html']], body: '<html>oops</html>' }),
    ],
    [
      '500 with a control byte in the reason',
      response({ status: 500, reason: Buffer.from([0x42, 0x01, 0x41]), headers: json, body: errorBody() }),
    ],
    [
      '500 with DEL in the reason',
      response({ status: 500, reason: Buffer.from([0x7f]), headers: json, body: errorBody() }),
    ],
    [
      '529 with a reason in UTF-8 that is not Latin-1',
      response({ status: 529, reason: 'Überlastet €', headers: json, body: errorBody('overloaded_error') }),
    ],
    [
      '429 with a reason in CJK',
      response({ status: 429, reason: '过载', headers: json, body: errorBody('rate_limit_error') }),
    ],
    [
      '400 with Latin-1 obs-text bytes in the reason',
      response({
        status: 400,
        reason: Buffer.from([0xe9, 0x74, 0xe9]),
        headers: json,
        body: errorBody('invalid_request_error'),
      }),
    ],
    ['304 with a body', response({ status: 304, body: 'x' })],
  ];

  it.each(answers)(
    '%s: the caller gets the same typed error class as from the bare SDK',
    async (_name, answer) => {
      const server = await hostile();
      const expected = await bareSdkError(server, answer);
      expect(expected, 'the bare SDK itself raises a typed error').toBeInstanceOf(Anthropic.APIError);

      server.clear();
      server.fallback(answer); // every attempt, retries included
      const { gateway, client } = gatewayClient(server, { maxRetries: 1 });
      const result = await settleWithin(client.messages.create(PARAMS, { signal: testSignal() }), 3_000);
      expect(result.state).toBe('rejected');
      const error = result.state === 'rejected' ? result.error : undefined;
      expect(error, describeError(error)).toBeInstanceOf((expected as Error).constructor);
      expect((error as { status?: number }).status).toBe((expected as { status?: number }).status);
      expect(await until(() => idle(gateway), 500), limiterState(gateway)).toBe(true);
    },
  );

  it('four answers with status 999 or a bad reason leave no slot taken: later calls are still sent', async () => {
    const server = await hostile();
    const { gateway, client } = gatewayClient(server, {
      maxRetries: 0,
      concurrencyInitial: 4,
      concurrencyMax: 4,
    });
    server.enqueue(
      response({ status: 999, headers: json, body: errorBody() }),
      response({ status: 500, reason: Buffer.from([0x01]), headers: json, body: errorBody() }),
      response({ status: 529, reason: 'Überlastet €', headers: json, body: errorBody('overloaded_error') }),
      response({ status: 777, reason: '过载', body: '' }),
    );
    for (let i = 0; i < 4; i++)
      await settleWithin(client.messages.create(PARAMS, { signal: testSignal() }), 3_000);
    expect(await until(() => idle(gateway), 500), limiterState(gateway)).toBe(true);
    const results = await Promise.all(
      Array.from({ length: 4 }, () =>
        settleWithin(client.messages.create(PARAMS, { signal: testSignal() }), 1_500),
      ),
    );
    expect(results.map((r) => r.state)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
  });
});

// ---------------------------------------------------------------------------------------------

describe('garbage retry-after values never hold a key+model beyond maxRetryAfterMs', () => {
  const values: Array<[string, string, string]> = [
    ['retry-after: 999999999999', 'retry-after', '999999999999'],
    ['retry-after: Fri, 31 Dec 9999 23:59:59 GMT', 'retry-after', 'Fri, 31 Dec 9999 23:59:59 GMT'],
    ['retry-after-ms: 1e308', 'retry-after-ms', '1e308'],
    ['retry-after: -32 (not the year 2032)', 'retry-after', '-32'],
  ];
  const cases = values.flatMap(([name, header, value]) =>
    [429, 529].map((status) => [`${status} with ${name}`, status, header, value] as const),
  );

  it.each(cases)(
    '%s: the call fails fast or waits at most maxRetryAfterMs, and the next call is sent within 1 s',
    async (_name, status, header, value) => {
      const server = await hostile();
      const { gateway, client } = gatewayClient(server, { maxRetryAfterMs: 500, timeoutMs: 5_000 });
      server.enqueue(
        errorAnswer(status, [[header, value]], status === 429 ? 'rate_limit_error' : 'overloaded_error'),
      );
      const from = warnings.length;

      const first = await settleWithin(client.messages.create(PARAMS, { signal: testSignal() }), 2_000);
      expect(first.state, 'the call settles').not.toBe('pending');
      expect(first.ms).toBeLessThan(500 + 700);
      if (first.state === 'rejected')
        expect(isTypedError(first.error), describeError(first.error)).toBe(true);

      const now = Date.now();
      for (const l of gateway.limiters())
        expect(l.holdUntil, 'hold within maxRetryAfterMs').toBeLessThanOrEqual(now + 500);
      const { delayMs, call } = await nextCallDelay(server, client, 1_000);
      expect(delayMs, `next call not sent in time; limiters ${limiterState(gateway)}`).toBeLessThanOrEqual(
        1_000,
      );
      expect((await call).state).toBe('fulfilled');
      expect(overflowWarnings(from), warningSummary(warnings.slice(from))).toHaveLength(0);
    },
  );

  it.each(values)(
    '%s with timeoutMs: 0 (no deadline): later calls still settle',
    async (_name, header, value) => {
      const server = await hostile();
      const { gateway, client } = gatewayClient(server, { maxRetryAfterMs: 500, timeoutMs: 0 });
      server.enqueue(errorAnswer(429, [[header, value]], 'rate_limit_error'));
      const first = await settleWithin(client.messages.create(PARAMS, { signal: testSignal() }), 2_000);
      expect(first.state).not.toBe('pending');
      const later = await Promise.all(
        [1, 2, 3].map(() => settleWithin(client.messages.create(PARAMS, { signal: testSignal() }), 2_000)),
      );
      expect(
        later.map((r) => r.state),
        limiterState(gateway),
      ).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    },
  );
});

// ---------------------------------------------------------------------------------------------

describe('pacing from outlier or absurd rate-limit headers never stalls later calls', () => {
  const rl = (stem: string, limit: string, remaining: string) =>
    [
      [`anthropic-ratelimit-${stem}-limit`, limit],
      [`anthropic-ratelimit-${stem}-remaining`, remaining],
    ] as const;
  const cases: Array<[string, Answer[]]> = [
    [
      'requests remaining 1000000000 on a limit of 50, then a normal 48',
      [okAnswer([...rl('requests', '50', '1000000000')]), okAnswer([...rl('requests', '50', '48')])],
    ],
    [
      'requests remaining 1000 on a 50/min bucket (outlier), then a normal 48',
      [okAnswer([...rl('requests', '50', '1000')]), okAnswer([...rl('requests', '50', '48')])],
    ],
    [
      'a tiny positive requests limit (0.001) with remaining 0',
      [okAnswer([...rl('requests', '0.001', '0')])],
    ],
    ['a tiny positive requests limit (1e-9) with remaining 1', [okAnswer([...rl('requests', '1e-9', '1')])]],
    [
      'a tiny positive input-tokens limit (0.001) with remaining 0',
      [okAnswer([...rl('input-tokens', '0.001', '0')])],
    ],
    [
      'input-tokens remaining 1e308 on a limit of 400000, then a normal 399000',
      [
        okAnswer([...rl('input-tokens', '400000', '1e308')]),
        okAnswer([...rl('input-tokens', '400000', '399000')]),
      ],
    ],
  ];

  it.each(cases)('%s: the next calls are sent within 1 s', async (_name, answers) => {
    const server = await hostile();
    const { gateway, client } = gatewayClient(server, { maxRetryAfterMs: 500 });
    server.enqueue(...answers);
    const from = warnings.length;
    for (let i = 0; i < answers.length; i++)
      expect(
        (await settleWithin(client.messages.create(PARAMS, { signal: testSignal() }), 2_000)).state,
      ).toBe('fulfilled');
    for (let i = 0; i < 2; i++) {
      const { delayMs, call } = await nextCallDelay(server, client, 1_000);
      expect(
        delayMs,
        `call ${i} after the outlier; limiters ${JSON.stringify(gateway.limiters())}`,
      ).toBeLessThanOrEqual(1_000);
      expect((await call).state).toBe('fulfilled');
    }
    expect(overflowWarnings(from), warningSummary(warnings.slice(from))).toHaveLength(0);
  });
});

// ---------------------------------------------------------------------------------------------

describe('timer overflow', () => {
  const cases: Array<[string, Answer]> = [
    [
      'a 429 with retry-after: 999999999999',
      errorAnswer(429, [['retry-after', '999999999999']], 'rate_limit_error'),
    ],
    ['a 529 with retry-after-ms: 1e308', errorAnswer(529, [['retry-after-ms', '1e308']], 'overloaded_error')],
    [
      'pacing on a requests limit of 1e-9 with remaining 0',
      okAnswer([
        ['anthropic-ratelimit-requests-limit', '1e-9'],
        ['anthropic-ratelimit-requests-remaining', '0'],
      ]),
    ],
  ];

  it.each(cases)(
    'a wait above 2^31−1 ms asked by %s produces no TimeoutOverflowWarning',
    async (_name, answer) => {
      const server = await hostile();
      // The defaults (maxRetryAfterMs 60 s, timeoutMs 10 min): the server's wait alone is huge.
      const { client } = gatewayClient(server);
      server.enqueue(answer);
      const from = warnings.length;
      await settleWithin(client.messages.create(PARAMS, { signal: testSignal() }), 2_000);
      // Calls made now may legitimately wait (up to maxRetryAfterMs); none may spin on a 1 ms timer.
      const signal = testSignal();
      const queued = [1, 2].map(() => client.messages.create(PARAMS, { signal }).catch(() => {}));
      await sleep(400);
      expect(overflowWarnings(from), warningSummary(warnings.slice(from))).toHaveLength(0);
      void queued;
    },
  );
});

// ---------------------------------------------------------------------------------------------

describe('nothing retries twice', () => {
  const always529 = errorAnswer(529, [['retry-after-ms', '10']], 'overloaded_error');

  it('client.withOptions({ maxRetries: 3 }) on a wrapped client sends at most 4 attempts to an always-529 server', async () => {
    const server = await hostile();
    server.fallback(always529);
    const { client } = gatewayClient(server, { retryBudgetRatio: 100 });
    const result = await settleWithin(
      client.withOptions({ maxRetries: 3 }).messages.create(PARAMS, { signal: testSignal() }),
      15_000,
    );
    expect(result.state).toBe('rejected');
    expect(result.state === 'rejected' && result.error).toBeInstanceOf(Anthropic.InternalServerError);
    expect(server.requests.length).toBeGreaterThanOrEqual(1);
    expect(server.requests.length).toBeLessThanOrEqual(4);
  });

  it('new Anthropic({ maxRetries: 3 }) wrapped sends at most 4 attempts to an always-529 server', async () => {
    const server = await hostile();
    server.fallback(always529);
    const gateway = createGateway({ ...FAST, retryBudgetRatio: 100 }, {});
    const client = gateway.wrap(sdk(server, { maxRetries: 3 }));
    const result = await settleWithin(client.messages.create(PARAMS, { signal: testSignal() }), 15_000);
    expect(result.state).toBe('rejected');
    expect(server.requests.length).toBeGreaterThanOrEqual(1);
    expect(server.requests.length).toBeLessThanOrEqual(4);
  });
});

// ---------------------------------------------------------------------------------------------

describe('the whole-call deadline covers response bodies and streams', () => {
  const DEADLINE = 1_000;
  const BOUND = DEADLINE + 800;

  /** Runs `start()` and lists what went wrong: it must reject by the deadline (plus slack) with the
   * SDK's timeout error, free its slot and end its spans. */
  async function timeoutProblems(gateway: Gateway, start: () => Promise<unknown>): Promise<string[]> {
    const spansBefore = new Set(openSpans);
    const result = await settleWithin(start(), BOUND + 2_000);
    const problems: string[] = [];
    if (result.state !== 'rejected') problems.push(`${result.state} after ${Math.round(result.ms)} ms`);
    else {
      if (result.ms > BOUND) problems.push(`rejected after ${Math.round(result.ms)} ms (bound ${BOUND} ms)`);
      if (!(result.error instanceof Anthropic.APIConnectionTimeoutError))
        problems.push(`not an APIConnectionTimeoutError: ${describeError(result.error)}`);
    }
    if (!(await until(() => idle(gateway), 500))) problems.push(`slot not freed: ${limiterState(gateway)}`);
    if (!(await until(() => leakedSince(spansBefore).length === 0, 500)))
      problems.push(`spans left open: ${leakedSince(spansBefore).join(', ')}`);
    return problems;
  }

  it('a 200 whose JSON body stalls after the headers rejects by the deadline with APIConnectionTimeoutError and frees the slot', async () => {
    const server = await hostile();
    server.fallback(
      response({ status: 200, headers: json, body: '{"id":"msg_1","type":"message"}', stallAfterHead: true }),
    );
    // The SDK's own per-attempt timeout is long: only the gateway's deadline can end this.
    const { gateway, client } = gatewayClient(server, { timeoutMs: DEADLINE }, { timeout: 20_000 });
    expect(
      await timeoutProblems(gateway, () => client.messages.create(PARAMS, { signal: testSignal() })),
    ).toEqual([]);
  });

  it('a 200 whose JSON body stalls half-way rejects by the deadline with APIConnectionTimeoutError', async () => {
    const server = await hostile();
    server.fallback(
      response({
        status: 200,
        headers: json,
        body: '{"id":"msg_1","type":"message","role":"assistant"}',
        cutAt: 120,
        cut: 'stall',
      }),
    );
    const { gateway, client } = gatewayClient(server, { timeoutMs: DEADLINE }, { timeout: 20_000 });
    expect(
      await timeoutProblems(gateway, () => client.messages.create(PARAMS, { signal: testSignal() })),
    ).toEqual([]);
  });

  it('an SSE stream that stalls after the headers rejects by the deadline with APIConnectionTimeoutError', async () => {
    const server = await hostile();
    server.fallback(
      response({ status: 200, headers: sse, body: '', stallAfterHead: true, framing: 'chunked' }),
    );
    const { gateway, client } = gatewayClient(server, { timeoutMs: DEADLINE }, { timeout: 20_000 });
    expect(await timeoutProblems(gateway, () => readStream(client))).toEqual([]);
  });

  it('an attempt that gets no answer, then a 429 whose body stalls after the head, rejects by the deadline and ends every span (found by the property test)', async () => {
    const server = await hostile();
    server.enqueue(
      response({ status: 200, headers: sse, body: 'event: error\ndata: {}\n\n', cutAt: 0, cut: 'stall' }),
      response({ status: 429, headers: json, body: errorBody('rate_limit_error'), stallAfterHead: true }),
    );
    // The SDK's per-attempt timeout ends the first attempt; the deadline ends the second's body.
    const { gateway, client } = gatewayClient(
      server,
      { timeoutMs: DEADLINE, baseDelayMs: 20, maxDelayMs: 80 },
      { timeout: 600 },
    );
    expect(
      await timeoutProblems(gateway, () => client.messages.create(PARAMS, { signal: testSignal() })),
    ).toEqual([]);
  });

  const afterContent = SSE_EVENTS.slice(0, 4)
    .map(([e, d]) => `event: ${e}\ndata: ${d}\n\n`)
    .join('');

  it('an SSE stream that stalls after its first content (create({ stream: true })) rejects by the deadline and frees the slot', async () => {
    const server = await hostile();
    server.fallback(
      response({ status: 200, headers: sse, body: afterContent, framing: 'chunked', stallBeforeEnd: true }),
    );
    const { gateway, client } = gatewayClient(server, { timeoutMs: DEADLINE }, { timeout: 20_000 });
    expect(await timeoutProblems(gateway, () => readStream(client))).toEqual([]);
  });

  it('an SSE stream that stalls after its first content (messages.stream().finalMessage()) rejects by the deadline and frees the slot', async () => {
    const server = await hostile();
    server.fallback(
      response({ status: 200, headers: sse, body: afterContent, framing: 'chunked', stallBeforeEnd: true }),
    );
    const { gateway, client } = gatewayClient(server, { timeoutMs: DEADLINE }, { timeout: 20_000 });
    expect(
      await timeoutProblems(gateway, () =>
        client.messages.stream(PARAMS, { signal: testSignal() }).finalMessage(),
      ),
    ).toEqual([]);
  });
});

describe('a 205 with a JSON body (found by the property test)', () => {
  it("the caller gets the bare SDK's own SyntaxError (fetch empties a 205), the slot is freed and the next call goes at once", async () => {
    const server = await hostile();
    const answer = response({ status: 205, reason: 'OK', headers: json, body: 'null' });
    const expected = await bareSdkError(server, answer);
    expect(expected, describeError(expected)).toBeInstanceOf(SyntaxError);

    server.clear();
    server.enqueue(answer);
    const { gateway, client } = gatewayClient(server, { maxRetries: 1 });
    const sent = server.requests.length;
    const result = await settleWithin(client.messages.create(PARAMS, { signal: testSignal() }), 3_000);
    expect(result.state).toBe('rejected');
    const error = result.state === 'rejected' ? result.error : undefined;
    expect(error, describeError(error)).toBeInstanceOf(SyntaxError);
    expect(server.requests.length - sent, 'a parse failure of a 2xx is not retried').toBe(1);
    expect(await until(() => idle(gateway), 500), limiterState(gateway)).toBe(true);

    server.fallback(okAnswer());
    const next = await nextCallDelay(server, client, 1_000);
    expect(next.delayMs).toBeLessThan(350);
    expect((await next.call).state).toBe('fulfilled');
  });
});

// ---------------------------------------------------------------------------------------------

describe('a body cut short (found by the property test)', () => {
  const message =
    '{"id":"msg_1","type":"message","role":"assistant","model":"claude-hostile-1","content":[]}';
  const cuts: Array<[string, Answer]> = [
    [
      'a content-length longer than the JSON body',
      response({ status: 200, headers: json, body: message, framing: message.length + 7 }),
    ],
    [
      'a reset half-way through the JSON body',
      response({ status: 200, headers: json, body: message, cutAt: 120, cut: 'reset' }),
    ],
    [
      'a chunked JSON body closed before its last chunk',
      response({
        status: 200,
        headers: json,
        body: message,
        framing: 'chunked',
        pieceBytes: 16,
        cutAt: 130,
        cut: 'end',
      }),
    ],
    [
      'a JSON body without a length closed half-way',
      response({ status: 200, headers: json, body: message, framing: 'close', cutAt: 120, cut: 'end' }),
    ],
  ];

  it.each(cuts)(
    '%s, on every attempt: messages.create rejects with APIConnectionError, not TypeError(terminated)',
    async (_name, answer) => {
      const server = await hostile();
      server.fallback(answer);
      const { gateway, client } = gatewayClient(server, { maxRetries: 1 });
      const result = await settleWithin(client.messages.create(PARAMS, { signal: testSignal() }), 3_000);
      expect(result.state).toBe('rejected');
      const error = result.state === 'rejected' ? result.error : undefined;
      expect(error, describeError(error)).toBeInstanceOf(Anthropic.APIConnectionError);
      expect(await until(() => idle(gateway), 500), limiterState(gateway)).toBe(true);
    },
  );

  it('an SSE stream reset after its first content: create({ stream: true }) rejects with APIConnectionError, not TypeError(terminated)', async () => {
    const server = await hostile();
    const afterContent = SSE_EVENTS.slice(0, 4)
      .map(([e, d]) => `event: ${e}\ndata: ${d}\n\n`)
      .join('');
    // The head and the first events, no last chunk, then a reset (the stall step swapped for it).
    const head = response({
      status: 200,
      headers: sse,
      body: afterContent,
      framing: 'chunked',
      stallBeforeEnd: true,
    });
    server.fallback([...head.slice(0, -1), { kind: 'wait', ms: 20 }, { kind: 'reset' }]);
    const { gateway, client } = gatewayClient(server, { maxRetries: 1 });
    const result = await settleWithin(readStream(client), 3_000);
    expect(result.state).toBe('rejected');
    const error = result.state === 'rejected' ? result.error : undefined;
    expect(error, describeError(error)).toBeInstanceOf(Anthropic.APIConnectionError);
    expect(await until(() => idle(gateway), 500), limiterState(gateway)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------

describe('a stream that ends cleanly before any content', () => {
  const bodies: Array<[string, string]> = [
    ['an empty body', ''],
    ['only a ping', 'event: ping\ndata: {"type":"ping"}\n\n'],
    ['only message_start', `event: ${SSE_EVENTS[0]![0]}\ndata: ${SSE_EVENTS[0]![1]}\n\n`],
  ];

  it.each(bodies)(
    '%s: create({ stream: true }) rejects with an SDK error class (APIError family), not a plain Error',
    async (_name, body) => {
      const server = await hostile();
      server.fallback(response({ status: 200, headers: sse, body, framing: 'chunked' }));
      const { gateway, client } = gatewayClient(server, { maxRetries: 1 });
      const result = await settleWithin(readStream(client), 3_000);
      expect(result.state).toBe('rejected');
      const error = result.state === 'rejected' ? result.error : undefined;
      expect(error, describeError(error)).toBeInstanceOf(Anthropic.APIError);
      expect(await until(() => idle(gateway), 500)).toBe(true);
    },
  );

  it.each(bodies)(
    '%s: messages.stream().finalMessage() rejects with an AnthropicError',
    async (_name, body) => {
      const server = await hostile();
      server.fallback(response({ status: 200, headers: sse, body, framing: 'chunked' }));
      const { gateway, client } = gatewayClient(server, { maxRetries: 1 });
      const result = await settleWithin(
        client.messages.stream(PARAMS, { signal: testSignal() }).finalMessage(),
        3_000,
      );
      expect(result.state).toBe('rejected');
      const error = result.state === 'rejected' ? result.error : undefined;
      expect(error, describeError(error)).toBeInstanceOf(Anthropic.AnthropicError);
      expect(await until(() => idle(gateway), 500)).toBe(true);
    },
  );
});

// ---------------------------------------------------------------------------------------------

describe('a bad per-request maxRetries', () => {
  it.each([NaN, -1, 1.5])(
    'maxRetries: %s is refused before a byte is sent with a typed error naming maxRetries',
    async (value) => {
      const server = await hostile();
      const { gateway, client } = gatewayClient(server);
      const result = await settleWithin(
        client.messages.create(PARAMS, { maxRetries: value, signal: testSignal() }),
        2_000,
      );
      expect(result.state).toBe('rejected');
      const error = result.state === 'rejected' ? result.error : undefined;
      expect(
        error instanceof GatewayConfigError || error instanceof Anthropic.AnthropicError,
        describeError(error),
      ).toBe(true);
      expect((error as Error).message).toMatch(/maxRetries/);
      expect(server.requests).toHaveLength(0);
      expect(idle(gateway)).toBe(true);
    },
  );
});

// ---------------------------------------------------------------------------------------------

describe('a 529 with retry-after that counts as isolated', () => {
  it('still holds the key+model: no attempt is sent before its retry-after has passed', async () => {
    const server = await hostile();
    // Long ramp intervals, so the dozen successes below and the 529 share one window: the 529 is
    // under a tenth of the recent attempts, i.e. isolated (no ramp cut).
    const { client } = gatewayClient(server, { rampIntervalMs: 10_000, concurrencyInitial: 16 });
    for (let i = 0; i < 12; i++)
      expect(
        (await settleWithin(client.messages.create(PARAMS, { signal: testSignal() }), 2_000)).state,
      ).toBe('fulfilled');

    server.enqueue(
      errorAnswer(
        529,
        [
          ['retry-after-ms', '400'],
          ['retry-after', '1'],
        ],
        'overloaded_error',
      ),
    );
    const index = server.requests.length;
    const spansSeen = endedSpans.length;
    const a = settleWithin(client.messages.create(PARAMS, { signal: testSignal() }), 5_000);
    // Once the gateway has answered the 529 (its attempt span ended with it), send another call.
    const answered = await until(
      () =>
        endedSpans
          .slice(spansSeen)
          .some((s) => s.name === 'POST /v1/messages' && s.attributes['http.response.status_code'] === 529),
      2_000,
    );
    expect(answered, 'the 529 attempt span ended').toBe(true);
    const b = settleWithin(client.messages.create(PARAMS, { signal: testSignal() }), 5_000);
    expect((await a).state).toBe('fulfilled');
    expect((await b).state).toBe('fulfilled');
    const [first, ...later] = server.since(index);
    expect(later).toHaveLength(2);
    for (const r of later)
      expect(r.at - first!.at, 'sent after the retry-after of 400 ms').toBeGreaterThanOrEqual(395);
  });
});

// ---------------------------------------------------------------------------------------------

type Closable = Gateway & { close?: () => Promise<void> };

describe('limiter eviction and close()', () => {
  it('after 2,000 distinct models (each answered 404) the idle limiters stay bounded (≤ 1,100)', async () => {
    const server = await hostile();
    server.fallback(errorAnswer(404, [], 'not_found_error'));
    const { gateway, client } = gatewayClient(server, { maxRetries: 0 });
    const signal = testSignal();
    let next = 0;
    const worker = async () => {
      while (next < 2_000) {
        const model = `claude-hostile-model-${next++}`;
        await client.messages.create({ ...PARAMS, model }, { signal }).catch((e: unknown) => {
          if (!(e instanceof Anthropic.NotFoundError)) throw e;
        });
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    expect(server.requests).toHaveLength(2_000);
    expect(await until(() => idle(gateway), 1_000)).toBe(true);
    expect(gateway.limiters().length).toBeLessThanOrEqual(1_100);
  }, 60_000);

  it('close() resolves; afterwards calls through its clients reject at once with a typed error saying the gateway is closed, sending nothing', async () => {
    const server = await hostile();
    const { gateway, client } = gatewayClient(server);
    expect((await settleWithin(client.messages.create(PARAMS, { signal: testSignal() }), 2_000)).state).toBe(
      'fulfilled',
    );
    const closable = gateway as Closable;
    expect(typeof closable.close, 'gateway.close exists').toBe('function');
    const closed = await settleWithin(closable.close!(), 2_000);
    expect(closed.state).toBe('fulfilled');
    const index = server.requests.length;
    const after = await settleWithin(client.messages.create(PARAMS, { signal: testSignal() }), 1_000);
    expect(after.state).toBe('rejected');
    const error = after.state === 'rejected' ? after.error : undefined;
    expect(error, describeError(error)).toBeInstanceOf(Anthropic.AnthropicError);
    expect((error as Error).message).toMatch(/closed/i);
    expect(server.requests.length).toBe(index);
  });
});
