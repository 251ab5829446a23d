/**
 * A gateway: settings, the admission state per API key and model (shared by every client it
 * wraps), the retry budget and the telemetry; and the two ways a client joins it, `wrap()` (a
 * copy) and `adopt()` (in place).
 */
import type { LimiterSnapshot } from '../admit/admission.js';
import { Limiters } from '../admit/limiters.js';
import { MEMORY_STORE } from '../admit/store/memory.js';
import { isRedisClient, redisStoreFromClient, redisStoreFromUrl } from '../admit/store/redis.js';
import { isLimiterStore, type LimiterStore } from '../admit/store/types.js';
import { onWireFetch } from '../attempt/on-wire.js';
import { GatewayClosedError, GatewayConfigError } from '../errors.js';
import type { GatewayCore } from '../call/call.js';
import { gatewayFetch, isGatewayFetch } from '../call/fetch-adapter.js';
import { createMiddleware, isGatewayMiddleware } from '../call/middleware.js';
import {
  captureContent,
  loadConfig,
  redisUrlOf,
  type GatewayConfig,
  type GatewayOptions,
} from '../config.js';
import { RetryBudget } from '../delay/budget.js';
import { GatewayMetrics } from '../trace/metrics.js';
import { GLOBAL_TELEMETRY, type TelemetrySource } from '../trace/providers.js';
import {
  clientCredential,
  clientFetch,
  explicitMaxRetries,
  middlewareOf,
  setClientFetch,
  setClientMiddleware,
  takeClientRetries,
  userTimeout,
  useGatewayClass,
  type AnthropicLikeClient,
} from './sdk-seams.js';

export interface Gateway {
  /** The settings in force, validated. */
  readonly config: GatewayConfig;
  /**
   * Returns a client of the same type whose calls go through this gateway: retried, ramped and
   * traced. The SDK's own retries are turned off on it so nothing retries twice. A client already
   * wrapped (by any gateway) is returned as it is.
   */
  wrap<C extends AnthropicLikeClient>(client: C): C;
  /**
   * Sends `client`'s own calls through this gateway from now on, changing it in place (its
   * middleware and `maxRetries`). For instrumentation, where the application holds the client.
   * @param telemetry - @internal the tracer and meter to report to (an instrumentation's own).
   */
  adopt(client: AnthropicLikeClient, telemetry?: TelemetrySource): void;
  /** The state of each limiter: model, concurrency limit, in flight, queued, hold, remaining budget. */
  limiters(): LimiterSnapshot[];
  /**
   * A `fetch` whose calls go through this gateway, for clients without the SDK's `middleware`
   * option: `@ai-sdk/anthropic`'s `createAnthropic({ fetch })`, SDK versions before 0.101, any
   * client that takes a `fetch`. `underlying` sends each attempt (the global `fetch` by default).
   */
  fetch(underlying?: typeof fetch): typeof fetch;
  /**
   * Stops the gateway: its gauges stop reporting and its limiter state is dropped. Calls already
   * running finish; later calls through its clients reject at once with {@link GatewayClosedError},
   * sending nothing.
   */
  close(): Promise<void>;
}

/** Whether `client` already sends its calls through a gateway (its middleware or its fetch). */
export function isWrapped(client: AnthropicLikeClient): boolean {
  const middleware = middlewareOf(client);
  return (middleware?.some(isGatewayMiddleware) ?? false) || isGatewayFetch(clientFetch(client));
}

/**
 * Creates a gateway with its own limiters. Use one gateway for every client of an application so
 * they share limiters per API key and model; {@link withGateway} does that for you.
 *
 * @throws {GatewayConfigError} when an option or `CLAUDE_GATEWAY_*` variable is invalid.
 */
