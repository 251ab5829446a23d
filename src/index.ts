/**
 * claude-otel-gateway: retries by one error table, a concurrency ramp per API key and model, and
 * OpenTelemetry spans for every attempt and wait, as a plugin for `@anthropic-ai/sdk`.
 *
 * @example
 * ```ts
 * import Anthropic from '@anthropic-ai/sdk';
 * import { withGateway } from 'claude-otel-gateway';
 * const client = withGateway(new Anthropic());
 * const msg = await client.messages.create({ model, max_tokens, messages }); // retried, ramped, traced
 * ```
 * @packageDocumentation
 */
import './node-version.js'; // oxlint-disable-line import/no-unassigned-import -- first: fails at once on Node.js < 22.15
export {
  withGateway,
  createGateway,
  createGatewayFetch,
  isWrapped,
  type Gateway,
} from './gateway/gateway.js';
export { loadConfig, SETTINGS, type GatewayOptions, type GatewayConfig } from './config.js';
export {
  classifyError,
  STATUS_TABLE,
  SPEND_LIMIT_CODES,
  RAMP_LIMIT_CODE,
  type Classification,
  type FailureInfo,
  type FailureReason,
  type Throttle,
} from './classify/classify.js';
export { parseRetryAfter } from './delay/retry-after.js';
export { backoffDelay } from './delay/backoff.js';
export {
  decideRetry,
  type DelayPolicy,
  type DelaySource,
  type RetryDecision,
  type RetryQuestion,
} from './delay/decide.js';
export type { LimiterSnapshot } from './admit/admission.js';
export {
  createRedisStore,
  MemoryStore,
  type LimiterStore,
  type KeyStore,
  type Served,
  type RedisClientLike,
  type RedisStore,
  type RedisStoreOptions,
  type RedisStoreStats,
} from './admit/store/index.js';
export {
  GatewayConfigError,
  GatewayRequestError,
  GatewayClosedError,
  DeadlineExceededError,
  IdleTimeoutError,
} from './errors.js';
export * as attributes from './trace/semconv.js';
export {
  AnthropicGatewayInstrumentation,
  type AnthropicGatewayInstrumentationConfig,
} from './gateway/instrumentation.js';
