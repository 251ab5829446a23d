/**
 * Streamed (SSE) responses: peek up to the first content so an `event: error` that arrives before
 * any content can be retried without the consumer seeing it, then hand the SDK a body that replays
 * what was peeked and reports when the read ends (completed, cut, failed or cancelled), so the
 * concurrency slot and the spans are held exactly as long as the stream.
 */
import { APIConnectionError } from '@anthropic-ai/sdk';
import { bodyReadError, type IdleWatch } from './body-watch.js';

/** How the consumer's read of a stream ended. */
export type StreamEnd = 'completed' | 'cut' | 'failed' | 'canceled';

export interface Peeked {
  /** Bytes read so far, replayed to the consumer. */
  readonly chunks: Uint8Array[];
  /** The `error.type` of an `event: error` seen before any content; undefined otherwise. */
  readonly errorBeforeContent: string | undefined;
  /** Whether the first content event was seen (time to first chunk). */
  readonly sawContent: boolean;
  /** The body ended during the peek. */
  readonly ended: boolean;
  /** `message_stop` was seen: the body is a whole message. */
  readonly complete: boolean;
}

const STOP_EVENT = 'event: message_stop';
/** Stop peeking after this much without content: no retry of an error past it. */
const PEEK_LIMIT_BYTES = 64 * 1024;
// The first delta is the first content the consumer would see (and time to first chunk).
const CONTENT_EVENT = /(^|\n)event: *content_block_delta/;
const ERROR_EVENT = /(^|\n)event: *error\r?\ndata: *(\{[^\n]*\})/;

/** The `error.type` of an `event: error`'s data, `overloaded_error` when unreadable (the API's
 * documented mid-stream error). */
function errorTypeOf(data: string): string {
  try {
    const parsed = JSON.parse(data) as { error?: { type?: unknown } };
    if (typeof parsed.error?.type === 'string') return parsed.error.type;
  } catch {}
  return 'overloaded_error';
}

/** Reads `reader` until the first content event, an error event, the end, or the peek limit. */
export async function peekStream(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<Peeked> {
  const decoder = new TextDecoder();
  const chunks: Uint8Array[] = [];
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done)
      return {
        chunks,
        errorBeforeContent: undefined,
        sawContent: false,
        ended: true,
        complete: text.includes(STOP_EVENT),
      };
    chunks.push(value);
    text += decoder.decode(value, { stream: true });
    const error = ERROR_EVENT.exec(text);
    const content = CONTENT_EVENT.exec(text);
    if (error && (!content || error.index < content.index)) {
      return {
        chunks,
        errorBeforeContent: errorTypeOf(error[2]!),
        sawContent: false,
        ended: false,
        complete: false,
      };
    }
    if (content)
      return { chunks, errorBeforeContent: undefined, sawContent: true, ended: false, complete: false };
    if (text.length > PEEK_LIMIT_BYTES)
      return { chunks, errorBeforeContent: undefined, sawContent: false, ended: false, complete: false };
  }
}

/**
 * A body that first replays `peeked`, then the rest of `reader`; calls `onEnd` once when the read
 * ends. A body that ends before `message_stop` (a cut stream) errors, so the consumer is told
 * instead of receiving a silently truncated message.
 */
export function trackedBody(
  peeked: Peeked,
  reader: ReadableStreamDefaultReader<Uint8Array>,
  watch: IdleWatch,
  onEnd: (how: StreamEnd, error?: unknown, outputTokens?: number, inputCounted?: number) => void,
  onFirstContent: () => void,
): ReadableStream<Uint8Array> {
  const decoder = new TextDecoder();
  let tail = '';
  let sawStop = false;
  let sawContent = peeked.sawContent;
  let ended = false;
  /** An `event: error` that passed through: the SDK raises it, then cancels the body. */
  let streamError: { type: string } | undefined;
  const end = (how: StreamEnd, error?: unknown) => {
    if (ended) return;
    ended = true;
    watch.stop();
    // message_delta's usage is cumulative: the last one seen is what the call produced.
    const used = outputTokensIn(tail);
    const counted = countedInputIn(tail);
    if (streamError && how === 'canceled') onEnd('failed', streamError, used, counted);
    else onEnd(how, error, used, counted);
  };
  // Only the last few bytes are kept to find `message_stop` across chunk boundaries.
  const scan = (chunk: Uint8Array) => {
    tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4096);
    if (!sawContent && CONTENT_EVENT.test(tail)) {
      sawContent = true;
      onFirstContent();
    }
    if (!sawStop && tail.includes(STOP_EVENT)) sawStop = true;
    if (!streamError) {
      const error = ERROR_EVENT.exec(tail);
      if (error) streamError = { type: errorTypeOf(error[2]!) };
    }
  };
  for (const c of peeked.chunks) scan(c);
  const queue = [...peeked.chunks];
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = queue.shift();
      if (next) return controller.enqueue(next);
      try {
        watch.reading();
        const { done, value } =
          peeked.ended ? { done: true as const, value: undefined } : await reader.read();
        watch.got();
        if (done || !value) {
          if (sawStop) {
            end('completed');
            controller.close();
          } else {
            const error = new APIConnectionError({
              message: 'Stream ended before message_stop (connection cut mid-stream).',
            });
            end('cut', error);
            controller.error(error);
          }
          return;
        }
        scan(value);
        controller.enqueue(value);
      } catch (error) {
        // An abort of the request (the consumer broke out of the stream) is a cancellation.
        end((error as { name?: string } | null)?.name === 'AbortError' ? 'canceled' : 'failed', error);
        controller.error(bodyReadError(error));
      }
    },
    async cancel(reason) {
      end('canceled');
      await reader.cancel(reason).catch(() => {});
    },
  });
}

/**
 * The last count of `key` (a property name in quotes) in `text`, if any. A scan from the end, not a
 * regular expression: it runs on every success.
 */
function lastCountIn(text: string, key: string): number | undefined {
  let at = text.lastIndexOf(key);
  while (at >= 0) {
    let i = at + key.length;
    while (text.charCodeAt(i) === 32) i++; // spaces
    if (text.charCodeAt(i) === 58 /* : */) {
      i++;
      while (text.charCodeAt(i) === 32) i++;
      const start = i;
      while (text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
      if (i > start) return Number(text.slice(start, i));
    }
    at = at === 0 ? -1 : text.lastIndexOf(key, at - 1);
  }
  return undefined;
}

/**
 * The last `output_tokens` count in `text` (the end of a message's JSON, or of a stream, whose
 * `message_delta` usage is cumulative), if any.
 */
export function outputTokensIn(text: string): number | undefined {
  return lastCountIn(text, '"output_tokens"');
}

/**
 * The input tokens the API counted against its limit, from the last usage in `text`: `input_tokens`
 * plus `cache_creation_input_tokens` (cache reads do not count), if it says.
 */
export function countedInputIn(text: string): number | undefined {
  return countedInput({
    input_tokens: lastCountIn(text, '"input_tokens"'),
    cache_creation_input_tokens: lastCountIn(text, '"cache_creation_input_tokens"'),
  });
}

/** The same count from a parsed message's `usage`. */
export function countedInput(
  usage: { input_tokens?: unknown; cache_creation_input_tokens?: unknown } | undefined,
): number | undefined {
  const input = usage?.input_tokens;
  if (typeof input !== 'number') return undefined;
  const created = usage!.cache_creation_input_tokens;
  return input + (typeof created === 'number' ? created : 0);
}
