// Shared helpers of the simulator tests: start simulators that are closed after each test, a real
// SDK client pointed at one, raw fetch calls, and awaiting a rejection.
import Anthropic from '@anthropic-ai/sdk';
import { afterEach } from 'vitest';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/sim/index.js';

/** No latency: for tests about limits and faults rather than timing. */
export const FAST = { latency: { ttftMs: 0, msPerToken: 0 } };

/** A model that the SDK does not warn about. */
export const MODEL = 'claude-haiku-4-5';

/** Registers an afterEach that closes every simulator started through the returned function. */
export function useSimulators(): (options?: SimulatorOptions) => Promise<Simulator> {
  const open: Simulator[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  return async (options) => {
    const sim = await startSimulator(options);
    open.push(sim);
    return sim;
  };
}

/** The real SDK, no retries unless asked. */
export function sdk(sim: Simulator, options: ConstructorParameters<typeof Anthropic>[0] = {}): Anthropic {
  return new Anthropic({ apiKey: 'sk-test', baseURL: sim.url, maxRetries: 0, ...options });
}

/** Messages params with a short prompt. */
export function params(extra: Record<string, unknown> = {}) {
  return { model: MODEL, max_tokens: 64, messages: [{ role: 'user' as const, content: 'Hello' }], ...extra };
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

/** A raw HTTP call (the body is JSON-encoded unless a string); `x-api-key: sk-test` unless `headers` says otherwise. */
export async function call(
  sim: Simulator,
  path: string,
  body?: unknown,
  headers: Record<string, string> = { 'x-api-key': 'sk-test' },
): Promise<RawResponse> {
  const res = await fetch(sim.url + path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** What the tests read of a rejection: an SDK error's fields (absent on other errors). */
export type Rejection = Error & {
  status: number;
  headers: Headers;
  error: { error: { type: string; message: string; details?: unknown } } & Record<string, unknown>;
  requestID: string;
  type?: string;
  errorCode?: string;
  cause?: unknown;
};

/** The error a promise rejects with (fails if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Rejection> {
  try {
    await promise;
  } catch (error) {
    return error as Rejection;
  }
  throw new Error('expected a rejection');
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The exact error body the API sends. */
export function errorJson(type: string, message: string, requestId: string, errorCode?: string) {
  return {
    type: 'error',
    error: { type, message, ...(errorCode ? { details: { error_code: errorCode } } : {}) },
    request_id: requestId,
  };
}
