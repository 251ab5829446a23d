/**
 * A gateway: settings, the admission state per API key and model (shared by every client it
 * wraps), the retry budget and the telemetry; and the two ways a client joins it, `wrap()` (a
 * copy) and `adopt()` (in place).
 */
import type { LimiterSnapshot } from '../admit/admission.js';
import { Limiters } from '../admit/limiters.js';
import { GatewayClosedError } from '../errors.js';
import type { GatewayCore } from '../call/call.js';
import { gatewayFetch, isGatewayFetch } from '../call/fetch-adapter.js';
import { createMiddleware, isGatewayMiddleware } from '../call/middleware.js';
import { captureContent, loadConfig, type GatewayConfig, type GatewayOptions } from '../config.js';
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
  const limiters = shared?.limiters ?? new Limiters();
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
  const middleware = middlewareOf(client);
  const credential = clientCredential(client);
  if (middleware)
    setClientMiddleware(client, [createMiddleware(core, client.timeout, credential), ...middleware]);
  else setClientFetch(client, gatewayFetch(core, clientFetch(client), client.timeout, credential));
  takeClientRetries(client);
}

/** A copy of `client` whose calls go through `core`. */
function wrapClient<C extends AnthropicLikeClient>(client: C, core: GatewayCore): C {
  const middleware = middlewareOf(client);
  const credential = clientCredential(client);
  const wrapped = client.withOptions({
    maxRetries: 0,
    // withOptions() would pin the resolved timeout, which turns off the SDK's check that a
    // non-streaming call long enough to pass 10 minutes must stream: keep what the user gave.
    timeout: userTimeout(client),
    // Outermost, so the application's own middleware still runs once per HTTP attempt; a client
    // without middleware gets the gateway as its fetch.
    ...(middleware ?
      { middleware: [createMiddleware(core, client.timeout, credential), ...middleware] }
    : { fetch: gatewayFetch(core, clientFetch(client), client.timeout, credential) }),
  }) as C;
  useGatewayClass(wrapped);
  takeClientRetries(wrapped, explicitMaxRetries(client));
  return wrapped;
}

/** What the gateways `withGateway` makes share: one limiter per key+model, one set of gauges. */
interface SharedParts {
  readonly limiters: Limiters;
  readonly metrics: GatewayMetrics;
}

let sharedParts: SharedParts | undefined;
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
  const id = JSON.stringify(loadConfig(options));
  let gateway = sharedGateways.get(id);
  if (!gateway) {
    if (!sharedParts) {
      const limiters = new Limiters();
      sharedParts = { limiters, metrics: new GatewayMetrics(GLOBAL_TELEMETRY, () => limiters.snapshots()) };
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
