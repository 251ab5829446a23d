// Pure logic of the limit mechanisms (issue 13), without timers or sockets: the acceleration
// mechanisms' admission models, their bounds and the ideal schedule, the output-token reservation,
// pooling per organization and model group, the interval-enforced bucket and the time scale's
// headers.
import { describe, expect, it } from 'vitest';
import { accelerationWait, createAcceleration, rampAdmissionBound } from '../../src/sim/acceleration.js';
import { idealSchedule } from '../../src/sim/bounds.js';
import { drawOutputTokens } from '../../src/sim/handler.js';
import {
  createInflight,
  evolveInflightCap,
  inflightAdmit,
  inflightFinish,
  inflightMakespanBound,
  inflightWait,
  type InflightSpec,
} from '../../src/sim/inflight.js';
import { Limits, type TokenNeed } from '../../src/sim/limits.js';
import { DEFAULT_ORGANIZATION_ID, modelConfig } from '../../src/sim/options.js';
import { Rng } from '../../src/sim/random.js';
import {
  createRate,
  rateAdmit,
  rateCount,
  rateMakespanBound,
  rateWait,
  type RateSpec,
} from '../../src/sim/rate.js';

function header(
  limits: Limits,
  pool: ReturnType<Limits['get']>,
  now: number,
  name: string,
): string | undefined {
  const out: string[] = [];
  limits.headers(pool, now, Date.UTC(2026, 0, 1), out);
  const i = out.indexOf(name);
  return i < 0 ? undefined : out[i + 1];
}

describe('inflight mechanism', () => {
  const spec = modelConfig({ acceleration: { kind: 'inflight', initial: 4 } }).acceleration as InflightSpec;

  it('resolves documented defaults', () => {
    expect(spec).toEqual({
      kind: 'inflight',
      initial: 4,
      min: 4,
      max: 1e9,
      factorPerSec: 2,
      decayPerSec: 2,
      threshold: 0.5,
    });
  });

  it('admits up to the cap from cold, then grows ×factorPerSec per second while at least half used', () => {
    const s = createInflight(spec, 0);
    for (let i = 0; i < 4; i++) {
      expect(inflightWait(s, spec, 0)).toBe(0);
      inflightAdmit(s, spec, 0);
    }
    // 4 in flight, cap 4: the 5th waits for the cap to reach 5 (target 8): log2(5/4) s.
    expect(inflightWait(s, spec, 0)).toBeCloseTo(1000 * Math.log2(5 / 4), 6);
    expect(inflightWait(s, spec, 200)).toBeCloseTo(1000 * Math.log2(5 / 4) - 200, 6);
    expect(inflightWait(s, spec, 322)).toBe(0);
    inflightAdmit(s, spec, 322);
    // Steady at 5 in flight, the cap settles at 5 / 0.5 = 10.
    inflightWait(s, spec, 10_000);
    expect(s.cap).toBeCloseTo(10, 9);
  });

  it('decays ÷decayPerSec toward max(min, n / threshold) when under-used, and never below min', () => {
    const s = createInflight(spec, 0);
    s.cap = 16;
    inflightAdmit(s, spec, 0); // 1 in flight: target max(4, 2) = 4
    inflightWait(s, spec, 1000);
    expect(s.cap).toBeCloseTo(8, 9);
    inflightWait(s, spec, 1500);
    expect(s.cap).toBeCloseTo(8 / Math.SQRT2, 9);
    inflightFinish(s, spec, 1500);
    expect(s.inFlight).toBe(0);
    inflightWait(s, spec, 60_000);
    expect(s.cap).toBe(4);
    inflightFinish(s, spec, 60_000); // more finishes than admissions (after a change of option) stay at 0
    expect(s.inFlight).toBe(0);
  });

  it('only a finishing attempt makes room at max (Infinity), and evolves exactly piecewise', () => {
    const capped = modelConfig({ acceleration: { kind: 'inflight', initial: 2, max: 2 } })
      .acceleration as InflightSpec;
    const s = createInflight(capped, 0);
    inflightAdmit(s, capped, 0);
    inflightAdmit(s, capped, 0);
    expect(inflightWait(s, capped, 5)).toBe(Infinity);
    inflightFinish(s, capped, 7);
    expect(inflightWait(s, capped, 7)).toBe(0);
    // Growth stops at the target: from 4 with 3 in flight (target 6) after 10 s.
    expect(evolveInflightCap(spec, 4, 3, 10_000)).toBe(6);
    expect(evolveInflightCap(spec, 4, 3, 500)).toBeCloseTo(4 * Math.SQRT2, 9);
  });

  it('has a closed-form makespan bound below the ideal schedule', () => {
    const opts = { kind: 'inflight' as const, initial: 4 };
    // ∫₀ᵀ 4·2^(t/1000) dt = 4000/ln2 · (2^(T/1000) − 1) = N·S
    const n = 200;
    const serviceMs = 500;
    const t = inflightMakespanBound(opts, n, serviceMs);
    expect((4000 / Math.LN2) * (2 ** (t / 1000) - 1)).toBeCloseTo(n * serviceMs, 3);
    const ideal = idealSchedule({ acceleration: opts }, { calls: n, serviceMs });
    expect(ideal.makespanMs).toBeGreaterThanOrEqual(t);
    expect(ideal.makespanMs).toBeLessThan(t + 2 * serviceMs + 1000);
    // With a max, linear after reaching it; never below the service time.
    expect(inflightMakespanBound({ kind: 'inflight', initial: 5, max: 5 }, 100, 100)).toBe(2000);
    expect(inflightMakespanBound(opts, 1, 300)).toBe(300);
  });
});

