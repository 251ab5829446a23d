/**
 * The gateway as a `fetch`: the second way in, for clients that take a `fetch` but have no SDK
 * middleware (SDK versions before `middleware`, the Vercel AI SDK's `createAnthropic({ fetch })`,
 * any fetch-injectable client). Each call to it is one API call, run through the same loop,
 * table, waits, limits and spans as the middleware's. The final answer of a call that failed
 * carries `x-should-retry: false`, so a client that retries on its own (the Anthropic SDKs obey
 * the header) does not retry on top.
 */
import { onWireFetch } from '../attempt/on-wire.js';
import { checkBodySize } from '../classify/routes.js';
import { GatewayClosedError } from '../errors.js';
import { credentialId } from '../admit/limiter-key.js';
import {
  CALL_QUEUE,
  FETCH_CALL_OPTIONS,
  fetchCallOptions,
  QUEUED,
  queuedIn,
  requestSecret,
  type APIRequest,
} from '../gateway/sdk-seams.js';
import { bodyObject, Call, type GatewayCore } from './call.js';
import { callQueue } from './call-queue.js';
import { QueuedCall } from './queued-call.js';
import { runCall } from './run-call.js';

/** Marks a gateway fetch, so a client is never given one twice. */
export const GATEWAY_FETCH = Symbol.for('claude-otel-gateway.fetch');
/** The per-attempt timeout when the client gives none: the SDK's default. */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 600_000;

/** Whether `fetch` is a gateway's. */
export function isGatewayFetch(fetch: unknown): boolean {
  return (fetch as Record<symbol, unknown> | null)?.[GATEWAY_FETCH] === true;
}

function parseJson(body: unknown): Record<string, unknown> | undefined {
  if (typeof body !== 'string' || body.charCodeAt(0) !== 123 /* { */) return bodyObject(body);
  try {
    return bodyObject(JSON.parse(body));
  } catch {
    return undefined;
  }
}

/** The answer a client gets for a call the gateway gave up on: marked so it does not retry it. */
function final(response: Response): Response {
  if (response.ok || response.headers.get('x-should-retry') === 'false') return response;
  const headers = new Headers(response.headers);
  headers.set('x-should-retry', 'false');
  try {
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  } catch {
    // A status the constructor refuses (over 599) is no answer a client retries anyway.
    return response;
  }
}

/** A request's parts as the gateway's loop wants them; a `Request`'s body is read once, to resend. */
async function toAPIRequest(
  input: string | URL | Request,
  init: RequestInit | undefined,
): Promise<APIRequest> {
  if (!(input instanceof Request)) {
    const url = typeof input === 'string' ? input : input.href;
    const {
      [FETCH_CALL_OPTIONS]: _passed,
      [QUEUED]: _queued,
      ...rest
    } = (init ?? {}) as RequestInit & { [FETCH_CALL_OPTIONS]?: unknown; [QUEUED]?: unknown };
    return { ...rest, url, method: init?.method ?? 'GET', headers: new Headers(init?.headers) };
  }
  const body = init?.body ?? (input.body ? await input.arrayBuffer() : undefined);
  return {
    url: input.url,
    method: init?.method ?? input.method,
    headers: new Headers(init?.headers ?? input.headers),
    body,
    signal: init?.signal ?? input.signal,
  };
}

/**
 * A `fetch` that sends each API call through the gateway `core`, with `underlying` (the global
 * `fetch` by default) sending each attempt. `attemptTimeoutMs` is the per-attempt timeout, unless
 * the request brings its own (an SDK client's per-request `timeout`);
 * `credential`, who the client calls as when its auth header does not say (a cloud client).
 */
export function gatewayFetch(
  core: GatewayCore,
  underlying: typeof fetch = globalThis.fetch,
  attemptTimeoutMs: number = DEFAULT_ATTEMPT_TIMEOUT_MS,
  credential?: string,
): typeof fetch {
  const onWire = onWireFetch(underlying);
  const send = (request: APIRequest) => onWire(request.url, request);
  const adapter = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    if (core.closed) throw new GatewayClosedError();
    const request = await toAPIRequest(input, init);
    // An SDK client without middleware passes its call's options (sdk-seams `queueFirst`);
    // its timeout header then states the per-attempt timeout, not the unbounded one the SDK was given.
    const passed = fetchCallOptions(init);
    const timeoutMs = passed?.attemptTimeoutMs ?? attemptTimeoutMs;
    if (passed && request.headers.has('x-stainless-timeout'))
      request.headers.set('x-stainless-timeout', String(Math.trunc(timeoutMs / 1000)));
    const path = new URL(request.url).pathname;
    checkBodySize(path, request.body);
    const body = parseJson(request.body);
    const call = new Call(core, {
      request,
      path,
      route: path,
      body,
      signal: request.signal ?? undefined,
      attemptTimeoutMs: timeoutMs,
      maxRetries: passed?.maxRetries,
      sdkSpan: undefined,
      credential,
      // An SDK client's call waited before the SDK built it; any other waits here, before the call's
      // spans, retry loop and signals are made.
      queued: (queuedIn(init) as QueuedCall | undefined) ?? (await queue(request, body)),
      parse: (response) => response.clone().json(),
    });
    return final(await runCall(call, send));
  };
  /** Waits for the call's first slot. */
  const queue = (request: APIRequest, body: Record<string, unknown> | undefined) => {
    const who = credential ?? credentialId(requestSecret(request.headers));
    const model = typeof body?.model === 'string' ? body.model : '*';
    const signal = request.signal ?? undefined;
    return new QueuedCall(core.admissionFor(who, model), who, core.config.timeoutMs, signal).turn;
  };
  Object.defineProperty(adapter, GATEWAY_FETCH, { value: true });
  Object.defineProperty(adapter, CALL_QUEUE, { value: callQueue(core, credential) });
  return adapter as typeof fetch;
}
