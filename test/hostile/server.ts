/**
 * A raw hostile HTTP server for tests: a `node:net` server that answers each request with exactly
 * the bytes a test chooses. Nothing is validated or normalised: status lines with any code from
 * 100 to 999 and any reason bytes (control bytes, UTF-8 that is not Latin-1), any header names and
 * values, bodies truncated, invalid JSON or SSE, chunked or with a content-length (true or not),
 * a reset (RST) or a clean close (FIN) at any byte offset, a stall (never finishes) anywhere, and
 * waits between the pieces. It records every request it received (when, method, path, headers,
 * body) so a test can see when an attempt was sent.
 *
 * The ordinary answers (`okAnswer()`, `sseAnswer()`) are a normal Messages JSON body and a normal
 * SSE stream. Every answer built here sends `connection: close` unless told otherwise, and the
 * server closes the socket after each answer, so a hostile answer never poisons a pooled
 * connection for the next request.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** One step of an answer, run in order on the socket. */
export type Step =
  | { readonly kind: 'bytes'; readonly data: Buffer }
  | { readonly kind: 'wait'; readonly ms: number }
  /** An RST: `socket.resetAndDestroy()`. */
  | { readonly kind: 'reset' }
  /** A clean close (FIN). */
  | { readonly kind: 'end' }
  /** Never finishes: the socket stays open, silent, until the server closes. */
  | { readonly kind: 'stall' };

export type Answer = readonly Step[];

export interface ReceivedRequest {
  /** `performance.now()` when the whole request (head and body) had arrived. */
  readonly at: number;
  /** `Date.now()` at the same moment. */
  readonly wall: number;
  readonly method: string;
  readonly path: string;
  /** Header names lower-cased; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The model named in a JSON body, when there is one. */
  readonly model: string | undefined;
}

export interface HostileServer {
  readonly url: string;
  readonly port: number;
  /** Every request received, in order of arrival. */
  readonly requests: ReceivedRequest[];
  /** Answers the next requests with these, in order; after them, the fallback. */
  enqueue(...answers: Answer[]): void;
  /** What a request gets when the queue is empty (default: `okAnswer()`, or `sseAnswer()` for a
   * request whose body says `"stream":true`). */
  fallback(answer: ((req: ReceivedRequest) => Answer) | Answer | 'ordinary'): void;
  /** Requests received after `index` (an earlier `requests.length`). */
  since(index: number): ReceivedRequest[];
  /** Drops the answers still queued. */
  clear(): void;
  /** Destroys every open connection (ends stalls), keeping the listener. */
  dropConnections(): void;
  /** Resolves with the first request received after `index`, or undefined after `ms`. */
  nextRequest(index: number, ms: number): Promise<ReceivedRequest | undefined>;
  /** Closes the listener and destroys every socket (stalls included). */
  close(): Promise<void>;
}

type Bytes = string | Buffer | Uint8Array;
const toBuf = (b: Bytes): Buffer => (typeof b === 'string' ? Buffer.from(b, 'utf8') : Buffer.from(b));

export const MESSAGE_JSON =
  '{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1}}';

/** The SSE events of a normal one-delta stream, as the API sends them. */
export const SSE_EVENTS: ReadonlyArray<readonly [string, string]> = [
  [
    'message_start',
    '{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1}}}',
  ],
  [
    'content_block_start',
    '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}',
  ],
  ['ping', '{"type":"ping"}'],
  [
    'content_block_delta',
    '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}',
  ],
  ['content_block_stop', '{"type":"content_block_stop","index":0}'],
  [
    'message_delta',
    '{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":1}}',
  ],
  ['message_stop', '{"type":"message_stop"}'],
];
export const SSE_BODY = SSE_EVENTS.map(([e, d]) => `event: ${e}\ndata: ${d}\n\n`).join('');

