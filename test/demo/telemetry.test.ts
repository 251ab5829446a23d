/** The demo's telemetry pieces: where OTLP goes, the collector probe, the attempt-span counter. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AttemptCounter, otlpTarget, probeCollector, serviceNameFromEnv } from '../../src/demo/telemetry.js';
import { gatewayClient, PARAMS, sim, tracing, until } from '../helpers.js';

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

async function listen(status: number): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(status).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function closedPort(): Promise<string> {
  const url = await listen(200);
  await new Promise((r) => servers.pop()!.close(r));
  return url;
}

describe('otlpTarget', () => {
  it('follows the standard variables, with the NodeSDK defaults', () => {
    expect(otlpTarget({})).toEqual({
      protocol: 'http/protobuf',
      endpoint: 'http://localhost:4318',
      tracesUrl: 'http://localhost:4318/v1/traces',
    });
    expect(
      otlpTarget({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }),
    ).toEqual({
      protocol: 'http/json',
      endpoint: 'http://c:4318',
      tracesUrl: 'http://c:4318/v1/traces',
    });
    expect(otlpTarget({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toMatchObject({
      protocol: 'grpc',
      tracesUrl: 'http://localhost:4317',
    });
    expect(
      otlpTarget({
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t:1/x',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:2',
      }),
    ).toMatchObject({
      tracesUrl: 'http://t:1/x',
    });
  });

  it('takes the service name from OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES', () => {
    expect(serviceNameFromEnv({})).toBeUndefined();
    expect(serviceNameFromEnv({ OTEL_SERVICE_NAME: 'mine' })).toBe('mine');
    expect(serviceNameFromEnv({ OTEL_RESOURCE_ATTRIBUTES: 'a=b, service.name=svc' })).toBe('svc');
  });
});

describe('probeCollector', () => {
  it('answers ok when an OTLP receiver accepts an empty export', async () => {
    const url = await listen(200);
    expect(await probeCollector(otlpTarget({ OTEL_EXPORTER_OTLP_ENDPOINT: url }))).toEqual({ ok: true });
  });

  it('is not ok for a closed port, another HTTP server, or a silent one', async () => {
    const closed = await probeCollector(otlpTarget({ OTEL_EXPORTER_OTLP_ENDPOINT: await closedPort() }));
    expect(closed).toEqual({ ok: false, why: 'ECONNREFUSED' });
    const notFound = await probeCollector(otlpTarget({ OTEL_EXPORTER_OTLP_ENDPOINT: await listen(404) }));
    expect(notFound).toEqual({ ok: false, why: 'it answered HTTP 404' });
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    servers.push(silent);
    const started = Date.now();
    const slow = await probeCollector(
      otlpTarget({
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
      }),
    );
    expect(slow.ok).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
    silent.closeAllConnections();
  });

  it('over gRPC, a TCP connect decides', async () => {
    const url = await listen(200);
    expect(
      await probeCollector(
        otlpTarget({ OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }),
      ),
    ).toEqual({ ok: true });
    const closed = await probeCollector(
      otlpTarget({ OTEL_EXPORTER_OTLP_ENDPOINT: await closedPort(), OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }),
    );
    expect(closed.ok).toBe(false);
  });
});

describe('AttemptCounter', () => {
  const { spans } = tracing();

  it('counts the gateway attempt spans by status and retry reason, and only those', async () => {
    const s = await sim();
    s.enqueue(
      { kind: 'error', status: 429, retryAfterMs: 10 },
      { kind: 'error', status: 529 },
      { kind: 'error', status: 429, errorCode: 'ramp_limit_exceeded' },
    );
    const { client } = gatewayClient(s);
    await client.messages.create(PARAMS);
    await client.messages.create(PARAMS);
    const counter = new AttemptCounter();
    for (const span of spans()) counter.onEnd(span);
    expect(counter.counts).toEqual({
      attempts: 5,
      byStatus: { '200': 2, '429': 2, '529': 1 },
      failedByReason: { rate_limit: 1, overloaded: 1, ramp_limit: 1 },
      retriedByReason: { rate_limit: 1, overloaded: 1, ramp_limit: 1 },
      midStream: 0,
    });
  });

  it('counts errors inside a stream, before and after its first content', async () => {
    const s = await sim();
    s.enqueue({ kind: 'stream-error', afterDeltas: 0 });
    const { client } = gatewayClient(s);
    await client.messages.stream(PARAMS).finalMessage();
    s.enqueue({ kind: 'stream-error', afterDeltas: 2 });
    await expect(client.messages.stream(PARAMS).finalMessage()).rejects.toThrow(/overloaded/);
    await until(() => spans().filter((x) => x.name === 'POST /v1/messages').length === 3);
    const counter = new AttemptCounter();
    for (const span of spans()) counter.onEnd(span);
    expect(counter.counts).toMatchObject({
      attempts: 3,
      byStatus: { '200': 3 },
      retriedByReason: { overloaded: 1 },
      midStream: 2,
    });
  });
});
