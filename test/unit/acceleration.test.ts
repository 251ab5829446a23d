/**
 * The acceleration gate, without timers: each step passes the time. The last block races it
 * against the simulator's own acceleration mechanisms (its pure limit code), one millisecond at a
 * time, as a client whose calls take 50 ms would meet them.
 */
import { describe, expect, it } from 'vitest';
import {
  accelerationAdmitted,
  accelerationRefused,
  accelerationWait,
  admittedRate,
  forget,
  GROWTH_PER_S,
  growRate,
  HEADROOM,
  growthPerSecond,
  initialAcceleration,
  PROBE_MS,
  recordDispatch,
  SLOW_DOWN,
  type AccelerationState,
} from '../../src/admit/policy/acceleration.js';
import { idealSchedule } from '../../src/sim/bounds.js';
import { Limits } from '../../src/sim/limits.js';
import { modelConfig } from '../../src/sim/options.js';
import type { AccelerationSetting } from '../../src/sim/types.js';

/** Dispatches at `now` while the gate lets through; how many went. */
function sendWhileOpen(s: AccelerationState, now: number, most = 10_000): number {
  let sent = 0;
  while (sent < most && accelerationWait(s, now) === 0) {
    recordDispatch(s, now);
    sent++;
  }
  return sent;
}

