/**
 * Every reach into `@anthropic-ai/sdk` beyond its documented surface, in one place, with the SDK
 * range it was read against: when an SDK release moves one of these, this module is what changes.
 * The documented parts the gateway also uses (the `middleware` client option, its `ctx.options` and
 * `ctx.parse`, `withOptions()`, `maxRetries`, `timeout`) are used where they are needed.
 *
 * Read against 0.58.0, 0.97.1, 0.122.0, 0.137.0 and 1.13–1.15 (all the "v5" layout: `client.js`,
 * `BaseAnthropic`, `request()`, `requestAPIList()`, `withOptions()`, `_options`, `fetch`), and
 * `@anthropic-ai/bedrock-sdk` / `vertex-sdk` 1.1.
 */
import type { Middleware, MiddlewareContext, MiddlewareNext } from '@anthropic-ai/sdk';
import type { Span } from '@opentelemetry/api';
import { createHash } from 'node:crypto';
import { GatewayRequestError } from '../errors.js';

/**
 * The SDK versions whose clients the gateway takes: 0.58 (the oldest a framework still pins,
 * `@llamaindex/anthropic`) to 1.x. Clients with the `middleware` option (0.101+) get the gateway as
 * their outermost middleware; older ones get it as their `fetch`.
 */
export const SUPPORTED_SDK_RANGE = '>=0.58.0 <2';

/**
 * An Anthropic client of any supported SDK version (`Anthropic`, `AnthropicBedrock`,
 * `AnthropicVertex`), typed by what the gateway needs of it rather than by one copy's
 * `BaseAnthropic`: a client built from another copy of the SDK (a framework's nested 0.x next to
 * the application's 1.x) is accepted as it is, without a cast.
 */
export interface AnthropicLikeClient {
  baseURL: string;
  maxRetries: number;
  timeout: number;
  // A method (not a property) so that each SDK version's own options type is accepted.
  withOptions(options: object): AnthropicLikeClient;
}

/** Whether `sdk` (a version string) is one the gateway takes; pre-releases of those count. */
export function isSupportedSdkVersion(sdk: string | undefined): boolean {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(sdk ?? '');
  if (!match) return false;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major === 1 || (major === 0 && minor >= 58);
}

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
export function clientMaxRetries(client: AnthropicLikeClient): number | undefined {
  return (client as unknown as { [CLIENT_MAX_RETRIES]?: number })[CLIENT_MAX_RETRIES];
}

