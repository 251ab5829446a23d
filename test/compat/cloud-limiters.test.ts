/**
 * Limiter identity for cloud clients: Bedrock and Vertex sign each request after the gateway sees
 * it, so their limiters are keyed by what the client says of itself (endpoint, region, the
 * credential's identity, hashed), never shared across accounts or regions, and never holding a
 * secret. Against the simulator, behind the test's stand-in for each cloud.
 */
import { AnthropicBedrock } from '@anthropic-ai/bedrock-sdk';
import { AnthropicVertex } from '@anthropic-ai/vertex-sdk';
import { describe, expect, it } from 'vitest';
import { clientCredential } from '../../src/gateway/sdk-seams.js';
import { createGateway } from '../../src/index.js';
import { FAST, sim } from '../helpers.js';
import { cloudProxy } from '../examples/cloud-proxy.js';

const MODEL = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
const params = { model: MODEL, max_tokens: 16, messages: [{ role: 'user' as const, content: 'hi' }] };
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

function bedrock(baseURL: string, awsAccessKey: string, awsRegion: string) {
  return new AnthropicBedrock({ baseURL, awsRegion, awsAccessKey, awsSecretKey: SECRET, maxRetries: 0 });
}

/** A Vertex client with a stand-in auth client (a service account's, by its email). */
function vertex(baseURL: string, projectId: string, region: string, email = 'sa@p.iam.gserviceaccount.com') {
  const authClient = {
    email,
    projectId,
    getRequestHeaders: async () => new Headers({ authorization: 'Bearer ya29.test' }),
  };
  return new AnthropicVertex({
    baseURL: `${baseURL}/v1`,
    region,
    projectId,
    authClient: authClient as never,
  });
}

describe('clientCredential: who a cloud client calls as', () => {
  it('Bedrock: a hash of endpoint, region and access key id; never the secret', () => {
    const url = 'http://127.0.0.1:9';
    const a = clientCredential(bedrock(url, 'AKIAACCOUNTA', 'us-east-1'))!;
    expect(a).toMatch(/^bedrock:[0-9a-f]{16}$/);
    expect(a).not.toContain('AKIAACCOUNTA');
    expect(clientCredential(bedrock(url, 'AKIAACCOUNTA', 'us-east-1'))).toBe(a);
    expect(clientCredential(bedrock(url, 'AKIAACCOUNTB', 'us-east-1'))).not.toBe(a);
    expect(clientCredential(bedrock(url, 'AKIAACCOUNTA', 'us-west-2'))).not.toBe(a);
    // Without explicit keys: the credential source the default chain will use.
    const env = (AWS_ACCESS_KEY_ID?: string, AWS_PROFILE?: string) => ({ AWS_ACCESS_KEY_ID, AWS_PROFILE });
    const chain = new AnthropicBedrock({ baseURL: url, awsRegion: 'us-east-1' });
    expect(clientCredential(chain, env('AKIAACCOUNTA'))).toBe(a);
    expect(clientCredential(chain, env(undefined, 'prod'))).not.toBe(
      clientCredential(chain, env(undefined, 'dev')),
    );
    // A Bedrock API key (Bearer): hashed with the region.
    const keyed = new AnthropicBedrock({
      baseURL: url,
      awsRegion: 'us-east-1',
      apiKey: 'bedrock-api-key-secret',
    });
    expect(clientCredential(keyed)).not.toContain('bedrock-api-key-secret');
  });

  it('Vertex: a hash of endpoint, region, project and the service account', () => {
    const url = 'http://127.0.0.1:9';
    const a = clientCredential(vertex(url, 'project-a', 'us-east5'))!;
    expect(a).toMatch(/^vertex:[0-9a-f]{16}$/);
    expect(clientCredential(vertex(url, 'project-a', 'us-east5'))).toBe(a);
    expect(clientCredential(vertex(url, 'project-b', 'us-east5'))).not.toBe(a);
    expect(clientCredential(vertex(url, 'project-a', 'europe-west1'))).not.toBe(a);
    expect(
      clientCredential(vertex(url, 'project-a', 'us-east5', 'other@p.iam.gserviceaccount.com')),
    ).not.toBe(a);
  });

  it('an Anthropic API key client: undefined (its auth header says who it is)', async () => {
    const { default: Anthropic } = await import('@anthropic-ai/sdk');
    expect(clientCredential(new Anthropic({ apiKey: 'sk' }))).toBeUndefined();
  });
});

