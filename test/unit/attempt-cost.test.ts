/** What an attempt costs the paced buckets, estimated from its request. */
import { describe, expect, it } from 'vitest';
import { attemptCost, estimateInputTokens, IMAGE_TOKENS_MAX } from '../../src/call/attempt-cost.js';
import { pngBase64 } from '../helpers.js';

const image = (data: string) => ({
  type: 'image',
  source: { type: 'base64', media_type: 'image/png', data },
});

describe('attempt cost', () => {
  it('counts text at 4 characters a token, and reserves max_tokens', () => {
    const body = {
      model: 'claude-sonnet-4-5',
      max_tokens: 300,
      messages: [{ role: 'user', content: 'x'.repeat(400) }],
    };
    const text = JSON.stringify(body);
    expect(attemptCost('/v1/messages', text, body)).toEqual({
      requests: 1,
      inputTokens: Math.ceil(text.length / 4),
      outputTokens: 300,
    });
    expect(attemptCost('/v1/messages', undefined, undefined)).toEqual({
      requests: 1,
      inputTokens: 0,
      outputTokens: 0,
    });
  });

  it('counts a base64 image at the most an image costs, not at its bytes (in a message or a tool result)', () => {
    const photo = pngBase64(4000, 3000, 300_000); // 400,000 characters of base64
    const body = {
      max_tokens: 100,
      messages: [
        { role: 'user', content: [image(photo), { type: 'text', text: 'What is in it?' }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'zoom', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [image(photo)] }] },
      ],
    };
    const text = JSON.stringify(body);
    const rest = text.length - 2 * photo.length;
    expect(estimateInputTokens(text, body)).toBe(Math.ceil(rest / 4) + 2 * IMAGE_TOKENS_MAX);
    expect(estimateInputTokens(text, body)).toBeLessThan(4000); // as text: over 200,000
  });

  it('counts no input tokens for token counting, which the input-token limit does not count', () => {
    const body = { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'x'.repeat(4000) }] };
    const text = JSON.stringify(body);
    for (const path of ['/v1/messages/count_tokens', '/model/anthropic.claude-sonnet-4-5/count-tokens'])
      expect(attemptCost(path, text, body)).toEqual({ requests: 1, inputTokens: 0, outputTokens: 0 });
    expect(attemptCost('/v1/messages', text, body).inputTokens).toBeGreaterThan(1000);
  });

  it('takes any shape of body without throwing (the API judges it)', () => {
    const odd = {
      messages: [null, { content: [null, 7, { type: 'tool_result', content: [null] }] }, 'x'.repeat(20_000)],
    };
    const text = JSON.stringify(odd);
    expect(estimateInputTokens(text, odd)).toBe(Math.ceil(text.length / 4));
    expect(estimateInputTokens('x'.repeat(20_000), { messages: 'not a list' })).toBe(5000);
  });

  it('reads a short body whole, and leaves other sources and blocks as text', () => {
    const small = { messages: [{ role: 'user', content: [image(pngBase64(10, 10))] }] };
    const smallText = JSON.stringify(small);
    expect(estimateInputTokens(smallText, small)).toBe(Math.ceil(smallText.length / 4));
    const doc = 'A'.repeat(100_000);
    const pdf = {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: doc } },
          ],
        },
      ],
    };
    const pdfText = JSON.stringify(pdf);
    expect(estimateInputTokens(pdfText, pdf)).toBe(Math.ceil(pdfText.length / 4));
  });
});
