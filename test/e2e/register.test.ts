/** A real app under `node --import claude-otel-gateway/register`, as ESM and CommonJS, exporting
 * OTLP/HTTP JSON to a receiver inside the test. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { otlpAttr as attr, otlpReceiver as receiver } from '../otlp.js';
import { sim } from '../helpers.js';

function run(file: string, env: Record<string, string>, onStdout?: (line: string, kill: () => void) => void) {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const child = spawn(
    process.execPath,
    [
      '--import',
      'claude-otel-gateway/register',
      fileURLToPath(new URL(`../fixtures/${file}`, import.meta.url)),
    ],
    {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ...env },
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => {
    out += c;
    onStdout?.(String(c), () => child.kill('SIGTERM'));
  });
  child.stderr.on('data', (c) => (err += c));
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>(
    (resolve) => child.on('exit', (code, signal) => resolve({ code, signal, out, err })),
  );
}

describe('node --import claude-otel-gateway/register', () => {
  for (const file of ['app.mjs', 'app.cjs']) {
    it(`${file}: every client goes through the gateway, spans reach the OTLP receiver, the process ends by itself`, async () => {
      const s = await sim();
      s.enqueue({ kind: 'error', status: 529 });
      const otlp = await receiver();
      const result = await run(file, {
        ANTHROPIC_API_KEY: 'sk-e2e-secret',
        ANTHROPIC_BASE_URL: s.url,
        OTEL_SERVICE_NAME: 'e2e-app',
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_LOGS_EXPORTER: 'none',
        CLAUDE_GATEWAY_BASE_DELAY_MS: '10',
      });
      expect(result.err).toBe('');
      expect(result.code).toBe(0);
      expect(JSON.parse(result.out)).toEqual({ type: 'message', maxRetries: 0 });
      expect(s.stats().attempts).toBe(2);
      const calls = otlp.spans.filter((x) => x.name === 'anthropic.messages.create');
      expect(calls).toHaveLength(1);
      expect(Number(attr(calls[0]!, 'claude_gateway.attempts'))).toBe(2);
      const attempts = otlp.spans.filter((x) => x.name === 'POST /v1/messages');
      expect(attempts).toHaveLength(2);
      for (const a of attempts) expect(a.parentSpanId).toBe(calls[0]!.spanId);
      expect(JSON.stringify(otlp.spans)).not.toContain('sk-e2e-secret');
    });
  }

  it('SIGTERM flushes the spans once and the process exits', async () => {
    const s = await sim();
    const otlp = await receiver();
    const result = await run(
      'app.mjs',
      {
        ANTHROPIC_API_KEY: 'sk-e2e',
        ANTHROPIC_BASE_URL: s.url,
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_LOGS_EXPORTER: 'none',
        WAIT_FOR_SIGTERM: '1',
      },
      (_line, kill) => setTimeout(kill, 50),
    );
    expect(result.signal === 'SIGTERM' || result.code !== null).toBe(true);
    expect(otlp.spans.filter((x) => x.name === 'anthropic.messages.create')).toHaveLength(1);
    expect(otlp.posts.filter((p) => p === '/v1/traces')).toHaveLength(1);
  });
});
