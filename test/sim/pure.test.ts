// Pure logic of the simulator, without timers or sockets: buckets, the acceleration windows, the
// PRNG, statistics and message content.
import { describe, expect, it } from 'vitest';
import {
  createRamp,
  rampAdmissionBound,
  rampAdmit,
  rampAllowance,
  rampWait,
} from '../../src/sim/acceleration.js';
import { createBucket, msToFull, reconfigure, take, waitFor } from '../../src/sim/buckets.js';
import {
  estimateInputTokens,
  imageTokens,
  messageJson,
  streamPlan,
  tokenText,
} from '../../src/sim/content.js';
import { pngBase64 } from '../helpers.js';
import {
  CACHE_MIN_TOKENS,
  CACHE_TTL_MS,
  lookupCache,
  useCache,
  type PromptCache,
} from '../../src/sim/prompt-cache.js';
import { rfc3339Ceil } from '../../src/sim/limits.js';
import { Rng } from '../../src/sim/random.js';
import { StatsCollector } from '../../src/sim/stats.js';

describe('token buckets', () => {
  it('start full and refill continuously up to the capacity', () => {
    const b = createBucket(5, 600, 0); // 600/min = 0.01 per ms
    expect(waitFor(b, 1, 0)).toBe(0);
    for (let i = 0; i < 5; i++) take(b, 1, 0);
    expect(b.tokens).toBe(0);
    expect(waitFor(b, 1, 0)).toBeCloseTo(100);
    expect(waitFor(b, 1, 50)).toBeCloseTo(50);
    expect(waitFor(b, 1, 100)).toBe(0);
    expect(msToFull(b, 100)).toBeCloseTo(400);
    expect(waitFor(b, 1, 10_000)).toBe(0);
    expect(b.tokens).toBe(5);
  });

  it('let an amount above the capacity pass on a full bucket, then go negative', () => {
    const b = createBucket(1000, 1000, 0);
    expect(waitFor(b, 5000, 0)).toBe(0);
    take(b, 5000, 0);
    expect(b.tokens).toBe(-4000);
    expect(waitFor(b, 1, 0)).toBeCloseTo(4001 * 60);
  });

  it('keep what they earned when reconfigured, clamped to the new capacity', () => {
    const b = createBucket(100, 6000, 0);
    take(b, 50, 0);
    reconfigure(b, 10, 60, 1); // +0.1 earned at the old rate before switching
    expect(b.tokens).toBe(10);
    expect(b.perMs).toBeCloseTo(0.001);
  });
});

describe('acceleration windows', () => {
  const opts = { windowMs: 1000, floor: 4, factor: 2 };

  it('allow the floor from idle, then factor × the previous window', () => {
    const s = createRamp();
    expect(rampAllowance(s, opts, 0)).toBe(4);
    for (let i = 0; i < 4; i++) {
      expect(rampWait(s, opts, 10)).toBe(0);
      rampAdmit(s, opts, 10);
    }
    expect(rampWait(s, opts, 250)).toBe(750); // to the start of window 1
    expect(rampAllowance(s, opts, 1000)).toBe(8);
    for (let i = 0; i < 8; i++) rampAdmit(s, opts, 1500);
    expect(rampWait(s, opts, 1999)).toBe(1);
    expect(rampAllowance(s, opts, 2000)).toBe(16);
  });

  it('forget the past after an idle window and never go below the floor', () => {
    const s = createRamp();
    for (let i = 0; i < 4; i++) rampAdmit(s, opts, 0);
    expect(rampAllowance(s, opts, 2500)).toBe(4); // window 1 was empty
    rampAdmit(s, opts, 2500);
    expect(rampAllowance(s, opts, 3000)).toBe(4); // max(4, 2 × 1)
  });

  it('let a gradual ramp through and bound admissions from idle', () => {
    const s = createRamp();
    let admitted = 0;
    for (let w = 0; w < 6; w++) {
      const want = 4 * 2 ** w; // exactly the allowed growth
      for (let i = 0; i < want; i++) {
        expect(rampWait(s, opts, w * 1000 + 1)).toBe(0);
        rampAdmit(s, opts, w * 1000 + 1);
        admitted++;
      }
      expect(rampWait(s, opts, w * 1000 + 2)).toBeGreaterThan(0);
    }
    expect(admitted).toBe(rampAdmissionBound(opts, 6));
    expect(rampAdmissionBound({ windowMs: 1, floor: 3, factor: 1 }, 5)).toBe(15);
  });
});

describe('Rng', () => {
  it('is deterministic per seed and shapes ids like the API', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const c = new Rng(8);
    const seqA = [a.next(), a.requestId(), a.messageId()];
    expect([b.next(), b.requestId(), b.messageId()]).toEqual(seqA);
    expect(c.next()).not.toBe(seqA[0]);
    expect(seqA[1]).toMatch(/^req_011C[0-9A-Za-z]{20}$/);
    expect(seqA[2]).toMatch(/^msg_01[0-9A-Za-z]{22}$/);
    const xs = Array.from({ length: 10_000 }, () => a.next());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(xs.reduce((s, x) => s + x, 0) / xs.length).toBeCloseTo(0.5, 1);
  });
});

describe('StatsCollector', () => {
  it('derives attempts per request from retry counts', () => {
    const s = new StatsCollector();
    // request A: 1 attempt; B: 3 attempts; C: 2 attempts
    for (const rc of [0, 0, 1, 2, 0, 1]) s.arrive(rc);
    const snap = s.snapshot();
    expect(snap.logicalRequests).toBe(3);
    expect(snap.attempts).toBe(6);
    expect(snap.attemptsPerRequest).toEqual({ mean: 2, histogram: { '1': 1, '2': 1, '3': 1 } });
    expect(snap.peakInFlight).toBe(6);
    s.depart();
    s.clear();
    expect(s.snapshot()).toMatchObject({ attempts: 0, inFlight: 5, peakInFlight: 5 });
  });
});

