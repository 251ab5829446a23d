// Static checks of the bundled stack: collector/config.yaml and docker-compose.yml.
// No Docker here, so these tests read the files the way the Collector and Compose would.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const collectorPath = join(root, 'collector/config.yaml');
const composePath = join(root, 'docker-compose.yml');

type Dict = Record<string, unknown>;
const asDict = (value: unknown): Dict =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Dict) : {};
const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const strings = (value: unknown): string[] => asList(value).map(String);

interface Pipeline {
  receivers: string[];
  processors: string[];
  exporters: string[];
}

const collector = asDict(parse(readFileSync(collectorPath, 'utf8')));
const compose = asDict(parse(readFileSync(composePath, 'utf8')));
const collectorText = readFileSync(collectorPath, 'utf8');

const section = (name: string) => asDict(collector[name]);
const service = asDict(collector.service);
const pipelines: Record<string, Pipeline> = Object.fromEntries(
  Object.entries(asDict(service.pipelines)).map(([id, p]) => {
    const d = asDict(p);
    return [
      id,
      { receivers: strings(d.receivers), processors: strings(d.processors), exporters: strings(d.exporters) },
    ];
  }),
);
/** `otlp_grpc/jaeger` → `otlp_grpc`; `traces/in` → `traces`. */
const typeOf = (id: string) => id.split('/')[0] ?? id;
const signalOf = typeOf;
const idsOfType = (sectionName: string, type: string) =>
  Object.keys(section(sectionName)).filter((id) => typeOf(id) === type);
const pipelinesWith = (kind: keyof Pipeline, id: string) =>
  Object.entries(pipelines).filter(([, p]) => p[kind].includes(id));

const services = asDict(compose.services);
const composeService = (name: string) => asDict(services[name]);
const jaeger = composeService('jaeger');
const otelCollector = composeService('otel-collector');
const redis = composeService('redis');

/** "127.0.0.1:4318:4318/tcp" → { host: 4318, container: 4318 }. */
function portMappings(svc: Dict): Array<{ host: number; container: number }> {
  return asList(svc.ports).map((entry) => {
    if (typeof entry === 'object' && entry !== null) {
      const d = asDict(entry);
      return { host: Number(d.published), container: Number(d.target) };
    }
    const parts = String(entry)
      .replace(/\/(tcp|udp)$/, '')
      .split(':');
    return { host: Number(parts.at(-2)), container: Number(parts.at(-1)) };
  });
}
const portOf = (endpoint: unknown) => Number(String(endpoint).split(':').at(-1));

