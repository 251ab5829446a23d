/**
 * Every reach into `@anthropic-ai/sdk` beyond its documented surface, in one place, with the SDK
 * range it was read against: when an SDK release moves one of these, this module is what changes.
 * The documented parts the gateway also uses (the `middleware` client option, its `ctx.options` and
 * `ctx.parse`, `withOptions()`, `maxRetries`, `timeout`) are used where they are needed.
 */
import type { BaseAnthropic, MiddlewareContext, MiddlewareNext } from '@anthropic-ai/sdk';
import type { Span } from '@opentelemetry/api';
import { GatewayRequestError } from '../errors.js';

/** The SDK versions whose internals below were read (1.13 and 1.14). */
export const SUPPORTED_SDK_RANGE = '>=1.0.0 <2';

/** The request an SDK middleware receives. */
export type APIRequest = Parameters<MiddlewareNext>[0];
/** The request options an SDK middleware receives (`ctx.options`). */
export type RequestOptions = NonNullable<MiddlewareContext['options']>;

/** The SDK's own call span and route, passed in the request options when the SDK traces a call. */
export function sdkCallSpan(options: RequestOptions): { span: Span; route?: string } | undefined {
  return (options as { __span?: { span: Span; route?: string } }).__span;
}

/** Where the wrapped client passes a per-request `maxRetries` to the gateway, in the request options. */
const REQUEST_MAX_RETRIES = Symbol.for('claude-otel-gateway.maxRetries');
/** Where a client keeps the `maxRetries` it was given, which the gateway applies to its calls. */
const CLIENT_MAX_RETRIES = Symbol.for('claude-otel-gateway.clientMaxRetries');

/** The per-request `maxRetries` the caller asked for, moved there by {@link moveRequestRetries}. */
export function requestedMaxRetries(options: RequestOptions): number | undefined {
  return (options as { [REQUEST_MAX_RETRIES]?: number })[REQUEST_MAX_RETRIES];
}

/** The `maxRetries` the caller gave this client (constructor or `withOptions()`), if any. */
export function clientMaxRetries(client: BaseAnthropic): number | undefined {
  return (client as unknown as { [CLIENT_MAX_RETRIES]?: number })[CLIENT_MAX_RETRIES];
}

function setClientMaxRetries(client: BaseAnthropic, maxRetries: number | undefined): void {
  if (maxRetries === undefined) return;
  Object.defineProperty(client, CLIENT_MAX_RETRIES, {
    value: maxRetries,
    configurable: true,
    writable: true,
  });
}

/** The most retries a call may ask for: the range of the `maxRetries` setting. */
const MAX_RETRIES_LIMIT = 100;

function invalidMaxRetries(value: unknown): GatewayRequestError | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_RETRIES_LIMIT)
    return undefined;
  return new GatewayRequestError(
    `Invalid request option \`maxRetries\`: got ${typeof value === 'number' ? String(value) : JSON.stringify(value)}; ` +
      `expected an integer from 0 to ${MAX_RETRIES_LIMIT}. Nothing was sent.`,
  );
}

type RequestOptionsArg = Parameters<BaseAnthropic['request']>[0];

/**
 * Moves a per-request `maxRetries` (else the client's own, `fallback`) to the gateway; the SDK's
 * stays 0 so nothing retries twice. An invalid value rejects the call with a typed error.
 */
export function moveRequestRetries(options: RequestOptionsArg, fallback?: number): RequestOptionsArg {
  const move = (o: Awaited<RequestOptionsArg>): Awaited<RequestOptionsArg> => {
    const maxRetries = o.maxRetries ?? fallback;
    if (maxRetries === undefined) return o;
    const invalid = invalidMaxRetries(maxRetries);
    if (invalid) throw invalid;
    const out: Record<string | symbol, unknown> = { ...o, maxRetries: 0 };
    out[REQUEST_MAX_RETRIES] = maxRetries;
    return out as unknown as Awaited<RequestOptionsArg>;
  };
  if (typeof (options as PromiseLike<unknown>).then === 'function')
    return Promise.resolve(options).then(move);
  try {
    return move(options as Awaited<RequestOptionsArg>);
  } catch (error) {
    // As the SDK does for its own validation: the call's promise rejects, nothing throws.
    return Promise.reject(error);
  }
}

/**
 * Takes a client's own `maxRetries` for the gateway and turns the SDK's off, so nothing retries
 * twice. The value the caller gave is read from the options it constructed the client with (or the
 * copy made by `withOptions()`): the SDK's default (2) is no request of the caller's.
 */