describe('acceleration gate', () => {
  it('lets everything through until the API refuses once', () => {
    const s = initialAcceleration();
    expect(sendWhileOpen(s, 0, 500)).toBe(500);
    expect(accelerationWait(s, 0)).toBe(0);
  });

  it('a refusal cuts the rate to what the API admitted, over the meter’s age when younger than a second', () => {
    const s = initialAcceleration();
    for (let t = 0; t < 200; t += 10) recordDispatch(s, t); // 20 in 200 ms
    forget(s, 190, 200);
    accelerationRefused(s, 190, 200);
    expect(s.armed).toBe(true);
    expect(s.rate).toBeCloseTo(95, 0); // 19 admitted over 200 ms
    // Paced evenly at that rate: the next about 10.5 ms after the cut, then one per 10.5 ms.
    expect(accelerationWait(s, 200)).toBeGreaterThan(9);
    expect(accelerationWait(s, 200)).toBeLessThan(12);
    expect(sendWhileOpen(s, 211)).toBe(1);
    expect(sendWhileOpen(s, 221)).toBe(0);
    expect(sendWhileOpen(s, 222)).toBe(1);
  });

  it('the event’s other refusals (sent before the cut) lower the level without a new event', () => {
    const s = initialAcceleration();
    for (let t = 0; t < 1000; t += 10) recordDispatch(s, t); // 100/s
    accelerationRefused(s, 990, 1000);
    const first = s.rate;
    for (const at of [991, 992, 993, 994, 995]) {
      forget(s, at, 1001);
      accelerationRefused(s, at, 1001);
    }
    expect(s.rate).toBeLessThan(first);
    expect(s.closedUntil).toBe(0); // no closing: they were sent before the cut
    expect(growthPerSecond(s, 1001)).toBeCloseTo(GROWTH_PER_S, 5); // and growth is not slowed
  });

  it('a refusal at more in flight than the API ever admitted sets a ceiling on attempts in flight, and leaves the rate', () => {
    const s = initialAcceleration();
    for (let k = 0; k < 6; k++) recordDispatch(s, 0); // sent with 0..5 others in flight
    for (let k = 0; k < 4; k++) accelerationAdmitted(s, 0, 50, k); // the first four admitted
    forget(s, 0, 2);
    accelerationRefused(s, 0, 2, {}, 4); // the fifth refused
    forget(s, 0, 2);
    accelerationRefused(s, 0, 2, {}, 5); // and the sixth: the same event
    expect(s.armed).toBe(true);
    expect(s.ceiling).toBe(4);
    expect(s.rate).toBe(Infinity); // no rate was refused
    expect(accelerationWait(s, 60, 3)).toBe(0);
    expect(accelerationWait(s, 60, 4)).toBeGreaterThan(0); // a fifth waits for an answer
    expect(growthPerSecond(s, 60)).toBeCloseTo(GROWTH_PER_S, 5); // a cold start slows nothing
  });

  it('an event’s refusals cut the ceiling to the least in flight among them, in whatever order they come back', () => {
    const s = initialAcceleration();
    for (let k = 0; k < 3; k++) accelerationAdmitted(s, 0, 50, k); // admitted with up to 3 in flight
    for (const n of [9, 5, 7]) accelerationRefused(s, 0, 60, {}, n);
    expect(s.ceiling).toBe(5);
  });

  it('a refusal at a count the API admitted before is the rate’s: the rate is cut, the ceiling untouched', () => {
    const s = initialAcceleration();
    for (let t = 0; t < 1000; t += 10) recordDispatch(s, t); // 100/s
    accelerationAdmitted(s, 0, 60, 9); // the API admitted one sent with 9 others in flight
    forget(s, 990, 1000);
    accelerationRefused(s, 990, 1000, {}, 5);
    expect(s.ceiling).toBe(Infinity);
    expect(s.rate).toBeCloseTo(89, 0); // the meter’s last second: 90 dispatches, one refused
    // A window or a rate refuses at any count: with the ceiling set, a refusal within it is the rate’s too.
    const c = initialAcceleration();
    accelerationRefused(c, 0, 2, {}, 4);
    for (let t = 3; t < 1000; t += 10) recordDispatch(c, t);
    accelerationAdmitted(c, 3, 60, 3);
    forget(c, 995, 1000);
    accelerationRefused(c, 995, 1000, {}, 3);
    expect(c.ceiling).toBe(4);
    expect(c.rate).toBeLessThan(Infinity);
  });

  it('the ceiling grows while calls wait, to at most twice the most the API admitted at once; a regrown ceiling refused slows growth', () => {
    const s = initialAcceleration();
    for (let k = 0; k < 4; k++) accelerationAdmitted(s, 0, 10, k); // admitted with up to 4 in flight
    accelerationRefused(s, 0, 20, {}, 4);
    growRate(s, 520, false);
    expect(s.ceiling).toBe(4); // nobody waits: no growth
    growRate(s, 1020, true);
    expect(s.ceiling).toBeCloseTo(4 * GROWTH_PER_S ** 0.5, 5);
    growRate(s, 5020, true);
    expect(s.ceiling).toBe(HEADROOM * 4);
    accelerationAdmitted(s, 5000, 5030, 6); // admitted with 7 in flight
    accelerationRefused(s, 5020, 5040, {}, 7); // refused with 8
    expect(s.ceiling).toBe(7);
    expect(growthPerSecond(s, 5040)).toBeCloseTo(GROWTH_PER_S ** SLOW_DOWN, 5);
  });

  it('grows while calls wait for it, and not while nobody does', () => {
    const s = initialAcceleration();
    for (let t = 0; t < 1000; t += 10) recordDispatch(s, t);
    accelerationRefused(s, 999, 1000);
    const level = s.rate;
    // Calls go out at the level kept, none waiting: no growth.
    for (let t = 1001; t <= 2000; t++) {
      growRate(s, t, false);
      sendWhileOpen(s, t);
    }
    expect(s.rate).toBe(level);
    // Calls wait for the gate, which lets them through as it grows: ×3 over a second.
    for (let t = 2001; t <= 3000; t++) {
      growRate(s, t, true);
      sendWhileOpen(s, t);
    }
    expect(s.rate).toBeCloseTo(level * GROWTH_PER_S, 5);
  });

  it('does not grow past twice what is dispatched while another limit holds the calls', () => {
    const s = initialAcceleration();
    for (let t = 0; t < 1000; t += 10) recordDispatch(s, t);
    accelerationRefused(s, 999, 1000); // cut to about 100/s
    // Calls wait (saturated) but only 20 a second go out: slots, not the gate, hold them.
    for (let t = 1001; t <= 6000; t++) {
      growRate(s, t, true);
      if (t % 50 === 0) recordDispatch(s, t);
    }
    expect(s.rate).toBeLessThanOrEqual(Math.max(s.cutRate, HEADROOM * admittedRate(s, 6000)) + 1e-9);
    expect(s.rate).toBeLessThan(150); // not 100 × 3⁵
  });

  it('a refusal after growing past the last cut is a new event, and slows growth; time restores it', () => {
    const s = initialAcceleration();
    for (let t = 0; t < 1000; t += 10) recordDispatch(s, t);
    accelerationRefused(s, 999, 1000);
    for (let t = 1001; t < 1500; t++) {
      growRate(s, t, true); // grown by about √3, calls going out as it lets them
      sendWhileOpen(s, t);
    }
    accelerationRefused(s, 1499, 1500);
    expect(s.closedUntil).toBe(0);
    const slowed = growthPerSecond(s, 1500);
    expect(slowed).toBeLessThan(GROWTH_PER_S);
    expect(growthPerSecond(s, 30_000)).toBeCloseTo(GROWTH_PER_S, 5);
  });

  it('a refusal at the level kept closes the gate: one probe per PROBE_MS until one is not refused', () => {
    const s = initialAcceleration();
    for (let t = 0; t < 1000; t += 10) recordDispatch(s, t);
    accelerationRefused(s, 999, 1000);
    recordDispatch(s, 1005); // sent at the level kept…
    forget(s, 1005, 1007);
    accelerationRefused(s, 1005, 1007); // …and refused: nothing is admitted now
    expect(accelerationWait(s, 1007)).toBe(PROBE_MS);
    expect(sendWhileOpen(s, 1007 + PROBE_MS)).toBe(1); // the probe
    expect(accelerationWait(s, 1008 + PROBE_MS)).toBeGreaterThan(0);
    forget(s, 1007 + PROBE_MS, 1010 + PROBE_MS);
    accelerationRefused(s, 1007 + PROBE_MS, 1010 + PROBE_MS); // refused: another probe later
    expect(accelerationWait(s, 1010 + PROBE_MS)).toBe(PROBE_MS);
    const probe = 1010 + 2 * PROBE_MS;
    expect(sendWhileOpen(s, probe)).toBe(1);
    accelerationAdmitted(s, probe, probe + 2); // admitted: open again, at the level kept
    expect(s.closedUntil).toBe(0);
    expect(accelerationWait(s, probe + 100)).toBe(0);
  });

  it('a refusal as soon as the gate opens drops the level kept to what the API admitted', () => {
    // A level the API does not admit at all (it was learned before the limit shrank, or carried
    // over from other processes): kept, every opening would close the gate again at once.
    const s = initialAcceleration();
    for (let t = 0; t < 1000; t += 5) recordDispatch(s, t); // 200 a second
    accelerationRefused(s, 999, 1000); // armed at what the meter saw admitted
    const level = s.rate;
    expect(level).toBeGreaterThan(150);
    recordDispatch(s, 1005);
    forget(s, 1005, 1006);
    accelerationRefused(s, 1005, 1006); // at the level kept: closed, the level kept
    expect(s.rate).toBe(level);
    // Each opening: the probe admitted, the level kept sent, refused within a few ms. The level
    // holds while the API admitted at least half of it over the last second, then drops.
    let t = 1006;
    for (let cycle = 0; cycle < 12; cycle++) {
      t += PROBE_MS;
      expect(sendWhileOpen(s, t)).toBe(1); // the probe
      accelerationAdmitted(s, t, t + 2); // admitted: open
      t += 2;
      const opened = t;
      for (; t < opened + 20; t++) if (accelerationWait(s, t) === 0) recordDispatch(s, t);
      forget(s, opened + 10, t);
      const before = s.rate;
      accelerationRefused(s, opened + 10, t);
      expect(s.closedUntil).toBeGreaterThan(0);
      const admitted = admittedRate(s, t);
      if (before > HEADROOM * admitted) expect(s.rate).toBeCloseTo(Math.max(1000 / PROBE_MS, admitted), 5);
      else expect(s.rate).toBe(before);
    }
    // The level came down toward what the API admits: the probes' pace and the short openings.
    expect(s.rate).toBeLessThan(level / 2);
  });

  it('a refusal long after the gate opened keeps the level (a window filled since)', () => {
    const s = initialAcceleration();
    for (let t = 0; t < 1000; t += 10) recordDispatch(s, t); // 100 a second
    accelerationRefused(s, 999, 1000);
    recordDispatch(s, 1005);
    accelerationRefused(s, 1005, 1006);
    let t = 1006 + PROBE_MS;
    sendWhileOpen(s, t);
    accelerationAdmitted(s, t, t + 1);
    const level = s.rate;
    const opened = t + 1;
    for (t = opened; t < opened + 500; t++) if (accelerationWait(s, t) === 0) recordDispatch(s, t);
    forget(s, t - 1, t);
    accelerationRefused(s, t - 1, t);
    expect(s.closedUntil).toBeGreaterThan(0);
    expect(s.rate).toBe(level);
  });

  it('a precise retry-after-ms closes the gate for exactly that, with no probing', () => {
    const s = initialAcceleration();
    for (let t = 0; t < 1000; t += 10) recordDispatch(s, t);
    accelerationRefused(s, 999, 1000);
    recordDispatch(s, 1005);
    accelerationRefused(s, 1005, 1006, { ms: 640, precise: true });
    expect(accelerationWait(s, 1006)).toBe(640);
  });

  it('does constant work per dispatch: the meter is ten slots however many dispatches', () => {
    const s = initialAcceleration();
    for (let i = 0; i < 100_000; i++) recordDispatch(s, i / 100);
    expect(s.admitted).toHaveLength(10);
    expect(admittedRate(s, 999.99)).toBeCloseTo(100_000, -2);
  });
});

