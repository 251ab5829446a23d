/**
 * The limiter's decisions over one key+model's state, without timers: the hold, what a refused
 * attempt gives back, the outage hold, the overload share and slow start's health rule. Each step
 * passes the time explicitly.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { initialKeyState, type KeyState, type LimiterSettings } from '../../src/admit/key-state.js';
import { admitWait, dispatch } from '../../src/admit/policy/admit.js';
import { decideAdmit, SLOT_POLL_MS } from '../../src/admit/store/decide.js';
import { levelAt } from '../../src/admit/policy/buckets.js';
import {
  cutConcurrency,
  initialConcurrency,
  isHealthy,
  noteSuccess,
} from '../../src/admit/policy/concurrency.js';
import {
  OUTAGE_HOLD_SHARE,
  OUTAGE_PROBE_POLL_MS,
  OUTAGE_SHARE,
  OUTAGE_STREAK,
  OVERLOAD_SHARE,
  overloadShare,
} from '../../src/admit/policy/outage.js';
import {
  ADMISSION_EVIDENCE_MS,
  grow,
  reportHeaders,
  reportReleased,
  reportSent,
  reportSuccess,
  reportThrottle,
} from '../../src/admit/policy/report.js';

// The defaults, with a lower ceiling.
const s: LimiterSettings = loadConfig({ concurrencyMax: 64 }, {});
const ONE = { requests: 1, inputTokens: 10, outputTokens: 0 };
const half = () => 0.5; // the outage hold's jitter draws 0.5 + 0.25: three quarters of the ceiling

/** Sends `n` attempts at `now`, as admission would. */
function send(state: KeyState, n: number, now: number): void {
  for (let i = 0; i < n; i++) dispatch(state, ONE, now, s.rampIntervalMs);
}

describe('the hold', () => {
  it('a retry-after holds every attempt of the key+model until it passes', () => {
    const state = initialKeyState(s, 0);
    send(state, 1, 0);
    reportThrottle(
      state,
      'rate',
      { ms: 2000 },
      { at: 0, spent: ONE, charged: ONE, inFlight: 0 },
      100,
      s,
      half,
    );
    expect(admitWait(state, ONE, 100, 60_000)).toBe(2000);
    expect(admitWait(state, ONE, 2099, 60_000)).toBe(1);
    expect(admitWait(state, ONE, 2100, 60_000)).toBe(0);
  });
  it('a shorter retry-after never shortens a hold in force', () => {
    const state = initialKeyState(s, 0);
    reportThrottle(state, 'rate', { ms: 3000 }, undefined, 0, s, half);
    reportThrottle(state, 'rate', { ms: 1000 }, undefined, 10, s, half);
    expect(admitWait(state, ONE, 10, 60_000)).toBe(2990);
  });
});

describe('a refused attempt', () => {
  // A bucket of 60,000 input tokens a minute (1,000 a second), calls of 10,000 tokens.
  const BIG = { requests: 1, inputTokens: 10_000, outputTokens: 0 };
  const seen = (remaining: number) => ({ inputTokens: { limit: 60_000, remaining } });
  function threeSent() {
    const state = initialKeyState(s, 0);
    reportHeaders(state, seen(60_000), dispatch(state, ONE, 0, s.rampIntervalMs), 0); // the mirror, full
    const sent = [1, 2, 3].map(() => dispatch(state, BIG, 0, s.rampIntervalMs));
    return { state, sent };
  }
  const level = (state: KeyState, now: number) => levelAt(state.buckets.inputTokens!, now);

  it('gives its input tokens back: a 429 admitted nothing, and its headers show the bucket without it', () => {
    const { state, sent } = threeSent();
    expect(level(state, 0)).toBe(30_000);
    // The second is refused at once; the API's bucket then holds what the first took.
    reportHeaders(state, seen(50_000), sent[1]!, 0, true);
    expect(level(state, 0)).toBe(40_000);
    // Without the refusal flag (a success's headers) nothing comes back.
    const other = threeSent();
    reportHeaders(other.state, seen(50_000), other.sent[1]!, 0);
    expect(level(other.state, 0)).toBe(30_000);
  });

  it('is not taken off the mirror again by the answers of attempts sent before it', () => {
    const { state, sent } = threeSent();
    reportHeaders(state, seen(50_000), sent[1]!, 0, true);
    // The first call's answer comes a second later: admitted with 50,000 left, the third sent after it.
    reportHeaders(state, seen(50_000), sent[0]!, 1000);
    expect(level(state, 1000)).toBe(41_000); // 40,000 and a second's refill; not 31,000
  });
});

