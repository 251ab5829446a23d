/**
 * Redis down, restarted or slow: a call never fails or waits on it. Each case runs a Redis server
 * of its own (on a free port, nothing on disk), so stopping it disturbs no other test.
 */
import Anthropic from '@anthropic-ai/sdk';
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { redisStoreFromUrl } from '../../src/admit/store/redis.js';
import { createGateway, createRedisStore } from '../../src/index.js';
import { startSimulator } from '../../src/sim/index.js';
import { OwnRedis, testPrefix } from './redis-helpers.js';
import { tracing, until } from '../helpers.js';

const { spans } = tracing();
/** The `claude_gateway.store` of each attempt span ended so far, in order. */
const attemptStores = () =>
  spans()
    .filter((s) => s.name === 'POST /v1/messages')
    .map((s) => s.attributes['claude_gateway.store']);

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).toReversed()) await c();
});

const PARAMS = {
  model: 'claude-sonnet-5',
  max_tokens: 16,
  messages: [{ role: 'user' as const, content: 'Hi' }],
};

async function setup(timeoutMs = 100) {
  const redis = await OwnRedis.start();
  cleanups.push(() => redis.kill());
  // 100 requests a second: the burst takes a second or two, paced by the shared mirror.
  const sim = await startSimulator({
    retryAfterMs: true,
    requestsPerMinute: 6000,
    burst: 20,
    latency: { ttftMs: 20, msPerToken: 0 },
  });
  cleanups.push(() => sim.close());
  // Two gateways (two "processes") sharing one prefix.
  const prefix = testPrefix();
  const stores = [0, 1].map(() =>
    redisStoreFromUrl(redis.url, { keyPrefix: prefix, timeoutMs, leaseMs: 2000 }),
  );
  const gateways = stores.map((store) => createGateway({ store, baseDelayMs: 20, maxDelayMs: 200 }, {}));
  cleanups.push(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await Promise.all(stores.map((s) => s.close()));
  });
  const clients = gateways.map((g) =>
    g.wrap(new Anthropic({ apiKey: 'sk-test-shared-key', baseURL: sim.url })),
  );
  return { redis, sim, stores, gateways, clients, prefix };
}

function captureDiag(): string[] {
  const lines: string[] = [];
  const log = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
  const logger: DiagLogger = {
    error: log('error'),
    warn: log('warn'),
    info: log('info'),
    debug: () => {},
    verbose: () => {},
  };
  diag.setLogger(logger, { logLevel: DiagLogLevel.INFO, suppressOverrideMessage: true });
  cleanups.push(async () => diag.disable());
  return lines;
}

