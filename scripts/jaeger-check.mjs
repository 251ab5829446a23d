// The logic behind scripts/verify-jaeger.mjs: ask Jaeger's query API v3 for recent traces of a
// service and check that calls which were retried arrived with one span per HTTP attempt.
// Plain Node (>= 22) ESM, no dependencies. The pure parts are exported for the tests.
//
// Jaeger API v3 (HTTP): GET /api/v3/traces?query.serviceName=…&query.startTimeMin=…&query.startTimeMax=…
// Both time bounds are required (RFC 3339); camelCase names are canonical, the snake_case
// ones are deprecated aliases. The answer is OTLP JSON {"result":{"resourceSpans":[…]}}; a 404
// means that nothing matched. GET /api/v3/services answers {"services":[…]}.

import { parseArgs as parseNodeArgs } from 'node:util';

export const DEFAULT_URL = 'http://localhost:16686';
export const DEFAULT_SERVICE = 'claude-otel-gateway-demo';
export const DEFAULT_SINCE = '15m';
export const DEFAULT_LIMIT = 200;
const REQUEST_TIMEOUT_MS = 10_000;

/** Exit codes of the CLI. */
export const EXIT = Object.freeze({
  OK: 0,
  NOTHING_RETRIED: 1,
  UNREACHABLE: 2,
  USAGE: 64,
});

// The gateway's public span contract (see docs/stack.md).
export const ATTR = Object.freeze({
  ATTEMPTS: 'claude_gateway.attempts',
  RESEND_COUNT: 'http.request.resend_count',
  METHOD: 'http.request.method',
  STATUS: 'http.response.status_code',
  ERROR_TYPE: 'error.type',
});

export const USAGE = `Usage: node scripts/verify-jaeger.mjs [--service NAME] [--since 15m] [--url URL] [--limit N]

Checks that traces of retried Claude API calls reached Jaeger: a logical span with
claude_gateway.attempts >= 2 and one "POST /v1/messages" span per attempt.
Run it after \`docker compose up -d\` and \`npm start\`.

  --service NAME  service.name to look for (default: $OTEL_SERVICE_NAME, else ${DEFAULT_SERVICE})
  --since DUR     how far back to look: 30s, 15m, 2h, 1d (default: ${DEFAULT_SINCE})
  --url URL       Jaeger UI/query base URL (default: $JAEGER_URL, else ${DEFAULT_URL})
  --limit N       at most N traces to fetch (default: ${DEFAULT_LIMIT})
  -h, --help      this text

Exit status: 0 retried calls found, 1 no retried call (or no traces at all),
2 Jaeger could not be reached or gave an unexpected answer, 64 bad arguments.`;

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "15m" → 900000. Throws on anything else. */
export function parseDuration(text) {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(String(text).trim());
  const amount = match ? Number(match[1]) : NaN;
  if (!match || !(amount > 0)) {
    throw new Error(`not a duration: ${JSON.stringify(text)} (use e.g. 30s, 15m, 2h, 1d)`);
  }
  return amount * UNIT_MS[match[2]];
}

/** Command line and environment → options. Throws (with a message for the user) on bad input. */
export function parseArgs(argv, env = {}) {
  const { values } = parseNodeArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      service: { type: 'string' },
      since: { type: 'string' },
      url: { type: 'string' },
      limit: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const since = values.since ?? DEFAULT_SINCE;
  const limit = Number(values.limit ?? DEFAULT_LIMIT);
  if (!Number.isInteger(limit) || limit < 1)
    throw new Error(`--limit must be a positive integer, not ${values.limit}`);
  const url = values.url ?? env.JAEGER_URL ?? DEFAULT_URL;
  try {
    new URL(url);
  } catch {
    throw new Error(`not a URL: ${url}`);
  }
  return {
    help: values.help === true,
    url: url.replace(/\/+$/, ''),
    service: values.service ?? (env.OTEL_SERVICE_NAME || DEFAULT_SERVICE),
    since,
    sinceMs: parseDuration(since),
    limit,
  };
}

/** The API v3 search URL for one service and a [start, end] window. */
export function buildTracesUrl(baseUrl, { service, start, end, limit = DEFAULT_LIMIT }) {
  const url = new URL(`${baseUrl.replace(/\/+$/, '')}/api/v3/traces`);
  url.searchParams.set('query.serviceName', service);
  url.searchParams.set('query.startTimeMin', new Date(start).toISOString());
  url.searchParams.set('query.startTimeMax', new Date(end).toISOString());
  url.searchParams.set('query.searchDepth', String(limit));
  return url.toString();
}

