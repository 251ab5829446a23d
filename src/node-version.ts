/**
 * The Node.js version check, imported first by every entry point (the library, `register`, the
 * simulator, the command line and `npm start`): on a Node older than the package needs, it stops at
 * once with one line naming the version found and the one needed, rather than running half-working
 * (Node 20 runs the demo, warns about abort listeners and stalls).
 *
 * An `import` of the library throws an {@link UnsupportedNodeError} with that line as its message;
 * the command line (`claude-otel-gateway`, `npm start`) prints the line alone and exits with status 1.
 * @module
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The oldest Node.js the package runs on, as `engines.node` says: the OpenTelemetry JS 3.x line it
 * builds on (`@opentelemetry/sdk-node` 0.301) requires 22.15.
 */
export const REQUIRED_NODE_VERSION = '22.15.0';

/** Thrown on import when the running Node.js is older than {@link REQUIRED_NODE_VERSION}. */
export class UnsupportedNodeError extends Error {
  override name = 'UnsupportedNodeError';
  constructor(
    /** The running version, e.g. `20.20.2`. */
    readonly found: string,
  ) {
    super(
      `claude-otel-gateway requires Node.js ${REQUIRED_NODE_VERSION} or later, but this is Node.js ${found}: ` +
        `install Node.js 22.15+ (e.g. \`nvm install 22\`) and run it again.`,
    );
  }
}

function parts(version: string): number[] {
  return version
    .replace(/^v/, '')
    .split('.')
    .map((p) => Number.parseInt(p, 10) || 0);
}

/** Whether `version` (e.g. `22.14.0` or `v24.1.0`) is at least {@link REQUIRED_NODE_VERSION}. */
export function isSupportedNode(version: string): boolean {
  const have = parts(version);
  const need = parts(REQUIRED_NODE_VERSION);
  for (let i = 0; i < need.length; i++) {
    const [h, n] = [have[i] ?? 0, need[i] ?? 0];
    if (h !== n) return h > n;
  }
  return true;
}

/** The package's command-line entry points: there the line is printed alone, without a stack. */
const COMMANDS = ['./cli.js', './demo/main.js'].map((file) => fileURLToPath(new URL(file, import.meta.url)));

function isCommand(script: string | undefined): boolean {
  if (!script) return false;
  try {
    return COMMANDS.includes(realpathSync(script));
  } catch {
    return false;
  }
}

/**
 * Stops when `version` is older than the package needs: prints the line and exits for the command
 * line, throws {@link UnsupportedNodeError} otherwise.
 */
export function checkNodeVersion(
  version: string = process.versions.node,
  script: string | undefined = process.argv[1],
): void {
  if (isSupportedNode(version)) return;
  const error = new UnsupportedNodeError(version);
  if (isCommand(script)) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

checkNodeVersion();
