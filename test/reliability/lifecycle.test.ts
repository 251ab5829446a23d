/** No timer or handle keeps the process alive after its last call. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('lifecycle', () => {
  it('a process that made calls (with retries, timeouts and an abort) exits by itself', async () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const started = Date.now();
    const child = spawn(
      process.execPath,
      [fileURLToPath(new URL('../fixtures/lifecycle.mjs', import.meta.url))],
      { cwd: root },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    clearTimeout(killer);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    // The gateway's whole-call deadline is 60 s: exiting well before it proves no timer lingers.
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
