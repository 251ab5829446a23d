/**
 * Seeded randomness. Every random choice of the simulator (ids, fault draws) comes from one
 * {@link Rng}, drawn in arrival order, so the same seed and the same request sequence give the
 * same outcomes and ids.
 * @module
 */

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** mulberry32: a small, fast 32-bit PRNG with a full 2^32 period. */
export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** The next unsigned 32-bit integer. */
  nextUint32(): number {
    this.#state = (this.#state + 0x6d2b79f5) | 0;
    let t = Math.imul(this.#state ^ (this.#state >>> 15), 1 | this.#state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A uniform number in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** `prefix` followed by `length` base-62 characters (five per 32-bit draw). */
  id(prefix: string, length: number): string {
    let out = prefix;
    let left = 0;
    let bits = 0;
    for (let i = 0; i < length; i++) {
      if (left === 0) {
        bits = this.nextUint32();
        left = 5;
      }
      out += ALPHABET[bits % 62];
      bits = Math.floor(bits / 62);
      left--;
    }
    return out;
  }

  /** A request id shaped like the API's (`req_011C…`, 28 characters). */
  requestId(): string {
    return this.id('req_011C', 20);
  }

  /** A message id shaped like the API's (`msg_01…`, 28 characters). */
  messageId(): string {
    return this.id('msg_01', 22);
  }
}
