// Endpoints, auth, validation, error bodies and headers, through raw fetch and the real SDK.
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ORGANIZATION_ID } from '../../src/sim/index.js';
import { call, errorJson, MODEL, params, rejection, sdk, useSimulators } from './helpers.js';

const start = useSimulators();
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const LIMIT_HEADERS = ['requests', 'input-tokens', 'output-tokens', 'tokens'].flatMap((kind) =>
  ['limit', 'remaining', 'reset'].map((what) => `anthropic-ratelimit-${kind}-${what}`),
);

describe('auth', () => {
  it('answers 401 authentication_error without a key, with ids but no rate-limit headers', async () => {
    const sim = await start();
    const res = await call(sim, '/v1/messages', params(), {});
    expect(res.status).toBe(401);
    const requestId = res.headers.get('request-id')!;
    expect(requestId).toMatch(/^req_/);
    expect(res.json).toEqual(errorJson('authentication_error', 'x-api-key header is required', requestId));
    expect(res.headers.get('anthropic-organization-id')).toBe(DEFAULT_ORGANIZATION_ID);
    expect(res.headers.get('anthropic-ratelimit-requests-limit')).toBeNull();

    const error = await rejection(
      sdk(sim, { apiKey: null, defaultHeaders: { Authorization: null } }).messages.create(params()),
    );
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(error.status).toBe(401);
    expect(error.type).toBe('authentication_error');
    expect(error.requestID).toMatch(/^req_/);
  });

  it('accepts Authorization: Bearer (what the SDK sends) and x-api-key', async () => {
    const sim = await start({
      script: (info) =>
        JSON.stringify(info).includes('sk-') ? { kind: 'error', status: 500, message: 'leaked' } : undefined,
    });
    const message = await sdk(sim).messages.create(params());
    expect(message.type).toBe('message');
    expect((await call(sim, '/v1/messages', params(), { authorization: 'Bearer sk-raw' })).status).toBe(200);
    expect((await call(sim, '/v1/messages', params(), { 'x-api-key': 'sk-raw' })).status).toBe(200);
    expect((await call(sim, '/v1/messages', params(), { authorization: 'Basic abc' })).status).toBe(401);
  });
});

describe('validation', () => {
  it.each([
    ['{"model":', 'There was an error parsing the body of your request: it is not valid JSON.'],
    ['[1,2]', 'The request body must be a JSON object.'],
    [{ max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }, 'model: Field required'],
    [{ model: MODEL, max_tokens: 5 }, 'messages: Field required'],
    [{ model: MODEL, max_tokens: 5, messages: [] }, 'messages: at least one message is required'],
    [{ model: MODEL, messages: [{ role: 'user', content: 'x' }] }, 'max_tokens: Field required'],
    [
      { model: MODEL, max_tokens: 0, messages: [{ role: 'user', content: 'x' }] },
      'max_tokens: Input should be greater than or equal to 1',
    ],
  ])('answers 400 invalid_request_error for %j', async (body, message) => {
    const sim = await start();
    const res = await call(sim, '/v1/messages', body);
    expect(res.status).toBe(400);
    expect(res.json).toEqual(errorJson('invalid_request_error', message, res.headers.get('request-id')!));
  });

  it('surfaces 400 as BadRequestError through the SDK', async () => {
    const sim = await start();
    const error = await rejection(
      sdk(sim).messages.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }] } as never),
    );
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(error.error).toEqual(
      errorJson('invalid_request_error', 'max_tokens: Field required', error.requestID),
    );
  });

  it('answers 404 not_found_error for an unknown model and an unknown path', async () => {
    const sim = await start();
    const error = await rejection(sdk(sim).messages.create(params({ model: 'claude-nonexistent-9' })));
    expect(error).toBeInstanceOf(Anthropic.NotFoundError);
    expect(error.error).toEqual(errorJson('not_found_error', 'model: claude-nonexistent-9', error.requestID));
    const res = await call(sim, '/v1/complete', { prompt: 'x' });
    expect(res.status).toBe(404);
    expect(res.json).toEqual(errorJson('not_found_error', 'Not found', res.headers.get('request-id')!));
  });

  it('answers 413 as an HTML page past maxBodyBytes, and keeps the connection usable', async () => {
    const sim = await start({ maxBodyBytes: 2048 });
    const client = sdk(sim);
    const error = await rejection(
      client.messages.create(params({ messages: [{ role: 'user', content: 'x'.repeat(300_000) }] })),
    );
    expect(error).toBeInstanceOf(Anthropic.ContentTooLargeError);
    expect(error.status).toBe(413);
    expect(error.message).toContain('413 Request Entity Too Large');
    const raw = await call(sim, '/v1/messages', 'y'.repeat(4096));
    expect(raw.status).toBe(413);
    expect(raw.headers.get('content-type')).toBe('text/html');
    expect(raw.text).toMatch(/^<html>/);
    expect(raw.headers.get('request-id')).toMatch(/^req_/);
    expect((await client.messages.create(params())).type).toBe('message');
    expect(sim.stats().byStatus).toEqual({ '200': 1, '413': 2 });
  });

  it('answers 413 for a real body over the documented 32 MB', async () => {
    const sim = await start();
    const error = await rejection(
      sdk(sim).messages.create(
        params({ messages: [{ role: 'user', content: 'z'.repeat(32 * 1024 * 1024) }] }),
      ),
    );
    expect(error).toBeInstanceOf(Anthropic.ContentTooLargeError);
  });
});