describe('rate mechanism', () => {
  const spec = modelConfig({ acceleration: { kind: 'rate', initial: 4, growthPerSec: 2 } })
    .acceleration as RateSpec;

  it('resolves documented defaults', () => {
    expect(spec).toEqual({
      kind: 'rate',
      initial: 4,
      growthPerSec: 2,
      windowMs: 1000,
      shrinkPerSec: 2,
      min: 4,
      max: 1e9,
      threshold: 0.5,
    });
  });

  it('admits the cap per trailing window, growing additively while at least half used', () => {
    const s = createRate(spec, 0);
    for (let i = 0; i < 4; i++) {
      expect(rateWait(s, spec, 0)).toBe(0);
      rateAdmit(s, spec, 0);
    }
    // m = 4, cap 4 → target 8: the cap reaches 5 after 500 ms, before anything slides out (1000 ms).
    expect(rateWait(s, spec, 0)).toBeCloseTo(500, 9);
    expect(rateWait(s, spec, 500)).toBe(0);
    rateAdmit(s, spec, 500);
    // m = 5, cap 5: 6 at 1000 ms, when the first four slide out anyway.
    expect(rateWait(s, spec, 500)).toBeCloseTo(500, 9);
    rateWait(s, spec, 1000);
    expect(rateCount(s)).toBe(1);
    expect(s.cap).toBeCloseTo(6, 9);
  });

  it('waits for the oldest admission to slide out when the cap cannot grow', () => {
    const flat = modelConfig({ acceleration: { kind: 'rate', initial: 3, growthPerSec: 0, windowMs: 2000 } })
      .acceleration as RateSpec;
    const s = createRate(flat, 0);
    rateAdmit(s, flat, 100);
    rateAdmit(s, flat, 400);
    rateAdmit(s, flat, 900);
    expect(rateWait(s, flat, 1000)).toBe(1100); // 100 + 2000 − 1000
    expect(rateWait(s, flat, 2100)).toBe(0);
    expect(rateCount(s)).toBe(2);
  });

  it('shrinks while under-used, down to min', () => {
    const s = createRate(spec, 0);
    s.cap = 10;
    rateAdmit(s, spec, 0); // m = 1: target max(4, 2) = 4, −2 per second
    rateWait(s, spec, 1000);
    expect(s.cap).toBeCloseTo(8, 9);
    rateWait(s, spec, 10_000);
    expect(s.cap).toBe(4);
  });

  it('has a window-counting makespan bound below the ideal schedule', () => {
    const opts = { kind: 'rate' as const, initial: 4, growthPerSec: 2 };
    // Windows admit at most ⌊4 + 2(k+1)⌋ = 6, 8, 10, …: 6 + 8 + 10 = 24 ≥ 20 → last window k = 2.
    expect(rateMakespanBound(opts, 20, 100)).toBe(2100);
    expect(rateMakespanBound({ kind: 'rate', initial: 5, growthPerSec: 0 }, 12, 0)).toBe(2000);
    expect(rateMakespanBound({ kind: 'rate', initial: 5, growthPerSec: 1, max: 6 }, 30, 0)).toBe(4000); // 6 per window
    for (const calls of [1, 10, 50, 200]) {
      const ideal = idealSchedule({ acceleration: opts }, { calls, serviceMs: 100 });
      expect(ideal.makespanMs).toBeGreaterThanOrEqual(rateMakespanBound(opts, calls, 100));
    }
  });
});

