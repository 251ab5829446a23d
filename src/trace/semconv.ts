/**
 * Every attribute, span and metric name the gateway emits: the public contract users build
 * searches, sampling rules and dashboards on. GenAI and HTTP names are copied from the OpenTelemetry
 * semantic conventions (GenAI client spans and metrics; HTTP client spans) rather than imported
 * from the incubating entry point.
 */

// GenAI semantic conventions.
export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const ATTR_GEN_AI_REQUEST_MAX_TOKENS = 'gen_ai.request.max_tokens';
export const ATTR_GEN_AI_REQUEST_TEMPERATURE = 'gen_ai.request.temperature';
export const ATTR_GEN_AI_REQUEST_TOP_P = 'gen_ai.request.top_p';
export const ATTR_GEN_AI_REQUEST_TOP_K = 'gen_ai.request.top_k';
export const ATTR_GEN_AI_REQUEST_STOP_SEQUENCES = 'gen_ai.request.stop_sequences';
export const ATTR_GEN_AI_RESPONSE_ID = 'gen_ai.response.id';
export const ATTR_GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model';
export const ATTR_GEN_AI_RESPONSE_FINISH_REASONS = 'gen_ai.response.finish_reasons';
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';
export const ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = 'gen_ai.usage.cache_read.input_tokens';
export const ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS = 'gen_ai.usage.cache_creation.input_tokens';
export const ATTR_GEN_AI_TOKEN_TYPE = 'gen_ai.token.type';
export const ATTR_GEN_AI_INPUT_MESSAGES = 'gen_ai.input.messages';
export const ATTR_GEN_AI_OUTPUT_MESSAGES = 'gen_ai.output.messages';
export const ATTR_GEN_AI_SYSTEM_INSTRUCTIONS = 'gen_ai.system_instructions';
export const GEN_AI_PROVIDER_ANTHROPIC = 'anthropic';

// HTTP, server and error semantic conventions.
export const ATTR_HTTP_REQUEST_METHOD = 'http.request.method';
export const ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';
export const ATTR_HTTP_REQUEST_RESEND_COUNT = 'http.request.resend_count';
export const ATTR_HTTP_ROUTE = 'http.route';
export const ATTR_URL_PATH = 'url.path';
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_SERVER_PORT = 'server.port';
export const ATTR_ERROR_TYPE = 'error.type';

// Anthropic response headers.
export const ATTR_ANTHROPIC_REQUEST_ID = 'anthropic.request.id';
/** Prefix for the rate-limit headers an attempt saw: `anthropic.ratelimit.requests.remaining`, … */
export const ATTR_ANTHROPIC_RATELIMIT_PREFIX = 'anthropic.ratelimit';

// The gateway's own.
export const ATTR_GATEWAY_ATTEMPTS = 'claude_gateway.attempts';
export const ATTR_GATEWAY_RETRY_TOTAL_DELAY_MS = 'claude_gateway.retry.total_delay_ms';
export const ATTR_GATEWAY_QUEUE_WAIT_MS = 'claude_gateway.queue.wait_ms';
export const ATTR_GATEWAY_OUTCOME = 'claude_gateway.outcome';
export const ATTR_GATEWAY_RETRY_DELAY_MS = 'claude_gateway.retry.delay_ms';
export const ATTR_GATEWAY_RETRY_DELAY_SOURCE = 'claude_gateway.retry.delay_source';
export const ATTR_GATEWAY_RETRY_REASON = 'claude_gateway.retry.reason';
/** Why the gateway stopped retrying a failed attempt (`retries_exhausted`, `retry_after_too_long`, …). */
export const ATTR_GATEWAY_GIVE_UP = 'claude_gateway.retry.give_up';
export const ATTR_GATEWAY_CONCURRENCY_LIMIT = 'claude_gateway.concurrency.limit';
export const ATTR_GATEWAY_QUEUE_DEPTH = 'claude_gateway.queue.depth';
export const ATTR_GATEWAY_TIME_TO_FIRST_CHUNK_MS = 'claude_gateway.time_to_first_chunk_ms';
export const ATTR_GATEWAY_STREAM_END = 'claude_gateway.stream.end';
export const ATTR_GATEWAY_BUCKET = 'claude_gateway.ratelimit.bucket';
/** The model group a limiter serves (models that share one rate-limit budget). */
export const ATTR_GATEWAY_MODEL_GROUP = 'claude_gateway.model_group';

/** Which store decided an admission: `memory`, `redis`, or `fallback` (this process's share while Redis was away). */
export const ATTR_GATEWAY_STORE = 'claude_gateway.store';
/** Time an admission spent in the shared store's transactions. */
export const ATTR_GATEWAY_STORE_WAIT_MS = 'claude_gateway.store.wait_ms';
/** A store operation: `transaction` (admissions and reports), `renew` (leases), `release`, `ping`. */
export const ATTR_GATEWAY_STORE_OPERATION = 'claude_gateway.store.operation';
/** How a store operation ended: `ok`, `conflict` (retried on a newer state), `timeout`, `error`. */
export const ATTR_GATEWAY_STORE_OUTCOME = 'claude_gateway.store.outcome';

export const SPAN_BACKOFF = 'claude_gateway.backoff';
export const SPAN_QUEUE = 'claude_gateway.queue';

// Metrics.
export const METRIC_GEN_AI_OPERATION_DURATION = 'gen_ai.client.operation.duration';
export const METRIC_GEN_AI_TOKEN_USAGE = 'gen_ai.client.token.usage';
export const METRIC_HTTP_CLIENT_REQUEST_DURATION = 'http.client.request.duration';
export const METRIC_GATEWAY_RETRIES = 'claude_gateway.retries';
export const METRIC_GATEWAY_CONCURRENCY_LIMIT = 'claude_gateway.concurrency.limit';
export const METRIC_GATEWAY_QUEUE_DEPTH = 'claude_gateway.queue.depth';
export const METRIC_GATEWAY_RATELIMIT_REMAINING = 'claude_gateway.ratelimit.remaining';
/** Duration of each shared-store operation (a Redis round trip), by operation and outcome. */
export const METRIC_GATEWAY_STORE_DURATION = 'claude_gateway.store.duration';
/** Times a process fell back to its local share because the shared store failed or was slow. */
export const METRIC_GATEWAY_STORE_FALLBACKS = 'claude_gateway.store.fallbacks';

/** Bucket boundaries the GenAI conventions advise for the two GenAI histograms. */
export const DURATION_BUCKETS_S = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];
export const TOKEN_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];
/** The HTTP conventions' advice for `http.client.request.duration`. */
export const HTTP_DURATION_BUCKETS_S = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

/** The instrumentation scope. */
export const SCOPE_NAME = 'claude-otel-gateway';
