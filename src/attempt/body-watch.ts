/**
 * Watches a response body while it is read: it calls `onEnd` once when the read ends (completed,
 * failed or cancelled), and cuts a read that gets no data for `idleMs` while the consumer waits on
 * it. One timer per body, refreshed rather than re-created, and unreferenced: the socket keeps the
 * process alive while data is due.
 */
import { AnthropicError, APIConnectionError } from '@anthropic-ai/sdk';
import type { StreamEnd } from './stream.js';

/**
 * The error a consumer gets when a body's read fails: the SDK's own errors and aborts as they are,
 * anything else (undici's `TypeError: terminated` for a body cut short) as an `APIConnectionError`.
 */
export function bodyReadError(error: unknown): unknown {
  if (error instanceof AnthropicError || (error as { name?: unknown } | null)?.name === 'AbortError')
    return error;
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

/** `body`, read through: `onEnd` once when the read ends, and `watch` told about each read. */
export function watchedBody(
  body: ReadableStream<Uint8Array>,
  watch: IdleWatch,
  onEnd: (how: StreamEnd, error?: unknown) => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let ended = false;
  const end = (how: StreamEnd, error?: unknown) => {
    if (ended) return;
    ended = true;
    watch.stop();
    onEnd(how, error);
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
        } else controller.enqueue(value);
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
