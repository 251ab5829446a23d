/**
 * A process's share of a shared state, for when the shared store is away: the concurrency limit,
 * every bucket mirror and the acceleration gate's rate divided by the processes that share it, so
 * the processes together stay within what they had learned; holds and outages kept whole. Pure.
 */
import type { KeyState, LimiterSettings } from '../key-state.js';
import type { Mirror } from '../policy/buckets.js';
import { copyState } from './codec.js';

function mirrorShare(m: Mirror | undefined, p: number): Mirror | undefined {
  return m && { limit: m.limit / p, capacity: Math.max(1, m.capacity / p), level: m.level / p, at: m.at };
}

/** `state` as one of `processes` processes' share of it; `inFlight`: this process's attempts in flight. */
export function shareOf(
  state: KeyState,
  processes: number,
  inFlight: number,
  s: Pick<LimiterSettings, 'concurrencyMin'>,
): KeyState {
  const p = Math.max(1, processes);
  const out = copyState(state);
  const limit = Math.max(s.concurrencyMin, Math.floor(state.concurrency.limit / p));
  // The threshold too: past it growth is slow, so P processes growing alone overshoot little.
  out.concurrency = { ...state.concurrency, limit, threshold: Math.min(state.concurrency.threshold, limit) };
  out.inFlight = inFlight;
  for (const b of Object.keys(out.buckets) as Array<keyof KeyState['buckets']>)
    out.buckets[b] = mirrorShare(out.buckets[b], p);
  const a = out.acceleration;
  if (p > 1) {
    a.rate /= p;
    a.cutRate /= p;
    a.tokens = Math.min(a.tokens, Math.max(1, a.tokens / p));
    for (let i = 0; i < a.admitted.length; i++) a.admitted[i]! /= p;
  }
  return out;
}

/** The limit of each bucket mirror of a share, to tell a mirror the headers rewrote. */
export type ShareLimits = Partial<Record<keyof KeyState['buckets'], number>>;

/** The limits of `share`'s mirrors. */
export function shareLimitsOf(share: KeyState): ShareLimits {
  const out: ShareLimits = {};
  for (const b of Object.keys(share.buckets) as Array<keyof KeyState['buckets']>) {
    const m = share.buckets[b];
    if (m) out[b] = m.limit;
  }
  return out;
}

/**
 * Keeps a share's bucket mirrors at their share: a response's headers speak of the whole
 * organization's bucket, and folding them in sets a mirror back to the whole limit and `remaining`.
 * A mirror whose limit is not its share's (charges and refunds keep the limit; an observation sets
 * it) is divided again. Changes `state` and `limits` in place.
 */
export function keepShare(state: KeyState, processes: number, limits: ShareLimits): void {
  const p = Math.max(1, processes);
  if (p === 1) return;
  for (const b of Object.keys(state.buckets) as Array<keyof KeyState['buckets']>) {
    const m = state.buckets[b];
    if (!m || m.limit === limits[b]) continue;
    const share = mirrorShare(m, p)!;
    state.buckets[b] = share;
    limits[b] = share.limit;
  }
}

/**
 * The whole of which `local` was one of `processes` shares, to write back to a shared store that
 * lost its state (a restart): the mirrors and the gate's rate as this process learned them while
 * alone, times the processes; the concurrency limit as it was shared before (`before`).
 */
export function wholeOf(local: KeyState, before: KeyState, processes: number): KeyState {
  const p = Math.max(1, processes);
  const out = copyState(local);
  out.concurrency = { ...before.concurrency };
  for (const b of Object.keys(out.buckets) as Array<keyof KeyState['buckets']>) {
    const m = out.buckets[b];
    if (m) out.buckets[b] = { limit: m.limit * p, capacity: m.capacity * p, level: m.level * p, at: m.at };
  }
  const a = out.acceleration;
  if (p > 1) {
    a.rate *= p;
    a.cutRate *= p;
    for (let i = 0; i < a.admitted.length; i++) a.admitted[i]! *= p;
  }
  return out;
}
