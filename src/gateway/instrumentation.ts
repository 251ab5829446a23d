/**
 * `AnthropicGatewayInstrumentation`: an OpenTelemetry instrumentation that sends every Anthropic
 * client the application constructs through the gateway, with no change to its code. It patches
 * the SDK's `BaseAnthropic.prototype` (CommonJS through require hooks, ESM through the
 * `@opentelemetry/instrumentation` loader hook), so a client joins the shared gateway on its first
 * request. A client also passed to `withGateway()` is recognised and goes through once. The tracer
 * and meter providers set on the instrumentation (`setTracerProvider`, `setMeterProvider`) are the
 * ones its clients' calls report to.
 */
import type { BaseAnthropic } from '@anthropic-ai/sdk';
import {
  InstrumentationBase,
  InstrumentationNodeModuleDefinition,
  type InstrumentationConfig,
} from '@opentelemetry/instrumentation';
import type { GatewayOptions } from '../config.js';
import type { TelemetrySource } from '../trace/providers.js';
import { SCOPE_NAME } from '../trace/semconv.js';
import { VERSION } from '../version.js';
import { isWrapped, sharedGateway } from './gateway.js';
import {
  clientMaxRetries,
  moveRequestRetries,
  SUPPORTED_SDK_RANGE,
  withGatewayOptions,
} from './sdk-seams.js';

export interface AnthropicGatewayInstrumentationConfig extends InstrumentationConfig {
  /** Gateway settings; `CLAUDE_GATEWAY_*` variables apply to what is left out. */
  gateway?: GatewayOptions;
}

type SdkModule = { BaseAnthropic?: typeof BaseAnthropic };

/** Every call starts in `request()` or, for list endpoints, `requestAPIList()`; `withOptions()` copies. */
const PATCHED_METHODS = ['request', 'requestAPIList', 'withOptions'] as const;
type Method = (this: BaseAnthropic, ...args: unknown[]) => unknown;

export class AnthropicGatewayInstrumentation extends InstrumentationBase<AnthropicGatewayInstrumentationConfig> {
  /** This instrumentation's tracer and meter, as its providers stand when a call is made. */
  private readonly telemetry: TelemetrySource = { tracer: () => this.tracer, meter: () => this.meter };

  constructor(config: AnthropicGatewayInstrumentationConfig = {}) {
    super(`${SCOPE_NAME}/instrumentation`, VERSION, config);
    // Settings are checked now, at start, not at the first call.
    sharedGateway(config.gateway);
  }

  protected init() {
    return new InstrumentationNodeModuleDefinition(
      '@anthropic-ai/sdk',
      [SUPPORTED_SDK_RANGE],
      (exports: SdkModule) => {
        this.patch(exports);
        return exports;
      },
      (exports: SdkModule) => {
        this.unpatch(exports);
      },
    );
  }

  private adopt(client: BaseAnthropic): void {
    if (this.isEnabled()) sharedGateway(this.getConfig().gateway).adopt(client, this.telemetry);
  }

  private patch(exports: SdkModule): void {
    const proto = exports.BaseAnthropic?.prototype as unknown as Record<string, Method> | undefined;
    if (!proto) return;
    const instrumentation = this;
    const managed = (client: BaseAnthropic) => instrumentation.isEnabled() && isWrapped(client);
    const moved = (client: BaseAnthropic, options: unknown) =>
      managed(client) ? moveRequestRetries(options as never, clientMaxRetries(client)) : options;
    this._wrap(
      proto,
      'request',
      (original: Method) =>
        function request(this: BaseAnthropic, options: unknown, ...rest: unknown[]) {
          instrumentation.adopt(this);
          return original.call(this, moved(this, options), ...rest);
        },
    );
    // List endpoints go straight to the request loop, not through `request()`.
    this._wrap(
      proto,
      'requestAPIList',
      (original: Method) =>
        function requestAPIList(this: BaseAnthropic, Page: unknown, options: unknown) {
          instrumentation.adopt(this);
          return original.call(this, Page, moved(this, options));
        },
    );
    this._wrap(
      proto,
      'withOptions',
      (original: Method) =>
        function withOptions(this: BaseAnthropic, options: unknown) {
          if (!managed(this)) return original.call(this, options);
          return withGatewayOptions(this, options as never, original as never);
        },
    );
  }

  private unpatch(exports: SdkModule): void {
    const proto = exports.BaseAnthropic?.prototype as unknown as Record<string, Method> | undefined;
    if (!proto) return;
    for (const method of PATCHED_METHODS) this._unwrap(proto, method);
  }
}