export function buildServicesUrl(baseUrl) {
  return `${baseUrl.replace(/\/+$/, '')}/api/v3/services`;
}

/** Link to a trace in the Jaeger UI. */
export function traceLink(baseUrl, traceId) {
  return `${baseUrl.replace(/\/+$/, '')}/trace/${traceId}`;
}

/**
 * An OTLP JSON AnyValue → a JS value. intValue is an int64 and often arrives as a string.
 * @returns {unknown}
 */
export function attributeValue(value) {
  if (value === null || typeof value !== 'object') return undefined;
  if ('stringValue' in value) return value.stringValue;
  if ('intValue' in value) return Number(value.intValue);
  if ('doubleValue' in value) return Number(value.doubleValue);
  if ('boolValue' in value) return value.boolValue;
  if ('arrayValue' in value) return (value.arrayValue?.values ?? []).map(attributeValue);
  if ('kvlistValue' in value) return attributesToObject(value.kvlistValue?.values);
  if ('bytesValue' in value) return value.bytesValue;
  return undefined;
}

/** An OTLP JSON KeyValue list → a plain object. */
export function attributesToObject(list) {
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const kv of Array.isArray(list) ? list : []) {
    if (kv && typeof kv.key === 'string') out[kv.key] = attributeValue(kv.value);
  }
  return out;
}

/** Trace and span ids as lowercase hex, whether they came as hex (OTLP JSON) or base64 (protobuf JSON). */
export function normalizeId(id) {
  if (typeof id !== 'string' || id === '') return '';
  if (/^[0-9a-fA-F]+$/.test(id) && (id.length === 32 || id.length === 16)) return id.toLowerCase();
  return Buffer.from(id, 'base64').toString('hex');
}

/** Unix nanoseconds (a string in OTLP JSON) → BigInt; 0n when unreadable. */
function nanos(value) {
  try {
    return BigInt(value ?? 0);
  } catch {
    return 0n;
  }
}

function isErrorStatus(status) {
  const code = status?.code;
  return code === 2 || code === 'STATUS_CODE_ERROR' || code === 'ERROR';
}

/** Flattens an API v3 answer ({result:{resourceSpans}} or bare {resourceSpans}) into spans. */
export function collectSpans(body) {
  const root = body?.result ?? body ?? {};
  const spans = [];
  for (const rs of Array.isArray(root.resourceSpans) ? root.resourceSpans : []) {
    const resource = attributesToObject(rs?.resource?.attributes);
    const scopes = rs?.scopeSpans ?? rs?.instrumentationLibrarySpans ?? [];
    for (const ss of Array.isArray(scopes) ? scopes : []) {
      for (const span of Array.isArray(ss?.spans) ? ss.spans : []) {
        spans.push({
          traceId: normalizeId(span.traceId),
          spanId: normalizeId(span.spanId),
          parentSpanId: normalizeId(span.parentSpanId),
          name: String(span.name ?? ''),
          start: nanos(span.startTimeUnixNano),
          attributes: attributesToObject(span.attributes),
          error: isErrorStatus(span.status),
          service: typeof resource['service.name'] === 'string' ? resource['service.name'] : '',
        });
      }
    }
  }
  return spans;
}

const isLogical = (span) => span.attributes[ATTR.ATTEMPTS] !== undefined;

/** What one attempt ended with: its HTTP status, else its error.type, else "?". */
function attemptOutcome(span) {
  const status = span.attributes[ATTR.STATUS];
  if (status !== undefined) return String(status);
  const errorType = span.attributes[ATTR.ERROR_TYPE];
  return errorType !== undefined ? String(errorType) : '?';
}

/** Attempt span names of the gateway: "POST /v1/messages", "POST /v1/messages/count_tokens", … */
const ATTEMPT_NAME = /^[A-Z]+ \/v1\//;

/**
 * Reads the spans of a Jaeger answer and finds the retried calls.
 * A call is a logical span (it carries claude_gateway.attempts). Its attempts are the HTTP spans
 * (http.request.method) below it that are named like the gateway's ("POST /v1/messages"; any HTTP
 * span when none is), not counting those nested inside another attempt (e.g. spans of an HTTP
 * client instrumentation). A call counts as retried when claude_gateway.attempts >= 2, at least
 * two attempt spans arrived and a resend carries http.request.resend_count.
 */
