import { describe, expect, it } from 'vitest';
import { BUDGET_FLOOR, RetryBudget } from '../../src/delay/budget.js';

describe('RetryBudget', () => {
  it('allows the floor, then retries up to ratio × calls in the window', () => {
    const b = new RetryBudget(0.5);
    for (let i = 0; i < BUDGET_FLOOR; i++) expect(b.tryRetry(0)).toBe(true);
    expect(b.tryRetry(0)).toBe(false);
    for (let i = 0; i < 40; i++) b.recordCall(1000);
    for (let i = 0; i < 10; i++) expect(b.tryRetry(1000)).toBe(true); // 0.5 × 40 = 20 in all
    expect(b.tryRetry(1000)).toBe(false);
  });
  it('forgets what left the window', () => {
    const b = new RetryBudget(0);
    for (let i = 0; i < BUDGET_FLOOR; i++) b.tryRetry(0);
    expect(b.tryRetry(0)).toBe(false);
    expect(b.tryRetry(61_000)).toBe(true);
  });
});
