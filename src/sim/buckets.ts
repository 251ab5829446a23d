/**
 * Token buckets refilled continuously, as the Claude API's rate limits are described. Pure: the
 * caller passes the time (`now`, in ms on any monotonic clock), so they are tested without timers.
 * @module
 */

/** A bucket of `capacity` tokens refilled at `perMs` tokens per ms; `tokens` may go negative. */
export interface TokenBucket {
  capacity: number;
  perMs: number;
  tokens: number;
  /** Time of the last refill. */
  at: number;
}

/** A full bucket holding `capacity` and refilled with `perMinute` tokens a minute. */
export function createBucket(capacity: number, perMinute: number, now: number): TokenBucket {
  return { capacity, perMs: perMinute / 60_000, tokens: capacity, at: now };
}

/** Adds the tokens earned since the last refill, up to the capacity. */
export function refill(bucket: TokenBucket, now: number): void {
  if (now > bucket.at) {
    bucket.tokens = Math.min(bucket.capacity, bucket.tokens + (now - bucket.at) * bucket.perMs);
    bucket.at = now;
  }
}

/**
 * Ms until `amount` tokens are available (0: now). An amount above the capacity needs a full
 * bucket (and then drives it negative when taken), so no request is refused for ever.
 */
export function waitFor(bucket: TokenBucket, amount: number, now: number): number {
  refill(bucket, now);
  const need = Math.min(amount, bucket.capacity);
  return bucket.tokens >= need ? 0 : (need - bucket.tokens) / bucket.perMs;
}

/** Removes `amount` tokens (after a refill). */
export function take(bucket: TokenBucket, amount: number, now: number): void {
  refill(bucket, now);
  bucket.tokens -= amount;
}

/** Ms until the bucket is full again (0 if it is full). */
export function msToFull(bucket: TokenBucket, now: number): number {
  refill(bucket, now);
  return (bucket.capacity - bucket.tokens) / bucket.perMs;
}

/** Changes capacity and rate, keeping the tokens earned so far (clamped to the new capacity). */
export function reconfigure(bucket: TokenBucket, capacity: number, perMinute: number, now: number): void {
  refill(bucket, now);
  bucket.capacity = capacity;
  bucket.perMs = perMinute / 60_000;
  bucket.tokens = Math.min(bucket.tokens, capacity);
}

/** Gives back `amount` tokens (after a refill), up to the capacity: what a reservation did not use. */
export function giveBack(bucket: TokenBucket, amount: number, now: number): void {
  refill(bucket, now);
  bucket.tokens = Math.min(bucket.capacity, bucket.tokens + amount);
}
