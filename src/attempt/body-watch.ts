/**
 * Watches a response body while it is read: it calls `onEnd` once when the read ends (completed,
 * failed or cancelled), and cuts a read that gets no data for `idleMs` while the consumer waits on
 * it. One timer per body, refreshed rather than re-created, and unreferenced: the socket keeps the
 * process alive while data is due.
 */
import { AnthropicError, APIConnectionError, APIConnectionTimeoutError } from '@anthropic-ai/sdk';
import type { StreamEnd } from './stream.js';

/**
 * The error a consumer gets when a body's read fails: the SDK's own errors and aborts as they are, a
 * timeout as an `APIConnectionTimeoutError`, anything else (undici's `TypeError: terminated` for a
 * body cut short) as an `APIConnectionError`.
 */
export function bodyReadError(error: unknown): unknown {
  const name = (error as { name?: unknown } | null)?.name;
  if (error instanceof AnthropicError || name === 'AbortError') return error;
  if (name === 'TimeoutError') {
    return new APIConnectionTimeoutError({ message: 'Request timed out while the response body was read.' });
  }
  return new APIConnectionError({
    message: 'Connection ended while the response body was read.',
    cause: error instanceof Error ? error : undefined,
  });
}

export class IdleWatch {
  private readonly timer: ReturnType<typeof setTimeout> | undefined;
  private waiting = false;

  constructor(idleMs: number, onIdle: () => void) {
    if (!(idleMs > 0)) return;
    this.timer = setTimeout(() => {
      if (this.waiting) onIdle();
      else this.timer?.refresh(); // the consumer is not reading: nothing is late
    }, idleMs);
    this.timer.unref?.();
  }

  /** A read is pending from now on. */
  reading(): void {
    this.waiting = true;
    this.timer?.refresh();
  }

  /** The read returned. */
  got(): void {
    this.waiting = false;
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

/** The bytes of `chunks`, in one array (the one chunk itself when there is one). */
export function concat(chunks: Uint8Array[]): Uint8Array<ArrayBuffer> {
  if (chunks.length === 1 && chunks[0]!.buffer instanceof ArrayBuffer)
    return chunks[0] as Uint8Array<ArrayBuffer>;
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * Reads all of `body`, `watch` told about each read: a plain reader loop, no stream in between.
 * Rejects with what the read failed with (see {@link bodyReadError} for what a consumer gets).
 */
export async function readWhole(
  body: ReadableStream<Uint8Array>,
  watch: IdleWatch,
): Promise<Uint8Array<ArrayBuffer>> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  try {
    for (;;) {
      watch.reading();
      const { done, value } = await reader.read();
      watch.got();
      if (done) return concat(chunks);
      chunks.push(value);
    }
  } finally {
    watch.stop();
    reader.releaseLock();
  }
}

/** One decoder for every tail: decoding keeps no state between calls without `stream`. */
const decoder = new TextDecoder();

/** The text of the last {@link TAIL_BYTES} of `bytes` (where a message's usage is). */
export function tailOf(bytes: Uint8Array): string {
  return decoder.decode(
    bytes.byteLength > TAIL_BYTES ? bytes.subarray(bytes.byteLength - TAIL_BYTES) : bytes,
  );
}

/** How much of a body's end is kept, as bytes: a message's usage is in its last few hundred. */
const TAIL_BYTES = 2048;

/**
 * `body`, read through: `onEnd` once when the read ends, with the text of its last bytes (where a
 * message's usage is), and `watch` told about each read.
 */
export function watchedBody(
  body: ReadableStream<Uint8Array>,
  watch: IdleWatch,
  onEnd: (how: StreamEnd, error: unknown, tail: string) => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let ended = false;
  let last: Uint8Array | undefined;
  let before: Uint8Array | undefined;
  const end = (how: StreamEnd, error?: unknown) => {
    if (ended) return;
    ended = true;
    watch.stop();
    onEnd(how, error, how === 'completed' ? tailText(before, last) : '');
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      watch.reading();
      try {
        const { done, value } = await reader.read();
        watch.got();
        if (done) {
          end('completed');
          controller.close();
        } else {
          // Keep only the last chunks (no copy): the tail is decoded once, at the end.
          if (value.byteLength >= TAIL_BYTES) before = undefined;
          else before = last;
          last = value;
          controller.enqueue(value);
        }
      } catch (error) {
        end('failed', error);
        controller.error(bodyReadError(error));
      }
    },
    async cancel(reason) {
      end('canceled');
      await reader.cancel(reason).catch(() => {});
    },
  });
}

/** The text of the last {@link TAIL_BYTES} of a body from its last two chunks. */
function tailText(before: Uint8Array | undefined, last: Uint8Array | undefined): string {
  if (!last) return '';
  const joined = new TextDecoder(); // `stream`: a character split between the two chunks decodes whole
  const end = last.byteLength >= TAIL_BYTES ? last.subarray(last.byteLength - TAIL_BYTES) : last;
  const head =
    before && last.byteLength < TAIL_BYTES ?
      before.subarray(Math.max(0, before.byteLength - (TAIL_BYTES - last.byteLength)))
    : undefined;
  return (head ? joined.decode(head, { stream: true }) : '') + joined.decode(end);
}
