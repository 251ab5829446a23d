/**
 * Pacing from the `anthropic-ratelimit-*` headers: a mirror of each of the server's buckets, so the
 * gateway holds an attempt it can tell would be refused instead of sending it. Pure: observations
 * and the clock are parameters.
 *
 * The mirror is a bucket of its own: it refills at `limit` per minute up to its capacity (refill
 * past a full bucket is lost, as on the server) and each dispatch takes its cost. A response's
 * `remaining` is the server's bucket as that attempt was admitted; the attempts dispatched after
 * it have taken from it since. An observation may only lower the mirror (it cannot know what the
 * server admitted meanwhile), except when nothing was sent after the observed attempt: then it
 * sets the level outright.
 */

/** The bucket dimensions the gateway paces on, with the header stem each is read from. */
export const PACED_BUCKETS = {
  requests: 'anthropic-ratelimit-requests',
  inputTokens: 'anthropic-ratelimit-input-tokens',
  // The API reserves `max_tokens` when it admits a call and gives back what was not used at the end.
  outputTokens: 'anthropic-ratelimit-output-tokens',
} as const;
export type BucketName = keyof typeof PACED_BUCKETS;
export const PACED_BUCKET_NAMES = Object.keys(PACED_BUCKETS) as readonly BucketName[];

/**
 * How far a `remaining` the API sends may be above the bucket's level: it rounds token counts to the
 * thousand (half a step, should it round to the nearest); request counts are exact.
 */
export const HEADER_ROUNDING: Readonly<Record<BucketName, number>> = {
  requests: 0,
  inputTokens: 500,
  outputTokens: 500,
};

export interface Mirror {
  /** Refill per minute (the `-limit` header). */
  readonly limit: number;
  /** Largest `remaining` seen since `limit` last changed: the bucket's capacity, as far as known. */
  readonly capacity: number;
  /** The estimated level at `at`. */
  readonly level: number;
  readonly at: number;
}

/** The level at `now`: refilled since `at`, capped at capacity. */
export function levelAt(m: Mirror, now: number): number {
  return Math.min(m.capacity, m.level + (Math.max(0, now - m.at) * m.limit) / 60_000);
}

/** Charges a dispatch of `cost` to the mirror at `now`. */
export function charge(m: Mirror | undefined, cost: number, now: number): Mirror | undefined {
  if (!m || cost <= 0) return m;
  return { ...m, level: levelAt(m, now) - cost, at: now };
}

/**
 * Folds in `seen` from the response to an attempt dispatched at `dispatchedAt`, after which
 * `sentSince` was dispatched (in this bucket's units).
 */
export function foldObservation(
  m: Mirror | undefined,
  seen: { limit: number; remaining: number },
  now: number,
  dispatchedAt: number,
  sentSince: number,
): Mirror {
  // The capacity is never above the limit it was told (a bucket refills at most `limit` a minute).
  const largest =
    m && m.limit === seen.limit ? Math.max(m.capacity, seen.remaining, 1) : Math.max(seen.remaining, 1);
  const capacity = Math.min(seen.limit, largest);
  // What the server's answer implies now. Refill and the dispatches since interleaved, so the
  // bucket did not overflow in between (capping first would read a long call's second of refill
  // as lost); the mirror's own level, refilled with its cap, bounds an overflow.
  const implied = Math.min(
    capacity,
    seen.remaining + (Math.max(0, now - dispatchedAt) * seen.limit) / 60_000 - sentSince,
  );
  const current = m ? Math.min(capacity, levelAt(m, now)) : implied;
  const level = !m || sentSince === 0 || m.limit !== seen.limit ? implied : Math.min(current, implied);
  return { limit: seen.limit, capacity, level, at: now };
}

/**
 * Headroom kept when pacing: the largest of this many units, the headers' rounding, this share of
 * the bucket (what the estimates of input tokens in flight may be off by)…
 */
export const PACING_MARGIN = 2;
export const PACING_MARGIN_SHARE = 0.01;
/** …or this long a refill: what admission may lag a dispatch by (network, a busy event loop). */
export const PACING_MARGIN_MS = 50;

/**
 * Milliseconds of pacing before an attempt of `cost` fits; 0 when it fits now. `rounding`: the
 * bucket's {@link HEADER_ROUNDING}.
 */
export function pacingWait(m: Mirror | undefined, cost: number, now: number, rounding = 0): number {
  if (!m || cost <= 0) return 0;
  // A margin: the server admits a little after the dispatch the mirror is timed from, and a
  // refusal costs a whole-second retry-after hold, far more than the margin's few refills. Kept
  // small: the margin is never spent, so it delays every call after the bucket first runs dry by
  // its refill time (5% of a minute's bucket would be 3 s).
  const margin = Math.max(
    PACING_MARGIN,
    rounding,
    Math.ceil(m.capacity * PACING_MARGIN_SHARE),
    Math.ceil((m.limit * PACING_MARGIN_MS) / 60_000),
  );
  // A cost above capacity can never fit a mirror; let the server judge it.
  const need = Math.min(cost + margin, m.capacity);
  const level = levelAt(m, now);
  if (level >= need) return 0;
  return Math.ceil(((need - level) * 60_000) / m.limit);
}

/** Gives `amount` back to the mirror at `now` (a reservation the server returned), up to capacity. */
export function refund(m: Mirror | undefined, amount: number, now: number): Mirror | undefined {
  if (!m || amount <= 0) return m;
  return { ...m, level: Math.min(m.capacity, levelAt(m, now) + amount), at: now };
}
