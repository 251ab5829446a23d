import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { classifyError, STATUS_TABLE } from '../../src/index.js';

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
});
