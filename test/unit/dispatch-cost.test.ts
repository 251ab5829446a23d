/**
 * The work per dispatch does not grow with the run: the state a key+model keeps (acceleration
 * meter, bucket mirrors, outage counts, concurrency) stays the same size after an hour of
 * dispatches at 200 a second, with rate-limit headers, throttles and acceleration refusals along
 * the way. Nothing here is timed: the size of the state is what each dispatch reads and updates.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { initialKeyState, type LimiterSettings } from '../../src/admit/key-state.js';
import { admitWait, dispatch } from '../../src/admit/policy/admit.js';
import {
  grow,
  reportHeaders,
  reportReleased,
  reportSuccess,
  reportThrottle,
  reportUsage,
} from '../../src/admit/policy/report.js';

// The defaults, with a lower ceiling.
const s: LimiterSettings = loadConfig({ concurrencyMax: 64 }, {});
const COST = { requests: 1, inputTokens: 50, outputTokens: 200 };
const headers = {
  requests: { limit: 4000, remaining: 3000 },
  inputTokens: { limit: 2_000_000, remaining: 1_500_000 },
  outputTokens: { limit: 400_000, remaining: 300_000 },
};

/** Runs `seconds` of dispatches at `perSecond`, answering each, and returns the state's size. */
function run(seconds: number, perSecond: number): number {
  const state = initialKeyState(s, 0);
  let random = 0.1;
  const draw = () => (random = (random * 9301 + 49297) % 233280) / 233280;
  for (let i = 0; i < seconds * perSecond; i++) {
    const now = (i * 1000) / perSecond;
    admitWait(state, COST, now, 60_000);
    const d = dispatch(state, COST, now, s.rampIntervalMs);
    if (i % 997 === 0) reportThrottle(state, 'acceleration', { ms: 50, precise: true }, d, now, s, draw);
    else if (i % 1999 === 0) reportThrottle(state, 'rate', { ms: 1000 }, d, now, s, draw);
    else {
      reportHeaders(state, headers, d, now);
      reportSuccess(state, d, now, s, true);
      reportUsage(state, COST, 120, now);
    }
    reportReleased(state);
    grow(state, now, true, s);
  }
  return JSON.stringify(state).length;
}

describe('per-dispatch work', () => {
  it('keeps a state of the same size after a minute and after an hour (200 dispatches a second)', () => {
    const minute = run(60, 200);
    const hour = run(3600, 200);
    // The numbers in it grow a few digits longer; no list grows with the dispatches.
    expect(hour).toBeLessThan(minute + 200);
    expect(hour).toBeLessThan(4096);
  });
});
