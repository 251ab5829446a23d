/**
 * A gateway: settings, the limiters (one per API key and model, shared by every client it wraps)
 * and the retry budget; and the wrapping of an SDK client so its calls go through the middleware.
 */
import type { BaseAnthropic } from '@anthropic-ai/sdk';
import { createHash } from 'node:crypto';
import { RetryBudget } from './budget.js';
import { loadConfig, type GatewayConfig, type GatewayOptions } from './config.js';
import { ModelLimiter, type LimiterSnapshot } from './limiter.js';
import { addSnapshotSource } from './metrics.js';
import { createMiddleware, GATEWAY_MIDDLEWARE, REQUEST_MAX_RETRIES, type GatewayCore } from './middleware.js';
import { ENV_CAPTURE_CONTENT } from './semconv.js';

export interface Gateway {
  /** The settings in force, validated. */
  readonly config: GatewayConfig;
  /**
   * Returns a client of the same type whose calls go through this gateway: retried, ramped and
   * traced. The SDK's own retries are turned off on it so nothing retries twice. A client already
   * wrapped (by any gateway) is returned as it is.
   */
  wrap<C extends BaseAnthropic>(client: C): C;
  /**
   * Sends `client`'s own calls through this gateway from now on, changing it in place (its
   * middleware and `maxRetries`). For instrumentation, where the application holds the client.
   */
  adopt(client: BaseAnthropic): void;
  /** The state of each limiter: model, concurrency limit, in flight, queued, hold, remaining budget. */
  limiters(): LimiterSnapshot[];
}

type RequestOptionsArg = Parameters<BaseAnthropic['request']>[0];

/** Moves a per-request `maxRetries` to the gateway; the SDK's stays 0 so nothing retries twice. */
export function moveRequestRetries(options: RequestOptionsArg): RequestOptionsArg {
  const move = (o: Awaited<RequestOptionsArg>) =>
    o.maxRetries === undefined ? o : { ...o, maxRetries: 0, [REQUEST_MAX_RETRIES]: o.maxRetries };
  return typeof (options as PromiseLike<unknown>).then === 'function'
    ? Promise.resolve(options).then(move)
    : move(options as Awaited<RequestOptionsArg>);
}

/** Recent auth headers and their hashes: a process uses a handful of keys; hashing per call is waste. */
const keyIds = new Map<string, string>();
const KEY_CACHE_SIZE = 64;

/** Hashes an auth header, so no key is kept as a limiter key, logged or exported. */
function keyId(authHeader: string | null): string {
  if (!authHeader) return 'anonymous';
  let id = keyIds.get(authHeader);
  if (id === undefined) {
    id = createHash('sha256').update(authHeader).digest('hex').slice(0, 16);
    if (keyIds.size >= KEY_CACHE_SIZE) keyIds.delete(keyIds.keys().next().value!);
    keyIds.set(authHeader, id);
  }
  return id;
}

const wrappedClasses = new WeakMap<object, object>();

/**
 * A subclass of the client's own class whose `request()` moves a per-request `maxRetries` to the
 * gateway (the SDK's stays 0). As a class, it survives `withOptions()` copies.
 */
function gatewayClass(Base: new (...args: never[]) => BaseAnthropic): object {
  const known = wrappedClasses.get(Base);
  if (known) return known;
  const Wrapped = class extends (Base as unknown as typeof BaseAnthropic) {
    override request<Rsp>(...[options, remaining]: Parameters<BaseAnthropic['request']>) {
      return super.request<Rsp>(moveRequestRetries(options), remaining);
    }
  };
  Object.defineProperty(Wrapped, 'name', { value: Base.name });
  wrappedClasses.set(Base, Wrapped);
  return Wrapped;
}

/** Whether `client` already sends its calls through a gateway. */
export function isWrapped(client: BaseAnthropic): boolean {
  return client.middleware.some((m) => (m as unknown as Record<symbol, unknown>)[GATEWAY_MIDDLEWARE] === true);
}

/**
 * Creates a gateway with its own limiters. Use one gateway for every client of an application so
 * they share limiters per API key and model; {@link withGateway} does that for you.
 *
 * @throws {GatewayConfigError} when an option or `CLAUDE_GATEWAY_*` variable is invalid.
 */
export function createGateway(options: GatewayOptions = {}, env: Record<string, string | undefined> = process.env): Gateway {
  const config = loadConfig(options, env);
  const limiters = new Map<string, ModelLimiter>();
  let last: { auth: string | null; model: string; limiter: ModelLimiter } | undefined;
  const core: GatewayCore = {
    config,
    budget: new RetryBudget(config.retryBudgetRatio),
    captureContent: env[ENV_CAPTURE_CONTENT]?.toLowerCase() === 'true',
    limiterFor(authHeader, model) {
      // Most processes call one key and model: skip the hash and the map for a repeat.
      if (last && last.auth === authHeader && last.model === model) return last.limiter;
      const id = `${keyId(authHeader)}\u0000${model}`;
      let limiter = limiters.get(id);
      if (!limiter) {
        limiter = new ModelLimiter(model, config);
        limiters.set(id, limiter);
      }
      last = { auth: authHeader, model, limiter };
      return limiter;
    },
  };
  const snapshots = () => [...limiters.values()].map((l) => l.snapshot());
  addSnapshotSource(snapshots);
  return {
    config,
    limiters: snapshots,
    adopt(client: BaseAnthropic): void {
      if (config.disabled || isWrapped(client)) return;
      client.middleware = [createMiddleware(core, client.timeout), ...client.middleware];
      client.maxRetries = 0;
    },
    wrap<C extends BaseAnthropic>(client: C): C {
      if (config.disabled || isWrapped(client)) return client;
      const wrapped = client.withOptions({
        maxRetries: 0,
        // withOptions() would pin the resolved timeout, which turns off the SDK's check that a
        // non-streaming call long enough to pass 10 minutes must stream: keep what the user gave.
        timeout: (client as unknown as { _options: { timeout?: number } })._options.timeout,
        // Outermost, so the application's own middleware still runs once per HTTP attempt.
        middleware: [createMiddleware(core, client.timeout), ...client.middleware],
      });
      Object.setPrototypeOf(wrapped, (gatewayClass(wrapped.constructor as never) as { prototype: object }).prototype);
      return wrapped;
    },
  };
}

const shared = new Map<string, Gateway>();

/**
 * Wraps `client` so each call is retried by the gateway's table, ramped per API key and model, and
 * traced. Clients wrapped with the same settings share one gateway, and so one limiter per key and
 * model.
 *
 * @example
 * ```ts
 * const client = withGateway(new Anthropic());
 * const msg = await client.messages.create({ model, max_tokens, messages });
 * ```
 * @throws {GatewayConfigError} when an option or `CLAUDE_GATEWAY_*` variable is invalid.
 */
export function withGateway<C extends BaseAnthropic>(client: C, options: GatewayOptions = {}): C {
  return sharedGateway(options).wrap(client);
}

/** The gateway shared by every caller with the same settings. */
export function sharedGateway(options: GatewayOptions = {}): Gateway {
  const id = JSON.stringify(loadConfig(options));
  let gateway = shared.get(id);
  if (!gateway) {
    gateway = createGateway(options);
    shared.set(id, gateway);
  }
  return gateway;
}