function setClientMaxRetries(client: AnthropicLikeClient, maxRetries: number | undefined): void {
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

/** The request options `request()` and `requestAPIList()` take (`FinalRequestOptions`), as far as read here. */
interface RequestOptionsObject {
  maxRetries?: number | undefined;
  timeout?: number | undefined;
  fetchOptions?: object | undefined;
}

/**
 * Where a client without the `middleware` option (before 0.101) passes a call's per-attempt
 * timeout and `maxRetries` to the gateway's fetch: a key of the request's `fetchOptions`, which
 * every SDK version spreads into the `RequestInit` its `fetch` receives (0.58 `buildRequest` :440,
 * 0.97 :707); nothing of it goes on the wire.
 */
export const FETCH_CALL_OPTIONS = Symbol.for('claude-otel-gateway.callOptions');

/** What a call made through the gateway's fetch asks of it (see {@link FETCH_CALL_OPTIONS}). */
export interface FetchCallOptions {
  readonly attemptTimeoutMs?: number | undefined;
  readonly maxRetries?: number | undefined;
}

/** The options a call passed to the gateway's fetch in `init`, if any. */
export function fetchCallOptions(init: object | undefined): FetchCallOptions | undefined {
  const passed = (init as Record<symbol, unknown> | undefined)?.[FETCH_CALL_OPTIONS];
  return passed !== null && typeof passed === 'object' ? (passed as FetchCallOptions) : undefined;
}

/**
 * The SDK timeout a client without middleware is given for a call, in its request options: the
 * longest a timer may wait (2³¹−1 ms). In those versions (0.58 `fetchWithTimeout` :331, 0.97 :573)
 * the SDK's timer covers the whole custom `fetch`, so the call's wait in the gateway's queue, its
 * retries and backoffs would count against a per-attempt timeout; the gateway applies that timeout
 * to each attempt instead (passed by {@link queueFirst}), and its own whole-call deadline
 * (`timeoutMs`) to the call.
 */
export const UNBOUNDED_SDK_TIMEOUT_MS = 2_147_483_647;

/**
 * Moves a per-request `maxRetries` (else the client's own, `fallback`) to the gateway; the SDK's
 * stays 0 so nothing retries twice. An invalid value throws a typed error (the call rejects).
 */
function moveRetries(o: RequestOptionsObject, fallback: number | undefined): RequestOptionsObject {
  const maxRetries = o.maxRetries ?? fallback;
  if (maxRetries === undefined) return o;
  const invalid = invalidMaxRetries(maxRetries);
  if (invalid) throw invalid;
  const out: Record<string | symbol, unknown> = { ...o, maxRetries: 0 };
  out[REQUEST_MAX_RETRIES] = maxRetries;
  return out as RequestOptionsObject;
}

/**
 * For a client on the gateway's fetch: its per-attempt timeout and `maxRetries` go to the gateway
 * through `fetchOptions`, and the SDK's timeout becomes unbounded.
 */
function moveToFetch(o: RequestOptionsObject, clientTimeout: number): RequestOptionsObject {
  const call: FetchCallOptions = {
    attemptTimeoutMs: o.timeout ?? clientTimeout,
    maxRetries: (o as { [REQUEST_MAX_RETRIES]?: number })[REQUEST_MAX_RETRIES],
  };
  return {
    ...o,
    timeout: UNBOUNDED_SDK_TIMEOUT_MS,
    fetchOptions: { ...o.fetchOptions, [FETCH_CALL_OPTIONS]: call },
  };
}

/**
 * The request options of a call made by a client whose calls go through the gateway: its
 * `maxRetries` (or the client's own) moved to the gateway, and, for a client without the
 * `middleware` option (the gateway is its `fetch`), its per-attempt timeout too (see
 * {@link UNBOUNDED_SDK_TIMEOUT_MS}). Throws a typed error for an invalid `maxRetries`.
 */
function prepareOptions(client: AnthropicLikeClient, options: RequestOptions): RequestOptions {
  const fallback = clientMaxRetries(client);
  const o = options as RequestOptionsObject;
  const moved =
    middlewareOf(client) ? moveRetries(o, fallback) : moveToFetch(moveRetries(o, fallback), client.timeout);
  return moved as RequestOptions;
}

/**
 * Takes a client's own `maxRetries` for the gateway and turns the SDK's off, so nothing retries
 * twice. The value the caller gave is read from the options it constructed the client with (or the
 * copy made by `withOptions()`): the SDK's default (2) is no request of the caller's.
 */
export function takeClientRetries(
  client: AnthropicLikeClient,
  given: number | undefined = explicitMaxRetries(client),
): void {
  if (clientMaxRetries(client) === undefined && given !== undefined && !invalidMaxRetries(given)) {
    setClientMaxRetries(client, given);
  }
  client.maxRetries = 0;
}

/** The options the client was constructed with (`_options`: private in 0.58's types, protected in 0.97/0.122, runtime-only since 0.137). */
function constructorOptions(client: AnthropicLikeClient): Record<string, unknown> {
  return (client as unknown as { _options?: Record<string, unknown> })._options ?? {};
}

/** The `maxRetries` the client was constructed with, when the caller gave one (not 0: that is the gateway's own). */
export function explicitMaxRetries(client: AnthropicLikeClient): number | undefined {
  const given = constructorOptions(client).maxRetries;
  return typeof given === 'number' && given !== 0 ? given : undefined;
}

type WithOptions<C> = (this: C, options: object) => C;

/**
 * `withOptions()` for a client whose calls go through the gateway: a `maxRetries` among the options
 * goes to the gateway (the copy's SDK retries stay off), and the copy keeps the client's own.
 */
export function withGatewayOptions<C extends AnthropicLikeClient>(
  client: C,
  options: object | undefined,
  original: WithOptions<C>,
): C {
  const { maxRetries, ...rest } = (options ?? {}) as { maxRetries?: number };
  const copy = original.call(client, { ...rest, maxRetries: 0 });
  setClientMaxRetries(copy, maxRetries ?? clientMaxRetries(client));
  return copy;
}

/** The client's middleware list, or `undefined` for SDK versions without the option (before 0.101). */
export function middlewareOf(client: AnthropicLikeClient): Middleware[] | undefined {
  const middleware = (client as { middleware?: unknown }).middleware;
  // Typed as this package's SDK copy's; another copy's middleware has the same shape.
  return Array.isArray(middleware) ? (middleware as Middleware[]) : undefined;
}

/** Replaces the client's middleware list (a public field since 0.101). */
export function setClientMiddleware(client: AnthropicLikeClient, middleware: readonly unknown[]): void {
  (client as unknown as { middleware: unknown[] }).middleware = [...middleware];
}

/** A short SHA-256 of `parts`: an identity to key limiters by, from which no secret can be read back. */
function identityHash(parts: ReadonlyArray<string | null | undefined>): string {
  return createHash('sha256')
    .update(parts.map((p) => p ?? '').join('\u0000'))
    .digest('hex')
    .slice(0, 16);
}

/** Stable ids for credential objects that carry no readable identity (a custom provider function). */
const objectIds = new WeakMap<object, number>();
let lastObjectId = 0;
function objectId(value: object): string {
  let id = objectIds.get(value);
  if (id === undefined) objectIds.set(value, (id = ++lastObjectId));
  return `object#${id}`;
}

const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/** The fields of `AnthropicBedrock` (and `AnthropicBedrockMantle`) read here (bedrock-sdk 1.1 `client.js` :105-110). */
interface BedrockFields {
  awsRegion?: unknown;
  awsAccessKey?: unknown;
  awsProfile?: unknown;
  apiKey?: unknown;
  providerChainResolver?: unknown;
  skipAuth?: unknown;
}

/**
 * Who a Bedrock client signs as: the access key id it was given, else the Bedrock API key (hashed),
 * else the credential provider chain it will resolve: a custom resolver (by identity), a profile,
 * or what the default chain finds first (the `AWS_ACCESS_KEY_ID` or `AWS_PROFILE` in force).
 */
function bedrockSource(c: BedrockFields, env: NodeJS.ProcessEnv): string {
  const accessKey = str(c.awsAccessKey);
  if (accessKey) return `access-key:${accessKey}`;
  const apiKey = str(c.apiKey);
  if (apiKey) return `api-key:${identityHash([apiKey])}`;
  if (c.skipAuth === true) return 'no-auth';
  const resolver = c.providerChainResolver;
  if (resolver && (typeof resolver === 'object' || typeof resolver === 'function'))
    return `resolver:${objectId(resolver)}`;
  const profile = str(c.awsProfile);
  if (profile) return `profile:${profile}`;
  const envKey = str(env.AWS_ACCESS_KEY_ID);
  if (envKey) return `access-key:${envKey}`;
  return `profile:${str(env.AWS_PROFILE) ?? 'default'}`;
}

/** The fields of `AnthropicVertex` read here (vertex-sdk 1.1 `client.js` :118-131). */
interface VertexFields {
  region?: unknown;
  projectId?: unknown;
  _options?: { authClient?: unknown; googleAuth?: unknown };
}

/** Who a Vertex client authenticates as, when its auth client says (a service account's email, a key file). */
function vertexIdentity(c: VertexFields): string | undefined {
  const auth = (c._options?.authClient ?? c._options?.googleAuth) as
    | {
        email?: unknown;
        projectId?: unknown;
        keyFilename?: unknown;
        keyFile?: unknown;
        credentials?: { client_email?: unknown };
        jsonContent?: { client_email?: unknown };
      }
    | undefined;
  if (!auth || typeof auth !== 'object') return undefined;
  return (
    str(auth.email) ??
    str(auth.credentials?.client_email) ??
    str(auth.jsonContent?.client_email) ??
    str(auth.keyFilename) ??
    str(auth.keyFile) ??
    str(auth.projectId)
  );
}

/**
 * Who `client` calls as, when its requests do not say so before they are signed: a cloud client
 * (Bedrock, Vertex) signs each request after the gateway sees it (its `backendMiddleware` runs
 * innermost), so its account and region are read from the client. A short SHA-256 hash of the
 * endpoint, the region and the credential's identity (an access key id, a credential source, a
 * project), never a secret. `undefined` for a client whose auth header says (an Anthropic API key).
 */
export function clientCredential(
  client: AnthropicLikeClient,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const c = client as unknown as BedrockFields & VertexFields;
  if (typeof c.awsRegion === 'string') {
    return `bedrock:${identityHash(['bedrock', client.baseURL, c.awsRegion, bedrockSource(c, env)])}`;
  }
  if (typeof c.region === 'string' && 'projectId' in c) {
    const project = str(c.projectId) ?? vertexIdentity(c) ?? 'default-project';
    const identity = vertexIdentity(c);
    return `vertex:${identityHash(['vertex', client.baseURL, c.region, project, identity])}`;
  }
  return undefined;
}

/** The error classes of a client's own copy of the SDK that the gateway may raise for its calls. */
export interface SdkErrorClasses {
  readonly APIConnectionError: new (options: { message?: string; cause?: Error }) => Error;
  readonly APIConnectionTimeoutError: new (options?: { message?: string }) => Error;
  readonly APIUserAbortError: new (options?: { message?: string }) => Error;
}

/**
 * The error classes of `client`'s own SDK copy: statics of `BaseAnthropic` in every version
 * (0.58 `client.js` :516, 1.15 :1055), inherited by Bedrock's and Vertex's clients. An error the
 * gateway raises for a call of a framework's nested 0.x client, made from these rather than from
 * this package's copy, is one that client's caller can catch as its SDK documents.
 */
export function sdkErrorClasses(client: AnthropicLikeClient): SdkErrorClasses | undefined {
  const statics = client.constructor as unknown as Partial<SdkErrorClasses>;
  const { APIConnectionError, APIConnectionTimeoutError, APIUserAbortError } = statics;
  return APIConnectionError && APIConnectionTimeoutError && APIUserAbortError ?
      { APIConnectionError, APIConnectionTimeoutError, APIUserAbortError }
    : undefined;
}

/** The client's `fetch` (private in the SDK's types; an option of every SDK version). */
export function clientFetch(client: AnthropicLikeClient): typeof fetch | undefined {
  return (client as unknown as { fetch?: typeof fetch }).fetch;
}

/** Replaces the client's `fetch`: SDK versions without middleware call it once per attempt. */
export function setClientFetch(client: AnthropicLikeClient, fetch: typeof globalThis.fetch): void {
  (client as unknown as { fetch: typeof globalThis.fetch }).fetch = fetch;
}

/** The `timeout` the user gave the client, if any (the resolved `client.timeout` always has one). */
export function userTimeout(client: AnthropicLikeClient): number | undefined {
  const timeout = constructorOptions(client).timeout;
  return typeof timeout === 'number' ? timeout : undefined;
}

/**
 * The secret `client` authenticates with, as its requests will carry it (`x-api-key`, or an
 * `Authorization: Bearer` token): read before the request is built, to find the call's key+model
 * while it waits. `undefined` when the client has no fixed one (an `apiKey` function).
 */
export function clientSecret(client: AnthropicLikeClient): string | undefined {
  const { apiKey, authToken } = client as unknown as { apiKey?: unknown; authToken?: unknown };
  return str(apiKey) ?? str(authToken);
}

/** The secret a built request carries: its `x-api-key`, else its bearer token. */
export function requestSecret(headers: Headers): string | null {
  const authorization = headers.get('authorization');
  return (
    headers.get('x-api-key') ??
    (authorization?.startsWith('Bearer ') ? authorization.slice(7) : authorization)
  );
}

/**
 * Where a gateway's middleware (or its fetch) keeps the queue its client's calls wait in before the
 * SDK builds them, and where the options of a call that waited carry its place to the gateway: a
 * key of the request options (the middleware's `ctx.options`) and of their `fetchOptions` (which
 * every SDK version spreads into the `RequestInit` its `fetch` receives).
 */
export const CALL_QUEUE = Symbol.for('claude-otel-gateway.callQueue');
export const QUEUED = Symbol.for('claude-otel-gateway.queued');

/** The SDK's request loop for one call, to run once the call's turn comes. */
export interface RequestLoop {
  /** Runs the SDK's `makeRequest` with `options`: it builds the request and sends it. */
  run(options: RequestOptions): unknown;
}

/** A queue calls join before the SDK builds them (see {@link queueFirst}). */
export interface CallQueue {
  /**
   * Waits for the turn of a call `client` makes with `options`, then runs `send` (the SDK's
   * request loop) with the options to build its request from; settles as its result does.
   * `undefined` when the call does not wait here.
   */
  enter(
    client: AnthropicLikeClient,
    options: RequestOptions,
    send: RequestLoop,
  ): Promise<unknown> | undefined;
}

/** The SDK's `makeRequest` for a call, its arguments kept as fields (a closure would cost more). */
class SdkRequestLoop implements RequestLoop {
  constructor(
    private readonly original: Method,
    private readonly client: AnthropicLikeClient,
    private readonly retryOfRequestLogID: unknown,
    private readonly span: unknown,
  ) {}

  run(options: RequestOptions): unknown {
    return this.original.call(this.client, options, null, this.retryOfRequestLogID, this.span);
  }
}

/** `options` marked with `queued`, for the middleware (`ctx.options`) and a gateway fetch (`init`). */
export function markQueued(options: RequestOptions, queued: unknown): RequestOptions {
  const fetchOptions = (options as RequestOptionsObject).fetchOptions;
  return {
    ...options,
    [QUEUED]: queued,
    ...(fetchOptions ? { fetchOptions: { ...fetchOptions, [QUEUED]: queued } } : {}),
  } as RequestOptions;
}

/** The place a call waited in, from its request options or the `RequestInit` its fetch received. */
export function queuedIn(options: object | undefined): unknown {
  return (options as Record<symbol, unknown> | undefined)?.[QUEUED];
}

function callQueueOf(client: AnthropicLikeClient): CallQueue | undefined {
  const holders: unknown[] = [...(middlewareOf(client) ?? []), clientFetch(client)];
  for (const holder of holders) {
    const queue = (holder as Record<symbol, CallQueue | undefined> | undefined)?.[CALL_QUEUE];
    if (queue) return queue;
  }
  return undefined;
}

/**
 * `makeRequest` for a client whose calls go through the gateway: it moves the call's `maxRetries`
 * (and, without middleware, its timeout) to the gateway, then waits for the call's turn before the
 * SDK builds its request: a queued call holds its options and a place, not a built request,
 * headers, abort signals and spans. The SDK's
 * `makeRequest(options, retriesRemaining, retryOfRequestLogID, span?)` (0.58 `client.js` :212, 1.15
 * :615) is where every call, list endpoints included, starts its request loop; `retriesRemaining`
 * is `null` only there (the SDK's own retries, off under the gateway, pass a count). Private in the
 * SDK's types, present in every supported version; `request()` keeps its public signature, and the
 * SDK still builds the request, signs it and raises its own typed errors.
 */
export function queueFirst(original: Method): Method {
  // Its parameters spelled out (no rest array): a queued call keeps what its closures hold.
  return function makeRequest(
    this: AnthropicLikeClient,
    optionsInput: unknown,
    retriesRemaining: unknown,
    retryOfRequestLogID: unknown,
    span: unknown,
  ) {
    const queue = retriesRemaining == null ? callQueueOf(this) : undefined;
    if (!queue) return original.call(this, optionsInput, retriesRemaining, retryOfRequestLogID, span);
    // Then-chains, not an async function: a suspended async frame costs a queued call more.
    return Promise.resolve(optionsInput).then((given) => {
      const options = prepareOptions(this, given as RequestOptions);
      const send = new SdkRequestLoop(original, this, retryOfRequestLogID, span);
      return queue.enter(this, options, send) ?? send.run(options);
    });
  };
}

const wrappedClasses = new WeakMap<object, object>();

/**
 * Gives `client` a subclass of its own class whose `makeRequest()` (where every call, list
 * endpoints included, starts) moves a per-request (or the client's own) `maxRetries` to the
 * gateway and queues the call before its request is built ({@link queueFirst}), and whose
 * `withOptions()` keeps the SDK's retries off. As a class, it survives `withOptions()` copies; the
 * name stays the SDK's.
 */
export function useGatewayClass(client: AnthropicLikeClient): void {
  const Base = client.constructor as new (...args: never[]) => object;
  let Wrapped = wrappedClasses.get(Base);
  if (!Wrapped) {
    const base = Base.prototype as unknown as Record<'withOptions' | 'makeRequest', Method>;
    const Sub = class extends Base {};
    Object.defineProperties(Sub.prototype, {
      makeRequest: method(queueFirst(base.makeRequest)),
      withOptions: method(function withOptions(this: AnthropicLikeClient, options: unknown) {
        return withGatewayOptions(
          this,
          options as object,
          base.withOptions as WithOptions<AnthropicLikeClient>,
        );
      }),
    });
    Object.defineProperty(Sub, 'name', { value: (Base as { name: string }).name });
    wrappedClasses.set(Base, Sub);
    Wrapped = Sub;
  }
  Object.setPrototypeOf(client, (Wrapped as { prototype: object }).prototype);
}

export type Method = (this: AnthropicLikeClient, ...args: unknown[]) => unknown;

function method(fn: Method): PropertyDescriptor {
  return { value: fn, writable: true, configurable: true };
}
