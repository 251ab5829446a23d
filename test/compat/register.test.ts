/**
 * `node --import claude-otel-gateway/register` adopts the clients of every SDK version in use, as
 * the application (or a framework) installed it under its own name, CommonJS and ESM alike; a
 * version it cannot adopt is named in one warning, never silently skipped.
 *
 * Each app runs in a directory of its own whose `node_modules/@anthropic-ai/sdk` is one of the
 * aliased versions (hard links, under `node_modules/.cache` so that the SDK's own dependencies
 * resolve from the project's `node_modules`).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { otlpAttr, otlpReceiver } from '../otlp.js';
import { sim } from '../helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const REGISTER = pathToFileURL(join(ROOT, 'dist/register.js')).href;
const cache = join(ROOT, 'node_modules/.cache');
mkdirSync(cache, { recursive: true });
const base = mkdtempSync(join(cache, 'claude-otel-gateway-compat-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const APP_CJS = `const Anthropic = require('@anthropic-ai/sdk');
const { VERSION } = require('@anthropic-ai/sdk/version');
const client = new Anthropic();
client.messages
  .create({ model: 'claude-sonnet-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] })
  .then((m) => console.log(JSON.stringify({ type: m.type, maxRetries: client.maxRetries, version: VERSION })));
`;
const APP_MJS = `import Anthropic from '@anthropic-ai/sdk';
import { VERSION } from '@anthropic-ai/sdk/version';
const client = new Anthropic();
const m = await client.messages.create({ model: 'claude-sonnet-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
console.log(JSON.stringify({ type: m.type, maxRetries: client.maxRetries, version: VERSION }));
`;

/** A directory with `sdk` installed as `@anthropic-ai/sdk` and the two apps. */
function appDir(name: string, install: (target: string) => void): string {
  const dir = join(base, name);
  const target = join(dir, 'node_modules/@anthropic-ai/sdk');
  mkdirSync(join(dir, 'node_modules/@anthropic-ai'), { recursive: true });
  install(target);
  writeFileSync(join(dir, 'app.cjs'), APP_CJS);
  writeFileSync(join(dir, 'app.mjs'), APP_MJS);
  return dir;
}

function run(dir: string, file: string, env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', REGISTER, file], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none', ...env },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err += c));
  return new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, out, err })),
  );
}

const LINES = [
  { alias: 'sdk058', version: '0.58.0' },
  { alias: 'sdk097', version: '0.97.1' },
  { alias: 'sdk0122', version: '0.122.0' },
  { alias: 'sdk0137', version: '0.137.0' },
];

describe.each(LINES)('register with @anthropic-ai/sdk $version', ({ alias, version }) => {
  const dir = appDir(alias, (target) =>
    execFileSync('cp', ['-al', join(ROOT, 'node_modules', alias), target]),
  );

  it.each(['app.cjs', 'app.mjs'])('%s: its client goes through the gateway, traced', async (file) => {
    const s = await sim();
    s.enqueue({ kind: 'error', status: 529 });
    const otlp = await otlpReceiver();
    const result = await run(dir, file, {
      ANTHROPIC_API_KEY: 'sk-register-secret',
      ANTHROPIC_BASE_URL: s.url,
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      CLAUDE_GATEWAY_BASE_DELAY_MS: '10',
    });
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toEqual({ type: 'message', maxRetries: 0, version });
    expect(s.stats().attempts).toBe(2);
    const calls = otlp.spans.filter((x) => otlpAttr(x, 'claude_gateway.attempts') !== undefined);
    expect(calls).toHaveLength(1);
    expect(Number(otlpAttr(calls[0]!, 'claude_gateway.attempts'))).toBe(2);
    expect(otlp.spans.filter((x) => x.name === 'POST /v1/messages')).toHaveLength(2);
  });
});

describe('register with an SDK version the gateway cannot adopt', () => {
  const fakes = new Map<string, string>();
  const fake = (version: string): string => {
    const existing = fakes.get(version);
    if (existing) return existing;
    const dir = appDir(`fake-${version}`, (target) => {
      mkdirSync(target);
      writeFileSync(
        join(target, 'package.json'),
        JSON.stringify({
          name: '@anthropic-ai/sdk',
          version,
          main: 'index.js',
          exports: { '.': './index.js', './version': './version.js' },
        }),
      );
      writeFileSync(join(target, 'version.js'), `exports.VERSION = '${version}';\n`);
      writeFileSync(
        join(target, 'index.js'),
        `class BaseAnthropic { request() {} requestAPIList() {} withOptions() {} }
class Anthropic extends BaseAnthropic {
  constructor() { super(); this.maxRetries = 2; this.messages = { create: async () => ({ type: 'message' }) }; }
}
module.exports = Anthropic;
module.exports.default = Anthropic;
module.exports.BaseAnthropic = BaseAnthropic;
`,
      );
    });
    fakes.set(version, dir);
    return dir;
  };

  it.each([
    ['0.40.0', 'app.cjs'],
    ['0.40.0', 'app.mjs'],
    ['2.0.0', 'app.cjs'],
  ])('@anthropic-ai/sdk %s (%s): one warning naming the version, the app runs', async (version, file) => {
    const result = await run(fake(version), file, { OTEL_TRACES_EXPORTER: 'none' });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toMatchObject({ type: 'message', version });
    const lines = result.err.split('\n').filter((l) => l.includes('claude-otel-gateway'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`@anthropic-ai/sdk ${version} is not supported`);
    expect(lines[0]).toContain('>=0.58.0 <2');
  });

  it('through the OpenTelemetry diag logger when the app has one (OTEL_LOG_LEVEL)', async () => {
    const result = await run(fake('0.40.0'), 'app.cjs', {
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_LOG_LEVEL: 'warn',
    });
    const lines = result.err.split('\n').filter((l) => l.includes('claude-otel-gateway'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('@anthropic-ai/sdk 0.40.0 is not supported');
    expect(result.err).not.toContain('CLAUDE_GATEWAY_UNSUPPORTED_SDK'); // not also a process warning
  });
});