export interface ResponseSpec {
  readonly status: number;
  /** The reason phrase's bytes (a string is sent as UTF-8). Default: `OK` / `Error`. */
  readonly reason?: Bytes;
  /** Headers in order, sent as given (a string value as UTF-8). */
  readonly headers?: ReadonlyArray<readonly [string, Bytes]>;
  readonly body?: Bytes;
  /**
   * How the body is framed: `length` (a true content-length), `chunked`, `close` (no length: the
   * body runs until the socket closes), or a number (a content-length header with this value,
   * true or not). Default `length`.
   */
  readonly framing?: 'length' | 'chunked' | 'close' | number;
  /** Split the body into pieces of this many bytes (chunked: one chunk each), `gapMs` apart. */
  readonly pieceBytes?: number;
  readonly gapMs?: number;
  /** Cut the answer after this many bytes of the whole answer (head included)… */
  readonly cutAt?: number;
  /** …by a reset, a clean close or a stall. Default `reset`. */
  readonly cut?: 'reset' | 'end' | 'stall';
  /** After the head, stall instead of sending the body. */
  readonly stallAfterHead?: boolean;
  /** Send the whole body but not its end (no last chunk, no FIN), then stall. */
  readonly stallBeforeEnd?: boolean;
  /** Add `connection: close` (default true). */
  readonly connectionClose?: boolean;
  /** Wait this long before the first byte. */
  readonly delayMs?: number;
}

/** Builds an answer from a response description: exact bytes, with the cuts and stalls asked for. */
export function response(spec: ResponseSpec): Answer {
  const body = toBuf(spec.body ?? '');
  const framing = spec.framing ?? 'length';
  const head: Buffer[] = [
    Buffer.from(`HTTP/1.1 ${spec.status} `, 'latin1'),
    toBuf(spec.reason ?? (spec.status < 400 ? 'OK' : 'Error')),
    Buffer.from('\r\n'),
  ];
  for (const [name, value] of spec.headers ?? [])
    head.push(Buffer.from(`${name}: `, 'latin1'), toBuf(value), Buffer.from('\r\n'));
  if (framing === 'length') head.push(Buffer.from(`content-length: ${body.length}\r\n`));
  else if (typeof framing === 'number') head.push(Buffer.from(`content-length: ${framing}\r\n`));
  else if (framing === 'chunked') head.push(Buffer.from('transfer-encoding: chunked\r\n'));
  if (spec.connectionClose !== false) head.push(Buffer.from('connection: close\r\n'));
  head.push(Buffer.from('\r\n'));
  const headBytes = Buffer.concat(head);

  const size = spec.pieceBytes && spec.pieceBytes > 0 ? spec.pieceBytes : Math.max(1, body.length);
  const pieces: Buffer[] = [];
  for (let i = 0; i < body.length; i += size) pieces.push(body.subarray(i, i + size));
  const bodyParts: Buffer[] =
    framing === 'chunked' ?
      [
        ...pieces.map((p) =>
          Buffer.concat([Buffer.from(`${p.length.toString(16)}\r\n`), p, Buffer.from('\r\n')]),
        ),
        Buffer.from('0\r\n\r\n'),
      ]
    : pieces;

  const steps: Step[] = [];
  if (spec.delayMs) steps.push({ kind: 'wait', ms: spec.delayMs });
  let budget = spec.cutAt ?? Infinity;
  const cutStep: Step = { kind: spec.cut ?? 'reset' };
  const push = (data: Buffer): boolean => {
    if (budget <= 0) return false;
    if (data.length > budget) {
      steps.push({ kind: 'bytes', data: data.subarray(0, budget) });
      budget = 0;
      return false;
    }
    steps.push({ kind: 'bytes', data });
    budget -= data.length;
    return true;
  };
  if (!push(headBytes)) return [...steps, cutStep];
  if (spec.stallAfterHead) return [...steps, { kind: 'stall' }];
  const parts = spec.stallBeforeEnd && framing === 'chunked' ? bodyParts.slice(0, -1) : bodyParts;
  for (const [i, part] of parts.entries()) {
    if (i > 0 && spec.gapMs) steps.push({ kind: 'wait', ms: spec.gapMs });
    if (!push(part)) return [...steps, cutStep];
  }
  if (spec.stallBeforeEnd) return [...steps, { kind: 'stall' }];
  if (spec.cutAt !== undefined && budget <= 0) return [...steps, cutStep];
  steps.push({ kind: 'end' });
  return steps;
}

/** A normal 200 Messages JSON answer. */
export function okAnswer(extraHeaders: ReadonlyArray<readonly [string, Bytes]> = []): Answer {
  return response({
    status: 200,
    reason: 'OK',
    headers: [['content-type', 'application/json'], ['request-id', 'req_hostile_ok'], ...extraHeaders],
    body: MESSAGE_JSON,
  });
}

