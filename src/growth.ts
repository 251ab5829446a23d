/**
 * The rate-growth gate, armed by the API's acceleration limit (`ramp_limit_exceeded`): from then
 * on, attempts in the trailing second may not exceed `max(floor, factor × attempts in the second
 * before it)`, where `floor` is the rate the API had accepted when it refused. The acceleration
 * limit grants each period a multiple of what the previous one admitted, so a client that idled
 * through a retry-after must not jump back to its old rate; a steady rate always passes. Unarmed,
 * it costs nothing: without an acceleration limit, the concurrency ramp alone governs a cold start.
 * Pure: counts in 250 ms slots, the clock is a parameter.
 */
const SLOT_MS = 250;
const SLOTS_PER_WINDOW = 4; // one window = 1 s
const SLOTS = SLOTS_PER_WINDOW * 3;

/** Most growth of the attempt rate per second once armed: under the ~2× the limit grants. */
export const GROWTH_FACTOR = 1.8;

export interface GrowthState {
  /** Dispatches per slot, ring-indexed by slot number. */
  readonly counts: Float64Array;
  /** The newest slot number recorded. */
  slot: number;
  /** 0 until the first acceleration-limit refusal; then the attempts per second always allowed. */
  floor: number;
}

export function initialGrowth(): GrowthState {
  return { counts: new Float64Array(SLOTS), slot: -1, floor: 0 };
}

function advance(state: GrowthState, now: number): number {
  const slot = Math.floor(now / SLOT_MS);
  if (state.slot < 0) state.slot = slot;
  for (let s = state.slot + 1; s <= Math.min(slot, state.slot + SLOTS); s++) state.counts[s % SLOTS] = 0;
  if (slot > state.slot) state.slot = slot;
  return slot;
}

function windowSum(state: GrowthState, lastSlot: number): number {
  let sum = 0;
  for (let s = lastSlot - SLOTS_PER_WINDOW + 1; s <= lastSlot; s++) sum += state.counts[((s % SLOTS) + SLOTS) % SLOTS]!;
  return sum;
}

/**
 * Arms (or re-arms) the gate on an acceleration-limit refusal. The floor is the rate the API
 * accepted from cold, taken at the first refusal. Each refusal also forgets the history: the hold
 * that follows leaves a quiet period, and the limit grants the next period only a multiple of
 * that, so growth restarts from the floor rather than from the rate before the hold.
 */
export function arm(state: GrowthState, now: number): void {
  const slot = advance(state, now);
  if (state.floor === 0) state.floor = Math.max(1, windowSum(state, slot));
  state.counts.fill(0);
}

/** Milliseconds until one more dispatch fits the gate; 0 when it fits now (always, unarmed). */
export function growthWait(state: GrowthState, now: number): number {
  if (state.floor === 0) return 0;
  const slot = advance(state, now);
  const recent = windowSum(state, slot);
  const before = windowSum(state, slot - SLOTS_PER_WINDOW);
  if (recent + 1 <= Math.max(state.floor, GROWTH_FACTOR * before)) return 0;
  return (slot + 1) * SLOT_MS - now; // the window slides by one slot
}

export function recordDispatch(state: GrowthState, now: number): void {
  const slot = advance(state, now);
  state.counts[slot % SLOTS]! += 1;
}