export function createGateway(
  options: GatewayOptions = {},
  env: Record<string, string | undefined> = process.env,
  telemetry: TelemetrySource = GLOBAL_TELEMETRY,
  /** @internal Key state and metrics shared with other gateways (the ones `withGateway` makes). */
  shared?: SharedParts,
): Gateway {
  const config = loadConfig(options, env);
  const made = shared ? undefined : storeOf(options, env, config);
  const limiters = shared?.limiters ?? new Limiters(undefined, made?.store);
  const snapshots = () => limiters.snapshots();
  let closed = false;
  const core: GatewayCore = {
    config,
    budget: new RetryBudget(config.retryBudgetRatio),
    captureContent: captureContent(env),
    telemetry,
    metrics: shared?.metrics ?? new GatewayMetrics(telemetry, snapshots),
    get closed() {
      return closed;
    },
    admissionFor: (credential, model) => limiters.admissionFor(credential, model, config),
    learnOrganization: (credential, organization) => limiters.learnOrganization(credential, organization),
  };
  const views = new CoreViews(core, snapshots);
  return {
    config,
    limiters: snapshots,
    adopt(client: AnthropicLikeClient, source?: TelemetrySource): void {
      if (!config.disabled && !closed) adoptClient(client, views.of(source));
    },
    wrap<C extends AnthropicLikeClient>(client: C): C {
      if (config.disabled || isWrapped(client)) return client;
      if (closed) throw new GatewayClosedError();
      return wrapClient(client, core);
    },
    fetch(underlying?: typeof fetch): typeof fetch {
      return gatewayFetch(core, underlying);
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      views.close();
      if (shared) return; // the state and the gauges serve the other shared gateways
      core.metrics.close();
      limiters.registry.clear();
      if (made?.owned) await made.store.close();
    },
  };
}

/** The core as seen through other telemetry sources (an instrumentation's), one view per source. */
class CoreViews {
  private readonly views = new Map<TelemetrySource, GatewayCore>();

  constructor(
    private readonly core: GatewayCore,
    private readonly snapshots: () => LimiterSnapshot[],
  ) {}

  of(source: TelemetrySource | undefined): GatewayCore {
    if (!source || source === this.core.telemetry) return this.core;
    let view = this.views.get(source);
    if (!view) {
      view = Object.create(this.core, {
        telemetry: { value: source },
        metrics: { value: new GatewayMetrics(source, this.snapshots) },
      }) as GatewayCore;
      this.views.set(source, view);
    }
    return view;
  }

  close(): void {
    for (const view of this.views.values()) view.metrics.close();
  }
}

/** Sends `client`'s own calls through `core` from now on: its middleware, or else its fetch. */
function adoptClient(client: AnthropicLikeClient, core: GatewayCore): void {
  // A copy made with withOptions({ maxRetries }) keeps the gateway's middleware: move its retries.
  if (isWrapped(client)) {
    if (client.maxRetries !== 0) takeClientRetries(client, client.maxRetries);
    return;
  }
  const hooks = gatewayHooks(client, core);
  if (hooks.middleware) setClientMiddleware(client, hooks.middleware);
  if (hooks.fetch) setClientFetch(client, hooks.fetch);
  takeClientRetries(client);
}

/**
 * What sends `client`'s calls through `core`: the gateway's middleware, outermost, so the
 * application's own still runs once per HTTP attempt, and the client's own fetch (innermost, after
 * a cloud client signs) wrapped to tell when an attempt leaves; a client without the `middleware`
 * option gets the gateway as its fetch.
 */
function gatewayHooks(
  client: AnthropicLikeClient,
  core: GatewayCore,
): { middleware?: unknown[]; fetch?: typeof fetch } {
  const middleware = middlewareOf(client);
  const credential = clientCredential(client);
  const own = clientFetch(client);
  if (!middleware) return { fetch: gatewayFetch(core, own, client.timeout, credential) };
  return {
    middleware: [createMiddleware(core, client.timeout, credential), ...middleware],
    ...(own ? { fetch: onWireFetch(own) } : {}),
  };
}

/** A copy of `client` whose calls go through `core`. */
function wrapClient<C extends AnthropicLikeClient>(client: C, core: GatewayCore): C {
  const wrapped = client.withOptions({
    maxRetries: 0,
    // withOptions() would pin the resolved timeout, which turns off the SDK's check that a
    // non-streaming call long enough to pass 10 minutes must stream: keep what the user gave.
    timeout: userTimeout(client),
    ...gatewayHooks(client, core),
  }) as C;
  useGatewayClass(wrapped);
  takeClientRetries(wrapped, explicitMaxRetries(client));
  return wrapped;
}

/**
 * The store of a gateway's limiter state: the `store` option (a store, or a Redis client to make
 * one over), else Redis at `redisUrl`, else this process's memory. `owned`: the gateway made it
 * and closes it.
 */
