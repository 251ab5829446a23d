/**
 * The prompt cache, as the API documents it, for the simulator: a request whose `system` blocks
 * carry `cache_control` caches the prompt up to the last of them (when it is at least
 * {@link CACHE_MIN_TOKENS} long); a later request of the same organization and model group with the
 * same model and prefix reads it, once the first response has begun and within
 * {@link CACHE_TTL_MS} of its last use. Writes count against the input-token limit; reads do not.
 * Only `system` breakpoints are modelled (the usual shape of a batch: one long cached instruction,
 * a short message each).
 * @module
 */
import { createHash } from 'node:crypto';
import { textTokens } from './content.js';

/** The shortest prefix the API caches (Sonnet and Opus; Haiku's is longer). */
export const CACHE_MIN_TOKENS = 1024;
/** How long an entry lives after its last use (the default, `ephemeral` 5 minutes). */
export const CACHE_TTL_MS = 5 * 60_000;
/** Entries past this many are swept of the expired when one is added. */
const SWEEP_AT = 10_000;

/** One pool's cache: prefix key → when it can be read, and when it was last used. */
export type PromptCache = Map<string, { readyAt: number; usedAt: number }>;

/** How a request meets the cache: the prefix it would cache, and whether it is there to read. */
export interface CacheLookup {
  readonly key: string;
  readonly tokens: number;
  readonly hit: boolean;
}

/** The cacheable prefix of `body`'s `system`, as tokens (see {@link textTokens}) and a key. */
function prefixOf(body: Readonly<Record<string, unknown>>): { key: string; tokens: number } | undefined {
  const system = body.system;
  if (!Array.isArray(system)) return undefined;
  const last = system.findLastIndex((block) => (block as { cache_control?: unknown } | null)?.cache_control);
  if (last < 0) return undefined;
  let tokens = 0;
  const hash = createHash('sha256').update(String(body.model));
  for (const block of system.slice(0, last + 1)) {
    const text = (block as { text?: unknown } | null)?.text;
    const part = typeof text === 'string' ? text : JSON.stringify(block);
    tokens += textTokens(part);
    hash.update('\u0000').update(part);
  }
  return tokens < CACHE_MIN_TOKENS ? undefined : { key: hash.digest('hex'), tokens };
}

/** Whether `body`'s prefix is in `cache` at `now`; undefined when it has none to cache. */
export function lookupCache(
  cache: PromptCache,
  body: Readonly<Record<string, unknown>>,
  now: number,
): CacheLookup | undefined {
  const prefix = prefixOf(body);
  if (!prefix) return undefined;
  const entry = cache.get(prefix.key);
  const hit = entry !== undefined && entry.readyAt <= now && now - entry.usedAt <= CACHE_TTL_MS;
  return { ...prefix, hit };
}

/** An admitted request used the cache: a read renews the entry; a write makes it readable at `readyAt`. */
export function useCache(cache: PromptCache, lookup: CacheLookup, now: number, readyAt: number): void {
  const entry = cache.get(lookup.key);
  if (lookup.hit) {
    entry!.usedAt = now;
    return;
  }
  const live = entry !== undefined && now - entry.usedAt <= CACHE_TTL_MS;
  cache.set(lookup.key, { readyAt: live ? Math.min(entry.readyAt, readyAt) : readyAt, usedAt: now });
  if (cache.size > SWEEP_AT)
    for (const [key, e] of cache) if (now - e.usedAt > CACHE_TTL_MS) cache.delete(key);
}