describe('the Redis store when Redis fails', () => {
  it('Redis killed mid-burst and restarted: every call succeeds; fallback, then re-sync', async () => {
    const logs = captureDiag();
    const { redis, sim, stores, gateways, clients, prefix } = await setup();
    const burst = clients.flatMap((c) => Array.from({ length: 100 }, () => c.messages.create(PARAMS)));
    const settled = Promise.allSettled(burst);
    await new Promise((r) => setTimeout(r, 300));
    await redis.kill();
    await new Promise((r) => setTimeout(r, 800));
    expect(gateways[0]!.limiters().some((l) => l.store === 'fallback')).toBe(true);
    await redis.start();
    const results = await settled;
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(sim.stats().byStatus['200']).toBe(200);
    for (const s of stores) expect(s.stats.fallbacks).toBeGreaterThanOrEqual(1);
    // After the restart: the processes share again, and the state lost with Redis was written back.
    const more = clients.flatMap((c) => Array.from({ length: 10 }, () => c.messages.create(PARAMS)));
    await Promise.all(more);
    for (const s of stores) expect(s.stats.resyncs).toBeGreaterThanOrEqual(1);
    expect(gateways.every((g) => g.limiters().every((l) => l.store === 'redis'))).toBe(true);
    const check = new Redis(redis.url);
    cleanups.push(async () => void check.disconnect());
    expect((await check.keys(`${prefix}*:s`)).length).toBeGreaterThanOrEqual(1);
    // Nothing secret in Redis: no key name or value holds the API key.
    for (const key of await check.keys(`${prefix}*`)) {
      expect(key).not.toContain('sk-test-shared-key');
      const type = await check.type(key);
      const value =
        type === 'string' ? await check.get(key)
        : type === 'zset' ? (await check.zrange(key, '0', '-1')).join(' ')
        : type === 'hash' ? JSON.stringify(await check.hgetall(key))
        : '';
      expect(value ?? '').not.toContain('sk-test-shared-key');
    }
    // Said once per process, without the URL.
    const warnings = logs.filter((l) => l.startsWith('warn') && l.includes('Redis store failed'));
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(warnings.length).toBeLessThanOrEqual(2);
    expect(logs.join('\n')).not.toContain(`127.0.0.1:${redis.port}/`);
  }, 30_000);

  it('a slow Redis: an operation past its timeout falls back, and the call goes on', async () => {
    const { redis, clients, stores } = await setup(100);
    await clients[0]!.messages.create(PARAMS); // connected, state in Redis
    expect(attemptStores()).toEqual(['redis']);
    const admin = new Redis(redis.url);
    cleanups.push(async () => void admin.disconnect());
    await admin.call('CLIENT', 'PAUSE', '1500', 'ALL');
    const started = performance.now();
    await clients[0]!.messages.create(PARAMS);
    const ms = performance.now() - started;
    // Well under the pause: the admission waited its 100 ms timeout, then decided alone.
    expect(ms).toBeLessThan(1000);
    expect(stores[0]!.stats.timeouts).toBeGreaterThanOrEqual(1);
    expect(stores[0]!.stats.fallbacks).toBe(1);
    // The attempt span says so: admitted by this process's share, after the wait on Redis.
    const fellBack = spans().filter((s) => s.attributes['claude_gateway.store'] === 'fallback');
    expect(fellBack).toHaveLength(1);
    expect(fellBack[0]!.attributes['claude_gateway.store.wait_ms']).toBeGreaterThanOrEqual(90);
  }, 20_000);
  it('a retry-after one process was given while Redis was away holds every process once it is back', async () => {
    const { redis, sim, stores, gateways, clients } = await setup(100);
    await Promise.all(clients.map((c) => c.messages.create(PARAMS))); // both connected, one state
    const admin = new Redis(redis.url);
    cleanups.push(async () => void admin.disconnect());
    await admin.call('CLIENT', 'PAUSE', '600', 'ALL');
    sim.enqueue({ kind: 'error', status: 429, errorType: 'rate_limit_error', retryAfterSec: 3 });
    // Decided alone (Redis paused) and refused: the hold is this process's alone.
    const first = clients[0]!.messages.create(PARAMS);
    await until(() => sim.stats().byStatus['429'] === 1, 3000);
    const heldAt = performance.now();
    expect(stores[0]!.stats.fallbacks).toBe(1);
    await until(() => stores[0]!.stats.resyncs >= 1, 5000);
    // Back on Redis: the hold is written where the other process reads it.
    await until(() => gateways[0]!.limiters().every((l) => l.store === 'redis'), 5000);
    await clients[1]!.messages.create(PARAMS);
    // The other process's call went only once the 3 s retry-after was over (about 0.5 s in without it).
    expect(performance.now() - heldAt).toBeGreaterThanOrEqual(2500);
    await first;
    expect(sim.stats().byStatus['429']).toBe(1);
  }, 20_000);

  /**
   * A gateway on a Redis of its own whose process, after its first call, stays at its own work for
   * 250 ms after sending each Redis command (a loaded machine): the answer arrives meanwhile, and a
   * 100 ms timer has expired when the event loop looks again.
   */
  async function busyGateway() {
    const redis = await OwnRedis.start();
    cleanups.push(() => redis.kill());
    const sim = await startSimulator({ latency: { ttftMs: 5, msPerToken: 0 } });
    cleanups.push(() => sim.close());
    const client = new Redis(redis.url);
    const evalsha = client.evalsha.bind(client) as (...args: unknown[]) => Promise<unknown>;
    let busy = false;
    (client as unknown as { evalsha: (...args: unknown[]) => Promise<unknown> }).evalsha = (...args) => {
      const sent = evalsha(...args);
      const end = performance.now() + (busy ? 250 : 0);
      while (performance.now() < end);
      return sent;
    };
    const store = createRedisStore(client, { keyPrefix: testPrefix(), timeoutMs: 100 });
    const gateway = createGateway({ store }, {});
    cleanups.push(async () => {
      await gateway.close();
      await store.close();
      client.disconnect();
    });
    const anthropic = gateway.wrap(new Anthropic({ apiKey: 'sk-test-busy-key', baseURL: sim.url }));
    await anthropic.messages.create(PARAMS); // connected, state in Redis
    busy = true;
    return { redis, store, anthropic };
  }

  it("this process's own busy event loop is not a slow Redis: a reply already here is read, no fallback", async () => {
    const { store, anthropic } = await busyGateway();
    for (let i = 0; i < 3; i++) await anthropic.messages.create(PARAMS);
    expect(store.stats.operations).toBeGreaterThanOrEqual(3);
    expect(store.stats.timeouts).toBe(0);
    expect(store.stats.fallbacks).toBe(0);
    expect(attemptStores().every((s) => s === 'redis')).toBe(true);
  }, 20_000);

  it('a busy process still finds a Redis that does not answer: its wait stays bounded', async () => {
    const { redis, store, anthropic } = await busyGateway();
    const admin = new Redis(redis.url);
    cleanups.push(async () => void admin.disconnect());
    await admin.call('CLIENT', 'PAUSE', '5000', 'ALL');
    // Busy most of the time, not only after a command: every timer fires late.
    const chores = setInterval(() => {
      const end = performance.now() + 150;
      while (performance.now() < end);
    }, 50);
    cleanups.push(async () => clearInterval(chores));
    const started = performance.now();
    await anthropic.messages.create(PARAMS);
    clearInterval(chores);
    // One more period for a busy process, once: far under the pause.
    expect(performance.now() - started).toBeLessThan(4000);
    expect(store.stats.timeouts).toBeGreaterThanOrEqual(1);
    expect(store.stats.fallbacks).toBe(1);
  }, 20_000);
});