function storeOf(
  options: GatewayOptions,
  env: Record<string, string | undefined>,
  config: GatewayConfig,
): { store: LimiterStore; owned: boolean } {
  const given = options.store;
  const redisOptions = { keyPrefix: config.redisKeyPrefix, timeoutMs: config.redisTimeoutMs };
  if (given !== undefined) {
    if (isLimiterStore(given)) return { store: given, owned: false };
    if (isRedisClient(given)) return { store: redisStoreFromClient(given, redisOptions), owned: true };
    throw new GatewayConfigError(
      'Invalid option `store`: expected a LimiterStore or a connected ioredis client (Redis or Cluster).',
      'store',
      '',
    );
  }
  const url = redisUrlOf(options, env);
  if (!url) return { store: MEMORY_STORE, owned: false };
  try {
    return { store: redisStoreFromUrl(url, redisOptions), owned: true };
  } catch (error) {
    throw new GatewayConfigError(
      `CLAUDE_GATEWAY_REDIS_URL / redisUrl is set, but ${error instanceof Error ? error.message : String(error)}`,
      'redisUrl',
      'CLAUDE_GATEWAY_REDIS_URL',
    );
  }
}

/** What the gateways `withGateway` makes share: one limiter per key+model, one set of gauges. */
interface SharedParts {
  readonly limiters: Limiters;
  readonly metrics: GatewayMetrics;
}

/** The shared parts per store: this process's memory, or each Redis (URL and prefix) or store given. */
const sharedPartsByStore = new Map<unknown, SharedParts>();
/** A number per store key, for the ids of the shared gateways. */
const storeIds = new Map<unknown, number>();
/** The gateways `withGateway` made, by settings; the oldest are forgotten past a few dozen. */
const sharedGateways = new Map<string, Gateway>();
const MAX_SHARED_GATEWAYS = 32;

/**
 * Wraps `client` so each call is retried by the gateway's table, ramped per API key and model, and
 * traced. Every client wrapped this way shares one limiter per key and model; clients wrapped with
 * the same settings share one gateway.
 *
 * @example
 * ```ts
 * const client = withGateway(new Anthropic());
 * const msg = await client.messages.create({ model, max_tokens, messages });
 * ```
 * @throws {GatewayConfigError} when an option or `CLAUDE_GATEWAY_*` variable is invalid.
 */
export function withGateway<C extends AnthropicLikeClient>(client: C, options: GatewayOptions = {}): C {
  return sharedGateway(options).wrap(client);
}

/**
 * The gateway shared by every caller with the same settings. All of them share one limiter per
 * key+model (the API's limits do not depend on the caller's settings): its concurrency settings
 * are those of the gateway whose call created it.
 */
export function sharedGateway(options: GatewayOptions = {}): Gateway {
  const config = loadConfig(options);
  const url = options.store === undefined ? redisUrlOf(options) : undefined;
  const storeKey = options.store ?? (url ? `${url}\u0000${config.redisKeyPrefix}` : MEMORY_STORE);
  let storeId = storeIds.get(storeKey);
  if (storeId === undefined) storeIds.set(storeKey, (storeId = storeIds.size));
  const id = `${JSON.stringify(config)}#${storeId}`;
  let gateway = sharedGateways.get(id);
  if (!gateway) {
    let sharedParts = sharedPartsByStore.get(storeKey);
    if (!sharedParts) {
      const limiters = new Limiters(undefined, storeOf(options, process.env, config).store);
      sharedParts = { limiters, metrics: new GatewayMetrics(GLOBAL_TELEMETRY, () => limiters.snapshots()) };
      sharedPartsByStore.set(storeKey, sharedParts);
    }
    gateway = createGateway(options, process.env, GLOBAL_TELEMETRY, sharedParts);
    if (sharedGateways.size >= MAX_SHARED_GATEWAYS)
      sharedGateways.delete(sharedGateways.keys().next().value!);
    sharedGateways.set(id, gateway);
  }
  return gateway;
}

/**
 * A `fetch` whose calls go through the gateway shared with {@link withGateway} (same settings, same
 * limiters), for clients without the SDK's `middleware` option.
 *
 * @example
 * ```ts
 * import { createAnthropic } from '@ai-sdk/anthropic';
 * const anthropic = createAnthropic({ fetch: createGatewayFetch() });
 * ```
 * @throws {GatewayConfigError} when an option or `CLAUDE_GATEWAY_*` variable is invalid.
 */
export function createGatewayFetch(options: GatewayOptions = {}, underlying?: typeof fetch): typeof fetch {
  return sharedGateway(options).fetch(underlying);
}
