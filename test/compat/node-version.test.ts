/**
 * Node.js below 22.15: every entry point stops at once with one line naming the version found and
 * the one needed. Run for real with an older `node` when the machine has one (many still default to
 * Node 20), against the built package.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  checkNodeVersion,
  isSupportedNode,
  REQUIRED_NODE_VERSION,
  UnsupportedNodeError,
} from '../../src/node-version.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** An installed `node` older than the package needs, if the machine has one. */
function oldNode(): { path: string; version: string } | undefined {
  let candidates: string[] = [];
  try {
    candidates = execFileSync('which', ['-a', 'node'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    // no `which`, or no node on PATH besides this one
  }
  for (const path of new Set([...candidates, '/usr/bin/node', '/usr/local/bin/node'])) {
    const result = spawnSync(path, ['-p', 'process.versions.node'], { encoding: 'utf8' });
    const version = result.stdout?.trim();
    if (result.status === 0 && version && !isSupportedNode(version)) return { path, version };
  }
  return undefined;
}

describe('the Node.js version check', () => {
  it('takes 22.15 and later, and nothing older', () => {
    expect(REQUIRED_NODE_VERSION).toBe('22.15.0');
    for (const v of ['22.15.0', 'v22.15.1', '22.16.0', '23.0.0', '24.21.0', '30.0.0'])
      expect(isSupportedNode(v), v).toBe(true);
    for (const v of ['22.14.9', 'v22.0.0', '20.20.2', '18.20.0', '0.12.0'])
      expect(isSupportedNode(v), v).toBe(false);
  });

  it('an import on an older Node throws one line naming both versions', () => {
    expect(() => checkNodeVersion('24.0.0', undefined)).not.toThrow();
    let error: unknown;
    try {
      checkNodeVersion('22.14.0', undefined);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnsupportedNodeError);
    const { message } = error as Error;
    expect(message).toContain('Node.js 22.15.0 or later');
    expect(message).toContain('Node.js 22.14.0');
    expect(message).not.toContain('\n');
  });

  const old = oldNode();
  it.skipIf(!old)(`with a real older node (${old?.version ?? 'none on this machine'})`, () => {
    const node = old!.path;
    const needed = `requires Node.js ${REQUIRED_NODE_VERSION} or later, but this is Node.js ${old!.version}`;
    // The library, the simulator and register: an import throws UnsupportedNodeError.
    for (const entry of ['index.js', 'sim/index.js', 'register.js']) {
      const url = pathToFileURL(join(ROOT, 'dist', entry)).href;
      const script = `import(${JSON.stringify(url)}).then(() => console.log('loaded'), (e) => console.log(e.name + ': ' + e.message))`;
      const result = spawnSync(node, ['-e', script], { encoding: 'utf8' });
      expect(result.stdout.trim(), entry).toBe(
        `UnsupportedNodeError: claude-otel-gateway ${needed}: install Node.js 22.15+ (e.g. \`nvm install 22\`) and run it again.`,
      );
    }
    // The command line and `npm start`'s entry point: the one line on stderr, exit status 1.
    for (const entry of ['cli.js', 'demo/main.js']) {
      const result = spawnSync(node, [join(ROOT, 'dist', entry), '--help'], { encoding: 'utf8' });
      expect(result.status, entry).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n')).toEqual([expect.stringContaining(needed)]);
    }
  });
});