describe('the overload share', () => {
  it('counts 529s per attempt over the current and the previous interval', () => {
    const state = initialKeyState(s, 0);
    send(state, 10, 0);
    reportThrottle(state, 'overload', { ms: undefined }, undefined, 10, s, half);
    expect(overloadShare(state.outage, 10, s.rampIntervalMs)).toBeCloseTo(0.1);
    send(state, 10, 600); // next interval: the first one still counts
    expect(overloadShare(state.outage, 600, s.rampIntervalMs)).toBeCloseTo(0.05);
    expect(overloadShare(state.outage, 2000, s.rampIntervalMs)).toBe(0); // both gone
  });
  it('an isolated 529 (under the share) neither cuts the limit nor holds', () => {
    const state = initialKeyState(s, 0);
    send(state, 20, 0);
    reportThrottle(state, 'overload', { ms: undefined }, undefined, 10, s, half);
    expect(OVERLOAD_SHARE).toBe(0.1);
    expect(state.concurrency.limit).toBe(4);
    expect(admitWait(state, ONE, 10, 60_000)).toBe(0);
  });
  it('a wave of 529s cuts the limit ×0.7, once per interval', () => {
    const state = initialKeyState(s, 0);
    state.concurrency = { ...state.concurrency, limit: 20 };
    send(state, 10, 0);
    for (let i = 0; i < 5; i++)
      reportThrottle(state, 'overload', { ms: undefined }, undefined, 10 + i, s, half);
    expect(state.concurrency.limit).toBe(14);
  });
});

