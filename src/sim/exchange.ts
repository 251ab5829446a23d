/**
 * One HTTP request and its response: the headers every response carries, JSON and error
 * responses, SSE streams with their faults, resets, hangs, and the one timer an exchange may have
 * pending (cleared when the connection closes).
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PREFIX_FRAMES, sseFrame, type StreamPlan } from './content.js';
import { errorBody, streamErrorData, TOO_LARGE_HTML } from './errors.js';
import type { Pool } from './limits.js';
import type { SimState } from './state.js';
import type { ApiErrorType, Endpoint } from './types.js';

/** What to say about retrying in an error response. */
export interface RetryAdvice {
  /**
   * Precise wait (simulated ms) behind a limit's 429: sent, in real time, as `retry-after` in whole
   * seconds (ceil, min 1) and, when the `retryAfterMs` option is on, as `retry-after-ms` (ceil,
   * min 1). The hold for violations is what the headers said: `retry-after-ms` when sent, else
   * `retry-after`.
   */
  waitMs?: number;
  /** Scripted `retry-after` seconds. */
  retryAfterSec?: number;
  /** Scripted `retry-after-ms`. */
  retryAfterMs?: number;
  /** Scripted `x-should-retry`. */
  shouldRetry?: boolean;
}

/** How a stream ends early. */
export interface StreamFault {
  kind: 'error' | 'cut';
  /** Content deltas sent first (0: none, not even `message_start`). */
  afterDeltas: number;
  errorType: ApiErrorType;
}

const JSON_TYPE = 'application/json';
const SSE_TYPE = 'text/event-stream; charset=utf-8';

export class Exchange {
  readonly state: SimState;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly requestId: string;
  readonly attempt: number;
  readonly path: string;
  readonly endpoint: Endpoint;
  readonly retryCount: number;
  readonly apiKey: string | undefined;
  /** The caller's organization (the `anthropic-organization-id` header). */
  readonly organizationId: string;
  /** The pool whose state the rate-limit headers show (none without an API key). */
  pool: Pool | undefined;
  /** Output tokens produced so far (sent in full for a JSON message; streamed so far for a stream). */
  produced = 0;
  /** An attempt admitted with a token need: its pool and reservation, until it ends. */
  #admission: { pool: Pool; reserved: number; generation: number } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #done = false;

  constructor(state: SimState, req: IncomingMessage, res: ServerResponse, path: string, endpoint: Endpoint) {
    this.state = state;
    this.req = req;
    this.res = res;
    this.path = path;
    this.endpoint = endpoint;
    this.attempt = state.nextAttempt++;
    this.requestId = state.rng.requestId();
    this.retryCount = parseRetryCount(req.headers['x-stainless-retry-count']);
    this.apiKey = apiKeyOf(req);
    this.organizationId = state.limits.organizationOf(this.apiKey);
  }

