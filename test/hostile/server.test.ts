/** The hostile server itself: it sends exactly the bytes asked for, cuts and stalls where told, and
 * records each request. */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { hostile } from './harness.js';
import { okAnswer, response, type HostileServer } from './server.js';

const REQUEST =
  'POST /v1/messages HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 27\r\n\r\n{"model":"m","stream":true}';

/** Sends one raw request; resolves with the bytes received and how the connection ended. */
function exchange(
  server: HostileServer,
  waitMs = 1_000,
): Promise<{ bytes: Buffer; end: 'end' | 'reset' | 'open' }> {
  return new Promise((resolve) => {
    const socket = connect(server.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = (end: 'end' | 'reset' | 'open') => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ bytes: Buffer.concat(chunks), end });
    };
    const timer = setTimeout(() => done('open'), waitMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => done('end'));
    socket.on('error', (e: NodeJS.ErrnoException) => done(e.code === 'ECONNRESET' ? 'reset' : 'end'));
    socket.write(REQUEST);
  });
}

describe('the hostile server', () => {
  it('sends a status line, reason bytes and headers exactly as given, and records the request', async () => {
    const server = await hostile();
    server.enqueue(
      response({
        status: 999,
        reason: Buffer.from([0x42, 0x01, 0xe2, 0x82, 0xac]),
        headers: [['retry-after', '-32']],
        body: 'xy',
      }),
    );
    const { bytes, end } = await exchange(server);
    expect(bytes.subarray(0, 20)).toEqual(
      Buffer.concat([
        Buffer.from('HTTP/1.1 999 '),
        Buffer.from([0x42, 0x01, 0xe2, 0x82, 0xac]),
        Buffer.from('\r\n'),
      ]),
    );
    expect(bytes.toString('latin1')).toContain(
      'retry-after: -32\r\ncontent-length: 2\r\nconnection: close\r\n\r\nxy',
    );
    expect(end).toBe('end');
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({
      method: 'POST',
      path: '/v1/messages',
      model: 'm',
      headers: { 'content-type': 'application/json' },
    });
  });

  it('chunks a body, and answers an ordinary SSE stream to a streaming request by default', async () => {
    const server = await hostile();
    const { bytes } = await exchange(server);
    const text = bytes.toString('utf8');
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text).toContain('transfer-encoding: chunked');
    expect(text).toContain('event: message_stop');
    expect(text.endsWith('0\r\n\r\n')).toBe(true);
  });

  it('resets at a byte offset, and stalls after the head', async () => {
    const server = await hostile();
    server.enqueue(response({ status: 200, body: 'hello world', cutAt: 20, cut: 'reset' }));
    const reset = await exchange(server);
    expect(reset.end).toBe('reset');
    expect(reset.bytes.length).toBeLessThanOrEqual(20);

    server.enqueue(response({ status: 200, body: 'hello', stallAfterHead: true }));
    const stalled = await exchange(server, 300);
    expect(stalled.end).toBe('open');
    expect(stalled.bytes.toString()).toMatch(/\r\n\r\n$/);
  });

  it('answers an ordinary Messages JSON when nothing is queued for a non-streaming request', async () => {
    const server = await hostile();
    server.fallback(okAnswer());
    const { bytes } = await exchange(server);
    expect(bytes.toString()).toContain('"type":"message"');
  });
});
