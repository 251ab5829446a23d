// scripts/verify-jaeger.mjs against a hand-built Jaeger API v3 served on loopback, plus its pure parts.
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { accessSync, constants } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  analyzeTraces,
  attributeValue,
  buildTracesUrl,
  collectSpans,
  DEFAULT_SERVICE,
  EXIT,
  normalizeId,
  parseArgs,
  parseDuration,
  run,
} from '../../scripts/jaeger-check.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const script = join(root, 'scripts/verify-jaeger.mjs');

// ---- OTLP JSON builders, shaped like Jaeger's /api/v3/traces answer ----

type Value = string | number | boolean;
const kv = (key: string, value: Value) => ({
  key,
  value:
    typeof value === 'string' ? { stringValue: value }
    : typeof value === 'boolean' ? { boolValue: value }
    : Number.isInteger(value) ?
      { intValue: String(value) } // int64 arrives as a string in protobuf JSON
    : { doubleValue: value },
});

interface SpanSpec {
  id: string;
  parent?: string;
  name: string;
  startMs: number;
  attrs?: Record<string, Value>;
  error?: boolean;
}
const T0 = 1_767_000_000_000; // ms
const span = (traceId: string, s: SpanSpec) => ({
  traceId,
  spanId: s.id,
  ...(s.parent ? { parentSpanId: s.parent } : {}),
  name: s.name,
  kind: s.name.startsWith('POST') ? 3 : 1,
  startTimeUnixNano: String(BigInt(T0 + s.startMs) * 1_000_000n),
  endTimeUnixNano: String(BigInt(T0 + s.startMs + 100) * 1_000_000n),
  attributes: Object.entries(s.attrs ?? {}).map(([k, v]) => kv(k, v)),
  status: s.error ? { code: 2 } : {},
});
interface TraceSpec {
  traceId: string;
  spans: SpanSpec[];
}
const answer = (traces: TraceSpec[]) => ({
  result: {
    resourceSpans: traces.map((t) => ({
      resource: { attributes: [kv('service.name', DEFAULT_SERVICE)] },
      scopeSpans: [{ scope: { name: 'claude-otel-gateway' }, spans: t.spans.map((s) => span(t.traceId, s)) }],
    })),
  },
});

const RETRIED_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PLAIN_TRACE = '0af7651916cd43dd8448eb211c80319c';
const model = { 'gen_ai.request.model': 'claude-sonnet-4-5', 'gen_ai.operation.name': 'chat' };
const attempt = (status: number, extra: Record<string, Value> = {}) => ({
  'http.request.method': 'POST',
  'http.response.status_code': status,
  ...extra,
});

/** A call that met 429 → 529 → 200, with its queue and backoff spans. */
const retriedTrace: TraceSpec = {
  traceId: RETRIED_TRACE,
  spans: [
    {
      id: 'a000000000000001',
      name: 'chat claude-sonnet-4-5',
      startMs: 0,
      attrs: {
        ...model,
        'claude_gateway.attempts': 3,
        'claude_gateway.outcome': 'success',
        'claude_gateway.retry.total_delay_ms': 3500,
      },
    },
    {
      id: 'a000000000000002',
      parent: 'a000000000000001',
      name: 'claude_gateway.queue',
      startMs: 0,
      attrs: { 'claude_gateway.queue.wait_ms': 12 },
    },
    {
      id: 'a000000000000003',
      parent: 'a000000000000001',
      name: 'POST /v1/messages',
      startMs: 20,
      error: true,
      attrs: attempt(429, {
        'error.type': 'rate_limit_error',
        'anthropic.request.id': 'req_1',
        'claude_gateway.retry.delay_ms': 2000,
        'claude_gateway.retry.delay_source': 'retry-after',
        'claude_gateway.retry.reason': 'rate_limited',
      }),
    },
    // An HTTP client span nested inside an attempt (e.g. undici instrumentation) is not another attempt.
    { id: 'a00000000000000a', parent: 'a000000000000003', name: 'POST', startMs: 21, attrs: attempt(429) },
    {
      id: 'a000000000000004',
      parent: 'a000000000000001',
      name: 'claude_gateway.backoff',
      startMs: 200,
      attrs: { 'claude_gateway.retry.delay_ms': 2000 },
    },
    {
      id: 'a000000000000005',
      parent: 'a000000000000001',
      name: 'POST /v1/messages',
      startMs: 2200,
      error: true,
      attrs: attempt(529, {
        'error.type': 'overloaded_error',
        'http.request.resend_count': 1,
        'claude_gateway.retry.delay_source': 'backoff',
      }),
    },
    { id: 'a000000000000006', parent: 'a000000000000001', name: 'claude_gateway.backoff', startMs: 2400 },
    {
      id: 'a000000000000007',
      parent: 'a000000000000001',
      name: 'POST /v1/messages',
      startMs: 3900,
      attrs: attempt(200, { 'http.request.resend_count': 2, 'anthropic.request.id': 'req_3' }),
    },
  ],
};
const plainTrace: TraceSpec = {
  traceId: PLAIN_TRACE,
  spans: [
    {
      id: 'b000000000000001',
      name: 'chat claude-sonnet-4-5',
      startMs: 0,
      attrs: { ...model, 'claude_gateway.attempts': 1, 'claude_gateway.outcome': 'success' },
    },
    {
      id: 'b000000000000002',
      parent: 'b000000000000001',
      name: 'POST /v1/messages',
      startMs: 5,
      attrs: attempt(200),
    },
  ],
};

