/**
 * `node --import claude-otel-gateway/register app.js`: starts the OpenTelemetry NodeSDK from the
 * standard `OTEL_*` environment (service name, OTLP endpoint and protocol; OTLP/HTTP to
 * localhost:4318 by default) with {@link AnthropicGatewayInstrumentation}, so every Anthropic
 * client in the app goes through the gateway. Flushes once when the app is done or gets SIGTERM,
 * waiting at most `CLAUDE_GATEWAY_SHUTDOWN_TIMEOUT_MS` (2 s): a dead or silent collector never
 * holds an app up longer.
 */
import './node-version.js'; // oxlint-disable-line import/no-unassigned-import -- first: fails at once on Node.js < 22.15
import { diag } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { loadConfig } from './config.js';
import { AnthropicGatewayInstrumentation } from './gateway/instrumentation.js';

/**
 * ESM apps: a loader hook lets instrumentations patch `import`ed modules (CommonJS needs none).
 * In-thread, through `module.registerHooks()`, where import-in-the-middle supports it (Node ≥
 * 22.22.3, 24.11.1, 26): Node 26 deprecates `module.register()` (DEP0205) and warns on every start.
 * Elsewhere on the loader thread, as before. import-in-the-middle is the copy
 * `@opentelemetry/instrumentation` uses: in-thread hooks are seen only by that copy's `Hook()`s.
 */
async function registerLoaderHooks(): Promise<void> {
  try {
    const fromInstrumentation = createRequire(
      createRequire(import.meta.url).resolve('@opentelemetry/instrumentation'),
    );
    // Async, so a file this version lacks is a rejection, not a throw.
    const load = async (file: string): Promise<unknown> =>
      import(pathToFileURL(fromInstrumentation.resolve(`import-in-the-middle/${file}`)).href);
    // The version check first, from its own module with no imports (3.3 on): the hooks' module
    // loads the loader's parser, which the loader thread would load again where in-thread hooks
    // cannot run. Before 3.3 the hooks' module exports the check too.
    const { supportsSyncHooks } = (await load('supports-sync-hooks.mjs').catch(() =>
      load('register-hooks.mjs'),
    )) as { supportsSyncHooks?: () => boolean };
    if (supportsSyncHooks?.()) {
      const { register: registerInThread } = (await load('register-hooks.mjs')) as { register: () => void };
      registerInThread();
      return;
    }
  } catch {
    // An import-in-the-middle without in-thread hooks (before 3.1): the loader thread, below.
  }
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
}

await registerLoaderHooks();

const { shutdownTimeoutMs } = loadConfig();
const sdk = new NodeSDK({ instrumentations: [new AnthropicGatewayInstrumentation()] });
sdk.start();

let flushing: Promise<boolean> | undefined;

/**
 * Flushes and shuts the telemetry down once, whatever asks first; resolves `true` when it finished
 * within the bound, `false` when the bound ran out. Telemetry errors never reach the app.
 */
export function shutdown(): Promise<boolean> {
  flushing ??= new Promise<boolean>((resolve) => {
    const bound = setTimeout(() => {
      diag.warn(
        `claude-otel-gateway: telemetry did not flush within ${shutdownTimeoutMs} ms; exiting without it`,
      );
      resolve(false);
    }, shutdownTimeoutMs);
    bound.unref();
    sdk
      .shutdown()
      .catch(() => {})
      .finally(() => {
        clearTimeout(bound);
        resolve(true);
      });
  });
  return flushing;
}

// The loop is empty: the app is done. Flush; if the export is still hanging when the bound runs
// out (a collector that accepts and never answers), end the process as it was about to.
process.once('beforeExit', () => {
  void shutdown().then((flushed) => {
    if (!flushed) process.exit();
  });
});

const onSigterm = () => {
  void shutdown().finally(() => {
    // Keep Node's default (exit on SIGTERM) unless the app listens for it itself.
    if (process.listenerCount('SIGTERM') === 0) process.kill(process.pid, 'SIGTERM');
  });
};
process.once('SIGTERM', onSigterm);