describe('headers', () => {
  it('sends request-id, organization id and every rate-limit header in the API formats', async () => {
    const sim = await start({
      requestsPerMinute: 600,
      burst: 5,
      inputTokensPerMinute: 50_000,
      outputTokensPerMinute: 8_000,
      organizationId: 'org-sim-1',
    });
    const { data, response } = await sdk(sim).messages.create(params()).withResponse();
    expect(data.usage.output_tokens).toBe(16);
    const h = response.headers;
    expect(h.get('request-id')).toMatch(/^req_011C[0-9A-Za-z]{20}$/);
    expect(h.get('anthropic-organization-id')).toBe('org-sim-1');
    for (const name of LIMIT_HEADERS) expect(h.get(name), name).not.toBeNull();
    expect(h.get('anthropic-ratelimit-requests-limit')).toBe('600');
    expect(h.get('anthropic-ratelimit-requests-remaining')).toBe('4');
    expect(h.get('anthropic-ratelimit-input-tokens-limit')).toBe('50000');
    expect(h.get('anthropic-ratelimit-input-tokens-remaining')).toBe('49000'); // rounded down to the thousand
    expect(h.get('anthropic-ratelimit-output-tokens-remaining')).toBe('7000');
    // tokens-*: the most restrictive of the two (output here)
    expect(h.get('anthropic-ratelimit-tokens-limit')).toBe('8000');
    expect(h.get('anthropic-ratelimit-tokens-remaining')).toBe('7000');
    for (const name of LIMIT_HEADERS.filter((n) => n.endsWith('-reset'))) {
      expect(h.get(name)).toMatch(RFC3339);
      const ms = Date.parse(h.get(name)!) - Date.now();
      expect(ms).toBeGreaterThan(-1000);
      expect(ms).toBeLessThan(61_000);
    }
  });
});

describe('other endpoints', () => {
  it('lists and retrieves models with the SDK, paginating', async () => {
    const sim = await start({ models: ['claude-haiku-4-5', 'claude-opus-4-1', 'claude-sonnet-5'] });
    const client = sdk(sim);
    const ids: string[] = [];
    for await (const model of client.models.list({ limit: 2 })) ids.push(model.id);
    expect(ids).toEqual(['claude-haiku-4-5', 'claude-opus-4-1', 'claude-sonnet-5']);
    const page = await client.models.list({ limit: 2 });
    expect(page.has_more).toBe(true);
    const info = await client.models.retrieve('claude-opus-4-1');
    expect(info).toMatchObject({
      type: 'model',
      id: 'claude-opus-4-1',
      display_name: 'Claude Opus 4.1',
      line: 'opus',
    });
    expect(await rejection(client.models.retrieve('claude-x'))).toBeInstanceOf(Anthropic.NotFoundError);
    expect(sim.stats().byStatus).toEqual({ '200': 4, '404': 1 });
  });

  it('counts tokens like usage.input_tokens', async () => {
    const sim = await start();
    const client = sdk(sim);
    const body = {
      model: MODEL,
      messages: [{ role: 'user' as const, content: 'Count these words, please.' }],
    };
    const counted = await client.messages.countTokens(body);
    const message = await client.messages.create({ ...body, max_tokens: 10 });
    expect(counted.input_tokens).toBe(message.usage.input_tokens);
    expect(message.stop_reason).toBe('max_tokens');
    expect(message.usage.output_tokens).toBe(10);
    const error = await rejection(client.messages.countTokens({ model: 'nope', messages: body.messages }));
    expect(error).toBeInstanceOf(Anthropic.NotFoundError);
  });
});
