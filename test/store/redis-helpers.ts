/**
 * Test helpers for the stores: a real Redis (the machine's at 127.0.0.1:6379, or REDIS_URL), a key
 * prefix per test removed afterwards, and Redis servers of a test's own (on a free port) for the
 * tests that stop or slow Redis.
 */
import { randomUUID } from 'node:crypto';
import { cleanPrefix as cleanPrefixAt } from '../fixtures/redis.mjs';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix of one test. */
export function testPrefix(): string {
  return `cgw-test:${randomUUID().slice(0, 8)}:`;
}

/** Deletes every key under `prefix`. */
export function cleanPrefix(prefix: string, url = REDIS_URL): Promise<void> {
  return cleanPrefixAt(prefix, url);
}

export { freePort, OwnRedis } from '../fixtures/redis.mjs';
