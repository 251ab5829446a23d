/**
 * The waiting line in front of p-limit: first come first served, waiters that left skipped, and
 * one timer ending every wait past its deadline (fake timers: nothing waits for real).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WaitingLine, type Waiter } from '../../src/admit/waiting-line.js';

interface TestWaiter extends Waiter {
  readonly id: number;
  cancelled: boolean;
  expired: boolean;
}

function waiter(id: number, deadline = Infinity): TestWaiter {
  const w: TestWaiter = {
    id,
    deadline,
    cancelled: false,
    expired: false,
    admit: () => {},
    expire: () => {
      w.expired = true;
      w.cancelled = true;
    },
  };
  return w;
}

const ids = (line: WaitingLine) => {
  const out: number[] = [];
  for (let w = line.shift() as TestWaiter | undefined; w; w = line.shift() as TestWaiter | undefined)
    out.push(w.id);
  return out;
};

describe('WaitingLine', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());
  const now = () => Date.now();

  it('hands out waiters in the order they came, skipping those that left', () => {
    const line = new WaitingLine(now);
    const ws = [1, 2, 3, 4, 5].map((i) => waiter(i));
    for (const w of ws) line.push(w);
    expect(line.size).toBe(5);
    ws[1]!.cancelled = true;
    ws[3]!.cancelled = true;
    expect(ids(line)).toEqual([1, 3, 5]);
    expect(line.size).toBe(0);
  });

  it('ends every wait past its deadline with one timer, the first in line first', () => {
    const line = new WaitingLine(now);
    const t0 = now();
    const ws = Array.from({ length: 1000 }, (_, i) => waiter(i, t0 + 1000 + i));
    for (const w of ws) line.push(w);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(1000 + 499);
    expect(ws.filter((w) => w.expired).map((w) => w.id)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(line.size).toBe(500);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(1000);
    expect(ws.every((w) => w.expired)).toBe(true);
    expect(line.size).toBe(0);
  });

  it('moves the head on at a dispatch without setting a timer; a waiter out of line is sent on time', () => {
    const line = new WaitingLine(now);
    const t0 = now();
    const late = waiter(1, t0 + 5000);
    const early = waiter(2, t0 + 1000); // another gateway's shorter deadline, behind a longer one
    line.push(late);
    line.push(early);
    expect(line.shift()).toBe(late); // a dispatch: the head moves on
    vi.advanceTimersByTime(1000);
    expect(early.expired).toBe(true);
  });

  it('a waiter watched alone whose turn came keeps no timer; closing stops the others', () => {
    const line = new WaitingLine(now);
    const t0 = now();
    line.push(waiter(1, t0 + 5000));
    const early = waiter(2, t0 + 1000);
    line.push(early);
    line.push(waiter(3, t0 + 500)); // nearer than the one ahead of it too
    expect(vi.getTimerCount()).toBe(3); // the line's, and one for each watched alone
    line.shift();
    expect(line.shift()).toBe(early); // its turn: its own timer goes
    expect(vi.getTimerCount()).toBe(2);
    line.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stops its timer when closed', () => {
    const line = new WaitingLine(now);
    line.push(waiter(1, now() + 1000));
    line.close();
    vi.advanceTimersByTime(2000);
    expect(line.size).toBe(1);
  });
});