describe('collector/config.yaml', () => {
  it('is a YAML mapping with the usual sections', () => {
    for (const name of ['extensions', 'receivers', 'processors', 'connectors', 'exporters', 'service']) {
      expect(collector, name).toHaveProperty(name);
    }
    expect(Object.keys(pipelines).length).toBeGreaterThan(0);
  });

  it('names only defined components in its pipelines, with valid signal types', () => {
    const defined = (name: string) => Object.keys(section(name));
    for (const [id, p] of Object.entries(pipelines)) {
      expect(['traces', 'metrics', 'logs'], id).toContain(signalOf(id));
      for (const r of p.receivers)
        expect([...defined('receivers'), ...defined('connectors')], `${id} receiver`).toContain(r);
      for (const r of p.processors) expect(defined('processors'), `${id} processor`).toContain(r);
      for (const r of p.exporters)
        expect([...defined('exporters'), ...defined('connectors')], `${id} exporter`).toContain(r);
      expect(p.receivers.length, `${id} has receivers`).toBeGreaterThan(0);
      expect(p.exporters.length, `${id} has exporters`).toBeGreaterThan(0);
    }
    for (const ext of strings(service.extensions)) expect(defined('extensions')).toContain(ext);
  });

  it('uses every component it defines', () => {
    const used = (kind: keyof Pipeline) => new Set(Object.values(pipelines).flatMap((p) => p[kind]));
    for (const id of Object.keys(section('receivers'))) expect(used('receivers'), id).toContain(id);
    for (const id of Object.keys(section('processors'))) expect(used('processors'), id).toContain(id);
    for (const id of Object.keys(section('exporters'))) expect(used('exporters'), id).toContain(id);
    for (const id of Object.keys(section('extensions')))
      expect(strings(service.extensions), id).toContain(id);
  });

  it('uses every connector as exporter in one pipeline and receiver in another, between the right signals', () => {
    // Which signal each connector type takes in and gives out.
    const shapes: Record<string, (from: string, to: string) => boolean> = {
      span_metrics: (from, to) => from === 'traces' && to === 'metrics',
      forward: (from, to) => from === to,
    };
    for (const id of Object.keys(section('connectors'))) {
      const from = pipelinesWith('exporters', id);
      const to = pipelinesWith('receivers', id);
      expect(from.length, `${id} as exporter`).toBeGreaterThan(0);
      expect(to.length, `${id} as receiver`).toBeGreaterThan(0);
      const shape = shapes[typeOf(id)];
      expect(shape, `known connector type ${typeOf(id)}`).toBeDefined();
      for (const [a] of from)
        for (const [b] of to) {
          expect(a, `${id} between distinct pipelines`).not.toBe(b);
          expect(shape?.(signalOf(a), signalOf(b)), `${id}: ${a} → ${b}`).toBe(true);
        }
    }
  });

  it('uses the current component names, not deprecated aliases or retired components', () => {
    const types = (name: string) => Object.keys(section(name)).map(typeOf);
    expect(types('exporters')).toContain('otlp_grpc');
    expect(types('connectors')).toContain('span_metrics');
    expect(types('exporters')).not.toContain('otlp'); // deprecated alias of otlp_grpc
    expect(types('exporters')).not.toContain('otlphttp'); // deprecated alias of otlp_http
    expect(types('exporters')).not.toContain('jaeger'); // removed from the Collector
    expect(types('exporters')).not.toContain('logging'); // replaced by debug
    expect(types('connectors')).not.toContain('spanmetrics'); // deprecated alias of span_metrics
    // Batching happens in the exporters' sending_queue.
    expect(types('processors')).not.toContain('batch');
  });

  it('receives OTLP on the SDK default ports (gRPC 4317, HTTP 4318) on all interfaces', () => {
    const protocols = asDict(asDict(section('receivers').otlp).protocols);
    expect(asDict(protocols.grpc).endpoint).toBe('0.0.0.0:4317');
    expect(asDict(protocols.http).endpoint).toBe('0.0.0.0:4318');
  });

  it('accepts traces, metrics and logs from the app (the NodeSDK exports all three by default)', () => {
    for (const signal of ['traces', 'metrics', 'logs']) {
      const fromApp = Object.entries(pipelines).filter(
        ([id, p]) => signalOf(id) === signal && p.receivers.includes('otlp'),
      );
      expect(fromApp.length, signal).toBe(1);
      expect(fromApp[0]?.[1].processors[0], `${signal}: memory_limiter first`).toBe('memory_limiter');
    }
    const logs = Object.entries(pipelines).find(([id]) => signalOf(id) === 'logs');
    expect(logs?.[1].exporters).toEqual(['debug']);
  });

  it('computes span metrics from every span and samples only the export to Jaeger', () => {
    const [spanMetricsId] = idsOfType('connectors', 'span_metrics');
    const [jaegerExporter] = idsOfType('exporters', 'otlp_grpc');
    expect(spanMetricsId).toBeDefined();
    expect(jaegerExporter).toBeDefined();

    // The pipeline feeding span_metrics takes the app's spans and does not sample.
    const feeding = pipelinesWith('exporters', spanMetricsId!);
    expect(feeding).toHaveLength(1);
    const [feedId, feed] = feeding[0]!;
    expect(feed.receivers).toEqual(['otlp']);
    expect(feed.processors.map(typeOf)).not.toContain('tail_sampling');

    // Every pipeline that exports to Jaeger samples, and gets its spans from the unsampled one.
    const toJaeger = pipelinesWith('exporters', jaegerExporter!);
    expect(toJaeger.length).toBeGreaterThan(0);
    for (const [id, p] of toJaeger) {
      expect(p.processors.map(typeOf), id).toContain('tail_sampling');
      for (const r of p.receivers) {
        expect(Object.keys(section('connectors')), `${id} reads from a connector`).toContain(r);
        expect(feed.exporters, `${id} is fed by ${feedId}`).toContain(r);
      }
    }
  });

  it('exposes span metrics with the GenAI and error dimensions on a Prometheus endpoint (8889)', () => {
    const spanMetrics = asDict(section('connectors').span_metrics);
    const dims = asList(spanMetrics.dimensions).map((d) => asDict(d).name);
    expect(dims).toEqual(
      expect.arrayContaining(['gen_ai.request.model', 'error.type', 'gen_ai.operation.name']),
    );
    expect(asDict(spanMetrics.histogram).disable).not.toBe(true);

    const prometheus = asDict(section('exporters').prometheus);
    expect(prometheus.endpoint).toBe('0.0.0.0:8889');
    const metrics = pipelinesWith('exporters', 'prometheus');
    expect(metrics).toHaveLength(1);
    expect(metrics[0]?.[1].receivers).toEqual(expect.arrayContaining(['otlp', 'span_metrics']));
  });

  it('exports to Jaeger over OTLP gRPC, in plaintext inside the compose network, batching in the queue', () => {
    const [id] = idsOfType('exporters', 'otlp_grpc');
    const exporter = asDict(section('exporters')[id!]);
    const [host, port] = String(exporter.endpoint).split(':');
    expect(Object.keys(services)).toContain(host);
    expect(Number(port)).toBe(4317);
    expect(asDict(exporter.tls).insecure).toBe(true);
    const queue = asDict(exporter.sending_queue);
    expect(queue.enabled).not.toBe(false);
    expect(queue).toHaveProperty('batch');
  });

  it('keeps every retried, throttled or failed trace and a configurable share of the rest', () => {
    const tail = asDict(section('processors').tail_sampling);
    const policies = asList(tail.policies).map(asDict);
    const ofType = (type: string) => policies.filter((p) => p.type === type).map((p) => asDict(p[type]));

    const numeric = ofType('numeric_attribute');
    const retried = numeric.find((p) => p.key === 'claude_gateway.attempts');
    expect(retried?.min_value).toBe(2);
    expect(Number(retried?.max_value)).toBeGreaterThanOrEqual(100);

    const status = numeric.find((p) => p.key === 'http.response.status_code');
    for (const code of [429, 529]) {
      expect(Number(status?.min_value)).toBeLessThanOrEqual(code);
      expect(Number(status?.max_value)).toBeGreaterThanOrEqual(code);
    }
    expect(Number(status?.min_value)).toBeGreaterThan(400); // 4xx client errors other than 429 are not throttles

    expect(ofType('status_code').flatMap((p) => strings(p.status_codes))).toContain('ERROR');

    const ottl = ofType('ottl_condition').flatMap((p) => strings(p.span));
    expect(ottl.some((condition) => condition.includes('attributes["error.type"]'))).toBe(true);

    const probabilistic = ofType('probabilistic');
    expect(probabilistic).toHaveLength(1);
    expect(String(probabilistic[0]?.sampling_percentage)).toMatch(/^\$\{env:SAMPLE_PERCENT:-\d+(\.\d+)?\}$/);

    // How long a trace is held before the decision: configurable, a whole number of seconds by default.
    expect(String(tail.decision_wait)).toMatch(/^\$\{env:DECISION_WAIT:-\d+s\}$/);
  });

  it('serves its health check on 13133 from all interfaces', () => {
    expect(asDict(section('extensions').health_check).endpoint).toBe('0.0.0.0:13133');
  });

  it('gives every environment variable it reads a default, and compose passes each one through', () => {
    const refs = [...collectorText.matchAll(/\$\{env:([A-Z0-9_]+)(:-[^}]*)?\}/g)];
    expect(refs.length).toBeGreaterThan(0);
    const environment = asDict(otelCollector.environment);
    for (const [ref, name, fallback] of refs) {
      expect(fallback, `${ref} has a default`).toBeDefined();
      expect(Object.keys(environment), `compose passes ${name}`).toContain(name);
      expect(String(environment[name!]), `${name} from the shell`).toMatch(
        new RegExp(`^\\$\\{${name}(:-[^}]*)?\\}$`),
      );
    }
  });
});

