/**
 * One contract, both stores: what an admission does with its state must not depend on where the
 * state lives. Each case runs against the memory store and against the Redis store on a real
 * Redis (a key prefix of its own, removed afterwards).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Admission, type Slot } from '../../src/admit/admission.js';
import { MemoryStore } from '../../src/admit/store/memory.js';
import { STATE_FORMAT } from '../../src/admit/store/codec.js';
import { redisStoreFromUrl, type RedisStore } from '../../src/admit/store/redis.js';
import type { LimiterStore } from '../../src/admit/store/types.js';
import { loadConfig } from '../../src/config.js';
import { cleanPrefix, REDIS_URL, testPrefix } from './redis-helpers.js';

const COST = { requests: 1, inputTokens: 10, outputTokens: 64 };
const settings = loadConfig({ concurrencyInitial: 2, concurrencyMax: 8, rampIntervalMs: 50 }, {});
const KEY = 'org:contract-org\u0000sonnet';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).toReversed()) await c();
});

const makers: Record<string, () => LimiterStore> = {
  memory: () => new MemoryStore(),
  redis: () => {
    const prefix = testPrefix();
    const store = redisStoreFromUrl(REDIS_URL, { keyPrefix: prefix, leaseMs: 1000 });
    cleanups.push(async () => {
      await store.close();
      await cleanPrefix(prefix);
    });
    return store;
  },
};

describe.each(Object.keys(makers))('the %s store', (name) => {
  const make = makers[name]!;
  const admission = (store = make()) => {
    const a = new Admission(KEY, settings, undefined, undefined, store);
    cleanups.push(async () => a.dispose());
    return a;
  };

  it('admits up to the concurrency limit and queues the rest until a slot is given back', async () => {
    const a = admission();
    const t1 = await a.acquire(COST);
    const t2 = await a.acquire(COST);
    expect(t1.store).toBe(name === 'memory' ? 'memory' : 'redis');
    let third = false;
    const p3 = a.acquire(COST).then((t) => ((third = true), t));
    await new Promise((r) => setTimeout(r, 60));
    expect(third).toBe(false);
    t1.release();
    const t3 = await p3;
    expect(third).toBe(true);
    t2.release();
    t3.release();
    await new Promise((r) => setTimeout(r, 10)); // p-limit counts a freed slot on its next turn
    expect(a.snapshot()).toMatchObject({ active: 0, queued: 0, limit: 2, organization: 'contract-org' });
  });

  it('holds every attempt for a rate-limit retry-after', async () => {
    const a = admission();
    const t = await a.acquire(COST);
    t.release();
    a.onThrottle('rate', 300, t);
    const started = performance.now();
    const next = await a.acquire(COST);
    const waited = performance.now() - started;
    next.release();
    expect(waited).toBeGreaterThanOrEqual(250);
    expect(waited).toBeLessThan(1500);
    expect(next.waitedMs).toBeGreaterThanOrEqual(250);
  });

  it('paces on the buckets the headers show', async () => {
    const a = admission();
    const t = await a.acquire(COST);
    // No request left of 600 a minute (10 a second): the next one waits ~100 ms for its refill.
    a.observe({ requests: { limit: 600, remaining: 0 } }, t);
    t.release();
    a.onSuccess(t);
    const started = performance.now();
    (await a.acquire(COST)).release();
    expect(performance.now() - started).toBeGreaterThanOrEqual(80);
    expect(a.snapshot().remaining.requests).toBeDefined();
  });

  it('grows the limit while calls queue and succeed', async () => {
    const a = admission();
    const run = async () => {
      const t = await a.acquire(COST);
      await new Promise((r) => setTimeout(r, 20));
      t.release();
      a.onSuccess(t);
    };
    await Promise.all(Array.from({ length: 40 }, run));
    expect(a.snapshot().limit).toBeGreaterThan(2);
    expect(a.admitting()).toBe(true);
  });

  it('a slot taken in the queue first is the one the first attempt uses; a waiter that left is skipped', async () => {
    const a = admission();
    /** A waiter whose turn is a promise of its slot. */
    const waiter = () => {
      let admit!: (slot: Slot) => void;
      const turn = new Promise<Slot>((resolve) => (admit = resolve));
      const w = { cancelled: false, deadline: Infinity, admit, expire() {} };
      a.enqueue(w);
      return { w, turn };
    };
    const first = waiter();
    const second = waiter();
    const third = waiter();
    third.w.cancelled = true; // its caller aborted while it waited
    const slot = await first.turn;
    const t = await a.acquire(COST, undefined, slot);
    expect(a.snapshot().active).toBe(1 + 1); // the second waiter's slot too (limit 2)
    t.release();
    (await second.turn).free();
    await new Promise((r) => setTimeout(r, 10));
    expect(a.snapshot()).toMatchObject({ active: 0, queued: 0 });
  });

  it('an aborted wait leaves the queue at once and takes no slot', async () => {
    const a = admission();
    const t1 = await a.acquire(COST);
    const t2 = await a.acquire(COST);
    const ctl = new AbortController();
    const p = a.acquire(COST, ctl.signal);
    setTimeout(() => ctl.abort(new Error('stop')), 30);
    await expect(p).rejects.toThrow('stop');
    t1.release();
    t2.release();
    const t3 = await a.acquire(COST);
    const t4 = await a.acquire(COST);
    t3.release();
    t4.release();
    await new Promise((r) => setTimeout(r, 10));
    expect(a.snapshot().active).toBe(0);
  });
});

