/**
 * What happens to an attempt once its body is in. In order: retry-after violation check, script,
 * auth (401), routing (404), validation (400 / 404 model), then for Messages the spend limit,
 * the rate and acceleration limits (429), the random faults (529, 500, 504, reset, hang, stream
 * faults) and finally the message after the latency model's delay.
 * @module
 */
import { estimateInputTokens, MAX_DELTAS, messageJson, streamPlan, type MessagePlan } from './content.js';
import { DEFAULT_MESSAGES, ERROR_TYPE_STATUS, MESSAGES, STATUS_ERROR_TYPES } from './errors.js';
import type { Exchange, StreamFault } from './exchange.js';
import { refusalKey, type Admission } from './limits.js';
import { modelInfo, modelsPage } from './models.js';
import { lookupCache, useCache, type CacheLookup } from './prompt-cache.js';
import { errorRateKeys } from './options.js';
import type { Rng } from './random.js';
import type {
  AttemptInfo,
  OutputTokensRange,
  ScriptedOk,
  ScriptedOutcome,
  ScriptedStreamCut,
  ScriptedStreamError,
} from './types.js';
import { tally } from '../util/tally.js';

type Body = Record<string, unknown>;

/** A scripted outcome that runs the normal path but bypasses limits and random faults. */
type Forced = ScriptedOk | ScriptedStreamError | ScriptedStreamCut;

interface Parsed {
  info: AttemptInfo;
  /** The body when it is a JSON object. */
  body: Body | undefined;
  /** The body was present but not valid JSON. */
  malformed: boolean;
}

