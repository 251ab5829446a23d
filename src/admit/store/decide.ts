/**
 * The one admission decision every store runs on its state: a slot, then no hold, pacing or
 * acceleration gate in the way, and the attempt is charged in the same step, so the next decision
 * sees it. Pure: the clock and the slot count are parameters.
 */
import type { KeyState } from '../key-state.js';
import { admitWait, dispatch, type Dispatch } from '../policy/admit.js';
import type { AdmitRequest } from './types.js';

/** How long an attempt waiting for a slot of a shared store waits before it looks again, at most. */
export const SLOT_POLL_MS = 250;

export type Decision =
  | { readonly dispatch: Dispatch; readonly waitMs?: undefined }
  | { readonly dispatch?: undefined; readonly waitMs: number; readonly forSlot: boolean };

/**
 * Admits `request` at `now` when a slot is free (`inUse` below the concurrency limit and the
 * acceleration gate's ceiling; the memory store's slots are its queue's, so it passes 0, and its
 * waiters for the ceiling are woken by the answers) and nothing else is in the way.
 */
export function decideAdmit(
  state: KeyState,
  now: number,
  request: Pick<AdmitRequest, 'cost' | 'maxPacingMs'>,
  intervalMs: number,
  inUse: number,
): Decision {
  // The acceleration gate's ceiling on attempts in flight is room too: a shared store's processes
  // are woken when any of them gives a slot back, not a pacing wait later.
  if (inUse >= state.concurrency.limit || inUse + 1 > state.acceleration.ceiling)
    return { waitMs: SLOT_POLL_MS, forSlot: true };
  const wait = admitWait(state, request.cost, now, request.maxPacingMs);
  if (wait > 0) return { waitMs: wait, forSlot: false };
  return { dispatch: dispatch(state, request.cost, now, intervalMs) };
}