describe('acceleration dispatcher and ideal schedules', () => {
  it('keeps the fixed-window model as it was, tagged or not', () => {
    const windows = modelConfig({ acceleration: { windowMs: 1000, floor: 4, factor: 2 } }).acceleration;
    expect(windows).toEqual({ windowMs: 1000, floor: 4, factor: 2 });
    const tagged = modelConfig({
      acceleration: { kind: 'windows', windowMs: 1000, floor: 4, factor: 2 },
    }).acceleration;
    expect(tagged).toEqual({ kind: 'windows', windowMs: 1000, floor: 4, factor: 2 });
    expect(modelConfig({ acceleration: { kind: 'none' } }).acceleration).toBe(false);
    const a = createAcceleration(tagged as never, 0);
    expect(a.kind).toBe('windows');
    expect(accelerationWait(a, 0)).toBe(0);
  });

  it('gives the windows model exactly its admission bound', () => {
    const acceleration = { windowMs: 1000, floor: 4, factor: 2 };
    const ideal = idealSchedule(
      { acceleration },
      { calls: rampAdmissionBound(acceleration, 3), serviceMs: 0 },
    );
    expect(ideal.admitMs.filter((t) => t < 1000)).toHaveLength(4);
    expect(ideal.admitMs.filter((t) => t >= 1000 && t < 2000)).toHaveLength(8);
    expect(ideal.makespanMs).toBe(2000);
  });

  it('matches (N − B)/r + S for a token bucket alone', () => {
    const ideal = idealSchedule({ requestsPerMinute: 600, burst: 5 }, { calls: 25, serviceMs: 100 });
    expect(ideal.makespanMs).toBeCloseTo(2100, 3);
    expect(ideal.admitMs.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(idealSchedule({}, { calls: 0, serviceMs: 5 })).toEqual({ admitMs: [], makespanMs: 0 });
  });

  it('combines a bucket with the inflight cap and the output reservation', () => {
    const alone = idealSchedule(
      { acceleration: { kind: 'inflight', initial: 2, max: 2 } },
      { calls: 10, serviceMs: 100 },
    );
    expect(alone.makespanMs).toBeCloseTo(500, 6); // 2 at a time, 5 rounds
    // OTPM 600/min holds 600: 3 reservations of 200 at once, each giving back 150 at its end
    // (100 ms: 1 + 450 → two more), then the two give back 300 at 200 ms.
    const otpm = idealSchedule(
      { outputTokensPerMinute: 600 },
      { calls: 6, serviceMs: 100, maxTokens: 200, outputTokens: 50 },
    );
    expect(otpm.admitMs).toEqual([0, 0, 0, 100, 100, 200]);
    // Without the refunds the 4th would wait for the bucket: (200 − 1) × 100 ms.
    const unused = idealSchedule(
      { outputTokensPerMinute: 600 },
      { calls: 4, serviceMs: 100, maxTokens: 200 },
    );
    expect(unused.admitMs[3]).toBeCloseTo(20_000, 6);
    expect(() => idealSchedule({ burst: 0 }, { calls: 1, serviceMs: 1 })).toThrow(/burst/);
  });
});

describe('output tokens: reserved at admission, reconciled at the end', () => {
  const need = (reserve: number): TokenNeed => ({ input: 1, reserve });

  it('reserves max_tokens, refuses what does not fit, gives back the unused part', () => {
    const limits = new Limits(modelConfig({ outputTokensPerMinute: 1000 }));
    const pool = limits.get('k', 'm', 0);
    expect(limits.admit(pool, 0, need(600))).toEqual({ ok: true });
    expect(pool.output.tokens).toBe(400);
    expect(header(limits, pool, 0, 'anthropic-ratelimit-output-tokens-remaining')).toBe('0'); // 400 rounds down to the thousand
    const refused = limits.admit(pool, 0, need(600));
    expect(refused).toMatchObject({ ok: false, reason: 'output_tokens', waitMs: 12_000 }); // 200 at 1000/min
    expect(limits.finish(pool, 0, 600, 100)).toBe(500);
    expect(pool.output.tokens).toBe(900);
    expect(limits.admit(pool, 0, need(600))).toEqual({ ok: true });
    expect(pool.counters).toMatchObject({
      reserved: 1200,
      refunded: 500,
      inFlight: 1,
      peakInFlight: 1,
      admitted: 2,
    });
    // A refund never lifts the bucket past its capacity.
    limits.finish(pool, 60_000, 600, 0);
    expect(pool.output.tokens).toBe(1000);
    expect(pool.counters.inFlight).toBe(0);
  });

  it('shows the reservation in the output-token headers', () => {
    const limits = new Limits(modelConfig({ outputTokensPerMinute: 100_000 }));
    const pool = limits.get('k', 'm', 0);
    limits.admit(pool, 0, need(40_000));
    expect(header(limits, pool, 0, 'anthropic-ratelimit-output-tokens-remaining')).toBe('60000');
    expect(header(limits, pool, 0, 'anthropic-ratelimit-output-tokens-limit')).toBe('100000');
    limits.finish(pool, 0, 40_000, 1000);
    expect(header(limits, pool, 0, 'anthropic-ratelimit-output-tokens-remaining')).toBe('99000');
  });

  it('draws the output from a range, seeded', () => {
    expect(drawOutputTokens(16, new Rng(1))).toBe(16);
    const a = new Rng(5);
    const b = new Rng(5);
    const xs = Array.from({ length: 500 }, () => drawOutputTokens({ min: 10, max: 20 }, a));
    expect(Array.from({ length: 500 }, () => drawOutputTokens({ min: 10, max: 20 }, b))).toEqual(xs);
    expect(Math.min(...xs)).toBe(10);
    expect(Math.max(...xs)).toBe(20);
    expect(drawOutputTokens({ min: 7, max: 7 }, a)).toBe(7);
  });
});

describe('pools per organization and model group', () => {
  it('by default pools every key in the default organization, per model', () => {
    const limits = new Limits(modelConfig({}));
    expect(limits.get('a', 'm', 0)).toBe(limits.get('a', 'm', 0));
    expect(limits.get('a', 'm', 0)).toBe(limits.get('b', 'm', 0));
    expect(limits.get('a', 'm', 0)).not.toBe(limits.get('a', 'n', 0));
    expect(limits.get('a', undefined, 0)).not.toBe(limits.get('a', 'm', 0));
    expect(limits.organizationOf('a')).toBe(DEFAULT_ORGANIZATION_ID);
    expect(limits.organizationOf(undefined)).toBe(DEFAULT_ORGANIZATION_ID);
    expect(limits.get('a', 'm', 0).label).toBe(`${DEFAULT_ORGANIZATION_ID}/m`);
  });

  it('pools keys of one organization and models of one group', () => {
    const limits = new Limits(
      modelConfig({
        organizations: { 'sk-1': 'org-a', 'sk-2': 'org-a', 'sk-3': 'org-b' },
        modelGroups: { 'claude-opus-4-1': 'opus', 'claude-opus-4-5': 'opus' },
      }),
    );
    const shared = limits.get('sk-1', 'claude-opus-4-1', 0);
    expect(limits.get('sk-2', 'claude-opus-4-5', 0)).toBe(shared);
    expect(shared.label).toBe('org-a/opus');
    expect(limits.get('sk-3', 'claude-opus-4-1', 0)).not.toBe(shared);
    expect(limits.get('sk-1', 'claude-haiku-4-5', 0).label).toBe('org-a/claude-haiku-4-5');
    expect(limits.get('sk-1', undefined, 0).label).toBe('org-a/*');
    expect(limits.organizationOf('sk-2')).toBe('org-a');
    expect(limits.organizationOf('sk-9')).toBe(DEFAULT_ORGANIZATION_ID);
    expect(limits.organizationOf('toString')).toBe(DEFAULT_ORGANIZATION_ID); // own keys only
  });

  it("maps unlisted keys with '*'", () => {
    const limits = new Limits(modelConfig({ organizations: { '*': 'org-all', 'sk-x': 'org-x' } }));
    expect(limits.get('anything', 'm', 0)).toBe(limits.get('else', 'm', 0));
    expect(limits.organizationOf('else')).toBe('org-all');
    expect(limits.organizationOf('sk-x')).toBe('org-x');
  });

  it('shares the request bucket and the acceleration state of a pool', () => {
    const limits = new Limits(
      modelConfig({
        requestsPerMinute: 60,
        burst: 1,
        organizations: { a: 'o', b: 'o' },
        acceleration: { kind: 'inflight', initial: 1, max: 1 },
      }),
    );
    const pool = limits.get('a', 'm', 0);
    expect(limits.admit(pool, 0, { input: 1, reserve: 1 }).ok).toBe(true);
    const again = limits.admit(limits.get('b', 'm', 0), 0, { input: 1, reserve: 1 });
    // Both the bucket (1000 ms) and the cap (only a finish helps) refuse: the cap's wait is longer.
    expect(again).toMatchObject({
      ok: false,
      reason: 'ramp',
      mechanism: 'inflight',
      waitMs: Infinity,
      hintMs: 1000,
    });
    expect(limits.stats()['o/m']).toMatchObject({
      organization: 'o',
      group: 'm',
      admitted: 1,
      inFlight: 1,
      peakInFlight: 1,
    });
  });
});

describe('request bucket enforced over short intervals', () => {
  it('sizes the bucket to the interval (at least 1), overriding burst', () => {
    expect(modelConfig({ requestsPerMinute: 60, requestIntervalMs: 1000 }).burst).toBe(1);
    expect(modelConfig({ requestsPerMinute: 600, requestIntervalMs: 100 }).burst).toBe(1);
    expect(modelConfig({ requestsPerMinute: 6000, requestIntervalMs: 1000, burst: 500 }).burst).toBe(100);
    expect(modelConfig({ requestsPerMinute: 30, requestIntervalMs: 1000 }).burst).toBe(1);
    expect(modelConfig({ requestsPerMinute: 6000, burst: 500 }).burst).toBe(500);
  });

  it('admits one per interval at 60 RPM', () => {
    const limits = new Limits(modelConfig({ requestsPerMinute: 60, burst: 30, requestIntervalMs: 1000 }));
    const pool = limits.get('k', undefined, 0);
    expect(limits.admit(pool, 0).ok).toBe(true);
    expect(limits.admit(pool, 0)).toMatchObject({ ok: false, reason: 'requests', waitMs: 1000 });
    expect(limits.admit(pool, 1000).ok).toBe(true);
    // Idle for a minute: still only one at once.
    expect(limits.admit(pool, 61_000).ok).toBe(true);
    expect(limits.admit(pool, 61_000).ok).toBe(false);
  });

  it('does the same for token buckets with tokenIntervalMs', () => {
    const limits = new Limits(modelConfig({ inputTokensPerMinute: 60_000, tokenIntervalMs: 1000 }));
    const pool = limits.get('k', 'm', 0);
    expect(pool.input.capacity).toBe(1000);
    expect(pool.output.capacity).toBe(16_666_666); // default 1e9 per minute
    expect(limits.admit(pool, 0, { input: 800, reserve: 1 }).ok).toBe(true);
    expect(limits.admit(pool, 0, { input: 800, reserve: 1 })).toMatchObject({
      ok: false,
      reason: 'input_tokens',
      waitMs: 600,
    });
  });
});

describe('time scale on the wire', () => {
  it('states per-minute limits per real minute and reset times in real time', () => {
    const limits = new Limits(
      modelConfig({ requestsPerMinute: 60, burst: 1, inputTokensPerMinute: 6000 }, 10),
    );
    const pool = limits.get('k', 'm', 0);
    limits.admit(pool, 0, { input: 6000, reserve: 1 });
    expect(header(limits, pool, 0, 'anthropic-ratelimit-requests-limit')).toBe('600');
    expect(header(limits, pool, 0, 'anthropic-ratelimit-input-tokens-limit')).toBe('60000');
    expect(header(limits, pool, 0, 'anthropic-ratelimit-requests-remaining')).toBe('0');
    // Full again after 1 s of simulated time = 0.1 s real: reset rounds up to the next second.
    expect(header(limits, pool, 0, 'anthropic-ratelimit-requests-reset')).toBe('2026-01-01T00:00:01Z');
    // 6000 input tokens refill in one simulated minute = 6 real seconds.
    expect(header(limits, pool, 0, 'anthropic-ratelimit-input-tokens-reset')).toBe('2026-01-01T00:00:06Z');
  });
});
