/**
 * Request size limits the API documents per endpoint: a body over its limit is refused locally,
 * before a byte is sent, instead of failing at the edge with a 413 after the upload.
 */
import { GatewayRequestError } from './errors.js';

const MB = 1024 * 1024;

/** [route pattern, limit in bytes, endpoint name]: the API's "Request size limits". */
export const BODY_LIMITS: ReadonlyArray<readonly [RegExp, number, string]> = [
  [/^\/v1\/messages\/batches\/?$/, 256 * MB, 'Message Batches'],
  [/^\/v1\/messages\/count_tokens\/?$/, 32 * MB, 'Token Counting'],
  [/^\/v1\/messages\/?$/, 32 * MB, 'Messages'],
  [/^\/v1\/files\/?$/, 500 * MB, 'Files'],
];

function byteLength(body: unknown): number | undefined {
  if (typeof body === 'string') {
    // UTF-8 is at most 3 bytes per UTF-16 unit: only count exactly when it could matter.
    return body.length * 3 <= 32 * MB ? body.length : Buffer.byteLength(body);
  }
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return body.byteLength;
  if (body instanceof Blob) return body.size;
  return undefined; // FormData and streams: sized by the platform; the server judges them
}

const SMALLEST_LIMIT = Math.min(...BODY_LIMITS.map(([, limit]) => limit));

/** Throws {@link GatewayRequestError} when `body` is over the documented limit of `path`. */
export function checkBodySize(path: string, body: unknown): void {
  // The common case, a JSON string far under every limit, costs one comparison.
  if (typeof body === 'string' && body.length * 3 <= SMALLEST_LIMIT) return;
  const rule = BODY_LIMITS.find(([pattern]) => pattern.test(path));
  if (!rule) return;
  const size = byteLength(body);
  if (size === undefined || size <= rule[1]) return;
  throw new GatewayRequestError(
    `Request body is ${(size / MB).toFixed(1)} MB, over the ${rule[2]} API's limit of ${rule[1] / MB} MB; ` +
      `the API would refuse it (413 request_too_large). Nothing was sent.`,
  );
}
