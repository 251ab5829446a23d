/**
 * The response the gateway hands the SDK after reading (or wrapping) a body: the same object as
 * `fetch` returned, its status, reason phrase and headers untouched, its body methods reading what
 * the gateway holds, each once, as a `Response` does.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withBody } from '../../src/attempt/rebuild.js';

let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, 'Fine Thanks', { 'content-type': 'application/json', 'request-id': 'req_1' });
    res.end('{"wire":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A response from `fetch` whose own body the gateway has read. */
async function fetched(): Promise<Response> {
  const response = await fetch(url);
  await response.arrayBuffer();
  return response;
}

const bytes = (text: string) => new TextEncoder().encode(text);

describe('withBody', () => {
  it('serves held bytes from the same response, status, reason phrase and headers intact', async () => {
    const original = await fetched();
    const served = withBody(original, bytes('{"id":"msg_1"}'));
    expect(served).toBe(original);
    expect(served).toBeInstanceOf(Response);
    expect([served.status, served.statusText, served.headers.get('request-id')]).toEqual([
      200,
      'Fine Thanks',
      'req_1',
    ]);
    expect(served.bodyUsed).toBe(false);
    expect(await served.json()).toEqual({ id: 'msg_1' });
    expect(served.bodyUsed).toBe(true);
  });

  it('answers json() with the value the gateway parsed (no second parse), and other reads with the bytes', async () => {
    const value = { id: 'msg_1' };
    const served = withBody(await fetched(), bytes('{"id":"msg_1"}'), { value });
    expect(await served.json()).toBe(value);
    expect(served.bodyUsed).toBe(true);
    await expect(served.json()).rejects.toThrow(/unusable/);
    const asText = withBody(await fetched(), bytes('{"id":"msg_1"}'), { value });
    expect(await asText.text()).toBe('{"id":"msg_1"}');
  });

  it('lets the body be read once, by any method, and refuses a second read as fetch does', async () => {
    const served = withBody(await fetched(), bytes('hello'));
    expect(await served.text()).toBe('hello');
    await expect(served.text()).rejects.toThrow(TypeError);
    await expect(served.arrayBuffer()).rejects.toThrow(/unusable/);
    expect(() => served.clone()).toThrow(TypeError);
  });

  it('serves the bytes as a stream; looking at the body does not use it', async () => {
    const served = withBody(await fetched(), bytes('streamed'));
    expect(served.body?.locked).toBe(false);
    expect(served.bodyUsed).toBe(false);
    const text = await new Response(served.body).text();
    expect(text).toBe('streamed');
    expect(served.bodyUsed).toBe(true);
    await expect(served.json()).rejects.toThrow(TypeError);
  });

  it('clones: both copies read the whole body', async () => {
    const served = withBody(await fetched(), bytes('twice'));
    const copy = served.clone();
    expect(copy.headers.get('request-id')).toBe('req_1');
    expect([await copy.text(), await served.text()]).toEqual(['twice', 'twice']);
  });

  it('serves a stream as it comes, and its clone a tee of it', async () => {
    const stream = new Response('a stream').body!;
    const served = withBody(await fetched(), stream);
    expect(served.body).toBe(stream);
    const copy = served.clone();
    expect([await copy.text(), await served.text()]).toEqual(['a stream', 'a stream']);
  });

  it('serves the other methods from the bytes: blob, bytes', async () => {
    const blob = await withBody(await fetched(), bytes('{"a":1}')).blob();
    expect([blob.type, await blob.text()]).toEqual(['application/json', '{"a":1}']);
    const got = await withBody(await fetched(), bytes('xyz')).bytes();
    expect(new TextDecoder().decode(got)).toBe('xyz');
  });

  it('rebuilds a response that is not this runtime’s (a custom fetch’s own class)', async () => {
    const foreign = {
      status: 201,
      statusText: 'Created',
      headers: new Headers({ 'x-a': '1' }),
    } as unknown as Response;
    const rebuilt = withBody(foreign, bytes('built'));
    expect(rebuilt).not.toBe(foreign);
    expect([rebuilt.status, rebuilt.headers.get('x-a'), await rebuilt.text()]).toEqual([201, '1', 'built']);
  });
});
