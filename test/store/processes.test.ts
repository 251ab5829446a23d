/**
 * Real processes, one simulator organization, one Redis: child processes with gateways made from
 * CLAUDE_GATEWAY_* variables (as an application's), against the simulator's request bucket. Needs
 * dist/ (the suite's global setup builds it).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { cleanPrefix, REDIS_URL, testPrefix } from './redis-helpers.js';

const WORKER = fileURLToPath(new URL('./fixtures/worker.mjs', import.meta.url));
/** The lease of the killed process's store (the default is 10 s; bench/multiprocess.mjs measures that one). */
const LEASE_MS = 1500;

const children: ChildProcess[] = [];
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const c of cleanups.splice(0).toReversed()) await c();
});

interface Done {
  ok: number;
  failed: number;
  errors: string[];
  limiters: Array<{ store?: string; processes?: number }>;
}

async function workers(n: number, env: Record<string, string>): Promise<ChildProcess[]> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('CLAUDE_GATEWAY_')),
  ) as Record<string, string>;
  const list = Array.from({ length: n }, () => {
    const child = fork(WORKER, [], {
      env: { ...base, ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(child);
    return child;
  });
  await Promise.all(list.map((c) => new Promise<void>((resolve) => c.once('message', () => resolve()))));
  return list;
}

function go(child: ChildProcess, calls: number): Promise<Done> {
  return new Promise((resolve) => {
    child.on('message', (m: { type: string } & Done) => {
      if (m.type === 'done') resolve(m);
    });
    child.send({ type: 'go', calls });
  });
}

async function simulator(options: Parameters<typeof startSimulator>[0]): Promise<Simulator> {
  const s = await startSimulator({ retryAfterMs: true, ...options });
  cleanups.push(() => s.close());
  return s;
}

function redisPrefix(): string {
  const prefix = testPrefix();
  cleanups.push(() => cleanPrefix(prefix));
  return prefix;
}

describe('processes sharing one organization through Redis', () => {
  it('share one hold and one budget: a fraction of the refusals of processes alone', async () => {
    // 6 requests a second, a bucket of 2: the calls of 3 processes must queue for it together.
    const run = async (shared: boolean) => {
      const s = await simulator({ requestsPerMinute: 360, burst: 2, latency: { ttftMs: 5, msPerToken: 0 } });
      const prefix = redisPrefix();
      const ps = await workers(3, {
        SIM_URL: s.url,
        ...(shared ? { CLAUDE_GATEWAY_REDIS_URL: REDIS_URL, CLAUDE_GATEWAY_REDIS_KEY_PREFIX: prefix } : {}),
      });
      const done = await Promise.all(ps.map((p) => go(p, 6)));
      for (const p of ps) p.kill('SIGKILL');
      const stats = s.stats();
      return { done, refusals: stats.byStatus['429'] ?? 0, intoWaits: stats.retryAfterViolations };
    };
    const alone = await run(false);
    const shared = await run(true);
    for (const r of [alone, shared]) expect(r.done.flatMap((d) => d.errors)).toEqual([]);
    expect(shared.done.every((d) => d.limiters.every((l) => l.store === 'redis'))).toBe(true);
    expect(Math.max(...shared.done.flatMap((d) => d.limiters.map((l) => l.processes ?? 1)))).toBe(3);
    // One learner and one hold: the first refusals teach every process's mirror. (Attempts already
    // on their way when a 429 left count as sent into its wait: a few are unavoidable.)
    expect(shared.refusals).toBeLessThanOrEqual(12);
    expect(shared.intoWaits).toBeLessThanOrEqual(8);
    expect(alone.refusals).toBeGreaterThanOrEqual(2 * shared.refusals);
  });

  it('a process killed while it holds slots gives them back within the lease time', async () => {
    // Calls that take 20 s: the victim holds its slots when it dies.
    const s = await simulator({ latency: { ttftMs: 20_000, msPerToken: 0 } });
    const prefix = redisPrefix();
    const [victim] = await workers(1, {
      SIM_URL: s.url,
      CLAUDE_GATEWAY_REDIS_URL: REDIS_URL,
      CLAUDE_GATEWAY_REDIS_KEY_PREFIX: prefix,
      TEST_LEASE_MS: String(LEASE_MS),
    });
    void go(victim!, 3);
    const redis = new Redis(REDIS_URL);
    cleanups.push(async () => void redis.disconnect());
    const live = async () => {
      let n = 0;
      for (const k of await redis.keys(`${prefix}*:l`)) n += await redis.zcount(k, Date.now(), '+inf');
      return n;
    };
    let held = 0;
    for (let i = 0; i < 60 && held < 3; i++) {
      await new Promise((r) => setTimeout(r, 50));
      held = await live();
    }
    expect(held).toBe(3);
    victim!.kill('SIGKILL');
    const killedAt = Date.now();
    // Back within the lease time of the victim's last renewal (every third of it), not much later.
    while ((await live()) > 0 && Date.now() - killedAt < LEASE_MS + 3000)
      await new Promise((r) => setTimeout(r, 50));
    const backMs = Date.now() - killedAt;
    expect(await live()).toBe(0);
    expect(backMs).toBeLessThanOrEqual(LEASE_MS + 500);
    expect(backMs).toBeGreaterThanOrEqual(LEASE_MS / 2);
  }, 20_000);
});
