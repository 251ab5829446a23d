/**
 * `AnthropicGatewayInstrumentation`: an OpenTelemetry instrumentation that sends every Anthropic
 * client the application constructs through the gateway, with no change to its code. It patches
 * the SDK's `BaseAnthropic.prototype` (CommonJS through require hooks, ESM through the
 * `@opentelemetry/instrumentation` loader hook), so a client joins the shared gateway on its first
 * request. Every copy of the SDK in the application is patched, each at its own version (a
 * framework's nested 0.x beside the application's 1.x), and so are apps that load only the SDK's
 * `client` file (`@anthropic-ai/bedrock-sdk`, `vertex-sdk`). A copy of a version the gateway does not
 * take gets one warning naming it. A client also passed to `withGateway()` is recognised and goes
 * through once. The tracer and meter providers set on the instrumentation (`setTracerProvider`,
 * `setMeterProvider`) are the ones its clients' calls report to.
 */
import type { BaseAnthropic } from '@anthropic-ai/sdk';
import { diag } from '@opentelemetry/api';
import {
  InstrumentationBase,
  InstrumentationNodeModuleDefinition,
  InstrumentationNodeModuleFile,
  type InstrumentationConfig,
} from '@opentelemetry/instrumentation';
import type { GatewayOptions } from '../config.js';
import type { TelemetrySource } from '../trace/providers.js';
import { SCOPE_NAME } from '../trace/semconv.js';
import { VERSION } from '../version.js';
import { isWrapped, sharedGateway } from './gateway.js';
import {
  isSupportedSdkVersion,
  queueFirst,
  SUPPORTED_SDK_RANGE,
  withGatewayOptions,
  type Method as SeamMethod,
} from './sdk-seams.js';

export interface AnthropicGatewayInstrumentationConfig extends InstrumentationConfig {
  /** Gateway settings; `CLAUDE_GATEWAY_*` variables apply to what is left out. */
  gateway?: GatewayOptions;
}

type SdkModule = { BaseAnthropic?: { prototype: object } };

/**
 * Every call starts in `request()` or, for list endpoints, `requestAPIList()`, and both run
 * `makeRequest()` (where a call waits for its turn before it is built); `withOptions()` copies.
 */
const PATCHED_METHODS = ['request', 'requestAPIList', 'makeRequest', 'withOptions'] as const;
type Method = (this: BaseAnthropic, ...args: unknown[]) => unknown;

/**
 * The SDK's files that define `BaseAnthropic`: the package's main module re-exports it from
 * `client`, which Bedrock's and Vertex's SDKs load alone (`@anthropic-ai/sdk/client`).
 */
const CLIENT_FILES = ['@anthropic-ai/sdk/client.js', '@anthropic-ai/sdk/client.mjs'];

/** The versions already warned about, so each gets one warning per process. */
const warned = new Set<string>();

/** Whether the application has set an OpenTelemetry diagnostic logger (the API's global registry). */
function hasDiagLogger(): boolean {
  const api = (globalThis as Record<symbol, { diag?: unknown } | undefined>)[
    Symbol.for('opentelemetry.js.api.1')
  ];
  return api?.diag !== undefined;
}

/**
 * Says once that clients of `@anthropic-ai/sdk` `version` do not go through the gateway: as an
 * OpenTelemetry `diag` warning, or, when no diagnostic logger is set (the default), as a Node
 * process warning, so it is never silent.
 */
function warnUnsupported(version: string | undefined, why: string): void {
  const key = `${version}:${why}`;
  if (warned.has(key)) return;
  warned.add(key);
  const message =
    `claude-otel-gateway: @anthropic-ai/sdk ${version ?? '(unknown version)'} ${why}; ` +
    `its clients do not go through the gateway (supported: ${SUPPORTED_SDK_RANGE})`;
  diag.warn(message);
  if (!hasDiagLogger()) process.emitWarning(message, { code: 'CLAUDE_GATEWAY_UNSUPPORTED_SDK' });
}

export class AnthropicGatewayInstrumentation extends InstrumentationBase<AnthropicGatewayInstrumentationConfig> {
  /** This instrumentation's tracer and meter, as its providers stand when a call is made. */
  private readonly telemetry: TelemetrySource = { tracer: () => this.tracer, meter: () => this.meter };

  constructor(config: AnthropicGatewayInstrumentationConfig = {}) {
    super(`${SCOPE_NAME}/instrumentation`, VERSION, config);
    // Settings are checked now, at start, not at the first call.
    sharedGateway(config.gateway);
  }

  protected init() {
    // Every version is hooked, so that one the gateway does not take is named in a warning.
    const patch = (exports: SdkModule, version?: string) => {
      this.patch(exports, version);
      return exports;
    };
    const unpatch = (exports: SdkModule) => this.unpatch(exports);
    return new InstrumentationNodeModuleDefinition(
      '@anthropic-ai/sdk',
      ['*'],
      patch,
      unpatch,
      CLIENT_FILES.map((file) => new InstrumentationNodeModuleFile(file, ['*'], patch, unpatch)),
    );
  }

  private adopt(client: BaseAnthropic): void {
    if (this.isEnabled()) sharedGateway(this.getConfig().gateway).adopt(client, this.telemetry);
  }

  private patch(exports: SdkModule, version: string | undefined): void {
    // The package's main module and its `client` file both come through here; the second patch of
    // one prototype replaces the first (`_wrap` unwraps what it already wrapped).
    if (!isSupportedSdkVersion(version)) return warnUnsupported(version, 'is not supported');
    const proto = exports.BaseAnthropic?.prototype as Record<string, Method> | undefined;
    if (!proto || PATCHED_METHODS.some((name) => typeof proto[name] !== 'function')) {
      return warnUnsupported(version, 'has no BaseAnthropic client this gateway can patch');
    }
    const instrumentation = this;
    const managed = (client: BaseAnthropic) => instrumentation.isEnabled() && isWrapped(client);
    // A client is adopted at its first call; its options are moved to the gateway in makeRequest.
    this._wrap(
      proto,
      'request',
      (original: Method) =>
        function request(this: BaseAnthropic, ...args: unknown[]) {
          instrumentation.adopt(this);
          return original.apply(this, args);
        },
    );
    // List endpoints go straight to the request loop, not through `request()`.
    this._wrap(
      proto,
      'requestAPIList',
      (original: Method) =>
        function requestAPIList(this: BaseAnthropic, ...args: unknown[]) {
          instrumentation.adopt(this);
          return original.apply(this, args);
        },
    );
    // Only a client the gateway adopted has a queue (and options to move); any other runs as the SDK would.
    this._wrap(proto, 'makeRequest', (original: Method) => queueFirst(original as SeamMethod) as Method);
    this._wrap(
      proto,
      'withOptions',
      (original: Method) =>
        function withOptions(this: BaseAnthropic, options: unknown) {
          if (!managed(this)) return original.call(this, options);
          return withGatewayOptions(this, options as object, original as never);
        },
    );
  }

  private unpatch(exports: SdkModule): void {
    const proto = exports.BaseAnthropic?.prototype as Record<string, Method> | undefined;
    if (!proto) return;
    for (const method of PATCHED_METHODS) this._unwrap(proto, method);
  }
}
