/**
 * The gateway's clock for waits, holds and deadlines: monotonic, so a wall-clock step (NTP, a VM
 * resumed) neither stretches a 1 s hold to a minute nor ends it early. Wall-clock time is used only
 * for span timestamps and to read an HTTP date.
 */
export const monotonicNow = (): number => performance.now();

/** The wall-clock time (epoch ms) of monotonic time `t`. */
export function toEpoch(t: number): number {
  return Date.now() + (t - performance.now());
}
