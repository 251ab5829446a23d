// The CLI: `sim` in-process through main() with a fake IO, and the built bin with a real SIGINT.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { main, type CliIO } from '../../src/cli.js';
import { sleep } from './helpers.js';

function fakeIO() {
  const out: string[] = [];
  const err: string[] = [];
  let stop: (() => void) | undefined;
  const io: CliIO = {
    out: (line) => void out.push(line),
    err: (line) => void err.push(line),
    onShutdown: (handler) => {
      stop = handler;
      return () => (stop = undefined);
    },
  };
  return { io, out, err, shutdown: () => stop?.() };
}

async function until<T>(fn: () => T | undefined, ms = 5000): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const value = fn();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error('timed out');
    await sleep(10);
  }
}

describe('cli', () => {
  it('runs the simulator with flags, prints its URL and how to use it, and stops on shutdown', async () => {
    const { io, out, shutdown } = fakeIO();
    const done = main(
      ['sim', '--port', '0', '--scenario', 'burst', '--rpm', '120', '--seed', '7', '--retry-after-ms'],
      io,
    );
    const line = await until(() => out.find((l) => l.startsWith('Claude API simulator listening')));
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+) \(scenario burst\)$/.exec(line)?.[1];
    expect(url).toBeDefined();
    expect(out.join('\n')).toContain(`ANTHROPIC_BASE_URL=${url} ANTHROPIC_API_KEY=sk-sim-anything`);
    const body = JSON.stringify({
      model: 'claude-haiku-4-5',
      max_tokens: 8,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const res = await fetch(`${url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': 'k' }, body });
    expect(res.status).toBe(200);
    expect(res.headers.get('anthropic-ratelimit-requests-limit')).toBe('120');
    shutdown();
    expect(await done).toBe(0);
    expect(out.at(-1)).toBe('Simulator stopped after 1 requests (200×1).');
    await expect(fetch(`${url}/v1/models`)).rejects.toThrow();
  });

  it('rejects bad flags with the usage and exit code 2', async () => {
    for (const argv of [
      ['sim', '--rpm', '0'],
      ['sim', '--overload-rate', 'x'],
      ['sim', '--scenario', 'chaos'],
      ['sim', '--nope'],
      ['frobnicate'],
    ]) {
      const { io, err } = fakeIO();
      expect(await main(argv, io)).toBe(2);
      expect(err.join('\n')).toMatch(/Usage: claude-otel-gateway/);
    }
    const { io, err } = fakeIO();
    await main(['sim', '--rpm', '0'], io);
    expect(err[0]).toMatch(/^--rpm: expected an integer in \[1, 1000000000\], got 0/);
  });

  it('prints help', async () => {
    const { io, out } = fakeIO();
    expect(await main(['sim', '--help'], io)).toBe(0);
    expect(out[0]).toContain('--overload-rate');
    expect(out[0]).toContain('stream-faults');
    const top = fakeIO();
    expect(await main(['help'], top.io)).toBe(0);
    expect(top.out[0]).toMatch(/sim\s+Run the local Claude API simulator/);
  });

  it.skipIf(!existsSync('dist/cli.js'))('runs as the built bin and exits on SIGINT', async () => {
    const child = spawn(process.execPath, ['dist/cli.js', 'sim', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let exitCode: number | null | undefined;
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve((exitCode = code))),
    );
    await until(() => (stdout.includes('listening on') || exitCode !== undefined ? true : undefined));
    expect(exitCode, `exited early: ${stderr}`).toBeUndefined();
    child.kill('SIGINT');
    expect(await exited, stderr).toBe(0);
    expect(stdout).toContain('Simulator stopped after 0 requests.');
  });
});
