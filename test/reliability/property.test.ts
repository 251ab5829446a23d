/** Property: under random fault sequences per call, every call settles; it succeeds, or fails with
 * a typed error that is not retryable or whose retries ran out; attempts never exceed the
 * maximum (free 429 refusals aside); every span that started has ended. */
import Anthropic from '@anthropic-ai/sdk';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { TracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyError, createGateway } from '../../src/index.js';
import type { AttemptInfo, ScriptedOutcome } from '../../src/sim/index.js';
import { FAST, PARAMS, sdk, sim } from '../helpers.js';

let started = 0;
let ended = 0;
const counting: SpanProcessor = {
  onStart: () => void started++,
  onEnd: () => void ended++,
  forceFlush: async () => {},
  shutdown: async () => {},
};
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [counting] }));

const fault: fc.Arbitrary<ScriptedOutcome> = fc.oneof(
  fc.constant<ScriptedOutcome>({ kind: 'ok' }),
  fc.constantFrom<ScriptedOutcome>(
    { kind: 'error', status: 429, retryAfterMs: 5, retryAfterSec: 1 },
    { kind: 'error', status: 429, errorCode: 'ramp_limit_exceeded', retryAfterMs: 5, retryAfterSec: 1 },
    { kind: 'error', status: 429, errorCode: 'enforced_spend_limit_reached' },
    { kind: 'error', status: 529 },
    { kind: 'error', status: 500 },
    { kind: 'error', status: 504 },
    { kind: 'error', status: 400 },
    { kind: 'error', status: 401 },
    { kind: 'reset' },
    { kind: 'hang' },
    { kind: 'stream-error', afterDeltas: 0 },
    { kind: 'stream-cut', afterDeltas: 0 },
  ),
);
const call = fc.record({ stream: fc.boolean(), faults: fc.array(fault, { maxLength: 6 }) });

describe('property: random fault sequences', () => {
  it('every call settles within its bounds and every span ends', async () => {
    // The simulator's script function serves the current run's fault sequences.
    let script: (info: AttemptInfo) => ScriptedOutcome | undefined = () => undefined;
    const s = await sim({ script: (info) => script(info) });
    await fc.assert(
      fc.asyncProperty(
        fc.array(call, { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 0, max: 3 }),
        async (calls, maxRetries) => {
          s.reset();
          const attempts = new Map<string, number>();
          script = (info) => {
            const id =
              (info.body as { metadata?: { user_id?: string } } | undefined)?.metadata?.user_id ?? '';
            const n = attempts.get(id) ?? 0;
            attempts.set(id, n + 1);
            return calls[Number(id)]?.faults[n];
          };
          const client = createGateway({ ...FAST, baseDelayMs: 2, maxDelayMs: 5, maxRetries }, {}).wrap(
            sdk(s, { timeout: 100 }),
          );
          const results = await Promise.allSettled(
            calls.map(async (c, i) => {
              const params = { ...PARAMS, metadata: { user_id: String(i) } };
              if (!c.stream) return client.messages.create(params);
              return client.messages.stream(params).finalMessage();
            }),
          );
          results.forEach((r, i) => {
            const sent = attempts.get(String(i)) ?? 0;
            // A 429 refusal (rate limit or acceleration) met while the API admits the key+model's
            // other calls spends no retry (contention, not the call's failure): it may add an attempt.
            const served = calls[i]!.faults.slice(0, sent);
            const free = served.filter(
              (f) => f.kind === 'error' && f.status === 429 && f.errorCode !== 'enforced_spend_limit_reached',
            ).length;
            expect(sent).toBeLessThanOrEqual(maxRetries + 1 + free);
            if (r.status === 'fulfilled') return;
            const err = r.reason as Error;
            expect(err).toBeInstanceOf(Anthropic.AnthropicError);
            const c = classifyError(err);
            expect(!c.retryable || sent >= maxRetries + 1).toBe(true);
          });
          await new Promise((r) => setTimeout(r, 20));
          expect(ended).toBe(started);
        },
      ),
      { numRuns: 30 },
    );
  }, 120_000);
});