export function analyzeTraces(body) {
  const spans = collectSpans(body);
  const keyOf = (s) => `${s.traceId}/${s.spanId}`;
  const byId = new Map(spans.map((s) => [keyOf(s), s]));
  /** The span's ancestors that arrived, nearest first. */
  const ancestors = (span) => {
    const found = [];
    for (let s = span; s.parentSpanId && found.length < 64;) {
      const parent = byId.get(`${s.traceId}/${s.parentSpanId}`);
      if (!parent) break;
      found.push(parent);
      s = parent;
    }
    return found;
  };

  const httpSpans = spans.filter((s) => !isLogical(s) && s.attributes[ATTR.METHOD] !== undefined);
  const named = httpSpans.filter((s) => ATTEMPT_NAME.test(s.name));
  const pool = named.length > 0 ? named : httpSpans;
  const poolKeys = new Set(pool.map(keyOf));
  const attempts = pool.filter((s) => !ancestors(s).some((a) => poolKeys.has(keyOf(a))));

  const logical = spans.filter(isLogical);
  /** @type {Map<string, any[]>} logical span key → its attempt spans */
  const attemptsOf = new Map(logical.map((s) => [keyOf(s), []]));
  for (const attempt of attempts) {
    let owner = ancestors(attempt).find(isLogical);
    // Parent not (yet) in Jaeger: a trace with a single call still tells whose attempt it is.
    if (!owner) {
      const candidates = logical.filter((s) => s.traceId === attempt.traceId);
      if (candidates.length === 1) owner = candidates[0];
    }
    if (owner) attemptsOf.get(keyOf(owner))?.push(attempt);
  }

  const calls = logical.map((span) => {
    const own = (attemptsOf.get(keyOf(span)) ?? []).sort((a, b) =>
      a.start < b.start ? -1
      : a.start > b.start ? 1
      : 0,
    );
    const declared = Number(span.attributes[ATTR.ATTEMPTS]);
    const resends = own.filter((a) => Number(a.attributes[ATTR.RESEND_COUNT]) >= 1).length;
    return {
      traceId: span.traceId,
      name: span.name,
      attempts: Number.isFinite(declared) ? declared : 0,
      attemptSpans: own.length,
      resends,
      outcomes: own.map(attemptOutcome),
      retried: declared >= 2 && own.length >= 2 && resends >= 1,
    };
  });

  /** @type {Record<string, number>} */
  const attemptsByStatus = {};
  for (const attempt of attempts) {
    const key =
      attempt.attributes[ATTR.STATUS] !== undefined ? String(attempt.attributes[ATTR.STATUS]) : 'none';
    attemptsByStatus[key] = (attemptsByStatus[key] ?? 0) + 1;
  }
  const errorTypes = [
    ...new Set(
      spans
        .map((s) => s.attributes[ATTR.ERROR_TYPE])
        .filter((v) => v !== undefined)
        .map(String),
    ),
  ].sort();

  const retried = calls.filter((c) => c.retried);
  return {
    traceCount: new Set(spans.map((s) => s.traceId)).size,
    spanCount: spans.length,
    callCount: calls.length,
    attemptCount: attempts.length,
    attemptsByStatus,
    errorTypes,
    errorSpanCount: spans.filter((s) => s.error).length,
    retried,
    retriedTraceIds: [...new Set(retried.map((c) => c.traceId))],
    // Retried according to the logical span, but the attempt spans (or their resend_count) are missing.
    incomplete: calls.filter((c) => c.attempts >= 2 && !c.retried),
  };
}

function formatCounts(counts) {
  const keys = Object.keys(counts).sort(
    (a, b) => (Number(a) || 1e9) - (Number(b) || 1e9) || a.localeCompare(b),
  );
  return keys.length === 0 ? '(none)' : keys.map((k) => `${k} ×${counts[k]}`).join(', ');
}

/** The human report for an analysis. Ends with a verdict line. */
export function formatReport(analysis, { url, service, since, shown = 3 }) {
  const lines = [
    `Jaeger ${url} · service ${service} · last ${since}`,
    `  traces found:        ${analysis.traceCount} (${analysis.spanCount} spans, ${analysis.callCount} API calls)`,
    `  retried calls:       ${analysis.retried.length} in ${analysis.retriedTraceIds.length} trace(s)`,
    `  attempts by status:  ${formatCounts(analysis.attemptsByStatus)}`,
    `  error.type seen:     ${analysis.errorTypes.length ? analysis.errorTypes.join(', ') : '(none)'}`,
  ];
  if (analysis.retried.length > 0) {
    lines.push(`  retried calls (first ${Math.min(shown, analysis.retried.length)}):`);
    for (const call of analysis.retried.slice(0, shown)) {
      lines.push(
        `    ${call.traceId}  ${call.attempts} attempts: ${call.outcomes.join(' → ')}`,
        `      ${traceLink(url, call.traceId)}`,
      );
    }
  }
  for (const call of analysis.incomplete.slice(0, shown)) {
    lines.push(
      `  note: trace ${call.traceId} says ${call.attempts} attempts but has ${call.attemptSpans} attempt span(s)` +
        ` and ${call.resends} with ${ATTR.RESEND_COUNT} (spans may still be on their way)`,
    );
  }
  lines.push(
    analysis.retried.length > 0 ?
      `OK: ${analysis.retried.length} retried call(s) arrived with one span per attempt.`
    : `No retried call among these traces: no logical span with ${ATTR.ATTEMPTS} >= 2 and its attempt spans.`,
  );
  return lines.join('\n');
}