/** A normal 200 SSE stream. */
export function sseAnswer(extraHeaders: ReadonlyArray<readonly [string, Bytes]> = []): Answer {
  return response({
    status: 200,
    reason: 'OK',
    headers: [
      ['content-type', 'text/event-stream'],
      ['cache-control', 'no-cache'],
      ['request-id', 'req_hostile_sse'],
      ...extraHeaders,
    ],
    body: SSE_BODY,
    framing: 'chunked',
    pieceBytes: 256,
  });
}

/** An API error answer: the API's error envelope with the given status and headers. */
export function errorAnswer(
  status: number,
  headers: ReadonlyArray<readonly [string, Bytes]> = [],
  errorType = 'api_error',
): Answer {
  return response({
    status,
    headers: [['content-type', 'application/json'], ['request-id', 'req_hostile_err'], ...headers],
    body: JSON.stringify({
      type: 'error',
      error: { type: errorType, message: 'hostile' },
      request_id: 'req_hostile_err',
    }),
  });
}

/** Exact bytes, then a clean close. */
export function rawAnswer(bytes: Bytes): Answer {
  return [{ kind: 'bytes', data: toBuf(bytes) }, { kind: 'end' }];
}

export function ordinaryFor(req: ReceivedRequest): Answer {
  return /"stream"\s*:\s*true/.test(req.body) ? sseAnswer() : okAnswer();
}

export async function startHostileServer(): Promise<HostileServer> {
  const requests: ReceivedRequest[] = [];
  const queue: Answer[] = [];
  let fallback: (req: ReceivedRequest) => Answer = ordinaryFor;
  const sockets = new Set<Socket>();
  let closed = false;

  const play = async (socket: Socket, answer: Answer): Promise<void> => {
    for (const step of answer) {
      if (socket.destroyed || closed) return;
      switch (step.kind) {
        case 'bytes':
          await new Promise<void>((resolve) => socket.write(step.data, () => resolve()));
          break;
        case 'wait':
          await new Promise((r) => setTimeout(r, step.ms));
          break;
        case 'reset':
          // A moment for the peer to read what came before: Node 22 reports an RST that lands with
          // the data it follows, in one turn, as a clean end (Node 24 as a reset).
          await new Promise((r) => setTimeout(r, 2));
          if (!socket.destroyed) socket.resetAndDestroy();
          return;
        case 'end':
          socket.end();
          return;
        case 'stall':
          return; // left open and silent until the server closes
      }
    }
    socket.end();
  };

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    let answered = false;
    socket.on('data', (chunk: Buffer) => {
      if (answered) return; // one request per connection: every answer closes it
      buf = Buffer.concat([buf, chunk]);
      const headEnd = buf.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const lines = buf.subarray(0, headEnd).toString('latin1').split('\r\n');
      const [method = '', path = ''] = (lines[0] ?? '').split(' ');
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const i = line.indexOf(':');
        if (i < 0) continue;
        const name = line.slice(0, i).trim().toLowerCase();
        const value = line.slice(i + 1).trim();
        headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
      }
      const length = Number(headers['content-length'] ?? 0);
      if (buf.length < headEnd + 4 + length) return;
      answered = true;
      const body = buf.subarray(headEnd + 4, headEnd + 4 + length).toString('utf8');
      let model: string | undefined;
      try {
        const m = (JSON.parse(body) as { model?: unknown }).model;
        if (typeof m === 'string') model = m;
      } catch {}
      const req: ReceivedRequest = {
        at: performance.now(),
        wall: Date.now(),
        method,
        path,
        headers,
        body,
        model,
      };
      requests.push(req);
      const answer = queue.shift() ?? fallback(req);
      void play(socket, answer).catch(() => socket.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    enqueue: (...answers) => void queue.push(...answers),
    fallback(answer) {
      if (answer === 'ordinary') fallback = ordinaryFor;
      else if (typeof answer === 'function') fallback = answer;
      else fallback = () => answer;
    },
    since: (index) => requests.slice(index),
    clear: () => void queue.splice(0),
    dropConnections() {
      for (const s of sockets) s.destroy();
    },
    async nextRequest(index, ms) {
      const end = performance.now() + ms;
      while (requests.length <= index && performance.now() < end) await new Promise((r) => setTimeout(r, 2));
      return requests[index];
    },
    close() {
      closed = true;
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