// ---- a fake Jaeger on loopback ----

interface Reply {
  status: number;
  body: unknown;
}
let server: Server | undefined;
afterEach(async () => {
  if (server) await new Promise<void>((done) => server!.close(() => done()));
  server = undefined;
});

async function fakeJaeger(routes: { traces: Reply; services?: Reply }) {
  const seen: URL[] = [];
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    seen.push(url);
    const reply =
      url.pathname === '/api/v3/traces' ? routes.traces
      : url.pathname === '/api/v3/services' ?
        (routes.services ?? { status: 200, body: { services: [DEFAULT_SERVICE, 'jaeger'] } })
      : { status: 404, body: { error: { httpCode: 404, message: 'not found' } } };
    res.writeHead(reply.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(reply.body));
  });
  await new Promise<void>((done) => server!.listen(0, '127.0.0.1', () => done()));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen };
}

/** A port on loopback that nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', () => done()));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((done) => probe.close(() => done()));
  return port;
}

/** Runs the real CLI with a clean environment (no JAEGER_URL or OTEL_SERVICE_NAME from the caller). */
function runScript(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [script, ...args], {
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

const noTraces = { status: 404, body: { error: { httpCode: 404, message: 'No traces found' } } };

describe('verify-jaeger CLI', () => {
  it('is an executable Node script', () => {
    expect(() => accessSync(script, constants.X_OK)).not.toThrow();
  });

  it('reports retried traces and exits 0', async () => {
    const jaeger = await fakeJaeger({ traces: { status: 200, body: answer([retriedTrace, plainTrace]) } });
    const { code, stdout, stderr } = await runScript(['--url', jaeger.url]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/traces found:\s+2/);
    expect(stdout).toMatch(/retried calls:\s+1 in 1 trace/);
    expect(stdout).toContain('200 ×2, 429 ×1, 529 ×1');
    expect(stdout).toContain('overloaded_error, rate_limit_error');
    expect(stdout).toContain(`${RETRIED_TRACE}  3 attempts: 429 → 529 → 200`);
    expect(stdout).toContain(`${jaeger.url}/trace/${RETRIED_TRACE}`);
    expect(stdout).not.toContain(`/trace/${PLAIN_TRACE}`);
    expect(stdout).toMatch(/^OK: 1 retried call/m);

    // The search it sent: API v3, canonical parameter names, both time bounds, a 15-minute window.
    const search = jaeger.seen.find((u) => u.pathname === '/api/v3/traces')!;
    expect(search.searchParams.get('query.serviceName')).toBe(DEFAULT_SERVICE);
    const min = Date.parse(search.searchParams.get('query.startTimeMin') ?? '');
    const max = Date.parse(search.searchParams.get('query.startTimeMax') ?? '');
    expect(max - min).toBe(15 * 60_000);
    expect(Math.abs(Date.now() - max)).toBeLessThan(60_000);
  });

  it('passes --service and --since to the search', async () => {
    const jaeger = await fakeJaeger({
      traces: { status: 200, body: answer([retriedTrace]) },
      services: { status: 200, body: { services: ['billing-worker'] } },
    });
    const { code } = await runScript([`--url=${jaeger.url}`, '--service', 'billing-worker', '--since', '2h']);
    expect(code).toBe(0);
    const search = jaeger.seen.find((u) => u.pathname === '/api/v3/traces')!;
    expect(search.searchParams.get('query.serviceName')).toBe('billing-worker');
    const range =
      Date.parse(search.searchParams.get('query.startTimeMax')!) -
      Date.parse(search.searchParams.get('query.startTimeMin')!);
    expect(range).toBe(2 * 3_600_000);
  });

  it('says plainly that there are no traces when Jaeger answers 404, and exits 1', async () => {
    const jaeger = await fakeJaeger({ traces: noTraces });
    const { code, stdout, stderr } = await runScript(['--url', jaeger.url]);
    expect(code).toBe(1);
    expect(stdout).toContain(
      `No traces found in Jaeger ${jaeger.url} for service "${DEFAULT_SERVICE}" in the last 15m.`,
    );
    expect(stderr).toBe('');
  });

  it('exits 1 when the service is unknown to Jaeger, naming the ones it knows', async () => {
    const jaeger = await fakeJaeger({
      traces: noTraces,
      services: { status: 200, body: { services: ['jaeger'] } },
    });
    const { code, stdout } = await runScript(['--url', jaeger.url]);
    expect(code).toBe(1);
    expect(stdout).toContain(`no traces of service "${DEFAULT_SERVICE}"`);
    expect(stdout).toContain('services it knows: jaeger');
  });

  it('exits 1 when traces arrived but none was retried', async () => {
    const jaeger = await fakeJaeger({ traces: { status: 200, body: answer([plainTrace]) } });
    const { code, stdout } = await runScript(['--url', jaeger.url]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/traces found:\s+1/);
    expect(stdout).toContain('No retried call among these traces');
  });

  it('exits 2 with a hint to start the stack when Jaeger cannot be reached', async () => {
    const port = await closedPort();
    const { code, stdout, stderr } = await runScript(['--url', `http://127.0.0.1:${port}`]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(`cannot reach Jaeger at http://127.0.0.1:${port}`);
    expect(stderr).toContain('docker compose up -d');
  });

  it('exits 2 when Jaeger answers with an error', async () => {
    const jaeger = await fakeJaeger({
      traces: {
        status: 400,
        body: { error: { httpCode: 400, message: 'query.startTimeMin and query.startTimeMax are required' } },
      },
    });
    const { code, stderr } = await runScript(['--url', jaeger.url]);
    expect(code).toBe(2);
    expect(stderr).toContain('HTTP 400');
    expect(stderr).toContain('are required');
  });

  it('rejects bad arguments with usage and exit 64', async () => {
    const { code, stderr } = await runScript(['--since', 'soon']);
    expect(code).toBe(64);
    expect(stderr).toContain('not a duration');
    expect(stderr).toContain('Usage:');
  });
});

describe('jaeger-check pure parts', () => {
  it('builds the API v3 search URL with both RFC 3339 bounds', () => {
    const url = new URL(
      buildTracesUrl('http://localhost:16686/', {
        service: 'svc a',
        start: Date.UTC(2026, 0, 1),
        end: Date.UTC(2026, 0, 1, 0, 15),
        limit: 50,
      }),
    );
    expect(url.pathname).toBe('/api/v3/traces');
    expect(url.searchParams.get('query.serviceName')).toBe('svc a');
    expect(url.searchParams.get('query.startTimeMin')).toBe('2026-01-01T00:00:00.000Z');
    expect(url.searchParams.get('query.startTimeMax')).toBe('2026-01-01T00:15:00.000Z');
    expect(url.searchParams.get('query.searchDepth')).toBe('50');
  });

  it('parses durations and arguments, with environment defaults', () => {
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(() => parseDuration('0m')).toThrow();
    expect(() => parseDuration('15')).toThrow();
    const options = parseArgs([], { JAEGER_URL: 'http://jaeger:16686/', OTEL_SERVICE_NAME: 'my-app' });
    expect(options).toMatchObject({
      url: 'http://jaeger:16686',
      service: 'my-app',
      since: '15m',
      sinceMs: 900_000,
    });
    expect(parseArgs(['--service', 'x'], { OTEL_SERVICE_NAME: 'my-app' }).service).toBe('x');
    expect(() => parseArgs(['--bogus'])).toThrow();
  });

  it('reads OTLP JSON attribute values, int64 as string or number', () => {
    expect(attributeValue({ intValue: '429' })).toBe(429);
    expect(attributeValue({ intValue: 3 })).toBe(3);
    expect(attributeValue({ stringValue: 'rate_limit_error' })).toBe('rate_limit_error');
    expect(attributeValue({ boolValue: false })).toBe(false);
    expect(attributeValue({ arrayValue: { values: [{ stringValue: 'end_turn' }] } })).toEqual(['end_turn']);
    expect(attributeValue(null)).toBeUndefined();
  });

  it('accepts trace ids as hex or base64', () => {
    expect(normalizeId('4BF92F3577B34DA6A3CE929D0E0E4736')).toBe(RETRIED_TRACE);
    expect(normalizeId(Buffer.from(RETRIED_TRACE, 'hex').toString('base64'))).toBe(RETRIED_TRACE);
    expect(normalizeId(undefined)).toBe('');
  });

  it('finds the retried call, its attempts in order, and ignores HTTP spans nested in an attempt', () => {
    const analysis = analyzeTraces(answer([plainTrace, retriedTrace]));
    expect(analysis).toMatchObject({
      traceCount: 2,
      callCount: 2,
      attemptCount: 4,
      retriedTraceIds: [RETRIED_TRACE],
    });
    expect(analysis.retried[0]).toMatchObject({
      attempts: 3,
      attemptSpans: 3,
      resends: 2,
      outcomes: ['429', '529', '200'],
    });
    expect(analysis.attemptsByStatus).toEqual({ '200': 2, '429': 1, '529': 1 });
    expect(analysis.errorSpanCount).toBe(2);
    expect(analysis.incomplete).toEqual([]);
  });

  it('does not count a retry whose attempt spans are missing, and says so', () => {
    const logicalOnly: TraceSpec = { traceId: RETRIED_TRACE, spans: retriedTrace.spans.slice(0, 3) };
    const analysis = analyzeTraces(answer([logicalOnly]));
    expect(analysis.retried).toEqual([]);
    expect(analysis.incomplete).toMatchObject([{ traceId: RETRIED_TRACE, attempts: 3, attemptSpans: 1 }]);
  });

  it('gives attempts whose parent is missing to the only call of their trace', () => {
    const orphaned: TraceSpec = {
      traceId: RETRIED_TRACE,
      spans: retriedTrace.spans.map((s) =>
        s.name === 'POST /v1/messages' ? { ...s, parent: 'ffffffffffffffff' } : s,
      ),
    };
    expect(analyzeTraces(answer([orphaned])).retried).toHaveLength(1);
  });

  it('finds attempts below an intermediate HTTP span (e.g. the SDK call span), and falls back to unnamed HTTP spans', () => {
    const sdkSpan: SpanSpec = {
      id: 'c000000000000001',
      parent: 'a000000000000001',
      name: 'anthropic sdk call',
      startMs: 1,
      attrs: { 'http.request.method': 'POST', 'http.request.resend_count': 2 },
    };
    const wrapped: TraceSpec = {
      traceId: RETRIED_TRACE,
      spans: [
        ...retriedTrace.spans.map((s) => (s.name === 'POST /v1/messages' ? { ...s, parent: sdkSpan.id } : s)),
        sdkSpan,
      ],
    };
    expect(analyzeTraces(answer([wrapped])).retried[0]).toMatchObject({
      attemptSpans: 3,
      outcomes: ['429', '529', '200'],
    });

    // Spans not named like the gateway's: the outermost HTTP spans count.
    const renamed: TraceSpec = {
      traceId: RETRIED_TRACE,
      spans: retriedTrace.spans.map((s) => (s.name === 'POST /v1/messages' ? { ...s, name: 'POST' } : s)),
    };
    expect(analyzeTraces(answer([renamed])).retried[0]).toMatchObject({ attemptSpans: 3, resends: 2 });
  });

  it('tolerates empty and odd answers', () => {
    expect(collectSpans({})).toEqual([]);
    expect(collectSpans({ result: { resourceSpans: [{ scopeSpans: [{}] }] } })).toEqual([]);
    expect(analyzeTraces(undefined).traceCount).toBe(0);
  });

  it('runs in-process with an injected fetch', async () => {
    const lines: string[] = [];
    const fakeFetch = (async (input: string | URL | Request) => {
      const path = new URL(String(input)).pathname;
      const body = path.endsWith('/services') ? { services: [DEFAULT_SERVICE] } : answer([retriedTrace]);
      return new Response(JSON.stringify(body), { status: 200 });
    }) as typeof fetch;
    const code = await run([], {
      env: {},
      fetch: fakeFetch,
      out: (l) => lines.push(l),
      err: (l) => lines.push(l),
    });
    expect(code).toBe(EXIT.OK);
    expect(lines.join('\n')).toContain('http://localhost:16686/trace/' + RETRIED_TRACE);
  });
});