describe('the outage hold', () => {
  it('one throttle event without retry-after holds nothing; a second one with no success between holds all', () => {
    const state = initialKeyState(s, 0);
    send(state, 4, 0);
    for (let i = 0; i < 4; i++) reportThrottle(state, 'overload', { ms: undefined }, undefined, 10, s, half);
    expect(admitWait(state, ONE, 10, 60_000)).toBe(0); // one congestion event: the in-flight calls all saw it
    send(state, 2, 600);
    reportThrottle(state, 'overload', { ms: undefined }, undefined, 700, s, half);
    // Second event: a hold of the first backoff step with half-jitter at 0.75: 0.75 × 1000 ms.
    expect(admitWait(state, ONE, 700, 60_000)).toBe(750);
  });
  it('a run of OUTAGE_STREAK overloads with no success between them is an outage at once; a success inside the run is not', () => {
    const wave = initialKeyState(s, 0);
    send(wave, OUTAGE_STREAK + 2, 0);
    for (let i = 0; i < OUTAGE_STREAK - 1; i++)
      reportThrottle(wave, 'overload', { ms: undefined }, undefined, 10 + i, s, half);
    expect(admitWait(wave, ONE, 20, 60_000)).toBe(0); // one congestion event so far
    reportThrottle(wave, 'overload', { ms: undefined }, undefined, 20, s, half);
    // Within one interval: the outage's first hold (0.75 × 1000 ms) and one probe at a time.
    expect(wave.outage.events).toBe(2);
    expect(admitWait(wave, ONE, 20, 60_000)).toBe(750);

    // Under half of the attempts sent: a success inside the run breaks it.
    const broken = initialKeyState(s, 0);
    send(broken, 2 * OUTAGE_STREAK + 2, 0);
    for (let i = 0; i < OUTAGE_STREAK; i++) {
      if (i === OUTAGE_STREAK / 2)
        reportSuccess(broken, { at: 0, spent: ONE, charged: ONE, inFlight: 0 }, 10 + i, s, false);
      reportThrottle(broken, 'overload', { ms: undefined }, undefined, 10 + i, s, half);
    }
    expect(broken.outage.events).toBeLessThan(2);
    expect(admitWait(broken, ONE, 20, 60_000)).toBe(0);
  });
  it('OUTAGE_STREAK overloads that are half or more of the attempts sent make an outage at once, successes between them or not', () => {
    // Calls sent before the wave still end well between its 529s; each breaks a run.
    const wave = initialKeyState(s, 0);
    send(wave, 2 * OUTAGE_STREAK, 0);
    for (let i = 0; i < OUTAGE_STREAK; i++) {
      reportSuccess(wave, { at: 0, spent: ONE, charged: ONE, inFlight: 0 }, 10 + i, s, false);
      reportThrottle(wave, 'overload', { ms: undefined }, undefined, 10 + i, s, half);
    }
    expect(wave.outage.events).toBe(2);
    expect(admitWait(wave, ONE, 10 + OUTAGE_STREAK - 1, 60_000)).toBe(750);
    // 30% of attempts overloaded, successes between: isolated 529s, however many, hold nothing.
    const isolated = initialKeyState(s, 0);
    send(isolated, 100, 0);
    for (let i = 0; i < 30; i++) {
      reportSuccess(isolated, { at: 0, spent: ONE, charged: ONE, inFlight: 0 }, 10 + i, s, false);
      reportThrottle(isolated, 'overload', { ms: undefined }, undefined, 10 + i, s, half);
    }
    expect(isolated.outage.events).toBeLessThan(2);
    expect(admitWait(isolated, ONE, 50, 60_000)).toBe(0);
  });
  it("grows with the outage's age, a quarter of it, and every throttle in the outage renews it", () => {
    const state = initialKeyState(s, 0);
    const overloadAt = (now: number) => {
      send(state, 1, now);
      reportThrottle(state, 'overload', { ms: undefined }, undefined, now, s, half);
    };
    overloadAt(0);
    overloadAt(600); // the outage begins: 0.75 × baseDelayMs
    overloadAt(2200); // third event, 1.6 s in: a quarter of that is under baseDelayMs
    expect(admitWait(state, ONE, 2200, 60_000)).toBe(750);
    overloadAt(2300); // the same event: renews the hold
    expect(admitWait(state, ONE, 2300, 60_000)).toBe(750);
    overloadAt(20_600); // 20 s in: 0.75 × 5000 ms
    expect(admitWait(state, ONE, 20_600, 60_000)).toBe(3750);
    overloadAt(600_600); // 10 min in: 0.75 × maxDelayMs
    expect(admitWait(state, ONE, 600_600, 60_000)).toBe(0.75 * s.maxDelayMs);
  });
  it('finds the end of an outage within about a quarter of its length, where a doubling hold takes up to all of it', () => {
    // Probes are answered at once: each fails until the outage ends at `endMs`, which the probe
    // after it finds. How late that is, over a range of lengths, with the jitter at both ends.
    const lateness = (endMs: number, random: () => number) => {
      const state = initialKeyState(s, 0);
      let now = 0;
      for (let i = 0; i < 2; i++, now += 600) {
        send(state, 1, now);
        reportThrottle(state, 'overload', { ms: undefined }, undefined, now, s, random);
        reportReleased(state);
      }
      now -= 600;
      for (;;) {
        now += admitWait(state, ONE, now, 60_000);
        send(state, 1, now);
        if (now >= endMs) return now - endMs;
        reportThrottle(state, 'overload', { ms: undefined }, undefined, now, s, random);
        reportReleased(state);
      }
    };
    for (const endMs of [12_000, 60_000, 100_000])
      for (const random of [() => 0, () => 0.999]) {
        expect(lateness(endMs, random)).toBeLessThanOrEqual(
          Math.max(s.baseDelayMs, OUTAGE_HOLD_SHARE * endMs),
        );
      }
  });
  it('a success ends it, unless half or more of recent attempts were overloaded', () => {
    const state = initialKeyState(s, 0);
    send(state, 2, 0);
    reportThrottle(state, 'overload', { ms: undefined }, undefined, 0, s, half);
    reportThrottle(state, 'overload', { ms: undefined }, undefined, 600, s, half);
    expect(state.outage.events).toBe(2);
    expect(overloadShare(state.outage, 700, s.rampIntervalMs)).toBeGreaterThanOrEqual(OUTAGE_SHARE);
    reportSuccess(state, { at: 700, spent: ONE, charged: ONE, inFlight: 0 }, 700, s, false);
    expect(state.outage.events).toBe(2); // the odd success inside an outage
    send(state, 10, 1200);
    reportSuccess(state, { at: 1200, spent: ONE, charged: ONE, inFlight: 0 }, 1200, s, false);
    expect(state.outage.events).toBe(0);
  });
  it("a success of an attempt sent before the outage began does not end it; a probe's does", () => {
    const state = initialKeyState(s, 0);
    send(state, 3, 0); // a long call, sent before the overloads
    reportThrottle(state, 'overload', { ms: undefined }, undefined, 100, s, half);
    reportThrottle(state, 'overload', { ms: undefined }, undefined, 700, s, half);
    expect(state.outage.events).toBe(2);
    // 2 s later the old call ends well, the counting intervals empty (nothing was sent in the hold).
    expect(overloadShare(state.outage, 2700, s.rampIntervalMs)).toBe(0);
    reportSuccess(state, { at: 0, spent: ONE, charged: ONE, inFlight: 0 }, 2700, s, false);
    expect(state.outage.events).toBe(2);
    expect(admitWait(state, ONE, 2700, 60_000)).toBe(OUTAGE_PROBE_POLL_MS); // still one probe at a time
    send(state, 1, 2800); // the probe, past the hold
    reportSuccess(state, { at: 2800, spent: ONE, charged: ONE, inFlight: 0 }, 3300, s, false);
    expect(state.outage.events).toBe(0);
  });
  it('in an outage one probe at a time: past the hold, an attempt waits while another is in flight', () => {
    const state = initialKeyState(s, 0);
    send(state, 2, 0);
    reportThrottle(state, 'overload', { ms: undefined }, undefined, 0, s, half);
    reportThrottle(state, 'overload', { ms: undefined }, undefined, 600, s, half);
    for (let i = 0; i < 2; i++) reportReleased(state);
    expect(admitWait(state, ONE, 2000, 60_000)).toBe(0); // the hold passed: the probe goes
    send(state, 1, 2000);
    expect(admitWait(state, ONE, 2000, 60_000)).toBe(OUTAGE_PROBE_POLL_MS); // the next waits for it
    reportReleased(state);
    expect(admitWait(state, ONE, 2010, 60_000)).toBe(0);
  });
  it('when it ends, slow start takes the limit back to where it was before the overloads', () => {
    const state = initialKeyState({ ...s, concurrencyInitial: 32 }, 0);
    for (let t = 0; t < 3000; t += 600) {
      send(state, 4, t);
      for (let i = 0; i < 4; i++) reportThrottle(state, 'overload', { ms: undefined }, undefined, t, s, half);
    }
    expect(state.concurrency.limit).toBeLessThan(10);
    send(state, 10, 3500);
    reportSuccess(state, { at: 3500, spent: ONE, charged: ONE, inFlight: 0 }, 3500, s, true); // the overloads are over
    expect(state.outage.events).toBe(0);
    expect(state.concurrency.threshold).toBe(32);
  });
  it('a throttle with retry-after holds for it and starts no outage', () => {
    const state = initialKeyState(s, 0);
    send(state, 1, 0);
    reportThrottle(state, 'rate', { ms: 1000 }, { at: 0, spent: ONE, charged: ONE, inFlight: 0 }, 0, s, half);
    reportThrottle(
      state,
      'rate',
      { ms: 1000 },
      { at: 0, spent: ONE, charged: ONE, inFlight: 0 },
      700,
      s,
      half,
    );
    expect(state.outage.events).toBe(0);
    expect(admitWait(state, ONE, 700, 60_000)).toBe(1000);
  });
});