describe('the Redis store, two processes', () => {
  const pair = (key = KEY) => {
    const prefix = testPrefix();
    const stores = [0, 1].map(() => redisStoreFromUrl(REDIS_URL, { keyPrefix: prefix, leaseMs: 600 }));
    const admissions = stores.map((s) => new Admission(key, settings, undefined, undefined, s));
    cleanups.push(async () => {
      for (const a of admissions) a.dispose();
      await Promise.all(stores.map((s) => s.close()));
      await cleanPrefix(prefix);
    });
    return { stores, admissions };
  };

  it('share one hold', async () => {
    const {
      admissions: [a, b],
    } = pair();
    const t = await a!.acquire(COST);
    t.release();
    a!.onThrottle('rate', 400, t);
    await new Promise((r) => setTimeout(r, 30)); // the report's transaction
    const started = performance.now();
    (await b!.acquire(COST)).release();
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('share one concurrency limit: slots taken in one are missing in the other', async () => {
    const {
      admissions: [a, b],
    } = pair();
    const t1 = await a!.acquire(COST);
    const t2 = await a!.acquire(COST);
    let got = false;
    const p = b!.acquire(COST).then((t) => ((got = true), t));
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toBe(false);
    const released = performance.now();
    t1.release();
    const t3 = await p;
    // Woken by the pub/sub message, not by the poll.
    expect(performance.now() - released).toBeLessThan(200);
    t2.release();
    t3.release();
  });

  it("a process that learns the organization takes the others on the credential's key with it", async () => {
    // Before any answer, a credential's calls share the credential's key; the first answer names
    // the organization and its process moves there. The other process, whose calls have had no
    // answer yet, must not go on with the credential's limits beside the organization's.
    const {
      stores,
      admissions: [a, b],
    } = pair('key:contract-credential\u0000sonnet');
    (await a!.acquire(COST)).release();
    (await b!.acquire(COST)).release();
    a!.rekey(KEY);
    const t1 = await a!.acquire(COST);
    const t2 = await a!.acquire(COST); // the organization's limit (2) is in use
    let got = false;
    const p = b!.acquire(COST).then((t) => ((got = true), t));
    await new Promise((r) => setTimeout(r, 150));
    expect(got, "the other process admitted a call on the credential's key").toBe(false);
    const released = performance.now();
    t1.release();
    const t3 = await p;
    // Admitted once the organization's slot is back (woken on its channel, or by the poll).
    expect(performance.now() - released).toBeLessThan(1_000);
    const { Redis } = await import('ioredis');
    const redis = new Redis(REDIS_URL);
    try {
      const prefix = (stores[1] as RedisStore).prefix;
      const leases = await redis.zrange(`${prefix}{org:contract-org|sonnet}:l`, '0', '-1');
      expect(leases).toHaveLength(2);
      expect(leases.some((m) => m.startsWith(`${(stores[1] as RedisStore).process}:`))).toBe(true);
      expect(await redis.zcard(`${prefix}{key:contract-credential|sonnet}:l`)).toBe(0);
    } finally {
      redis.disconnect();
    }
    t2.release();
    t3.release();
    expect(stores[1]!.stats.fallbacks).toBe(0);
  });

  it("calls in flight when a process moves to the organization's key count there", async () => {
    // Process a's first call is in flight on the credential's key when an answer names the
    // organization: its lease moves with it, or process b would admit past the organization's limit.
    const {
      stores,
      admissions: [a, b],
    } = pair('key:contract-inflight\u0000sonnet');
    const t1 = await a!.acquire(COST);
    a!.rekey(KEY);
    const t2 = await a!.acquire(COST); // the organization's limit (2) is in use: t1 and t2
    let got = false;
    const p = b!.acquire(COST).then((t) => ((got = true), t));
    await new Promise((r) => setTimeout(r, 150));
    expect(got, 'admitted past the limit: the call in flight before the move was not counted').toBe(false);
    const { Redis } = await import('ioredis');
    const redis = new Redis(REDIS_URL);
    try {
      const prefix = (stores[0] as RedisStore).prefix;
      expect(await redis.zcard(`${prefix}{org:contract-org|sonnet}:l`)).toBe(2);
      expect(await redis.zcard(`${prefix}{key:contract-inflight|sonnet}:l`)).toBe(0);
    } finally {
      redis.disconnect();
    }
    t1.release();
    const t3 = await p;
    t2.release();
    t3.release();
    expect(stores[0]!.stats.fallbacks + stores[1]!.stats.fallbacks).toBe(0);
  });

  it('a process that stops renewing gives its slots back within the lease time', async () => {
    const {
      stores,
      admissions: [a, b],
    } = pair();
    await a!.acquire(COST);
    await a!.acquire(COST);
    // The first process dies: its timers stop, its slots are never given back.
    a!.dispose();
    await stores[0]!.close();
    const started = performance.now();
    const t = await b!.acquire(COST);
    const waited = performance.now() - started;
    t.release();
    expect(waited).toBeLessThan(600 + 400);
    expect(stores[1]!.stats.fallbacks).toBe(0);
  });
});

describe('the Redis store', () => {
  it('keeps the state compact and versioned', async () => {
    const prefix = testPrefix();
    const store = redisStoreFromUrl(REDIS_URL, { keyPrefix: prefix }) as RedisStore;
    const a = new Admission(KEY, settings, undefined, undefined, store);
    cleanups.push(async () => {
      a.dispose();
      await store.close();
      await cleanPrefix(prefix);
    });
    const t = await a.acquire(COST);
    t.release();
    a.onSuccess(t);
    await new Promise((r) => setTimeout(r, 30));
    const { Redis } = await import('ioredis');
    const redis = new Redis(REDIS_URL);
    try {
      const keys = (await redis.keys(`${prefix}*`)).sort();
      expect(keys).toEqual([`${prefix}{org:contract-org|sonnet}:p`, `${prefix}{org:contract-org|sonnet}:s`]);
      const data = await redis.hget(`${prefix}{org:contract-org|sonnet}:s`, 'd');
      expect(data!.length).toBeLessThan(600);
      expect(JSON.parse(data!)[0][0]).toBe(STATE_FORMAT);
    } finally {
      redis.disconnect();
    }
  });
});
