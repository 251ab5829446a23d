/**
 * The Redis store's Lua scripts. Each runs atomically on the server and reads the time there
 * (`TIME`), so every process decides on one clock. Keys of one key+model share a hash tag, so a
 * Redis Cluster keeps them on one node; channel names go as arguments, not keys.
 *
 * Layout per key+model (`<prefix>{<owner>|<group>}`):
 * - `…:s` a hash: `v` the state's version (a counter), `d` the encoded state, `w` until when some
 *   process had calls waiting (ms, Redis time), `m` the key+model its limits moved to (a
 *   credential's, once its organization is known: see MOVED);
 * - `…:l` a sorted set of slot leases: member `<process>:<n>`, score its expiry (ms);
 * - `…:p` a sorted set of live processes: member the process id, score its heartbeat's expiry;
 * - channel `…:w`: a message when a slot is given back or the limit rose.
 */
import { createHash } from 'node:crypto';

export interface Script {
  readonly lua: string;
  readonly sha: string;
}

function script(lua: string): Script {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/** Redis time in ms (integer) as `now`; expired leases and processes dropped; this process's heartbeat. */
const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
`;

/** The state as read: {sec, usec, version, data, waitingUntil, leases in use, live processes, moved to}. */
const READ_REPLY = `
local h = redis.call('HMGET', KEYS[1], 'v', 'd', 'w', 'm')
return {t[1], t[2], h[1] or '0', h[2] or '', h[3] or '0', redis.call('ZCARD', KEYS[2]), redis.call('ZCARD', KEYS[3]), h[4] or ''}
`;

/**
 * READ. KEYS: state, leases, processes. ARGV: process id, heartbeat ms.
 * Returns the state as read (see READ_REPLY).
 */
export const READ = script(`${PRELUDE}
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[2]) * 3)
${READ_REPLY}`);

/**
 * WRITE, a compare-and-set on the version. KEYS: state, leases, processes. ARGV: expected version,
 * data, waitingUntil, lease ms, key ttl ms, wake (1/0), channel, n leases to add, the n members to
 * add, then the members to remove.
 * Returns {1, new version, sec, usec, leases in use}, or on a conflict {0, <the state as read>}.
 */
export const WRITE = script(`
local v = redis.call('HGET', KEYS[1], 'v') or '0'
if v ~= ARGV[1] then
${PRELUDE}
  local h = redis.call('HMGET', KEYS[1], 'v', 'd', 'w', 'm')
  return {0, t[1], t[2], h[1] or '0', h[2] or '', h[3] or '0', redis.call('ZCARD', KEYS[2]), redis.call('ZCARD', KEYS[3]), h[4] or ''}
end
${PRELUDE}
local nv = tostring(tonumber(v) + 1)
local ttl = tonumber(ARGV[5])
redis.call('HSET', KEYS[1], 'v', nv, 'd', ARGV[2], 'w', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ttl)
local n = tonumber(ARGV[8])
local expiry = now + tonumber(ARGV[4])
for i = 9, 8 + n do redis.call('ZADD', KEYS[2], expiry, ARGV[i]) end
local removed = 0
for i = 9 + n, #ARGV do removed = removed + redis.call('ZREM', KEYS[2], ARGV[i]) end
redis.call('PEXPIRE', KEYS[2], ttl)
if removed > 0 or ARGV[6] == '1' then redis.call('PUBLISH', ARGV[7], '1') end
return {1, nv, t[1], t[2], redis.call('ZCARD', KEYS[2])}
`);

/**
 * RENEW: this process's leases and heartbeat. KEYS: leases, processes. ARGV: lease ms, process
 * id, key ttl ms, the members. A lease lost (Redis restarted) is taken again: its call still runs.
 */
export const RENEW = script(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expiry = now + tonumber(ARGV[1])
for i = 4, #ARGV do redis.call('ZADD', KEYS[1], expiry, ARGV[i]) end
redis.call('ZADD', KEYS[2], expiry, ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[1]) * 3)
return 1
`);

/**
 * MOVED: a process learned that a key+model's limits belong to another (a credential's, to its
 * organization's) and went there; the processes still on the old key follow at their next
 * transaction instead of sharing it among themselves. KEYS: the old state. ARGV: the id moved to,
 * key ttl ms, the old channel. The version moves on, so a write decided on the old state conflicts
 * and reads the mark; the message wakes the old key's waiting processes to read it.
 */
export const MOVED = script(`
redis.call('HSET', KEYS[1], 'm', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'v', 1)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
redis.call('PUBLISH', ARGV[3], '1')
return 1
`);

/** RELEASE: gives leases back outside a state change. KEYS: leases. ARGV: channel, the members. */
export const RELEASE = script(`
local removed = 0
for i = 2, #ARGV do removed = removed + redis.call('ZREM', KEYS[1], ARGV[i]) end
if removed > 0 then redis.call('PUBLISH', ARGV[1], '1') end
return removed
`);
