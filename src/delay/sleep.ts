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
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (!(ms > 0)) return Promise.resolve();
  const end = monotonicNow() + ms;
  return new Promise((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout>;
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const arm = (left: number) => {
      timer = setTimeout(
        () => {
          const rest = end - monotonicNow();
          if (rest >= 1) return arm(rest);
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.min(left, MAX_TIMER_MS),
      );
    };
    arm(ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
