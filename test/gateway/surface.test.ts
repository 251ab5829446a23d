/** withGateway keeps the SDK's whole surface: same type, same methods, same typed errors. */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { createFetchAudit } from '../../src/sim/audit.js';
import { createGateway, isWrapped, withGateway } from '../../src/index.js';
import { FAST, gatewayClient, PARAMS, sdk, sim } from '../helpers.js';

describe('the SDK surface through the gateway', () => {
  it('returns a client of the same class, with the SDK’s retries off and the gateway on', async () => {
    const s = await sim();
    const original = sdk(s);
    const client = withGateway(original, FAST);
    expect(client).toBeInstanceOf(Anthropic);
    expect(client).not.toBe(original);
    expect(client.maxRetries).toBe(0);
    expect(isWrapped(client)).toBe(true);
    expect(isWrapped(original)).toBe(false);
    // withOptions copies stay on the gateway.
    expect(isWrapped(client.withOptions({ timeout: 5000 }))).toBe(true);
  });

  it('withResponse() and asResponse()', async () => {
    const s = await sim();
    const { client } = gatewayClient(s);
    const { data, response, request_id } = await client.messages.create(PARAMS).withResponse();
    expect(data.type).toBe('message');
    expect(response.status).toBe(200);
    expect(request_id).toMatch(/^req_/);
    const raw = await client.messages.create(PARAMS).asResponse();
    expect((await raw.json()).type).toBe('message');
  });

  it('messages.stream() with its events and finalMessage(), and create({ stream: true })', async () => {
    const s = await sim();
    const { client } = gatewayClient(s);
    const stream = client.messages.stream(PARAMS);
    let text = '';
    stream.on('text', (t) => (text += t));
    const final = await stream.finalMessage();
    expect(final.content[0]).toMatchObject({ type: 'text' });
    expect(text.length).toBeGreaterThan(0);
    const events: string[] = [];
    for await (const event of await client.messages.create({ ...PARAMS, stream: true }))
      events.push(event.type);
    expect(events[0]).toBe('message_start');
    expect(events.at(-1)).toBe('message_stop');
  });

  it('countTokens, models.list and beta.messages', async () => {
    const s = await sim();
    const { client } = gatewayClient(s);
    expect(
      (await client.messages.countTokens({ model: PARAMS.model, messages: PARAMS.messages })).input_tokens,
    ).toBeGreaterThan(0);
    const models = [];
    for await (const m of client.models.list()) models.push(m.id);
    expect(models).toContain(PARAMS.model);
    expect((await client.beta.messages.create(PARAMS)).type).toBe('message');
  });

  it('the application’s own middleware still runs once per HTTP attempt', async () => {
    const s = await sim();
    s.enqueue({ kind: 'error', status: 529 });
    const seen: string[] = [];
    const app = sdk(s, {
      middleware: [
        async (req, next) => (seen.push(req.headers.get('x-stainless-retry-count') ?? '?'), next(req)),
      ],
    });
    const client = createGateway(FAST, {}).wrap(app);
    await client.messages.create(PARAMS);
    expect(seen).toEqual(['0', '1']);
  });

  it('wrapping twice goes through the gateway once', async () => {
    const s = await sim();
    s.enqueue({ kind: 'error', status: 529 }, { kind: 'error', status: 529 });
    const g = createGateway({ ...FAST, maxRetries: 2 }, {});
    const twice = g.wrap(g.wrap(sdk(s)));
    expect(twice.middleware.length).toBe(1);
    await twice.messages.create(PARAMS);
    expect(s.stats().attempts).toBe(3);
  });

  it('CLAUDE_GATEWAY_DISABLED leaves the client as it is (SDK retries intact)', async () => {
    const s = await sim();
    const original = sdk(s);
    const g = createGateway({}, { CLAUDE_GATEWAY_DISABLED: 'true' });
    expect(g.wrap(original)).toBe(original);
  });

  it('keys of one organization share one limiter per model group, once an answer named the organization', async () => {
    const s = await sim({ organizations: { 'sk-a': 'org-a', 'sk-a2': 'org-a', 'sk-b': 'org-b' } });
    const g = createGateway(FAST, {});
    const a = g.wrap(sdk(s, { apiKey: 'sk-a' }));
    const a2 = g.wrap(sdk(s, { apiKey: 'sk-a2' }));
    const b = g.wrap(sdk(s, { apiKey: 'sk-b' }));
    await a.messages.create(PARAMS);
    // The first key's limiter became its organization's, with what it learned.
    expect(g.limiters()).toEqual([expect.objectContaining({ organization: 'org-a', group: 'sonnet' })]);
    await a2.messages.create(PARAMS); // before its first answer: under its own key
    await a2.messages.create(PARAMS); // now: the organization's
    await a.messages.create({ ...PARAMS, model: 'claude-sonnet-4-5' }); // same family, same group
    await b.messages.create(PARAMS);
    const byOrg = g.limiters().filter((l) => l.organization);
    expect(byOrg.map((l) => `${l.organization}/${l.group}`).sort()).toEqual(['org-a/sonnet', 'org-b/sonnet']);
    // a2's own limiter, from before its first answer, was merged into its organization's.
    expect(g.limiters().filter((l) => !l.organization)).toHaveLength(0);
  });

  it('a second key of an organization: its waiting calls and its retries move to the organization’s limiter and keep its hold', async () => {
    const s = await sim({
      organizations: { 'sk-one': 'org-shared', 'sk-two': 'org-shared' },
      latency: { ttftMs: 30, msPerToken: 0 },
    });
    const audit = createFetchAudit();
    const g = createGateway({ ...FAST, concurrencyInitial: 2, concurrencyMax: 2 }, {});
    const one = g.wrap(sdk(s, { apiKey: 'sk-one', fetch: audit.fetch }));
    const two = g.wrap(sdk(s, { apiKey: 'sk-two', fetch: audit.fetch }));
    await one.messages.create(PARAMS); // the organization's limiter exists
    // The second key's calls queue under its own key until its first answer names the organization.
    s.enqueue({ kind: 'error', status: 429, retryAfterMs: 300 });
    const started = performance.now();
    const calls = await Promise.all(Array.from({ length: 6 }, () => two.messages.create(PARAMS)));
    expect(calls).toHaveLength(6);
    expect(g.limiters().map((l) => l.organization)).toEqual(['org-shared']);
    // The 429's retry-after held the organization's limiter, which the moved calls waited for.
    expect(performance.now() - started).toBeGreaterThanOrEqual(280);
    expect(audit.violations()).toBe(0);
    expect(s.stats().attempts).toBe(1 + 6 + 1);
  });

  it('model groups can be set: a model listed gets the group named', async () => {
    const s = await sim();
    const g = createGateway({ ...FAST, modelGroups: { 'claude-sonnet-4-5': 'legacy' } }, {});
    const client = g.wrap(sdk(s));
    await client.messages.create(PARAMS);
    await client.messages.create({ ...PARAMS, model: 'claude-sonnet-4-5' });
    expect(
      g
        .limiters()
        .map((l) => l.group)
        .sort(),
    ).toEqual(['legacy', 'sonnet']);
  });
});