/**
 * A client of the gate against one of the simulator's mechanisms: `calls` calls of 50 ms, sent as
 * the gate allows (no other limit), refused ones retried 1 s later (`retry-after: 1`).
 */
function race(acceleration: AccelerationSetting, calls: number, gate = initialAcceleration()) {
  const config = modelConfig({ acceleration });
  const limits = new Limits(config);
  const pool = limits.get('k', 'm', 0);
  const ends: Array<{ at: number; sentAt: number; inFlight: number }> = [];
  const retryAt: number[] = [];
  let ready = calls;
  let done = 0;
  let refusals = 0;
  let inFlight = 0;
  let t = 0;
  for (; done < calls && t < 60_000; t++) {
    while (ends.length > 0 && ends[0]!.at <= t) {
      const end = ends.shift()!;
      limits.finish(pool, t, 1, 1);
      inFlight--;
      accelerationAdmitted(gate, end.sentAt, t, end.inFlight);
    }
    while (retryAt.length > 0 && retryAt[0]! <= t) {
      retryAt.shift();
      ready++;
    }
    growRate(gate, t, ready > 0);
    while (ready > 0 && accelerationWait(gate, t, inFlight) === 0) {
      ready--;
      recordDispatch(gate, t);
      if (limits.admit(pool, t, { input: 1, reserve: 1 }).ok) {
        ends.push({ at: t + 50, sentAt: t, inFlight: inFlight++ });
        done++;
      } else {
        refusals++;
        forget(gate, t, t);
        accelerationRefused(gate, t, t, {}, inFlight);
        retryAt.push(t + 1000); // the refused call waits its own retry-after
      }
    }
  }
  return { makespanMs: t + 50, refusals };
}

