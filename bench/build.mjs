#!/usr/bin/env node
// Builds the library into bench/.dist, the bench's own copy: every bench module imports the code
// under test from there, so a `npm run build` (or another session's build) during a run cannot
// change or remove the code being measured, and the revision RESULTS.md names is the one built at
// the start. `node bench/build.mjs` before `bench/timeline.mjs --no-build` or `bench/sim-throughput.mjs`.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = join(BENCH, '..');
export const SNAPSHOT = join(BENCH, '.dist');

/** Builds src/ into bench/.dist; returns false (after printing tsc's errors) when the build fails. */
export function buildSnapshot() {
  rmSync(SNAPSHOT, { recursive: true, force: true });
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  console.log('Building: node node_modules/typescript/bin/tsc -p tsconfig.json --outDir bench/.dist');
  const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--outDir', SNAPSHOT], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  return build.status === 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (!buildSnapshot()) {
    console.error('The build failed (see above); run `npm install` and try again.');
    process.exit(1);
  }
}
