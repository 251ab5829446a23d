/** An OTLP/HTTP JSON receiver for end-to-end tests (set `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`):
 * what a collector would get, parsed. Closed after each test. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

type KeyValue = { key: string; value: Record<string, unknown> };
export interface OtlpSpan {
  name: string;
  spanId: string;
  parentSpanId?: string;
  attributes?: KeyValue[];
}

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

export async function otlpReceiver() {
  const spans: OtlpSpan[] = [];
  const services = new Set<unknown>();
  const posts: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      posts.push(req.url ?? '');
      if (req.url === '/v1/traces') {
        const parsed = JSON.parse(body) as {
          resourceSpans?: Array<{
            resource?: { attributes?: KeyValue[] };
            scopeSpans: Array<{ spans: OtlpSpan[] }>;
          }>;
        };
        for (const rs of parsed.resourceSpans ?? []) {
          services.add(rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue);
          for (const ss of rs.scopeSpans) spans.push(...ss.spans);
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return { spans, services, posts, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** An attribute's value from an OTLP JSON span. */
export function otlpAttr(span: OtlpSpan, key: string): unknown {
  const v = span.attributes?.find((a) => a.key === key)?.value;
  return v ? Object.values(v)[0] : undefined;
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}
