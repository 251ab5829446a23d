/**
 * The public API's types against every SDK copy: `fixtures/wrap-any-sdk.ts` wraps a 0.122 client
 * next to a 1.x one (and 0.58, Bedrock, Vertex, LangChain's `createClient`) with no cast, compiled
 * by `tsc` against the package's published declarations, as an application would.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'gateway-types-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function tsc(file: string): Promise<string> {
  const config = join(dir, 'tsconfig.json');
  writeFileSync(
    config,
    JSON.stringify({
      compilerOptions: {
        target: 'ES2023',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        lib: ['ES2023', 'DOM'],
        types: ['node'],
        typeRoots: [join(ROOT, 'node_modules/@types')],
        strict: true,
        noEmit: true,
        skipLibCheck: true,
      },
      files: [join(ROOT, file)],
    }),
  );
  try {
    await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', config],
      {
        cwd: ROOT,
      },
    );
    return '';
  } catch (error) {
    return String((error as { stdout?: string }).stdout ?? error);
  }
}

describe('the public API’s types', () => {
  it('take a client of any supported SDK copy without a cast, and give its own type back', async () => {
    expect(await tsc('test/compat/fixtures/wrap-any-sdk.ts')).toBe('');
  }, 60_000);
});