export function takeClientRetries(
  client: BaseAnthropic,
  given: number | undefined = explicitMaxRetries(client),
): void {
  if (clientMaxRetries(client) === undefined && given !== undefined && !invalidMaxRetries(given)) {
    setClientMaxRetries(client, given);
  }
  client.maxRetries = 0;
}

/** The `maxRetries` the client was constructed with, when the caller gave one (not 0: that is the gateway's own). */
export function explicitMaxRetries(client: BaseAnthropic): number | undefined {
  const given = (client as unknown as { _options: { maxRetries?: unknown } })._options.maxRetries;
  return typeof given === 'number' && given !== 0 ? given : undefined;
}

/**
 * `withOptions()` for a client whose calls go through the gateway: a `maxRetries` among the options
 * goes to the gateway (the copy's SDK retries stay off), and the copy keeps the client's own.
 */
export function withGatewayOptions<C extends BaseAnthropic>(
  client: C,
  options: Parameters<BaseAnthropic['withOptions']>[0],
  original: (this: C, options: Parameters<BaseAnthropic['withOptions']>[0]) => C,
): C {
  const { maxRetries, ...rest } = options ?? {};
  const copy = original.call(client, { ...rest, maxRetries: 0 });
  setClientMaxRetries(copy, maxRetries ?? clientMaxRetries(client));
  return copy;
}

/** The client's middleware list, or `undefined` for SDK versions without the option (before 0.101). */
export function middlewareOf(client: BaseAnthropic): BaseAnthropic['middleware'] | undefined {
  const middleware = (client as { middleware?: unknown }).middleware;
  return Array.isArray(middleware) ? (middleware as BaseAnthropic['middleware']) : undefined;
}

/**
 * Who `client` calls as, when its requests do not say so before they are signed: a cloud client
 * (Bedrock, Vertex) signs each request after the gateway sees it, so its account and region are
 * read from the client. A hash, never a secret. `undefined` for a client whose auth header says.
 */
export function clientCredential(_client: BaseAnthropic): string | undefined {
  return undefined;
}

/** The client's `fetch` (private in the SDK's types; an option of every SDK version). */
export function clientFetch(client: BaseAnthropic): typeof fetch | undefined {
  return (client as unknown as { fetch?: typeof fetch }).fetch;
}

/** Replaces the client's `fetch`: SDK versions without middleware call it once per attempt. */
export function setClientFetch(client: BaseAnthropic, fetch: typeof globalThis.fetch): void {
  (client as unknown as { fetch: typeof globalThis.fetch }).fetch = fetch;
}

/** The `timeout` the user gave the client, if any (the resolved `client.timeout` always has one). */
export function userTimeout(client: BaseAnthropic): number | undefined {
  return (client as unknown as { _options: { timeout?: number } })._options.timeout;
}

const wrappedClasses = new WeakMap<object, object>();

/**
 * Gives `client` a subclass of its own class whose `request()` and `requestAPIList()` move a
 * per-request (or the client's own) `maxRetries` to the gateway, and whose `withOptions()` keeps
 * the SDK's retries off. As a class, it survives `withOptions()` copies; the name stays the SDK's.
 */
export function useGatewayClass(client: BaseAnthropic): void {
  const Base = client.constructor as typeof BaseAnthropic;
  let Wrapped = wrappedClasses.get(Base);
  if (!Wrapped) {
    const base = Base.prototype as unknown as Record<'request' | 'requestAPIList' | 'withOptions', Method>;
    const Sub = class extends Base {};
    Object.defineProperties(Sub.prototype, {
      request: method(function request(this: BaseAnthropic, options: unknown, remaining: unknown) {
        return base.request.call(
          this,
          moveRequestRetries(options as RequestOptionsArg, clientMaxRetries(this)),
          remaining,
        );
      }),
      requestAPIList: method(function requestAPIList(this: BaseAnthropic, Page: unknown, options: unknown) {
        return base.requestAPIList.call(
          this,
          Page,
          moveRequestRetries(options as RequestOptionsArg, clientMaxRetries(this)),
        );
      }),
      withOptions: method(function withOptions(this: BaseAnthropic, options: unknown) {
        return withGatewayOptions(this, options as never, base.withOptions as never);
      }),
    });
    Object.defineProperty(Sub, 'name', { value: Base.name });
    wrappedClasses.set(Base, Sub);
    Wrapped = Sub;
  }
  Object.setPrototypeOf(client, (Wrapped as { prototype: object }).prototype);
}

type Method = (this: BaseAnthropic, ...args: unknown[]) => unknown;

function method(fn: Method): PropertyDescriptor {
  return { value: fn, writable: true, configurable: true };
}