describe('docker-compose.yml', () => {
  it('defines Jaeger v2 and the Collector contrib image', () => {
    expect(String(jaeger.image)).toMatch(
      /^(docker\.io\/|cr\.jaegertracing\.io\/)?jaegertracing\/jaeger:2\.\d+\.\d+$/,
    );
    expect(String(otelCollector.image)).toMatch(
      /^(docker\.io\/)?otel\/opentelemetry-collector-contrib:0\.\d+\.\d+$/,
    );
  });

  it('pins every image to a version tag', () => {
    for (const [name, svc] of Object.entries(services)) {
      const image = String(asDict(svc).image);
      const tag = image.includes('@sha256:') ? 'digest' : image.split(':').at(-1);
      expect(image.includes(':') || image.includes('@'), `${name} has a tag`).toBe(true);
      expect(tag, name).not.toBe('latest');
      expect(image, name).not.toContain('${');
    }
  });

  it('publishes the SDK default OTLP ports from the collector, and the UI and metrics ports', () => {
    const collectorPorts = portMappings(otelCollector);
    for (const port of [4317, 4318, 8889, 13133]) {
      expect(collectorPorts, `collector ${port}`).toContainEqual({ host: port, container: port });
    }
    expect(portMappings(jaeger)).toContainEqual({ host: 16686, container: 16686 });
    // Jaeger's own OTLP ports stay inside the network: the host's 4317/4318 belong to the collector.
    const hostPorts = Object.values(services).flatMap((svc) => portMappings(asDict(svc)).map((m) => m.host));
    expect(hostPorts.filter((p) => p === 4317)).toHaveLength(1);
    expect(hostPorts.filter((p) => p === 4318)).toHaveLength(1);
  });

  it('matches the ports in the collector config', () => {
    const published = portMappings(otelCollector).map((m) => m.container);
    const protocols = asDict(asDict(section('receivers').otlp).protocols);
    expect(published).toContain(portOf(asDict(protocols.grpc).endpoint));
    expect(published).toContain(portOf(asDict(protocols.http).endpoint));
    expect(published).toContain(portOf(asDict(section('exporters').prometheus).endpoint));
    expect(published).toContain(portOf(asDict(section('extensions').health_check).endpoint));
  });

  it('starts the collector once Jaeger is healthy', () => {
    expect(asDict(asDict(otelCollector.depends_on).jaeger).condition).toBe('service_healthy');
  });

  it('gives a healthcheck to every service another waits on, runnable without a shell', () => {
    for (const [name, svc] of Object.entries(services)) {
      for (const [dependency, spec] of Object.entries(asDict(asDict(svc).depends_on))) {
        if (asDict(spec).condition !== 'service_healthy') continue;
        const test = strings(asDict(composeService(dependency).healthcheck).test);
        expect(test[0], `${name} waits on ${dependency}'s healthcheck`).toBe('CMD');
      }
    }
    const jaegerCheck = strings(asDict(jaeger.healthcheck).test);
    expect(jaegerCheck.join(' ')).toMatch(/wget .*http:\/\/127\.0\.0\.1:13133\/status/);
    // The contrib image has no shell: a CMD-SHELL healthcheck there would never pass.
    const collectorCheck = strings(asDict(otelCollector.healthcheck).test);
    expect(collectorCheck[0]).not.toBe('CMD-SHELL');
  });

  it('runs Redis for the processes that share their limits: pinned, on 6379, healthy, nothing on disk', () => {
    expect(String(redis.image)).toMatch(/^(docker\.io\/)?redis:7\.\d+\.\d+(-alpine)?$/);
    expect(portMappings(redis)).toContainEqual({ host: 6379, container: 6379 });
    expect(strings(asDict(redis.healthcheck).test)).toEqual(['CMD', 'redis-cli', 'ping']);
    const command = strings(redis.command);
    expect(command[0]).toBe('redis-server');
    expect(command.join(' ')).toMatch(/--save\s+--appendonly no|--save {2}--appendonly no/);
    expect(redis.volumes, 'no volume: the state is disposable').toBeUndefined();
  });

  it('mounts collector/config.yaml where the collector reads its config', () => {
    const volumes = strings(otelCollector.volumes);
    const mount = volumes
      .map((v) => v.split(':'))
      .find(([source]) => resolve(root, source ?? '') === collectorPath);
    expect(mount, 'collector/config.yaml is mounted').toBeDefined();
    expect(existsSync(resolve(root, mount![0]!))).toBe(true);
    const target = mount![1];
    expect(mount![2], 'read-only').toBe('ro');
    const command = strings(otelCollector.command).join(' ');
    expect(command).toContain(`--config=${target}`);
  });
});
