import Anthropic from '@anthropic-ai/sdk';
import Anthropic0122 from 'sdk0122';
import Anthropic058 from 'sdk058';
import { describe, expect, it } from 'vitest';
import { classifyError, createGateway, STATUS_TABLE } from '../../src/index.js';
import { PARAMS } from '../helpers.js';

const MESSAGE = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: PARAMS.model,
  content: [{ type: 'text', text: 'hi' }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 1, output_tokens: 1 },
};

function errorResponse(status: number, type: string, code: string): Response {
  const body = { type: 'error', error: { type, message: 'x', details: { error_code: code } } };
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

/** The error the SDK itself raises for an answer (its class for the status and error_code). */
async function sdkError(status: number, type: string, code: string): Promise<Error> {
  const client = new Anthropic({
    apiKey: 'sk-x',
    baseURL: 'http://127.0.0.1:9',
    maxRetries: 0,
    fetch: async () => errorResponse(status, type, code),
  });
  return client.messages.create(PARAMS).then(
    () => {
      throw new Error('expected an error');
    },
    (error: Error) => error,
  );
}

describe('classifyError: the table, row by row', () => {
  const rows: Array<[number, string, boolean, string, string?]> = [
    [400, 'invalid_request_error', false, 'invalid_request'],
    [401, 'authentication_error', false, 'authentication'],
    [402, 'billing_error', false, 'billing'],
    [403, 'permission_error', false, 'permission'],
    [404, 'not_found_error', false, 'not_found'],
    [409, 'conflict_error', false, 'conflict'],
    [413, 'request_too_large', false, 'request_too_large'],
    [429, 'rate_limit_error', true, 'rate_limit', 'rate'],
    [500, 'api_error', true, 'api_error'],
    [504, 'timeout_error', true, 'timeout_error'],
    [529, 'overloaded_error', true, 'overloaded', 'overload'],
  ];
  it.each(rows)('%i %s → retryable %s (%s)', (status, errorType, retryable, reason, throttle = 'none') => {
    const c = classifyError({ status, errorType });
    expect(c).toEqual({ retryable, reason, errorType, throttle });
  });

  it('covers every status in the exported table', () => {
    for (const status of STATUS_TABLE.keys())
      expect(classifyError({ status }).reason).toBe(STATUS_TABLE.get(status)!.reason);
  });

  it('413 from the edge as an HTML page (no error type) is still not retried', () => {
    expect(classifyError({ status: 413 })).toMatchObject({ retryable: false, reason: 'request_too_large' });
  });

  it('429 spend limits are never retried; ramp_limit_exceeded is, and cuts harder', () => {
    for (const code of ['enforced_spend_limit_reached', 'contract_spend_limit_reached']) {
      expect(classifyError({ status: 429, errorType: 'rate_limit_error', errorCode: code })).toMatchObject({
        retryable: false,
        reason: 'spend_limit',
      });
    }
    expect(classifyError({ status: 429, errorCode: 'ramp_limit_exceeded' })).toMatchObject({
      retryable: true,
      reason: 'ramp_limit',
      throttle: 'acceleration',
    });
  });

  it('x-should-retry overrides the table both ways', () => {
    expect(classifyError({ status: 529, shouldRetry: false }).retryable).toBe(false);
    expect(classifyError({ status: 400, shouldRetry: true }).retryable).toBe(true);
  });

  it('other 5xx retry; other 4xx do not', () => {
    expect(classifyError({ status: 503 })).toMatchObject({
      retryable: true,
      reason: 'server_error',
      errorType: '503',
    });
    expect(classifyError({ status: 418 })).toMatchObject({ retryable: false, reason: 'client_error' });
  });

  it('connection failures retry, except on non-idempotent creates where the server may have acted', () => {
    expect(classifyError({ connection: 'reset' })).toMatchObject({ retryable: true, reason: 'connection' });
    expect(classifyError({ connection: 'timeout' })).toMatchObject({
      retryable: true,
      reason: 'attempt_timeout',
    });
    expect(classifyError({ connection: 'reset', idempotent: false }).retryable).toBe(false);
    expect(classifyError({ connection: 'timeout', idempotent: false }).retryable).toBe(false);
    // A refused connection never reached the server: safe to resend even a create.
    expect(classifyError({ connection: 'refused', idempotent: false }).retryable).toBe(true);
  });

  it('a mid-stream error (type, no status) classifies like its status', () => {
    expect(classifyError({ errorType: 'overloaded_error' })).toMatchObject({
      retryable: true,
      reason: 'overloaded',
      throttle: 'overload',
    });
  });

  it('accepts the SDK’s own error classes', () => {
    const headers = new Headers({ 'retry-after': '3' });
    const err = Anthropic.APIError.generate(
      429,
      {
        type: 'error',
        error: {
          type: 'rate_limit_error',
          message: 'x',
          details: { error_code: 'enforced_spend_limit_reached' },
        },
      },
      undefined,
      headers,
    );
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    expect(classifyError(err)).toMatchObject({ retryable: false, reason: 'spend_limit' });
    const overloaded = Anthropic.APIError.generate(
      529,
      { type: 'error', error: { type: 'overloaded_error', message: 'x' } },
      undefined,
      new Headers(),
    );
    expect(classifyError(overloaded)).toMatchObject({ retryable: true, reason: 'overloaded' });
    expect(classifyError(new Anthropic.APIConnectionTimeoutError())).toMatchObject({
      retryable: true,
      reason: 'attempt_timeout',
    });
    expect(classifyError(new Anthropic.APIConnectionError({ message: 'reset' }))).toMatchObject({
      retryable: true,
      reason: 'connection',
    });
  });

  it('503 change_outcome_unknown is never resent, though 5xx are: the change may have been made', () => {
    expect(
      classifyError({ status: 503, errorType: 'api_error', errorCode: 'change_outcome_unknown' }),
    ).toEqual({ retryable: false, reason: 'outcome_unknown', throttle: 'none', errorType: 'api_error' });
    expect(classifyError({ connection: 'reset' }).retryable).toBe(true); // unlike a dropped connection
  });

  it('503 authorization_check_unavailable is retried as a transient server error', () => {
    expect(classifyError({ status: 503, errorCode: 'authorization_check_unavailable' })).toEqual({
      retryable: true,
      reason: 'server_error',
      throttle: 'none',
      errorType: '503',
    });
  });

  it('503 cmek_context_unavailable is retried as a transient server error', () => {
    expect(classifyError({ status: 503, errorCode: 'cmek_context_unavailable' })).toMatchObject({
      retryable: true,
      reason: 'server_error',
    });
  });

  it('529 compaction_unavailable is retried, without telling the ramp the API is overloaded', () => {
    expect(
      classifyError({ status: 529, errorType: 'overloaded_error', errorCode: 'compaction_unavailable' }),
    ).toEqual({
      retryable: true,
      reason: 'compaction_unavailable',
      throttle: 'none',
      errorType: 'overloaded_error',
    });
  });

  it('the SDK 1.14+ classes for the new codes classify by the same rows', async () => {
    const unknown = await sdkError(503, 'api_error', 'change_outcome_unknown');
    expect(unknown.constructor.name).toBe('ChangeOutcomeUnknownError');
    expect(classifyError(unknown)).toMatchObject({ retryable: false, reason: 'outcome_unknown' });
    const compaction = await sdkError(529, 'overloaded_error', 'compaction_unavailable');
    expect(compaction.constructor.name).toBe('CompactionUnavailableError');
    expect(classifyError(compaction)).toMatchObject({ retryable: true, reason: 'compaction_unavailable' });
    const cmek = await sdkError(503, 'api_error', 'cmek_context_unavailable');
    expect(cmek.constructor.name).toBe('CMEKContextUnavailableError');
    expect(classifyError(cmek)).toMatchObject({ retryable: true, reason: 'server_error' });
  });

  it.each([
    [400, 'invalid_request_error', 'compaction_block_misplaced', 'invalid_request'],
    [400, 'invalid_request_error', 'available_tools_limit_exceeded', 'invalid_request'],
    [409, 'conflict_error', 'storage_changed_concurrently', 'conflict'],
    [409, 'conflict_error', 'workspace_changed_concurrently', 'conflict'],
  ])('SDK 1.14+ %i %s (%s) stays not retried', async (status, type, code, reason) => {
    const err = await sdkError(status, type, code);
    expect(err.constructor.name).toMatch(/^(Beta)?[A-Z]\w+Error$/);
    expect(['APIError', 'BadRequestError', 'ConflictError']).not.toContain(err.constructor.name);
    expect(classifyError(err)).toMatchObject({ retryable: false, reason });
  });

  it('the gateway sends a 503 change_outcome_unknown once, and a 503 of another code again', async () => {
    for (const [code, attempts] of [
      ['change_outcome_unknown', 1],
      ['authorization_check_unavailable', 2],
    ] as const) {
      let sent = 0;
      const fetch = async () =>
        ++sent === 1 ? errorResponse(503, 'api_error', code) : new Response(JSON.stringify(MESSAGE));
      const gateway = createGateway({ baseDelayMs: 1, maxDelayMs: 1 }, {});
      const client = gateway.wrap(new Anthropic({ apiKey: 'sk-x', baseURL: 'http://127.0.0.1:9', fetch }));
      const result = await client.messages.create(PARAMS).then(
        () => 'ok',
        (e: Error) => e.constructor.name,
      );
      expect([code, sent, result]).toEqual([
        code,
        attempts,
        attempts === 1 ? 'ChangeOutcomeUnknownError' : 'ok',
      ]);
      await gateway.close();
    }
  });

  it('accepts the errors of another copy of the SDK (a framework’s nested 0.x) by their class names', () => {
    const old = Anthropic058.APIError.generate(
      429,
      { type: 'error', error: { type: 'rate_limit_error', message: 'x' } },
      undefined,
      new Headers({ 'x-should-retry': 'false' }),
    );
    expect(old).not.toBeInstanceOf(Anthropic.APIError);
    expect(classifyError(old)).toMatchObject({ reason: 'rate_limit', retryable: false });
    expect(classifyError(new Anthropic0122.APIConnectionTimeoutError())).toMatchObject({
      reason: 'attempt_timeout',
    });
    expect(classifyError(new Anthropic058.APIConnectionError({ message: 'reset' }))).toMatchObject({
      reason: 'connection',
    });
  });
});
