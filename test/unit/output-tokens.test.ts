/** The output-token count read from the end of a body, to give back what a call did not use. */
import { describe, expect, it } from 'vitest';
import { outputTokensIn } from '../../src/attempt/stream.js';

describe('outputTokensIn', () => {
  it('reads the count at the end of a message', () => {
    expect(outputTokensIn('"usage":{"input_tokens":5,"output_tokens": 12,"service_tier":"standard"}}')).toBe(
      12,
    );
  });
  it('takes the last count of a stream (message_delta usage is cumulative)', () => {
    const tail =
      'data: {"type":"message_delta","usage":{"output_tokens":3}}\n\n' +
      'data: {"type":"message_delta","usage":{"output_tokens":45}}\n\n';
    expect(outputTokensIn(tail)).toBe(45);
  });
  it('skips a field that holds no count, and finds none where there is none', () => {
    expect(outputTokensIn('"output_tokens":8,"output_tokens":null')).toBe(8);
    expect(outputTokensIn('"output_tokens"')).toBeUndefined();
    expect(outputTokensIn('"output_tokens":"many"')).toBeUndefined();
    expect(outputTokensIn('')).toBeUndefined();
  });
});
