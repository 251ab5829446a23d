/**
 * Shared set-up for the hostile tests: a counting tracer provider (spans started and not ended),
 * process warnings and unhandled rejections counted instead of printed, the error classes a caller
 * may get, and small helpers to bound a call in time. The library is used only through its public
 * entry.
 */
import Anthropic from '@anthropic-ai/sdk';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { TracerProvider, type ReadableSpan, type Span, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, beforeAll } from 'vitest';
import {
  GatewayConfigError,
  GatewayRequestError,
  createGateway,
  type GatewayOptions,
} from '../../src/index.js';
import { startHostileServer, type HostileServer } from './server.js';

export const API_KEY = 'sk-hostile-test-key';
/** A model id the SDK has no deprecation notice for. */
export const MODEL = 'claude-hostile-1';
export const PARAMS = { model: MODEL, max_tokens: 16, messages: [{ role: 'user' as const, content: 'hi' }] };

// ---------------------------------------------------------------------------------------------
// Spans: every span started is remembered until it ends.

export const openSpans = new Set<Span>();
export const endedSpans: ReadableSpan[] = [];
export let spansStarted = 0;
const counting: SpanProcessor = {
  onStart: (span) => {
    spansStarted++;
    openSpans.add(span);
  },
  onEnd: (span) => {
    openSpans.delete(span as unknown as Span);
    endedSpans.push(span);
  },
  forceFlush: async () => {},
  shutdown: async () => {},
};

/** Registers the counting tracer provider globally (once per test file). */
export function countSpans(): void {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [counting] }));
}

/** Names of the spans started since `before` (a copy of `openSpans`) that are still open. */
export function leakedSince(before: ReadonlySet<Span>): string[] {
  return [...openSpans].filter((s) => !before.has(s)).map((s) => (s as unknown as { name: string }).name);
}

// ---------------------------------------------------------------------------------------------
// Warnings and unhandled rejections: counted, not printed (a storm of TimeoutOverflowWarnings
// would bury the test output).

export const warnings: Array<{ name: string; message: string }> = [];
export const unhandled: unknown[] = [];
const onWarning = (w: Error) => {
  warnings.push({ name: w.name, message: w.message.split('\n')[0]! });
};
const onUnhandled = (reason: unknown) => void unhandled.push(reason);

/** Counts warnings and unhandled rejections for this file (Node's warning printer is removed). */
export function watchProcess(): void {
  beforeAll(() => {
    process.removeAllListeners('warning');
    process.on('warning', onWarning);
    process.on('unhandledRejection', onUnhandled);
  });
  afterAll(() => {
    process.off('warning', onWarning);
    process.off('unhandledRejection', onUnhandled);
  });
}

export function warningSummary(list: ReadonlyArray<{ name: string; message: string }>): string {
  const by = new Map<string, number>();
  for (const w of list) by.set(w.name, (by.get(w.name) ?? 0) + 1);
  return [...by].map(([n, c]) => `${c}× ${n}`).join(', ') + (list[0] ? ` (first: ${list[0].message})` : '');
}

// ---------------------------------------------------------------------------------------------
// Errors a caller may get: the SDK's typed errors, or the gateway's own.

export function isTypedError(error: unknown): boolean {
  return (
    error instanceof Anthropic.AnthropicError ||
    error instanceof GatewayConfigError ||
    error instanceof GatewayRequestError
  );
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const status = (error as { status?: unknown }).status;
    return `${error.constructor.name}${status !== undefined ? `(${String(status)})` : ''}: ${error.message.slice(0, 160)}`;
  }
  return `non-error ${JSON.stringify(error)?.slice(0, 160)}`;
}

// ---------------------------------------------------------------------------------------------
// Time bounds.

export type Settled<T> =
  | { state: 'fulfilled'; value: T; ms: number }
  | { state: 'rejected'; error: unknown; ms: number }
  | { state: 'pending'; ms: number };

/** Waits for `work` at most `ms`; says how it settled and when. Never rejects. */
export async function settleWithin<T>(work: Promise<T>, ms: number): Promise<Settled<T>> {
  const start = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const pending = new Promise<'pending'>((r) => (timer = setTimeout(() => r('pending'), ms)));
  const result = await Promise.race([
    work.then(
      (value) => ({ state: 'fulfilled' as const, value }),
      (error: unknown) => ({ state: 'rejected' as const, error }),
    ),
    pending,
  ]);
  clearTimeout(timer);
  const elapsed = performance.now() - start;
  return result === 'pending' ? { state: 'pending', ms: elapsed } : { ...result, ms: elapsed };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (!check()) {
    if (performance.now() > end) return false;
    await sleep(5);
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// A hostile server per test, closed after it; calls made with a per-test signal, aborted after
// it, so a wedged call of a failing test does not run on into the next one.

const servers: HostileServer[] = [];
const controllers: AbortController[] = [];
afterEach(async () => {
  for (const c of controllers.splice(0)) c.abort(new Error('test over'));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

export async function hostile(): Promise<HostileServer> {
  const s = await startHostileServer();
  servers.push(s);
  return s;
}

/** A signal aborted when the test ends. */
export function testSignal(): AbortSignal {
  const c = new AbortController();
  controllers.push(c);
  return c.signal;
}

export const FAST: GatewayOptions = { baseDelayMs: 20, maxDelayMs: 80, rampIntervalMs: 50 };

export function sdk(
  server: HostileServer,
  options: ConstructorParameters<typeof Anthropic>[0] = {},
): Anthropic {
  return new Anthropic({ apiKey: API_KEY, baseURL: server.url, ...options });
}

/** A gateway of its own (no shared state with other tests) and a client wrapped by it. */
export function gatewayClient(
  server: HostileServer,
  options: GatewayOptions = {},
  clientOptions: ConstructorParameters<typeof Anthropic>[0] = {},
) {
  const gateway = createGateway({ ...FAST, ...options }, {});
  return { gateway, client: gateway.wrap(sdk(server, clientOptions)) };
}

/** Whether every limiter of `gateway` is idle: nothing in flight, nothing queued. */
export function idle(gateway: { limiters(): ReadonlyArray<{ active: number; queued: number }> }): boolean {
  return gateway.limiters().every((l) => l.active === 0 && l.queued === 0);
}

export function limiterState(gateway: {
  limiters(): ReadonlyArray<{ model: string; active: number; queued: number; holdUntil: number }>;
}): string {
  return JSON.stringify(
    gateway.limiters().map((l) => ({
      model: l.model,
      active: l.active,
      queued: l.queued,
      holdMs: l.holdUntil ? l.holdUntil - Date.now() : 0,
    })),
  );
}
