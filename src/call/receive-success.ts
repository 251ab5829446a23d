/**
 * A non-streaming success: the slot is freed and the attempt ended at once; the call ends when its
 * body has been read (the deadline and the idle limit cover that read), with the usage when wanted.
 * A JSON body (every message) is read here in one plain loop and handed to the SDK as bytes, or as
 * the value when the gateway parsed it (json-body.ts): no stream wrapped around a stream, no clone to
 * find the usage in, and one parse at most.
 */
import { APIConnectionTimeoutError } from '@anthropic-ai/sdk';
import { bodyReadError, IdleWatch, readWhole, tailOf, watchedBody } from '../attempt/body-watch.js';
import { readJsonBody, type JsonBody } from '../attempt/json-body.js';
import { withBody } from '../attempt/rebuild.js';
import { countedInput, countedInputIn, outputTokensIn, type StreamEnd } from '../attempt/stream.js';
import { IdleTimeoutError } from '../errors.js';
import type { UsageLike } from '../trace/call-trace.js';
import type { Call, CallEnd } from './call.js';
import type { InFlight } from './run-attempt.js';

/** The largest JSON body read whole before the SDK sees it; a larger one is passed through as a stream. */
const WHOLE_BODY_MAX_BYTES = 32 * 1024 * 1024;

export function receiveSuccess(
  call: Call,
  attempt: InFlight,
  response: Response,
): Response | Promise<Response> {
  attempt.ticket.release();
  call.admission.onSuccess(attempt.ticket);
  attempt.span.end();
  call.summarize('success');
  if (!response.body) {
    call.finish({ outcome: 'success', status: response.status, summarized: true });
    return response;
  }
  return readsWhole(response) ?
      receiveWhole(call, attempt, response)
    : receiveWatched(call, attempt, response);
}

/** A JSON body of a bounded (or unstated) length: a message, a count, a list page. */
function readsWhole(response: Response): boolean {
  if (!response.headers.get('content-type')?.includes('json')) return false;
  const length = Number(response.headers.get('content-length') ?? 0);
  return !(length > WHOLE_BODY_MAX_BYTES);
}

function idleWatch(call: Call, attempt: InFlight): IdleWatch {
  const idleMs = call.core.config.idleTimeoutMs;
  return new IdleWatch(idleMs, () => attempt.controller.abort(new IdleTimeoutError(idleMs)));
}

/**
 * The API generated the whole message before answering: what it did not use comes back, and the
 * input tokens it counted, when its usage says, teach pacing what the estimates are worth.
 */
function settle(call: Call, attempt: InFlight, used: number | undefined, inputCounted?: number): void {
  attempt.ticket.settle(used ?? call.cost.outputTokens, inputCounted);
}

async function receiveWhole(call: Call, attempt: InFlight, response: Response): Promise<Response> {
  const status = response.status;
  let bytes: Uint8Array<ArrayBuffer>;
  let body: JsonBody | undefined;
  try {
    bytes = await readWhole(response.body!, idleWatch(call, attempt));
    // Parsed here when the gateway needs what it says (usage, for the logical span it owns or for
    // metrics) or when `fetch` could not check its framing (see json-body.ts); the SDK's `json()`
    // then gets the value, so it is parsed once either way. A body whose length was stated and
    // kept is whole, whatever it says: its parse failure is the SDK's to raise, as without us.
    const unframed = !response.headers.has('content-length');
    if (unframed || call.trace.ownsRecordingSpan || call.metricsOn) {
      body = readJsonBody(decoder.decode(bytes));
      if (body.kind === 'cut' && unframed) throw new Error('the JSON body stopped before its value ended');
    }
  } catch (error) {
    settle(call, attempt, undefined);
    call.finish(bodyEndOf(call, 'failed', error, status));
    throw bodyReadError(error);
  }
  const data = body?.kind === 'value' ? messageOf(body.value) : undefined;
  let used: unknown;
  let counted: number | undefined;
  if (data) {
    used = data.usage?.output_tokens;
    counted = countedInput(data.usage);
  } else {
    const tail = tailOf(bytes);
    used = outputTokensIn(tail);
    counted = countedInputIn(tail);
  }
  settle(call, attempt, typeof used === 'number' ? used : undefined, counted);
  call.finish({ outcome: 'success', status, summarized: true, usage: data });
  return withBody(response, bytes, body?.kind === 'value' ? body : undefined);
}

const decoder = new TextDecoder();

function messageOf(value: unknown): UsageLike | undefined {
  return typeof value === 'object' && value ? (value as UsageLike) : undefined;
}

/** Any other body (a file's bytes, a body too large to hold) reaches the SDK as it is read. */
function receiveWatched(call: Call, attempt: InFlight, response: Response): Response {
  const status = response.status;
  let usage: UsageLike | undefined;
  let bodyEnd: CallEnd | undefined;
  let pending = 1;
  const ended = () => {
    if (--pending === 0)
      call.finish({ ...bodyEnd!, usage: bodyEnd!.outcome === 'success' ? usage : undefined });
  };
  const watched = withBody(
    response,
    watchedBody(response.body!, idleWatch(call, attempt), (how, error, tail) => {
      const done = how === 'completed';
      settle(call, attempt, done ? outputTokensIn(tail) : undefined, done ? countedInputIn(tail) : undefined);
      bodyEnd = bodyEndOf(call, how, error, status);
      ended();
    }),
  );
  if (call.trace.ownsRecordingSpan || call.metricsOn) {
    pending++;
    void call
      .parse(watched)
      .then((data) => (usage = messageOf(data)))
      .catch(() => undefined)
      .finally(ended);
  }
  return watched;
}

/** How a call ends when its body's read ended `how`. */
function bodyEndOf(call: Call, how: StreamEnd, error: unknown, status: number): CallEnd {
  if (how !== 'failed')
    return { outcome: how === 'canceled' ? 'canceled' : 'success', status, summarized: how !== 'canceled' };
  if (call.signal.userAborted) return { outcome: 'aborted', status };
  const timedOut = error instanceof APIConnectionTimeoutError;
  return {
    outcome: timedOut ? 'timeout' : 'error',
    errorType: timedOut ? 'client_timeout_error' : 'connection_error',
    status,
  };
}
