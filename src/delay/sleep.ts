/** Abortable waits. A wait is part of a call the application is awaiting, so its timer stays
 * referenced while it runs (an unreferenced one would let a one-call script exit mid-retry), and it
 * is always cleared when the wait ends or is aborted, so nothing outlives the call. */

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
