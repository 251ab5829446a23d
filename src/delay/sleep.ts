/**
 * Abortable waits. A wait is part of a call the application is awaiting, so its timer stays
 * referenced while it runs (an unreferenced one would let a one-call script exit mid-retry), and it
 * is always cleared when the wait ends or is aborted, so nothing outlives the call. Waits longer
 * than a timer can hold are chunked: Node fires a `setTimeout` over 2³¹−1 ms after 1 ms.
 */
import { monotonicNow } from './clock.js';

/** The longest delay `setTimeout` honours. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return wakeableSleep(ms, signal).done;
}

/** A wait that ends at the end of its time, or earlier (resolved) when `wake` is called. */
export interface WakeableSleep {
  readonly done: Promise<void>;
  readonly wake: () => void;
}

const NOTHING = () => {};

/** {@link sleep}, which `wake` can end early: a wait for something that may come sooner than its time. */
export function wakeableSleep(ms: number, signal?: AbortSignal): WakeableSleep {
  if (signal?.aborted) return { done: Promise.reject(signal.reason), wake: NOTHING };
  if (!(ms > 0)) return { done: Promise.resolve(), wake: NOTHING };
  const end = monotonicNow() + ms;
  let wake = NOTHING;
  const done = new Promise<void>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout>;
    const finish = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const arm = (left: number) => {
      timer = setTimeout(
        () => {
          const rest = end - monotonicNow();
          if (rest >= 1) return arm(rest);
          finish();
        },
        Math.min(left, MAX_TIMER_MS),
      );
    };
    arm(ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    wake = finish;
  });
  return { done, wake };
}
