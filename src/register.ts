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
import { register } from 'node:module';
import { loadConfig } from './config.js';
import { AnthropicGatewayInstrumentation } from './gateway/instrumentation.js';

// ESM apps: the loader hook lets instrumentations patch `import`ed modules (CommonJS needs none).
register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);

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
