/**
 * Every reach into `@anthropic-ai/sdk` beyond its documented surface, in one place, with the SDK
 * range it was read against: when an SDK release moves one of these, this module is what changes.
 * The documented parts the gateway also uses (the `middleware` client option, its `ctx.options` and
 * `ctx.parse`, `withOptions()`, `maxRetries`, `timeout`) are used where they are needed.
 */
import type { BaseAnthropic, MiddlewareContext, MiddlewareNext } from '@anthropic-ai/sdk';
import type { Span } from '@opentelemetry/api';

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

/** The per-request `maxRetries` the caller asked for, moved there by {@link moveRequestRetries}. */
export function requestedMaxRetries(options: RequestOptions): number | undefined {
  return (options as { [REQUEST_MAX_RETRIES]?: number })[REQUEST_MAX_RETRIES];
}

type RequestOptionsArg = Parameters<BaseAnthropic['request']>[0];

/** Moves a per-request `maxRetries` to the gateway; the SDK's stays 0 so nothing retries twice. */
export function moveRequestRetries(options: RequestOptionsArg): RequestOptionsArg {
  const move = (o: Awaited<RequestOptionsArg>) =>
    o.maxRetries === undefined ? o : { ...o, maxRetries: 0, [REQUEST_MAX_RETRIES]: o.maxRetries };
  return typeof (options as PromiseLike<unknown>).then === 'function' ?
      Promise.resolve(options).then(move)
    : move(options as Awaited<RequestOptionsArg>);
}

/** The `timeout` the user gave the client, if any (the resolved `client.timeout` always has one). */
export function userTimeout(client: BaseAnthropic): number | undefined {
  return (client as unknown as { _options: { timeout?: number } })._options.timeout;
}

const wrappedClasses = new WeakMap<object, object>();

/**
 * Gives `client` a subclass of its own class whose `request()` moves a per-request `maxRetries` to
 * the gateway. As a class, it survives `withOptions()` copies; the name stays the SDK's.
 */
export function useGatewayClass(client: BaseAnthropic): void {
  const Base = client.constructor as typeof BaseAnthropic;
  let Wrapped = wrappedClasses.get(Base);
  if (!Wrapped) {
    Wrapped = class extends Base {
      override request<Rsp>(...[options, remaining]: Parameters<BaseAnthropic['request']>) {
        return super.request<Rsp>(moveRequestRetries(options), remaining);
      }
    };
    Object.defineProperty(Wrapped, 'name', { value: Base.name });
    wrappedClasses.set(Base, Wrapped);
  }
  Object.setPrototypeOf(client, (Wrapped as { prototype: object }).prototype);
}

/** The methods of `BaseAnthropic.prototype` through which every call starts: `request()`, and list
 * endpoints, which go straight to the request loop. The instrumentation patches these. */
export const CALL_ENTRY_METHODS = ['request', 'requestAPIList'] as const;
