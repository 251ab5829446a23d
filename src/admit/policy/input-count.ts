/**
 * How the API counts input tokens against the gateway's estimate, learned from the usage of its
 * answers. The estimate (characters ÷ 4, images at their most) can be far off: a cached prompt is
 * charged only its uncached part (cache reads do not count against the input-token limit), text in
 * Chinese or Japanese has about a token a character, a scanned PDF costs its pages, not its bytes.
 * Pacing charges the estimate times the ratio of recent counts to recent estimates. Pure.
 */

/** Decayed sums of recent estimates and of what the API counted for the same attempts. */
export interface InputCount {
  estimated: number;
  counted: number;
}

/**
 * What the sums keep of the answers before each new one: the last few answers count, so a batch
 * whose first call wrote the prompt cache and whose others read it is paced by the reads within
 * about ten answers.
 */
export const INPUT_COUNT_MEMORY = 0.7;
/** The scale stays within these: a few answers cannot make pacing ignore input tokens, or stall. */
export const INPUT_SCALE_MIN = 1 / 64;
export const INPUT_SCALE_MAX = 16;

export function initialInputCount(): InputCount {
  return { estimated: 0, counted: 0 };
}

/** What an estimate of one input token is worth in the API's count (1 until an answer says). */
export function inputScale(c: InputCount): number {
  if (!(c.estimated > 0)) return 1;
  return Math.min(INPUT_SCALE_MAX, Math.max(INPUT_SCALE_MIN, c.counted / c.estimated));
}

/** An answer: the API counted `counted` input tokens against the limit where `estimated` were estimated. */
export function learnInputCount(c: InputCount, estimated: number, counted: number): void {
  if (!(estimated > 0) || !(counted >= 0)) return;
  c.estimated = c.estimated * INPUT_COUNT_MEMORY + estimated;
  c.counted = c.counted * INPUT_COUNT_MEMORY + counted;
}