describe('the Redis settings', () => {
  it('CLAUDE_GATEWAY_REDIS_URL makes a gateway share through Redis; its secret is never shown', async () => {
    const redis = await OwnRedis.start();
    cleanups.push(() => redis.kill());
    const url = `redis://default:s3cr3t-pass@127.0.0.1:${redis.port}/0`;
    const gateway = createGateway(
      {},
      { CLAUDE_GATEWAY_REDIS_URL: url, CLAUDE_GATEWAY_REDIS_KEY_PREFIX: testPrefix() },
    );
    cleanups.push(() => gateway.close());
    expect(gateway.config.redisUrl).not.toContain('s3cr3t');
    expect(JSON.stringify(gateway.config)).not.toContain('s3cr3t');
    const sim = await startSimulator({ latency: { ttftMs: 2, msPerToken: 0 } });
    cleanups.push(() => sim.close());
    const client = gateway.wrap(new Anthropic({ apiKey: 'sk-test-key', baseURL: sim.url }));
    await client.messages.create(PARAMS);
    // (This server has no password: the AUTH fails and the gateway goes on alone; the call succeeds.)
    expect(gateway.limiters()[0]?.store).toMatch(/^(redis|fallback)$/);
  });

  it('refuses a URL that is not Redis, without echoing it', () => {
    expect(() => createGateway({}, { CLAUDE_GATEWAY_REDIS_URL: 'http://user:hunter2@x' })).toThrow(
      /CLAUDE_GATEWAY_REDIS_URL/,
    );
    try {
      createGateway({ redisUrl: 'http://user:hunter2@x' }, {});
    } catch (error) {
      expect(String(error)).not.toContain('hunter2');
    }
    expect(() => createGateway({ redisKeyPrefix: 'a{b}' }, {})).toThrow(/redisKeyPrefix/);
  });
});