describe("slow start's health rule", () => {
  it('a success since the last change is healthy', () => {
    expect(isHealthy(noteSuccess(initialConcurrency(4, s, 0)))).toBe(true);
    expect(isHealthy(initialConcurrency(4, s, 0))).toBe(false);
  });
  it('in slow start, an API that has answered and not throttled since the last change is healthy', () => {
    const state = initialKeyState(s, 0);
    reportSuccess(state, { at: 0, spent: ONE, charged: ONE, inFlight: 0 }, 0, s, false);
    expect(state.concurrency.threshold).toBe(64); // limit 4: slow start
    for (let t = 125; t <= 500; t += 125) grow(state, t, true, s); // four steps per interval
    expect(state.concurrency.limit).toBe(8);
    // No call finished since the change (long calls), yet slow start goes on:
    expect(state.concurrency.succeeded).toBe(false);
    for (let t = 625; t <= 1000; t += 125) grow(state, t, true, s);
    expect(state.concurrency.limit).toBeGreaterThanOrEqual(15); // about ×2 again, by rounding
    expect(state.concurrency.limit).toBeLessThanOrEqual(17);
  });
  it('before any answer: attempts on the wire past the time a refusal takes show the API admits them', () => {
    const state = initialKeyState(s, 0);
    dispatch(state, ONE, 0, s.rampIntervalMs); // a long call, no answer yet
    // Handed on but not yet sent (a cloud client fetching its credentials): no evidence, however long.
    grow(state, 2000, true, s);
    expect(state.concurrency.limit).toBe(4);
    reportSent(state, 2000);
    reportSent(state, 2300); // the first one sent counts
    grow(state, 2000 + ADMISSION_EVIDENCE_MS - 1, true, s);
    expect(state.concurrency.limit).toBe(4);
    grow(state, 2000 + ADMISSION_EVIDENCE_MS, true, s);
    expect(state.concurrency.everSucceeded).toBe(true);
    expect(state.concurrency.limit).toBe(5); // and slow start goes on from there
  });
  it('in slow start, each success while work waits adds a slot (doubling per call duration)', () => {
    const state = initialKeyState(s, 0);
    for (let i = 0; i < 4; i++)
      reportSuccess(state, { at: 0, spent: ONE, charged: ONE, inFlight: 0 }, 10, s, true);
    expect(state.concurrency.limit).toBe(8);
    reportSuccess(state, { at: 0, spent: ONE, charged: ONE, inFlight: 0 }, 10, s, false); // nothing waits: no growth
    expect(state.concurrency.limit).toBe(8);
  });
  it('a throttle since the last change stops that, and past slow start only a new success grows the limit', () => {
    let c = noteSuccess(initialConcurrency(20, s, 0));
    c = cutConcurrency(c, s, 100, 'rate'); // 18, threshold 18: past slow start
    expect(c.limit).toBe(18);
    expect(isHealthy(c)).toBe(false);
    c = noteSuccess(c);
    expect(isHealthy(c)).toBe(true);
    const throttledAtMin = cutConcurrency(noteSuccess(initialConcurrency(1, s, 0)), s, 0, 'rate');
    expect(throttledAtMin.throttledSinceChange).toBe(true); // at the floor, the cut changes nothing
  });
  it('does not grow when nothing is queued, or before an interval has passed', () => {
    const state = initialKeyState(s, 0);
    reportSuccess(state, { at: 0, spent: ONE, charged: ONE, inFlight: 0 }, 0, s, false);
    grow(state, 1000, false, s);
    expect(state.concurrency.limit).toBe(4);
    grow(state, 100, true, s); // a step is a quarter interval
    expect(state.concurrency.limit).toBe(4);
  });
});

describe('the admission decision', () => {
  it('a call waiting under the in-flight ceiling waits for a slot: a shared store wakes it when any process gives one back', () => {
    const state = initialKeyState(s, 0);
    const request = { cost: ONE, maxPacingMs: 60_000 };
    for (let k = 0; k < 3; k++) reportSuccess(state, dispatch(state, ONE, 0, s.rampIntervalMs), 50, s, true);
    // Refused with 3 others in flight, more than the API ever admitted with: a ceiling of 3.
    const refused = dispatch(state, ONE, 60, s.rampIntervalMs);
    reportThrottle(state, 'acceleration', { ms: 1000 }, refused, 62, s, half);
    expect(state.acceleration.ceiling).toBe(3);
    // A shared store counts the organization's leases (`inUse`, and the state's count with them):
    // 3 in flight, the ceiling reached; 2, room for one.
    state.inFlight = 3;
    expect(decideAdmit(state, 70, request, s.rampIntervalMs, 3)).toEqual({
      waitMs: SLOT_POLL_MS,
      forSlot: true,
    });
    state.inFlight = 2;
    expect(decideAdmit(state, 70, request, s.rampIntervalMs, 2).dispatch).toBeDefined();
  });
});