/** Handles an attempt whose body (if any) has been read in full. */
export function handleAttempt(ex: Exchange, raw: Buffer | undefined): void {
  const s = ex.state;
  let json: unknown;
  let malformed = false;
  if (raw !== undefined && raw.length > 0) {
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      malformed = true;
    }
  }
  const body = json !== null && typeof json === 'object' && !Array.isArray(json) ? (json as Body) : undefined;
  const model = typeof body?.model === 'string' ? body.model : undefined;
  const info: AttemptInfo = {
    attempt: ex.attempt,
    method: ex.req.method ?? 'GET',
    path: ex.path,
    endpoint: ex.endpoint,
    model,
    stream: body?.stream === true,
    retryCount: ex.retryCount,
    body: json,
  };
  const now = s.now();
  if (ex.apiKey !== undefined) {
    const perModel = ex.endpoint === 'messages' && model !== undefined && s.knownModels.has(model);
    ex.pool = s.limits.get(ex.apiKey, perModel ? model : undefined, now);
    if (now < ex.pool.holdUntil) s.stats.retryAfterViolations++;
  }
  let outcome: ScriptedOutcome | undefined;
  try {
    outcome = s.script.next(info);
  } catch (error) {
    return ex.sendError(
      500,
      'api_error',
      `Simulator script failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const parsed: Parsed = { info, body, malformed };
  if (outcome === undefined) return proceed(ex, parsed);
  s.stats.scripted++;
  switch (outcome.kind) {
    case 'error': {
      const type = outcome.errorType ?? STATUS_ERROR_TYPES[outcome.status];
      return ex.sendError(
        outcome.status,
        type,
        outcome.message ?? DEFAULT_MESSAGES[type],
        outcome.errorCode,
        outcome,
      );
    }
    case 'reset':
      return ex.reset();
    case 'hang':
      return ex.hang();
    case 'delay':
      return ex.after(outcome.ms, () => proceed(ex, parsed));
    default:
      return proceed(ex, parsed, outcome);
  }
}

function proceed(ex: Exchange, p: Parsed, forced?: Forced): void {
  if (ex.apiKey === undefined) return ex.sendError(401, 'authentication_error', MESSAGES.missingKey);
  switch (ex.endpoint) {
    case 'unknown':
      return ex.sendError(404, 'not_found_error', MESSAGES.unknownPath);
    case 'models':
      return models(ex, forced);
    case 'count_tokens':
      return countTokens(ex, p, forced);
    case 'messages':
      return messages(ex, p, forced);
  }
}

/** The first validation error of a Messages (or count_tokens) body, sent; `true` if one was. */
function rejectInvalid(ex: Exchange, p: Parsed, needsMaxTokens: boolean): boolean {
  const invalid = (message: string) => (ex.sendError(400, 'invalid_request_error', message), true);
  if (p.malformed) return invalid(MESSAGES.invalidJson);
  const b = p.body;
  if (!b) return invalid(MESSAGES.notObject);
  if (b.model === undefined) return invalid('model: Field required');
  if (typeof b.model !== 'string') return invalid('model: Input should be a valid string');
  if (b.messages === undefined) return invalid('messages: Field required');
  if (!Array.isArray(b.messages)) return invalid('messages: Input should be a valid list');
  if (b.messages.length === 0) return invalid('messages: at least one message is required');
  if (needsMaxTokens) {
    if (b.max_tokens === undefined) return invalid('max_tokens: Field required');
    if (typeof b.max_tokens !== 'number' || !Number.isInteger(b.max_tokens))
      return invalid('max_tokens: Input should be a valid integer');
    if (b.max_tokens < 1) return invalid('max_tokens: Input should be greater than or equal to 1');
  }
  if (b.stream !== undefined && typeof b.stream !== 'boolean')
    return invalid('stream: Input should be a valid boolean');
  if (!ex.state.knownModels.has(b.model)) {
    ex.sendError(404, 'not_found_error', `model: ${b.model}`);
    return true;
  }
  return false;
}

/** Sends the 429 for a refused admission; `true` if refused. */
function refused(ex: Exchange, admission: Admission): boolean {
  if (admission.ok) {
    // The rate-limit headers describe the buckets as this request was admitted, not as they
    // stand when the (possibly much later) response goes out.
    ex.snapshotLimits();
    return false;
  }
  const s = ex.state;
  const c = s.config;
  const { reason, hintMs, mechanism } = admission;
  const key = refusalKey(reason, mechanism);
  s.stats.refusal(key);
  if (ex.pool) tally(ex.pool.counters.refusals, key);
  // Limits per minute as the wire states them: per real minute (see `timeScale`).
  const perMinute = (n: number) => (c.timeScale === 1 ? n : Math.round(n * c.timeScale));
  const message =
    reason === 'ramp' ? MESSAGES.ramp
    : reason === 'requests' ? MESSAGES.rateLimit('requests', perMinute(c.requestsPerMinute))
    : reason === 'input_tokens' ? MESSAGES.rateLimit('input tokens', perMinute(c.inputTokensPerMinute))
    : MESSAGES.rateLimit('output tokens', perMinute(c.outputTokensPerMinute));
  ex.sendError(429, 'rate_limit_error', message, reason === 'ramp' ? 'ramp_limit_exceeded' : undefined, {
    waitMs: hintMs,
  });
  return true;
}

/** Output tokens the model would write: the configured number, or a seeded uniform draw in `[min, max]`. */
export function drawOutputTokens(setting: number | Readonly<OutputTokensRange>, rng: Rng): number {
  if (typeof setting === 'number') return setting;
  if (setting.max === setting.min) return setting.min;
  return setting.min + Math.floor(rng.next() * (setting.max - setting.min + 1));
}

function models(ex: Exchange, forced: Forced | undefined): void {
  const s = ex.state;
  if (!forced && refused(ex, s.limits.admit(ex.pool!, s.now()))) return;
  if (ex.path === '/v1/models') {
    const q = ex.req.url?.indexOf('?') ?? -1;
    const page = modelsPage(s.config.models, q >= 0 ? ex.req.url!.slice(q + 1) : '');
    if (page === undefined)
      return ex.sendError(
        400,
        'invalid_request_error',
        'limit: Input should be an integer between 1 and 1000',
      );
    return ex.sendJson(page);
  }
  const id = decodeURIComponent(ex.path.slice('/v1/models/'.length));
  if (!s.knownModels.has(id)) return ex.sendError(404, 'not_found_error', `model: ${id}`);
  ex.sendJson(JSON.stringify(modelInfo(id)));
}

function countTokens(ex: Exchange, p: Parsed, forced: Forced | undefined): void {
  if (rejectInvalid(ex, p, false)) return;
  if (!forced && refused(ex, ex.state.limits.admit(ex.pool!, ex.state.now()))) return;
  ex.sendJson(JSON.stringify({ input_tokens: estimateInputTokens(p.body!) }));
}

function messages(ex: Exchange, p: Parsed, forced: Forced | undefined): void {
  if (rejectInvalid(ex, p, true)) return;
  const s = ex.state;
  const c = s.config;
  const body = p.body!;
  const maxTokens = body.max_tokens as number;
  const stream = body.stream === true;
  const inputTokens = estimateInputTokens(body);
  // The prompt cache: a read is not counted against the input-token limit, a write is.
  let cached: CacheLookup | undefined;
  // What the model writes: drawn (when a range is configured) once the attempt is admitted.
  let written: number | undefined;
  const write = () => (written ??= drawOutputTokens(c.outputTokens, s.rng));
  const output = () => Math.min(maxTokens, write());
  let fault: StreamFault | undefined;
  if (!forced) {
    if (c.spendLimit) {
      const code =
        c.spendLimit === 'enforced' ? 'enforced_spend_limit_reached' : 'contract_spend_limit_reached';
      s.stats.refusal('spend_limit');
      if (ex.pool) tally(ex.pool.counters.refusals, 'spend_limit');
      return ex.sendError(
        429,
        'rate_limit_error',
        c.spendLimit === 'enforced' ? MESSAGES.enforcedSpend : MESSAGES.contractSpend,
        code,
      );
    }
    const now = s.now();
    // OTPM: `max_tokens` is reserved now and what the response does not use is given back when it ends.
    cached = lookupCache(ex.pool!.cache, body, now);
    const input = inputTokens - (cached?.hit ? cached.tokens : 0);
    if (refused(ex, s.limits.admit(ex.pool!, now, { input, reserve: maxTokens }))) return;
    if (cached) useCache(ex.pool!.cache, cached, now, now + c.latency.ttftMs);
    ex.admitted(ex.pool!, maxTokens);
    s.stats.reserved += maxTokens;
    // Two draws per admitted attempt, always: overload, then the other faults.
    const overloaded = s.rng.next() < s.overloadRate(now);
    const roll = s.rng.next();
    if (overloaded) return ex.sendError(529, 'overloaded_error', DEFAULT_MESSAGES.overloaded_error);
    let edge = 0;
    let drawn: (typeof errorRateKeys)[number] | undefined;
    for (const key of errorRateKeys) {
      edge += c.errorRates[key] ?? 0;
      if (roll < edge) {
        drawn = key;
        break;
      }
    }
    switch (drawn) {
      case 'api_error':
      case 'timeout_error':
        return ex.sendError(ERROR_TYPE_STATUS[drawn], drawn, DEFAULT_MESSAGES[drawn]);
      case 'reset':
      case 'hang':
        return ex[drawn]();
      case 'streamErrorBeforeContent':
        if (stream) fault = { kind: 'error', afterDeltas: 0, errorType: 'overloaded_error' };
        break;
      case 'streamErrorAfterContent':
        if (stream)
          fault = {
            kind: 'error',
            afterDeltas: 1 + Math.floor(s.rng.next() * Math.min(output(), MAX_DELTAS)),
            errorType: 'overloaded_error',
          };
        break;
      case 'streamCut':
        if (stream)
          fault = {
            kind: 'cut',
            afterDeltas: Math.floor(s.rng.next() * (Math.min(output(), MAX_DELTAS) + 1)),
            errorType: 'overloaded_error',
          };
        break;
    }
  } else if (forced.kind !== 'ok') {
    const errorType = (forced.kind === 'stream-error' && forced.errorType) || 'overloaded_error';
    if (!stream) {
      if (forced.kind === 'stream-cut') return ex.reset();
      return ex.sendError(ERROR_TYPE_STATUS[errorType], errorType, DEFAULT_MESSAGES[errorType]);
    }
    fault = {
      kind: forced.kind === 'stream-cut' ? 'cut' : 'error',
      afterDeltas: forced.afterDeltas,
      errorType,
    };
  }
  const outputTokens = output();
  const plan: MessagePlan = {
    id: s.rng.messageId(),
    model: body.model as string,
    inputTokens: inputTokens - (cached?.tokens ?? 0),
    cacheCreationTokens: cached && !cached.hit ? cached.tokens : 0,
    cacheReadTokens: cached?.hit ? cached.tokens : 0,
    outputTokens,
    stopReason: maxTokens < write() ? 'max_tokens' : 'end_turn',
  };
  s.stats.inputTokens += inputTokens;
  s.stats.outputTokens += outputTokens;
  const { ttftMs, msPerToken } = c.latency;
  if (stream) return ex.stream(streamPlan(plan, ttftMs, msPerToken), fault);
  ex.after(ttftMs + msPerToken * outputTokens, () => {
    ex.produced = outputTokens;
    ex.sendJson(messageJson(plan));
  });
}
