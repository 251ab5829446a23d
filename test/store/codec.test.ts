/** The state as Redis keeps it: every field back as it was, a format number, a share when alone. */
import { describe, expect, it } from 'vitest';
import { initialKeyState } from '../../src/admit/key-state.js';
import { accelerationRefused, recordDispatch } from '../../src/admit/policy/acceleration.js';
import { dispatch } from '../../src/admit/policy/admit.js';
import { reportHeaders, reportThrottle, reportUsage } from '../../src/admit/policy/report.js';
import { decodeState, encodeState, STATE_FORMAT } from '../../src/admit/store/codec.js';
import { shareOf } from '../../src/admit/store/share.js';
import { loadConfig } from '../../src/config.js';

const settings = loadConfig({}, {});
const COST = { requests: 1, inputTokens: 100, outputTokens: 256 };

function busyState() {
  const s = initialKeyState(settings, 1_700_000_000_000);
  let now = 1_700_000_000_100;
  for (let i = 0; i < 30; i++) {
    const d = dispatch(s, COST, (now += 7), settings.rampIntervalMs);
    reportHeaders(
      s,
      { requests: { limit: 600, remaining: 20 - i }, outputTokens: { limit: 80_000, remaining: 9_000 } },
      d,
      now + 3,
    );
  }
  reportUsage(s, COST, 120, now, 340); // the API counted 340 input tokens where 100 were estimated
  recordDispatch(s.acceleration, now);
  accelerationRefused(s.acceleration, now - 50, now, { ms: 300, precise: true });
  reportThrottle(s, 'rate', { ms: 1000 }, undefined, now, settings, () => 0.5);
  return s;
}

describe('the state codec', () => {
  it('round-trips a fresh state (±Infinity included) and a busy one', () => {
    for (const s of [initialKeyState(settings, 123.5), busyState()]) {
      const back = decodeState(encodeState(s));
      expect(back).toEqual(s);
      expect(back!.acceleration.admitted).toBeInstanceOf(Float64Array);
    }
    expect(decodeState(encodeState(busyState()))!.inputCount).toEqual({ estimated: 100, counted: 340 });
  });

  it('is short, and reads a state of another format (or garbage) as none', () => {
    const text = encodeState(busyState());
    expect(text.length).toBeLessThan(700);
    expect(JSON.parse(text)[0][0]).toBe(STATE_FORMAT);
    expect(decodeState(text.replace(`[[${STATE_FORMAT},`, '[[99,'))).toBeUndefined();
    expect(decodeState('not json')).toBeUndefined();
    expect(decodeState('')).toBeUndefined();
  });
});

describe('a process share', () => {
  it('divides the limit, the buckets and the gate by the processes, and keeps the hold', () => {
    const s = busyState();
    s.concurrency = { ...s.concurrency, limit: 40, threshold: 64 };
    const share = shareOf(s, 4, 3, settings);
    expect(share.concurrency.limit).toBe(10);
    expect(share.concurrency.threshold).toBe(10);
    expect(share.inFlight).toBe(3);
    expect(share.buckets.requests!.limit).toBeCloseTo(s.buckets.requests!.limit / 4);
    expect(share.buckets.requests!.level).toBeCloseTo(s.buckets.requests!.level / 4);
    expect(share.acceleration.rate).toBeCloseTo(s.acceleration.rate / 4);
    expect(share.holdUntil).toBe(s.holdUntil);
    // The shared state itself is untouched.
    expect(s.concurrency.limit).toBe(40);
    expect(shareOf(s, 1000, 0, settings).concurrency.limit).toBe(settings.concurrencyMin);
  });
});
