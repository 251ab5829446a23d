/** Shared test set-up: simulators that close themselves, gateway clients with short delays, and an
 * in-memory tracer provider registered globally (after the library was imported). */
import Anthropic from '@anthropic-ai/sdk';
import { context, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace';
import { afterEach } from 'vitest';
import { createGateway, type GatewayOptions } from '../src/index.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../src/sim/index.js';

const open: Simulator[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

export async function sim(options: SimulatorOptions = {}): Promise<Simulator> {
  const s = await startSimulator({ retryAfterMs: true, latency: { ttftMs: 2, msPerToken: 0 }, ...options });
  open.push(s);
  return s;
}

/** Fast delays so tests that wait for real time stay short. */
export const FAST: GatewayOptions = { baseDelayMs: 20, maxDelayMs: 80, rampIntervalMs: 50 };

export const PARAMS = {
  model: 'claude-sonnet-5',
  max_tokens: 64,
  messages: [{ role: 'user' as const, content: 'Hello' }],
};

export function sdk(s: Simulator, options: ConstructorParameters<typeof Anthropic>[0] = {}): Anthropic {
  return new Anthropic({ apiKey: 'sk-test-secret-key-123', baseURL: s.url, ...options });
}

export function gatewayClient(
  s: Simulator,
  options: GatewayOptions = {},
  clientOptions: ConstructorParameters<typeof Anthropic>[0] = {},
) {
  const gateway = createGateway({ ...FAST, ...options }, {});
  return { gateway, client: gateway.wrap(sdk(s, clientOptions)) };
}

/** Registers a global in-memory tracer provider once per test file and returns its exporter. */
export function tracing(): { exporter: InMemorySpanExporter; spans: () => ReadableSpan[] } {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  afterEach(() => exporter.reset());
  return { exporter, spans: () => exporter.getFinishedSpans() };
}

export async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * A base64 PNG of `width` × `height` as far as its header says, padded to `bytes` (the pixels are
 * not valid: only the header is read, by the simulator, to count the image's tokens).
 */
export function pngBase64(width: number, height: number, bytes = 64): string {
  const png = Buffer.alloc(Math.max(bytes, 33));
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(png, 0);
  png.writeUInt32BE(13, 8);
  png.write('IHDR', 12, 'latin1');
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  return png.toString('base64');
}
