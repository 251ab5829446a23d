/**
 * The HTTP side: a node:http server on 127.0.0.1 with keep-alive, routing by path, streaming
 * body reads that count bytes (413 past the limit without buffering the rest), and a `close()`
 * that ends every connection, hung ones included.
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Exchange } from './exchange.js';
import { handleAttempt } from './handler.js';
import type { SimState } from './state.js';
import type { Endpoint } from './types.js';

/** The endpoint of a method and path. */
export function classify(method: string | undefined, path: string): Endpoint {
  if (method === 'POST') {
    if (path === '/v1/messages') return 'messages';
    if (path === '/v1/messages/count_tokens') return 'count_tokens';
  } else if (
    method === 'GET' &&
    (path === '/v1/models' || (path.startsWith('/v1/models/') && path.length > 11))
  ) {
    return 'models';
  }
  return 'unknown';
}

function noop(): void {}

function onRequest(state: SimState, req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const ex = new Exchange(state, req, res, path, classify(req.method, path));
  state.exchanges.add(ex);
  state.stats.arrive(ex.retryCount);
  req.on('error', noop);
  res.on('error', noop);
  res.on('close', () => {
    if (ex.dispose()) {
      state.exchanges.delete(ex);
      state.stats.depart();
    }
  });
  readBody(ex, state.config.maxBodyBytes);
}

/**
 * Reads the body, counting bytes as they arrive. Past `max` (or when `content-length` says so up
 * front) it answers 413 at once and discards the rest as it streams in, so the client can finish
 * sending and read the answer on the same connection.
 */
function readBody(ex: Exchange, max: number): void {
  const req = ex.req;
  let chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = Number(req.headers['content-length']) > max;
  if (tooLarge) ex.sendTooLarge();
  req.on('data', (chunk: Buffer) => {
    if (tooLarge) return;
    size += chunk.length;
    if (size > max) {
      tooLarge = true;
      chunks = [];
      ex.sendTooLarge();
    } else {
      chunks.push(chunk);
    }
  });
  req.on('end', () => {
    if (tooLarge || ex.done) return;
    handleAttempt(
      ex,
      size === 0 ? undefined
      : chunks.length === 1 ? chunks[0]
      : Buffer.concat(chunks, size),
    );
  });
}

/** Starts listening on 127.0.0.1:`port`. */
export function listen(state: SimState, port: number): Promise<{ server: Server; port: number }> {
  const server = createServer(
    { keepAlive: true, noDelay: true, requestTimeout: 0, keepAliveTimeout: 5000 },
    (req, res) => onRequest(state, req, res),
  );
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve({ server, port: (server.address() as AddressInfo).port });
    });
  });
}

/** Stops accepting connections, clears every pending timer and destroys every connection. */
export function shutdown(state: SimState, server: Server): Promise<void> {
  state.closing = true;
  for (const ex of state.exchanges) if (ex.dispose()) state.stats.depart();
  state.exchanges.clear();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
