import { describe, expect, it } from 'vitest';
import { arm, growthWait, initialGrowth, recordDispatch, type GrowthState } from '../../src/growth.js';

/** Sends at time `at` while the gate allows; returns how many went. */
function sendWhileAllowed(state: GrowthState, at: number, max = 10_000): number {
  let sent = 0;
  while (sent < max && growthWait(state, at) === 0) {
    recordDispatch(state, at);
    sent++;
  }
  return sent;
}

describe('rate-growth gate', () => {
  it('costs nothing until the API says ramp_limit_exceeded', () => {
    expect(sendWhileAllowed(initialGrowth(), 0, 5000)).toBe(5000);
  });

  it('once armed, starts from the rate the API accepted and grows at most ×1.8 per second', () => {
    const g = initialGrowth();
    expect(sendWhileAllowed(g, 0, 20)).toBe(20);
    arm(g, 100); // refused after 20 in this second: the floor is 20, and the history restarts
    expect(sendWhileAllowed(g, 1000)).toBe(20); // the floor
    expect(sendWhileAllowed(g, 2000)).toBe(36); // 1.8 × 20
    expect(sendWhileAllowed(g, 3000)).toBe(64); // 1.8 × 36 = 64.8
    expect(sendWhileAllowed(g, 4000)).toBe(115); // 1.8 × 64 = 115.2
    expect(growthWait(g, 4100)).toBe(150); // full: until the 250 ms slot ends
  });

  it('lets a steady rate pass, and falls back to the floor after an idle second', () => {
    const g = initialGrowth();
    sendWhileAllowed(g, 0, 20);
    arm(g, 0); // floor 20
    expect(sendWhileAllowed(g, 1000, 30)).toBe(20);
    expect(sendWhileAllowed(g, 2000, 30)).toBe(30); // allowed 36
    expect(sendWhileAllowed(g, 3000, 30)).toBe(30); // allowed 54
    expect(sendWhileAllowed(g, 5000)).toBe(20); // the second before was idle: the floor
  });

  it('a later refusal restarts growth from the first floor, forgetting the busy seconds before the hold', () => {
    const g = initialGrowth();
    sendWhileAllowed(g, 0, 20);
    arm(g, 0);
    sendWhileAllowed(g, 1000);
    sendWhileAllowed(g, 2000); // 36 in this second
    arm(g, 2100); // refused again; then the hold
    expect(sendWhileAllowed(g, 3200)).toBe(20);
  });
});