  /** Runs `fn` after `ms` simulated ms (at once when `ms ≤ 0`); the timer dies with the connection. */
  after(ms: number, fn: () => void): void {
    if (ms <= 0) return fn();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.#done) fn();
    }, this.state.toReal(ms));
  }

  /** The connection is done with: stop every pending timer, end the admission. Idempotent. */
  dispose(): boolean {
    if (this.#done) return false;
    this.#done = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#settle();
    return true;
  }

  /** The attempt was admitted by `pool`'s limits with `reserved` output tokens: in flight until it ends. */
  admitted(pool: Pool, reserved: number): void {
    this.#admission = { pool, reserved, generation: this.state.generation };
  }

  /** The response ended (or the connection closed): reconcile the output reservation, free the slot. */
  #settle(): void {
    const a = this.#admission;
    if (!a) return;
    this.#admission = undefined;
    const refund = this.state.limits.finish(a.pool, this.state.now(), a.reserved, this.produced);
    if (a.generation === this.state.generation) this.state.stats.refunded += refund;
  }

  get done(): boolean {
    return this.#done;
  }

  /** The rate-limit headers as of admission, taken by {@link snapshotLimits}. */
  #limits: string[] | undefined;

  /** Records the rate-limit headers now, at admission, for the response to carry. */
  snapshotLimits(): void {
    if (!this.pool) return;
    this.#limits = [];
    this.state.limits.headers(this.pool, this.state.now(), Date.now(), this.#limits);
  }

  /** Headers of every response: request id, organization id and, with an API key, the rate-limit headers. */
  #headers(contentType: string): string[] {
    const h = [
      'request-id',
      this.requestId,
      'anthropic-organization-id',
      this.organizationId,
      'content-type',
      contentType,
    ];
    if (this.#limits) h.push(...this.#limits);
    else if (this.pool) this.state.limits.headers(this.pool, this.state.now(), Date.now(), h);
    return h;
  }

  #end(status: number, headers: string[], body: string): void {
    if (this.#done || this.res.headersSent) return;
    this.state.stats.status(status);
    headers.push('content-length', String(Buffer.byteLength(body)));
    this.res.writeHead(status, headers);
    this.res.end(body);
    this.#settle();
  }

  /** 200 (or `status`) with a JSON body. */
  sendJson(body: string, status = 200): void {
    this.#end(status, this.#headers(JSON_TYPE), body);
  }

  /** An API error: `{"type":"error","error":{…},"request_id":…}` plus retry headers. */
  sendError(
    status: number,
    type: ApiErrorType,
    message: string,
    errorCode?: string,
    retry?: RetryAdvice,
  ): void {
    const h = this.#headers(JSON_TYPE);
    // `holdMs` in real ms: what the headers ask for.
    let holdMs: number | undefined;
    if (retry?.waitMs !== undefined) {
      const realWait = this.state.toReal(retry.waitMs);
      const seconds = Math.max(1, Math.ceil(realWait / 1000));
      h.push('retry-after', String(seconds));
      holdMs = seconds * 1000;
      if (this.state.config.retryAfterMs) {
        holdMs = Math.max(1, Math.ceil(realWait));
        h.push('retry-after-ms', String(holdMs));
      }
    }
    if (retry?.retryAfterSec !== undefined) {
      holdMs = retry.retryAfterSec * 1000;
      h.push('retry-after', String(retry.retryAfterSec));
    }
    if (retry?.retryAfterMs !== undefined) {
      holdMs = retry.retryAfterMs;
      h.push('retry-after-ms', String(retry.retryAfterMs));
    }
    if (retry?.shouldRetry !== undefined) h.push('x-should-retry', String(retry.shouldRetry));
    if (holdMs !== undefined && this.pool) {
      this.pool.holdUntil = Math.max(this.pool.holdUntil, this.state.now() + holdMs * this.state.timeScale);
    }
    this.state.stats.error(type, errorCode);
    this.#end(status, h, errorBody(type, message, this.requestId, errorCode));
  }

  /** 413 as the edge sends it: a small HTML page. */
  sendTooLarge(): void {
    this.state.stats.error('request_too_large', undefined);
    this.#end(413, this.#headers('text/html'), TOO_LARGE_HTML);
  }

  /** Resets the connection (TCP RST), no response. */
  reset(): void {
    this.state.stats.resets++;
    const socket = this.req.socket;
    if (!socket.destroyed) socket.resetAndDestroy();
    this.#settle();
  }

  /** Never answers. */
  hang(): void {
    this.state.stats.hangs++;
  }

  /**
   * Streams `plan`'s frames at their due times (simulated ms). A fault stops it after `afterDeltas`
   * deltas: `error` sends `event: error` and ends the response; `cut` ends the connection mid-body.
   * {@link produced} follows the deltas written.
   */
  stream(plan: StreamPlan, fault?: StreamFault): void {
    if (this.#done) return;
    const { frames, due } = plan;
    const stop =
      !fault ? frames.length
      : fault.afterDeltas === 0 ? 0
      : PREFIX_FRAMES + Math.min(fault.afterDeltas, plan.deltas);
    const faultDue = stop > 0 ? (due[stop - 1] ?? 0) : 0;
    this.state.stats.status(200);
    const headers = this.#headers(SSE_TYPE);
    headers.push('cache-control', 'no-cache');
    this.res.writeHead(200, headers);
    const started = performance.now();
    const scale = this.state.timeScale;
    const lastDelta = PREFIX_FRAMES + plan.deltas;
    let next = 0;
    const pump = (): void => {
      const elapsed = (performance.now() - started) * scale;
      this.res.cork();
      while (next < stop && (due[next] ?? 0) <= elapsed) this.res.write(frames[next++]);
      this.res.uncork();
      const deltasSent = Math.max(0, Math.min(next, lastDelta) - PREFIX_FRAMES);
      this.produced = plan.deltas === 0 ? 0 : Math.floor((deltasSent * plan.tokens) / plan.deltas);
      if (next < stop) return this.after((due[next] ?? 0) - elapsed, pump);
      if (fault && faultDue > elapsed) return this.after(faultDue - elapsed, pump);
      this.#finishStream(fault);
    };
    pump();
  }

  #finishStream(fault: StreamFault | undefined): void {
    if (!fault) {
      this.res.end();
      this.#settle();
    } else if (fault.kind === 'error') {
      this.state.stats.streamErrors++;
      this.state.stats.error(fault.errorType, undefined);
      this.res.end(sseFrame('error', streamErrorData(fault.errorType)));
      this.#settle();
    } else {
      this.state.stats.streamCuts++;
      // End the connection without the chunked body's terminator: the client sees a premature close.
      this.req.socket.end();
      this.#settle();
    }
  }
}

/** The API key from `x-api-key` or `Authorization: Bearer …` (the SDK sends the latter). */
function apiKeyOf(req: IncomingMessage): string | undefined {
  const key = req.headers['x-api-key'];
  if (typeof key === 'string' && key.length > 0) return key;
  const auth = req.headers.authorization;
  if (auth && auth.length > 7 && auth.slice(0, 7).toLowerCase() === 'bearer ')
    return auth.slice(7).trim() || undefined;
  return undefined;
}

/** `x-stainless-retry-count` as an integer in [0, 1000]; 0 when absent or invalid. */
function parseRetryCount(value: string | string[] | undefined): number {
  if (typeof value !== 'string') return 0;
  const n = Number(value);
  return Number.isInteger(n) && n >= 0 ? Math.min(n, 1000) : 0;
}