const HINT_PIPELINE =
  'Is the app sending to the collector (OTLP on localhost:4318)? Tail sampling holds each trace for ' +
  'DECISION_WAIT (30s by default) before Jaeger sees it: wait a little and run this again.';

const HINT_NO_RETRY =
  'Retries happen when the API answers 429, 529 or another retryable error. Calls still retrying, ' +
  'or ended less than DECISION_WAIT (30s by default) ago, are not in Jaeger yet: run this again shortly.';

class Unreachable extends Error {}

async function getJson(url, fetchImpl) {
  let response;
  try {
    response = await fetchImpl(url, {
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      headers: { accept: 'application/json' },
    });
  } catch (error) {
    const cause = error?.cause?.code ?? error?.cause?.message ?? error?.name ?? 'error';
    throw new Unreachable(`cannot reach Jaeger at ${new URL(url).origin} (${cause})`);
  }
  const text = await response.text();
  let json;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, ok: response.ok, json, text };
}

function errorMessage(answer) {
  return answer.json?.error?.message ?? answer.text.trim().slice(0, 200);
}

/**
 * The whole check. Returns the exit code; prints to out/err.
 * @param {string[]} argv
 * @param {{ env?: Record<string, string | undefined>, out?: (line: string) => void, err?: (line: string) => void,
 *           fetch?: typeof fetch, now?: () => number }} [io]
 */
export async function run(argv, io = {}) {
  const out = io.out ?? ((line) => process.stdout.write(`${line}\n`));
  const err = io.err ?? ((line) => process.stderr.write(`${line}\n`));
  const fetchImpl = io.fetch ?? globalThis.fetch;
  const now = io.now ?? Date.now;

  let options;
  try {
    options = parseArgs(argv, io.env ?? {});
  } catch (error) {
    err(`verify-jaeger: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return EXIT.USAGE;
  }
  if (options.help) {
    out(USAGE);
    return EXIT.OK;
  }
  const { url, service, since, sinceMs, limit } = options;

  try {
    const services = await getJson(buildServicesUrl(url), fetchImpl);
    const known = services.ok && Array.isArray(services.json?.services) ? services.json.services : undefined;
    if (known && !known.includes(service)) {
      out(`Jaeger ${url} has no traces of service "${service}" yet.`);
      out(`  services it knows: ${known.length ? known.join(', ') : '(none)'}`);
      out(`  ${HINT_PIPELINE}`);
      return EXIT.NOTHING_RETRIED;
    }

    const end = now();
    const answer = await getJson(
      buildTracesUrl(url, { service, start: end - sinceMs, end, limit }),
      fetchImpl,
    );
    if (answer.status === 404) {
      out(`No traces found in Jaeger ${url} for service "${service}" in the last ${since}.`);
      out(`  ${HINT_PIPELINE}`);
      return EXIT.NOTHING_RETRIED;
    }
    if (!answer.ok) {
      err(
        `verify-jaeger: Jaeger answered HTTP ${answer.status} to the trace search: ${errorMessage(answer)}`,
      );
      return EXIT.UNREACHABLE;
    }
    if (answer.json === undefined) {
      err(`verify-jaeger: Jaeger's answer to the trace search is not JSON: ${answer.text.slice(0, 200)}`);
      return EXIT.UNREACHABLE;
    }

    const analysis = analyzeTraces(answer.json);
    out(formatReport(analysis, { url, service, since }));
    if (analysis.retried.length > 0) return EXIT.OK;
    out(`  ${HINT_NO_RETRY}`);
    return EXIT.NOTHING_RETRIED;
  } catch (error) {
    if (error instanceof Unreachable) {
      err(`verify-jaeger: ${error.message}.`);
      err('  Start the stack with `docker compose up -d` (from the repository root), or pass --url.');
      return EXIT.UNREACHABLE;
    }
    throw error;
  }
}
