// SSE: the documented event order and shapes, through messages.stream(), create({ stream: true })
// and raw fetch; stream faults surfacing as SDK errors; the latency model.
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { call, params, rejection, sdk, useSimulators } from './helpers.js';

const start = useSimulators();
const ORDER = [
  'message_start',
  'content_block_start',
  'content_block_delta',
  'content_block_stop',
  'message_delta',
  'message_stop',
];
const collapse = (types: string[]) => types.filter((t, i) => t !== types[i - 1]);
const OVERLOADED = { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } };

describe('streaming', () => {
  it('streams the documented events through messages.stream()', async () => {
    const sim = await start({ outputTokens: 12 });
    const stream = sdk(sim).messages.stream(params());
    const types: string[] = [];
    stream.on('streamEvent', (event) => types.push(event.type));
    const message = await stream.finalMessage();
    expect(collapse(types)).toEqual(ORDER);
    expect(types.filter((t) => t === 'content_block_delta')).toHaveLength(12);
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: params().model,
      stop_reason: 'end_turn',
    });
    expect(message.id).toMatch(/^msg_01/);
    expect(message.usage.output_tokens).toBe(12);
    expect(message.content[0]).toMatchObject({
      type: 'text',
      text: expect.stringMatching(/^Simulated reply/),
    });
  });

  it('streams exact event shapes through create({ stream: true })', async () => {
    const sim = await start();
    const stream = await sdk(sim).messages.create({ ...params({ max_tokens: 3 }), stream: true });
    const events: Anthropic.RawMessageStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const first = events[0] as Anthropic.RawMessageStartEvent;
    expect(collapse(events.map((e) => e.type))).toEqual(ORDER);
    expect(first.message).toMatchObject({
      type: 'message',
      content: [],
      stop_reason: null,
      usage: { output_tokens: 1 },
    });
    expect(events[1]).toEqual({
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'text', text: '', citations: null },
    });
    expect(events[2]).toEqual({
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text: 'Simulated' },
    });
    expect(events.at(-2)).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'max_tokens', stop_sequence: null, stop_details: null, container: null },
      usage: {
        input_tokens: first.message.usage.input_tokens,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        output_tokens: 3,
        output_tokens_details: null,
        server_tool_use: null,
      },
    });
    expect(events.at(-1)).toEqual({ type: 'message_stop' });
  });

  it('frames SSE like the API, with a ping', async () => {
    const sim = await start({ outputTokens: 2 });
    const res = await call(sim, '/v1/messages', params({ stream: true }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('request-id')).toMatch(/^req_/);
    expect(res.headers.get('anthropic-ratelimit-requests-remaining')).not.toBeNull();
    const frames = res.text.trim().split('\n\n');
    const names = frames.map((f) => /^event: (\S+)\ndata: /.exec(f)?.[1]);
    expect(names).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    for (const f of frames) expect(JSON.parse(f.split('data: ')[1]!).type).toBe(/^event: (\S+)/.exec(f)?.[1]);
  });
});

describe('stream faults', () => {
  it('sends event: error before any content', async () => {
    const sim = await start({ script: [{ kind: 'stream-error', afterDeltas: 0 }] });
    const stream = sdk(sim).messages.stream(params());
    const types: string[] = [];
    stream.on('streamEvent', (event) => types.push(event.type));
    const error = await rejection(stream.finalMessage());
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error.status).toBeUndefined();
    expect(error.type).toBe('overloaded_error');
    expect(error.error).toEqual(OVERLOADED);
    expect(types).toEqual([]);
    expect(sim.stats()).toMatchObject({
      streamErrors: 1,
      byStatus: { '200': 1 },
      byErrorType: { overloaded_error: 1 },
    });
  });

  it('sends event: error after some content', async () => {
    const sim = await start();
    sim.enqueue({ kind: 'stream-error', afterDeltas: 3 });
    const stream = await sdk(sim).messages.create({ ...params(), stream: true });
    const types: string[] = [];
    const error = await rejection(
      (async () => {
        for await (const event of stream) types.push(event.type);
      })(),
    );
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error.error).toEqual(OVERLOADED);
    expect(types).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
    ]);
  });

  it('cuts the connection before message_stop', async () => {
    const sim = await start();
    sim.enqueue({ kind: 'stream-cut', afterDeltas: 2 }, { kind: 'stream-cut', afterDeltas: 5 });
    const client = sdk(sim);
    const stream = client.messages.stream(params());
    const types: string[] = [];
    stream.on('streamEvent', (event) => types.push(event.type));
    const error = await rejection(stream.finalMessage());
    expect(error).toBeInstanceOf(Error);
    expect(String(error.message)).toMatch(/terminated/);
    expect(types).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
    ]);

    const raw = await client.messages.create({ ...params(), stream: true });
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const event of raw) seen.push(event.type);
      })(),
    ).rejects.toThrow();
    expect(seen).not.toContain('message_stop');
    expect(sim.stats().streamCuts).toBe(2);
  });

  it('draws stream faults from errorRates', async () => {
    const sim = await start({ errorRates: { streamErrorAfterContent: 1 } });
    const client = sdk(sim);
    const error = await rejection(client.messages.stream(params()).finalMessage());
    expect(error.type).toBe('overloaded_error');
    // non-streaming requests are not affected by stream faults
    expect((await client.messages.create(params())).type).toBe('message');
    sim.update({ errorRates: { streamErrorAfterContent: 0, streamCut: 1 } });
    await expect(client.messages.stream(params()).finalMessage()).rejects.toThrow();
    expect(sim.stats()).toMatchObject({ streamErrors: 1, streamCuts: 1 });
  });
});

describe('latency model', () => {
  it('waits ttft + msPerToken × output tokens, streamed or not', async () => {
    const sim = await start({ latency: { ttftMs: 120, msPerToken: 10 }, outputTokens: 8 });
    const client = sdk(sim);
    let t = performance.now();
    await client.messages.create(params());
    expect(performance.now() - t).toBeGreaterThanOrEqual(195);

    t = performance.now();
    const stream = client.messages.stream(params());
    const at: Record<string, number> = {};
    stream.on('streamEvent', (event) => (at[event.type] ??= performance.now() - t));
    await stream.finalMessage();
    expect(at.message_start!).toBeLessThan(100);
    expect(at.content_block_delta!).toBeGreaterThanOrEqual(115);
    expect(at.message_stop!).toBeGreaterThanOrEqual(195);
  });

  it('lets concurrency matter and tracks in-flight requests', async () => {
    const sim = await start({ latency: { ttftMs: 150, msPerToken: 0 } });
    const client = sdk(sim);
    const t = performance.now();
    await Promise.all(Array.from({ length: 8 }, () => client.messages.create(params())));
    expect(performance.now() - t).toBeLessThan(600);
    expect(sim.stats()).toMatchObject({ peakInFlight: 8, inFlight: 0 });
  });
});
