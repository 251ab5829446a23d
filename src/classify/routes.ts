/**
 * What the gateway knows per API route, in one table: the documented request size limit (a body
 * over it is refused locally, before a byte is sent, instead of failing at the edge with a 413
 * after the upload) and whether a POST creates something the server may have acted on when a
 * connection dropped (never resent after one).
 */
import { GatewayRequestError } from '../errors.js';

const MB = 1024 * 1024;

export interface Route {
  readonly pattern: RegExp;
  /** The endpoint's name in the API's "Request size limits". */
  readonly name: string;
  /** The documented request size limit, in bytes. */
  readonly maxBodyBytes: number;
  /** A POST here creates something; it may have taken effect when the connection dropped. */
  readonly createsOnPost: boolean;
}

/** The API's routes with a size limit or a non-idempotent create. */
export const ROUTES: readonly Route[] = [
  {
    pattern: /^\/v1\/messages\/batches\/?$/,
    name: 'Message Batches',
    maxBodyBytes: 256 * MB,
    createsOnPost: true,
  },
  {
    pattern: /^\/v1\/messages\/count_tokens\/?$/,
    name: 'Token Counting',
    maxBodyBytes: 32 * MB,
    createsOnPost: false,
  },
  { pattern: /^\/v1\/messages\/?$/, name: 'Messages', maxBodyBytes: 32 * MB, createsOnPost: false },
  { pattern: /^\/v1\/files\/?$/, name: 'Files', maxBodyBytes: 500 * MB, createsOnPost: true },
];

/**
 * Token counting: the API's `count_tokens` (a row above) and Bedrock's and Vertex's `count-tokens`.
 * It counts a prompt, not against the input-token limit.
 */
const TOKEN_COUNTING = /count[-_]tokens/;

/** Whether `path` counts tokens rather than sending a message. */
export function isTokenCounting(path: string): boolean {
  return TOKEN_COUNTING.test(path);
}

function routeOf(path: string): Route | undefined {
  return ROUTES.find((r) => r.pattern.test(path));
}

/** Whether sending `method path` again is safe after a connection dropped mid-request. */
export function isIdempotent(method: string, path: string): boolean {
  return method !== 'POST' || !routeOf(path)?.createsOnPost;
}

function byteLength(body: unknown): number | undefined {
  if (typeof body === 'string') {
    // UTF-8 is at most 3 bytes per UTF-16 unit: only count exactly when it could matter.
    return body.length * 3 <= 32 * MB ? body.length : Buffer.byteLength(body);
  }
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return body.byteLength;
  if (body instanceof Blob) return body.size;
  return undefined; // FormData and streams: sized by the platform; the server judges them
}

const SMALLEST_LIMIT = Math.min(...ROUTES.map((r) => r.maxBodyBytes));

/** Throws {@link GatewayRequestError} when `body` is over the documented limit of `path`. */
export function checkBodySize(path: string, body: unknown): void {
  // The common case, a JSON string far under every limit, costs one comparison.
  if (typeof body === 'string' && body.length * 3 <= SMALLEST_LIMIT) return;
  const route = routeOf(path);
  if (!route) return;
  const size = byteLength(body);
  if (size === undefined || size <= route.maxBodyBytes) return;
  throw new GatewayRequestError(
    `Request body is ${(size / MB).toFixed(1)} MB, over the ${route.name} API's limit of ${route.maxBodyBytes / MB} MB; ` +
      `the API would refuse it (413 request_too_large). Nothing was sent.`,
  );
}
