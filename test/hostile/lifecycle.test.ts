/**
 * Lifecycle under `node --import claude-otel-gateway/register` (issue 12): a broken telemetry
 * endpoint or a SIGTERM mid-burst must not keep a process alive. The app (fixtures/hostile-app.mjs)
 * calls a local fake API (./server.ts, ordinary answers) and knows nothing of the gateway.
 *
 * The spec's bound is 2.5 s from the end of the app's work (or from the signal) to the exit; the
 * measured times are printed.
 */
import { spawn } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { closedPort, otlpReceiver } from '../otlp.js';
import { hostile } from './harness.js';
import { ordinaryFor as okFor } from './server.js';

const EXIT_BOUND_MS = 2_500;
const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = fileURLToPath(new URL('../fixtures/hostile-app.mjs', import.meta.url));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
  /** Epoch ms of the exit, as the parent saw it. */
  exitedAt: number;
  /** Epoch ms the parent sent SIGTERM, when it did. */
  signalledAt?: number;
}

/** Runs the fixture under the register hook; `onLine` may send SIGTERM. Killed after 20 s. */
function run(
  env: Record<string, string>,
  onLine?: (line: Record<string, number>, term: () => void) => void,
): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'claude-otel-gateway/register', fixture], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      ANTHROPIC_API_KEY: 'sk-hostile-lifecycle',
      OTEL_SERVICE_NAME: 'hostile-app',
      ...env,
    },
  });
  const result: Partial<Run> = {};
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => {
    const text = String(c);
    out += text;
    for (const line of text.split('\n').filter(Boolean)) {
      try {
        onLine?.(JSON.parse(line) as Record<string, number>, () => {
          result.signalledAt = Date.now();
          child.kill('SIGTERM');
        });
      } catch {}
    }
  });
  child.stderr.on('data', (c) => (err += c));
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      resolve({ ...result, code, signal, out, err, exitedAt: Date.now() } as Run);
    }),
  );
}

/** A TCP port that accepts connections and never answers. */
const holes: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(holes.splice(0).map((close) => close()));
});
async function blackHole(): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  holes.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });
  return (server.address() as AddressInfo).port;
}

function doneAt(out: string): number {
  const line = out.split('\n').find((l) => l.includes('"done"'));
  expect(line, `the app finished its work; stdout: ${out}`).toBeDefined();
  return (JSON.parse(line!) as { done: number }).done;
}

describe('lifecycle under --import claude-otel-gateway/register', () => {
  it('with OTEL_EXPORTER_OTLP_ENDPOINT at a port where nothing listens, the app exits within 2.5 s of its work', async () => {
    const api = await hostile();
    const port = await closedPort();
    const result = await run({
      ANTHROPIC_BASE_URL: api.url,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
    });
    const after = result.exitedAt - doneAt(result.out);
    console.log(
      `nothing listening: exited ${after} ms after its work (code ${result.code}, signal ${result.signal})`,
    );
    expect(result.code).toBe(0);
    expect(after).toBeLessThanOrEqual(EXIT_BOUND_MS);
  }, 30_000);

  it('with OTEL_EXPORTER_OTLP_ENDPOINT at a black hole (accepts TCP, never answers), the app exits within 2.5 s of its work', async () => {
    const api = await hostile();
    const port = await blackHole();
    const result = await run({
      ANTHROPIC_BASE_URL: api.url,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
    });
    const after = result.exitedAt - doneAt(result.out);
    console.log(
      `black hole: exited ${after} ms after its work (code ${result.code}, signal ${result.signal})`,
    );
    expect(result.signal, 'exited by itself, not killed').toBeNull();
    expect(result.code).toBe(0);
    expect(after).toBeLessThanOrEqual(EXIT_BOUND_MS);
  }, 30_000);

  const endpoints: Array<[string, () => Promise<{ url: string; json: boolean }>]> = [
    ['a working collector', async () => ({ url: (await otlpReceiver()).url, json: true })],
    ['a black-hole collector', async () => ({ url: `http://127.0.0.1:${await blackHole()}`, json: false })],
  ];

  it.each(endpoints)(
    'an app in a loop of calls gets SIGTERM mid-burst and exits within 2.5 s of the signal (%s)',
    async (name, endpoint) => {
      const api = await hostile();
      api.fallback((req) => [{ kind: 'wait', ms: 20 }, ...okFor(req)]);
      const otlp = await endpoint();
      const result = await run(
        {
          ANTHROPIC_BASE_URL: api.url,
          HOSTILE_APP_MODE: 'loop',
          OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
          ...(otlp.json ? { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' } : {}),
        },
        (line, term) => {
          if (line.burst) term();
        },
      );
      expect(
        result.signalledAt,
        `the burst started; stdout ${result.out} stderr ${result.err.slice(0, 500)}`,
      ).toBeDefined();
      const after = result.exitedAt - result.signalledAt!;
      console.log(
        `SIGTERM mid-burst, ${name}: exited ${after} ms after the signal (code ${result.code}, signal ${result.signal}); ${api.requests.length} calls made`,
      );
      expect(result.signal === 'SIGTERM' || result.code !== null).toBe(true);
      expect(after).toBeLessThanOrEqual(EXIT_BOUND_MS);
    },
    30_000,
  );
});
