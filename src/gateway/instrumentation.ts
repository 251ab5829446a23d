/**
 * `AnthropicGatewayInstrumentation`: an OpenTelemetry instrumentation that sends every Anthropic
 * client the application constructs through the gateway, with no change to its code. It patches
 * the SDK's `BaseAnthropic.prototype` (CommonJS through require hooks, ESM through the
 * `@opentelemetry/instrumentation` loader hook), so a client joins the shared gateway on its first
 * request. A client also passed to `withGateway()` is recognised and goes through once.
 */
import type { BaseAnthropic } from '@anthropic-ai/sdk';
import {
  InstrumentationBase,
  InstrumentationNodeModuleDefinition,
  type InstrumentationConfig,
} from '@opentelemetry/instrumentation';
import type { GatewayOptions } from './config.js';
import { moveRequestRetries, sharedGateway } from './gateway.js';
import { SCOPE_NAME } from './semconv.js';
import { VERSION } from './version.js';

export interface AnthropicGatewayInstrumentationConfig extends InstrumentationConfig {
  /** Gateway settings; `CLAUDE_GATEWAY_*` variables apply to what is left out. */
  gateway?: GatewayOptions;
}

type SdkModule = { BaseAnthropic?: typeof BaseAnthropic };
type Method = (this: BaseAnthropic, ...args: unknown[]) => unknown;

export class AnthropicGatewayInstrumentation extends InstrumentationBase<AnthropicGatewayInstrumentationConfig> {
  constructor(config: AnthropicGatewayInstrumentationConfig = {}) {
    super(`${SCOPE_NAME}/instrumentation`, VERSION, config);
    // Settings are checked now, at start, not at the first call.
    sharedGateway(config.gateway);
  }

  protected init() {
    return new InstrumentationNodeModuleDefinition(
      '@anthropic-ai/sdk',
      ['>=1.0.0 <2'],
      (exports: SdkModule) => {
        this.patch(exports);
        return exports;
      },
      (exports: SdkModule) => {
        this.unpatch(exports);
      },
    );
  }

  private patch(exports: SdkModule): void {
    const proto = exports.BaseAnthropic?.prototype as unknown as Record<string, Method> | undefined;
    if (!proto) return;
    const instrumentation = this;
    const adopt = (client: BaseAnthropic) => {
      if (instrumentation.isEnabled()) sharedGateway(instrumentation.getConfig().gateway).adopt(client);
    };
    this._wrap(proto, 'request', (original: Method) =>
      function request(this: BaseAnthropic, ...args: unknown[]) {
        adopt(this);
        const [options, ...rest] = args as Parameters<BaseAnthropic['request']>;
        return original.call(this, instrumentation.isEnabled() ? moveRequestRetries(options) : options, ...rest);
      },
    );
    // List endpoints go straight to the request loop, not through `request()`.
    this._wrap(proto, 'requestAPIList', (original: Method) =>
      function requestAPIList(this: BaseAnthropic, ...args: unknown[]) {
        adopt(this);
        return original.apply(this, args);
      },
    );
  }

  private unpatch(exports: SdkModule): void {
    const proto = exports.BaseAnthropic?.prototype as unknown as Record<string, Method> | undefined;
    if (!proto) return;
    this._unwrap(proto, 'request');
    this._unwrap(proto, 'requestAPIList');
  }
}