describe('acceleration gate against the simulator’s mechanisms (50 ms calls, cold)', () => {
  // [name, mechanism, bound]: the gate stays within `bound` × the least makespan of a client that
  // knows the mechanism (idealSchedule) and refuses ≤ 5%. Deterministic. Under an in-flight cap
  // the gate keeps the cap full up to its ceiling: a rate cut to the last second's average kept it
  // half full, and a cap that grows while used grew slowly (from 2: 1.43× before the ceiling, 1.10×
  // with it; from 4, ×2/s: 1.30×, 1.25×; ×1.41/s: 1.22×, 1.20×).
  const cases: Array<[string, AccelerationSetting, number]> = [
    ['fixed windows (1 s, floor 20, ×2)', { kind: 'windows', windowMs: 1000, floor: 20, factor: 2 }, 1.3],
    [
      'an in-flight cap (4, ×2/s while half used)',
      { kind: 'inflight', initial: 4, factorPerSec: 2, decayPerSec: 2 },
      1.3,
    ],
    [
      'an in-flight cap (2, ×2/s while half used)',
      { kind: 'inflight', initial: 2, factorPerSec: 2, decayPerSec: 2 },
      1.15,
    ],
    [
      'an in-flight cap (4, ×1.41/s while half used)',
      { kind: 'inflight', initial: 4, factorPerSec: 1.41, decayPerSec: 2 },
      1.3,
    ],
    ['a trailing rate cap (20/s, +40/s per s)', { kind: 'rate', initial: 20, growthPerSec: 40 }, 1.3],
  ];
  for (const [name, acceleration, bound] of cases) {
    it(`${name}: 1,000 calls within ${bound}× the ideal client's makespan, ≤ 5% refused`, () => {
      const { makespanMs, refusals } = race(acceleration, 1000);
      const ideal = idealSchedule({ acceleration }, { calls: 1000, serviceMs: 50 }).makespanMs;
      expect(refusals).toBeLessThanOrEqual(50);
      expect(makespanMs / ideal).toBeLessThanOrEqual(bound);
    });
  }

  it('a level carried over far above what the API admits (a re-sync of many processes) comes down', () => {
    // The gate armed at 2,000 a second, ten times what the in-flight cap (4, growing ×2 a second
    // while half used) admits of 50 ms calls: it must not be left probing at ten a second.
    const gate = initialAcceleration();
    for (let t = 0; t < 1000; t++) for (let k = 0; k < 2; k++) recordDispatch(gate, t - 1000);
    gate.firstAt = -1000;
    accelerationRefused(gate, -1, 0);
    expect(gate.rate).toBeGreaterThan(1500);
    const acceleration: AccelerationSetting = {
      kind: 'inflight',
      initial: 4,
      factorPerSec: 2,
      decayPerSec: 2,
    };
    const { makespanMs, refusals } = race(acceleration, 1000, gate);
    const ideal = idealSchedule({ acceleration }, { calls: 1000, serviceMs: 50 }).makespanMs;
    expect(refusals).toBeLessThanOrEqual(100);
    expect(makespanMs / ideal).toBeLessThanOrEqual(2);
  });
});
