/**
 * The gateway as an SDK middleware: once per call (the SDK's own retries are off), it runs the call
 * through the gateway's retry loop, admission and telemetry. The SDK still builds the request,
 * signs it, parses the response and raises its typed errors. A call of a client the gateway joined
 * has already waited for its first slot, before the SDK built it (`call-queue.ts`).
 */
import type { Middleware } from '@anthropic-ai/sdk';
import { checkBodySize } from '../classify/routes.js';
import { GatewayClosedError } from '../errors.js';
import { CALL_QUEUE, queuedIn, requestedMaxRetries, sdkCallSpan } from '../gateway/sdk-seams.js';
import { bodyObject, Call, type GatewayCore } from './call.js';
import { callQueue } from './call-queue.js';
import type { QueuedCall } from './queued-call.js';
import { runCall } from './run-call.js';

/** Marks a gateway middleware, so a client is never wrapped twice. */
export const GATEWAY_MIDDLEWARE = Symbol.for('claude-otel-gateway.middleware');

/** Whether `middleware` is a gateway's. */
export function isGatewayMiddleware(middleware: unknown): boolean {
  return (middleware as Record<symbol, unknown> | null)?.[GATEWAY_MIDDLEWARE] === true;
}

/**
 * Creates the gateway middleware. `clientTimeoutMs` is the client's per-attempt timeout;
 * `credential`, who the client calls as when its auth header does not say (a cloud client).
 */
export function createMiddleware(
  core: GatewayCore,
  clientTimeoutMs: number,
  credential?: string,
): Middleware {
  const middleware: Middleware = (request, next, ctx) => {
    const options = ctx.options;
    if (!options) return next(request); // credential exchanges: not an API call
    if (core.closed) return Promise.reject(new GatewayClosedError());
    checkBodySize(options.path, request.body);
    const sdkCall = sdkCallSpan(options);
    const call = new Call(core, {
      request,
      path: options.path,
      route: sdkCall?.route ?? options.path,
      body: bodyObject(options.body),
      signal: options.signal ?? undefined,
      attemptTimeoutMs: options.timeout ?? clientTimeoutMs,
      maxRetries: requestedMaxRetries(options),
      sdkSpan: sdkCall?.span,
      credential,
      queued: queuedIn(options) as QueuedCall | undefined,
      parse: (response) => ctx.parse(response),
    });
    return runCall(call, next);
  };
  Object.defineProperty(middleware, GATEWAY_MIDDLEWARE, { value: true });
  // The queue the client's calls wait in before the SDK builds them (sdk-seams `queueFirst`).
  Object.defineProperty(middleware, CALL_QUEUE, { value: callQueue(core, credential) });
  return middleware;
}
