/**
 * `node --import claude-otel-gateway/register app.js`: starts the OpenTelemetry NodeSDK from the
 * standard `OTEL_*` environment (service name, OTLP endpoint and protocol; OTLP/HTTP to
 * localhost:4318 by default) with {@link AnthropicGatewayInstrumentation}, so every Anthropic
 * client in the app goes through the gateway. Flushes once on exit or SIGTERM, and lets the
 * process end by itself.
 */
import { register } from 'node:module';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { AnthropicGatewayInstrumentation } from './gateway/instrumentation.js';

// ESM apps: the loader hook lets instrumentations patch `import`ed modules (CommonJS needs none).
register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);

const sdk = new NodeSDK({ instrumentations: [new AnthropicGatewayInstrumentation()] });
sdk.start();

let flushing: Promise<void> | undefined;
/** Flushes and shuts down once, whatever asks first; telemetry errors never reach the app. */
export function shutdown(): Promise<void> {
  flushing ??= sdk.shutdown().catch(() => {});
  return flushing;
}

// The loop is empty: flush what is buffered; the export's I/O ends and the process exits after it.
process.once('beforeExit', () => void shutdown());

const onSigterm = () => {
  void shutdown().finally(() => {
    // Keep Node's default (exit on SIGTERM) unless the app listens for it itself.
    if (process.listenerCount('SIGTERM') === 0) process.kill(process.pid, 'SIGTERM');
  });
};
process.once('SIGTERM', onSigterm);
