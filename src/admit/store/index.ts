/**
 * The store seam's public face: where the limiter state lives. For `index.ts` to re-export.
 */
import {
  redisStoreFromClient,
  redisStoreFromUrl,
  type RedisClientLike,
  type RedisStore,
  type RedisStoreOptions,
} from './redis.js';

export { MemoryStore } from './memory.js';
export type { LimiterStore, KeyStore, Served } from './types.js';
export type { RedisClientLike, RedisStore, RedisStoreOptions, RedisStoreStats } from './redis.js';

/**
 * A Redis store, for the `store` option of gateways in several processes that share an
 * organization's limits: from a URL (`redis://…`, `rediss://` for TLS; the store opens and closes
 * the connection) or over a connected ioredis client (`Redis` or `Cluster`; the application keeps
 * and closes it). Needs the `ioredis` package.
 *
 * @example
 * ```ts
 * const store = createRedisStore(process.env.REDIS_URL!, { keyPrefix: 'my-app:' });
 * const client = withGateway(new Anthropic(), { store });
 * ```
 */
export function createRedisStore(
  target: string | RedisClientLike,
  options: RedisStoreOptions = {},
): RedisStore {
  return typeof target === 'string' ?
      redisStoreFromUrl(target, options)
    : redisStoreFromClient(target, options);
}