describe('content', () => {
  const plan = {
    id: 'msg_01x',
    model: 'claude-haiku-4-5',
    inputTokens: 9,
    outputTokens: 5,
    stopReason: 'end_turn' as const,
  };

  it('estimates input tokens deterministically', () => {
    const body = {
      system: 'abcd',
      messages: [
        { role: 'user', content: 'x'.repeat(40) },
        { role: 'user', content: [{ type: 'text', text: 'y'.repeat(8) }] },
      ],
    };
    expect(estimateInputTokens(body)).toBe(Math.ceil(52 / 4) + 6);
    expect(estimateInputTokens({ messages: [] })).toBe(1);
    expect(estimateInputTokens({ messages: [{ role: 'user', content: [null] }] })).toBe(1 + 3); // "null"
    // Chinese, Japanese and Korean characters: a token each.
    expect(estimateInputTokens({ messages: [{ role: 'user', content: 'abcd日本語のテキスト한국어' }] })).toBe(
      1 + 11 + 3,
    );
  });

  it('counts a base64 image as the API does, by its size, not its bytes', () => {
    const image = (data: string) => ({
      type: 'image',
      source: { type: 'base64', media_type: 'image/png', data },
    });
    expect(imageTokens(pngBase64(750, 100))).toBe(100); // (750 × 100) / 750
    expect(imageTokens(pngBase64(3136, 100))).toBe(105); // scaled to 1568 × 50
    expect(imageTokens(pngBase64(4000, 3000))).toBe(1534); // scaled to 1.15 megapixels
    expect(imageTokens(Buffer.alloc(40_000).toString('base64'))).toBe(1600); // size unread: the most
    const body = {
      messages: [
        { role: 'user', content: [image(pngBase64(750, 100, 300_000)), { type: 'text', text: 'abcd' }] },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 't1', content: [image(pngBase64(750, 200, 300_000))] },
          ],
        },
      ],
    };
    expect(estimateInputTokens(body)).toBe(1 + 6 + 100 + 200);
  });

  it('builds a message shaped like the SDK type', () => {
    const m = JSON.parse(messageJson(plan));
    expect(m).toMatchObject({
      id: 'msg_01x',
      type: 'message',
      role: 'assistant',
      stop_reason: 'end_turn',
      stop_sequence: null,
    });
    expect(m.content).toEqual([{ type: 'text', text: tokenText(0, 5), citations: null }]);
    expect(m.usage).toMatchObject({ input_tokens: 9, output_tokens: 5, cache_read_input_tokens: 0 });
  });

  it('plans streams in the documented order with latency-model due times', () => {
    const s = streamPlan(plan, 100, 10);
    const events = s.frames.map((f) => /^event: (\S+)/.exec(f)?.[1]);
    expect(events).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      ...Array(5).fill('content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(s.due).toEqual([0, 0, 0, 100, 110, 120, 130, 140, 150, 150, 150]);
    const long = streamPlan({ ...plan, outputTokens: 1000 }, 0, 0);
    expect(long.deltas).toBe(64);
    const text = long.frames
      .slice(3, 67)
      .map((f) => JSON.parse(f.split('data: ')[1]!).delta.text)
      .join('');
    expect(text).toBe(tokenText(0, 1000));
  });

  it('formats RFC 3339 times rounded up to the second', () => {
    expect(rfc3339Ceil(Date.UTC(2026, 0, 2, 3, 4, 5, 1))).toBe('2026-01-02T03:04:06Z');
    expect(rfc3339Ceil(Date.UTC(2026, 0, 2, 3, 4, 5, 0))).toBe('2026-01-02T03:04:05Z');
  });
});

describe('prompt cache', () => {
  const body = (text: string, cached = true) => ({
    model: 'claude-sonnet-4-5',
    system: [{ type: 'text', text, ...(cached ? { cache_control: { type: 'ephemeral' } } : {}) }],
    messages: [{ role: 'user', content: 'hi' }],
  });

  it('writes a prefix of at least 1,024 tokens, readable once the first response has begun, for 5 minutes after its last use', () => {
    const cache: PromptCache = new Map();
    const long = body('x'.repeat(4 * CACHE_MIN_TOKENS));
    const first = lookupCache(cache, long, 0)!;
    expect(first).toMatchObject({ tokens: CACHE_MIN_TOKENS, hit: false });
    useCache(cache, first, 0, 100);
    expect(lookupCache(cache, long, 50)!.hit).toBe(false); // still being written
    const read = lookupCache(cache, long, 100)!;
    expect(read.hit).toBe(true);
    useCache(cache, read, 100, 200);
    expect(lookupCache(cache, long, 100 + CACHE_TTL_MS)!.hit).toBe(true);
    expect(lookupCache(cache, long, 101 + CACHE_TTL_MS)!.hit).toBe(false); // expired
    expect(lookupCache(cache, { ...long, model: 'claude-opus-4-1' }, 150)!.hit).toBe(false); // another model
    expect(lookupCache(cache, body('x'.repeat(4 * CACHE_MIN_TOKENS - 4)), 0)).toBeUndefined(); // too short
    expect(lookupCache(cache, body('x'.repeat(8 * CACHE_MIN_TOKENS), false), 0)).toBeUndefined(); // no breakpoint
  });
});