describe('cloud clients of different accounts or regions never share a limiter', () => {
  it('Bedrock: two accounts, two limiters; a retry-after to one does not delay the other', async () => {
    const s = await sim();
    const cloud = await cloudProxy(s.url);
    const gateway = createGateway({ ...FAST }, {});
    const east = gateway.wrap(bedrock(cloud.url, 'AKIAACCOUNTA', 'us-east-1'));
    const west = gateway.wrap(bedrock(cloud.url, 'AKIAACCOUNTB', 'us-west-2'));
    const sameAsEast = gateway.wrap(bedrock(cloud.url, 'AKIAACCOUNTA', 'us-east-1'));
    s.enqueue({ kind: 'error', status: 429, retryAfterMs: 1500 });
    const started = performance.now();
    const held = east.messages.create(params).then(() => performance.now() - started);
    while (s.stats().attempts < 1) await new Promise((r) => setTimeout(r, 5));
    // The east account is held for 1.5 s: the west account's call goes at once.
    const westStarted = performance.now();
    await west.messages.create(params);
    expect(performance.now() - westStarted).toBeLessThan(800);
    expect(await held).toBeGreaterThanOrEqual(1450);
    await sameAsEast.messages.create(params);
    expect(gateway.limiters()).toHaveLength(2);
    expect(JSON.stringify(gateway.limiters())).not.toContain('AKIA');
    expect(cloud.requests.every((p) => p.startsWith('/model/'))).toBe(true);
  });

  it('Vertex still fetching its token: attempts handed on but not sent show nothing, and the limit waits', async () => {
    // The client signs innermost, after the gateway's middleware: attempts the gateway handed on
    // wait there. Counted as in flight and unrefused, they would grow the limit on no evidence,
    // and the burst would reach the API all at once when the token comes (measured: 40–86
    // acceleration refusals for a cold burst of 100 on a loaded machine, 9–17 since).
    const s = await sim();
    const cloud = await cloudProxy(s.url);
    const gateway = createGateway({}, {});
    let tokenCame!: () => void;
    const token = new Promise<void>((resolve) => (tokenCame = resolve));
    const authClient = {
      email: 'sa@p.iam.gserviceaccount.com',
      projectId: 'project-a',
      getRequestHeaders: async () => {
        await token;
        return new Headers({ authorization: 'Bearer ya29.test' });
      },
    };
    const client = gateway.wrap(
      new AnthropicVertex({
        baseURL: `${cloud.url}/v1`,
        region: 'us-east5',
        projectId: 'project-a',
        authClient: authClient as never,
      }),
    );
    const model = 'claude-sonnet-4-5@20250929';
    const calls = Array.from({ length: 12 }, () => client.messages.create({ ...params, model }));
    await new Promise((r) => setTimeout(r, 1500)); // three times the evidence the API admits needs
    expect(s.stats().attempts).toBe(0);
    expect(gateway.limiters().map((l) => [l.limit, l.active])).toEqual([[4, 4]]);
    tokenCame();
    expect((await Promise.all(calls)).every((m) => m.type === 'message')).toBe(true);
    await gateway.close();
  });

  it('Vertex: two projects, two limiters; a retry-after to one does not delay the other', async () => {
    const s = await sim();
    const cloud = await cloudProxy(s.url);
    const gateway = createGateway({ ...FAST }, {});
    const a = gateway.wrap(vertex(cloud.url, 'project-a', 'us-east5'));
    const b = gateway.wrap(vertex(cloud.url, 'project-b', 'us-east5'));
    s.enqueue({ kind: 'error', status: 429, retryAfterMs: 1500 });
    const held = a.messages.create({ ...params, model: 'claude-sonnet-4-5@20250929' });
    while (s.stats().attempts < 1) await new Promise((r) => setTimeout(r, 5));
    const started = performance.now();
    await b.messages.create({ ...params, model: 'claude-sonnet-4-5@20250929' });
    expect(performance.now() - started).toBeLessThan(800);
    await held;
    expect(gateway.limiters()).toHaveLength(2);
  });
});
