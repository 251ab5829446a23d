/**
 * Pacing from the `anthropic-ratelimit-*` headers: a client-side mirror of the server's token
 * buckets, so the gateway holds an attempt it can tell would be refused instead of sending it.
 * Pure: observations and the clock are parameters.
 *
 * The API refills buckets continuously at `limit` per minute (rate-limit docs). A response's
 * `remaining` is the bucket at about the time its attempt was admitted; attempts dispatched after
 * that one have spent from it since, which `spentAt` (the dispatch counter) accounts for.
 */

/** The bucket dimensions the gateway paces on, with the header stem each is read from. */
export const PACED_BUCKETS = {
  requests: 'anthropic-ratelimit-requests',
  inputTokens: 'anthropic-ratelimit-input-tokens',
} as const;
export type BucketName = keyof typeof PACED_BUCKETS;

export interface BucketView {
  /** Per minute. */
  readonly limit: number;
  readonly remaining: number;
  /** When the observed attempt was dispatched (epoch ms). */
  readonly at: number;
  /** Cumulative cost dispatched before the observed attempt, including it. */
  readonly spentAt: number;
  /** Largest `remaining` seen: a lower bound on the bucket's capacity. */
  readonly capacity: number;
}

/** Folds a new observation into the view, keeping only the newest by dispatch order. */
export function observe(
  view: BucketView | undefined,
  seen: { limit: number; remaining: number },
  at: number,
  spentAt: number,
): BucketView {
  if (view && spentAt < view.spentAt) return view;
  return {
    limit: seen.limit,
    remaining: seen.remaining,
    at,
    spentAt,
    capacity: Math.max(seen.remaining, view?.capacity ?? 0, 1),
  };
}

/**
 * The estimated bucket level now, given the cumulative cost dispatched so far. Dispatches since the
 * observation are taken off before the cap: capping first would leave a small bucket with many
 * calls in flight estimated below zero however long the refill, and pacing would never release.
 */
export function estimate(view: BucketView, now: number, spent: number): number {
  const refill = (Math.max(0, now - view.at) * view.limit) / 60_000;
  return Math.min(view.capacity, view.remaining + refill - (spent - view.spentAt));
}

/** Headroom kept when pacing: the largest of this many tokens, this share of the bucket… */
export const PACING_MARGIN = 2;
export const PACING_MARGIN_SHARE = 0.05;
/** …or this long a refill: what admission may lag a dispatch by (network, a busy event loop). */
export const PACING_MARGIN_MS = 50;

/** Milliseconds to wait before an attempt of `cost` fits; 0 when it fits now. */
export function waitFor(view: BucketView | undefined, now: number, spent: number, cost: number): number {
  if (!view || cost <= 0) return 0;
  // A margin: the server admits a little after the dispatch the mirror is timed from, and a
  // refusal costs a whole-second retry-after hold, far more than the margin's few refills.
  // A cost above capacity can never fit a mirror; let the server judge it.
  const margin = Math.max(
    PACING_MARGIN,
    Math.ceil(view.capacity * PACING_MARGIN_SHARE),
    Math.ceil((view.limit * PACING_MARGIN_MS) / 60_000),
  );
  const need = Math.min(cost + margin, view.capacity);
  const level = estimate(view, now, spent);
  if (level >= need) return 0;
  return Math.ceil(((need - level) * 60_000) / view.limit);
}
