/**
 * What an attempt costs each paced bucket, estimated from the request before it is sent: one
 * request, its input tokens, and the output tokens the API reserves when it admits it.
 */
import type { AttemptCost } from '../admit/admission.js';
import { isTokenCounting } from '../classify/routes.js';

/** Characters per input token: the usual estimate for text. */
const CHARS_PER_TOKEN = 4;
/**
 * The most input tokens an image costs: the API scales an image down to about 1.15 megapixels and
 * charges (width × height) / 750 tokens. Its base64 bytes say nothing of that: a 1 MB photo counted
 * as text would be over 300,000 tokens, and pacing on that would let a vision batch through at a
 * few calls a minute.
 */
export const IMAGE_TOKENS_MAX = 1600;
/** A shorter body is counted whole: an image in it counts 4,096 tokens at most, near its bound. */
const SCAN_FROM_CHARS = 16_384;

/** The base64 data of an image block, when it is one. */
function imageData(block: unknown): string | undefined {
  const b = block as { type?: unknown; source?: { type?: unknown; data?: unknown } } | null;
  if (b?.type !== 'image' || b.source?.type !== 'base64') return undefined;
  return typeof b.source.data === 'string' ? b.source.data : undefined;
}

/**
 * Input tokens of a request whose JSON text is `text`: its characters ÷ 4, except base64 images
 * (in a message's content or a tool result's), each counted at {@link IMAGE_TOKENS_MAX}.
 */
export function estimateInputTokens(text: string, body: Record<string, unknown> | undefined): number {
  let chars = text.length;
  let images = 0;
  const messages = body?.messages;
  if (chars >= SCAN_FROM_CHARS && Array.isArray(messages)) {
    const take = (block: unknown) => {
      const data = imageData(block);
      if (data === undefined) return false;
      chars -= data.length;
      images++;
      return true;
    };
    for (const message of messages) {
      const content = (message as { content?: unknown } | null)?.content;
      if (!Array.isArray(content)) continue;
      for (const block of content) {
        if (take(block)) continue;
        const inner = (block as { type?: unknown; content?: unknown } | null)?.content;
        if ((block as { type?: unknown } | null)?.type === 'tool_result' && Array.isArray(inner))
          inner.forEach(take);
      }
    }
  }
  return Math.ceil(Math.max(0, chars) / CHARS_PER_TOKEN) + images * IMAGE_TOKENS_MAX;
}

/** The cost of an attempt to `path` of a request sent with `text` as its body (`body`, parsed). */
export function attemptCost(
  path: string,
  text: unknown,
  body: Record<string, unknown> | undefined,
): AttemptCost {
  return {
    requests: 1,
    inputTokens: typeof text === 'string' && !isTokenCounting(path) ? estimateInputTokens(text, body) : 0,
    // What the API reserves from the output-token bucket when it admits the call.
    outputTokens: typeof body?.max_tokens === 'number' && body.max_tokens > 0 ? body.max_tokens : 0,
  };
}
