/** `node dist/demo/main.js` as a user runs it (dist is built by test/global-setup.ts), with an
 * OTLP/HTTP JSON receiver inside the test, and with nothing listening. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { closedPort, otlpAttr as attr, otlpReceiver as receiver } from '../otlp.js';
import { cleanPrefix, REDIS_URL, testPrefix } from '../store/redis-helpers.js';

function demo(
  args: string[],
  env: Record<string, string>,
  onOutput?: (out: string, interrupt: () => void) => void,
) {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const child = spawn(process.execPath, ['dist/demo/main.js', ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => {
    out += c;
    onOutput?.(out, () => child.kill('SIGINT'));
  });
  child.stderr.on('data', (c) => (err += c));
  const started = Date.now();
  return new Promise<{ code: number | null; out: string; err: string; ms: number }>((resolve) =>
    child.on('exit', (code) => resolve({ code, out, err, ms: Date.now() - started })),
  );
}

describe('npm start (node dist/demo/main.js)', () => {
  it('runs the burst against the simulator, prints the retries it survived, and exports the spans', async () => {
    const otlp = await receiver();
    const result = await demo(['--calls', '40', '--scenario', 'burst'], {
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    });
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toContain(
      `Exporting traces and metrics over OTLP to ${otlp.url} (service claude-otel-gateway-demo).`,
    );
    const survived = /All 40 calls succeeded, surviving (\d+) retries\./.exec(result.out);
    expect(survived, result.out).not.toBeNull();
    expect(Number(survived![1])).toBeGreaterThan(0);
    expect(result.out).toMatch(/retries {17}\d+: .*ramp_limit \d+/);
    expect(result.out).toMatch(/ramp_limit_exceeded\s+[1-9]\d*\s+[1-9]\d*/);
    expect(result.out).toContain('What to look at in Jaeger');

    const attempts = otlp.spans.filter((s) => s.name === 'POST /v1/messages');
    const sent = Number(/attempts sent\s+(\d+)/.exec(result.out)![1]);
    expect(attempts).toHaveLength(sent);
    expect(attempts.some((s) => attr(s, 'claude_gateway.retry.reason') === 'ramp_limit')).toBe(true);
    expect(otlp.services).toEqual(new Set(['claude-otel-gateway-demo']));
    expect(otlp.posts).toContain('/v1/metrics');
  });

  it('says plainly when no collector answers, ignores an API key without --real, and exits by itself', async () => {
    const closed = { url: `http://127.0.0.1:${await closedPort()}` };
    const result = await demo(['--calls', '20', '--scenario', 'none'], {
      OTEL_EXPORTER_OTLP_ENDPOINT: closed.url,
      ANTHROPIC_API_KEY: 'sk-ant-must-not-be-used',
    });
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toContain(
      `No OpenTelemetry collector at ${closed.url} — traces are not exported. Run \`docker compose up -d\` to see them in Jaeger.`,
    );
    expect(result.out).toContain('ANTHROPIC_API_KEY is set but ignored');
    expect(result.out).toContain('All 20 calls succeeded, surviving 0 retries.');
    expect(result.out).toContain(`No collector answered at ${closed.url}`);
    expect(result.out).not.toContain('What to look at in Jaeger');
    expect(result.ms).toBeLessThan(15_000);
  });

  it('Ctrl+C aborts the calls still running, prints the summary and exits 130', async () => {
    let sent = false;
    const result = await demo(
      ['--calls', '300'],
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' },
      (out, interrupt) => {
        if (!sent && /retries [1-9]/.test(out)) {
          sent = true;
          interrupt();
        }
      },
    );
    expect(result.err).toBe('');
    expect(result.code).toBe(130);
    expect(result.out).toMatch(/Interrupted after [\d.]+ s: \d+ calls ok, 0 failed, \d+ aborted\./);
    expect(result.out).toContain('Summary: 300 calls');
  });

  it('--workers 2 splits the burst across 2 processes: alone without Redis, sharing with CLAUDE_GATEWAY_REDIS_URL', async () => {
    const closed = { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await closedPort()}` };
    const args = ['--workers', '2', '--calls', '40', '--scenario', 'burst'];
    const alone = await demo(args, closed);
    expect(alone.code, alone.err).toBe(0);
    expect(alone.out).toContain('from 2 processes, each with its own gateway, each learning alone');
    expect(alone.out).toContain('The 2 processes side by side:');
    expect(alone.out).toMatch(/#1 +20 +20 +0 .* memory\n/);
    expect(alone.out).toMatch(/#2 +20 +20 +0 .* memory\n/);
    expect(alone.out).toContain('Each process learned alone');

    const prefix = testPrefix();
    try {
      const shared = await demo(args, {
        ...closed,
        CLAUDE_GATEWAY_REDIS_URL: REDIS_URL,
        CLAUDE_GATEWAY_REDIS_KEY_PREFIX: prefix,
      });
      expect(shared.code, shared.err).toBe(0);
      expect(shared.out).toContain('sharing their limits through Redis');
      expect(shared.out).toMatch(/#1 +20 +20 +0 .* redis \(2 sharing\)\n/);
      expect(shared.out).toMatch(/#2 +20 +20 +0 .* redis \(2 sharing\)\n/);
      expect(shared.out).toContain('Shared through Redis');
      expect(shared.out).not.toContain(REDIS_URL.replace(/^redis:\/\//, ''));
    } finally {
      await cleanPrefix(prefix);
    }
  }, 60_000);

  it('bad arguments exit 2 with the flag named', async () => {
    const result = await demo(['--stream-share', '2'], {});
    expect(result.code).toBe(2);
    expect(result.err).toContain('--stream-share: expected a number from 0 to 1, got "2"');
  });
});
