/**
 * A JSON body the gateway read whole: parsed once, here, when the gateway needs what it says or
 * cannot trust its framing, and the value handed to the SDK's own `json()` (no second parse).
 *
 * Why the framing: a body with a `content-length` is checked by `fetch` itself (fewer bytes fail
 * the read). One without (chunked, or running until the connection closes) may end early with no
 * error: a close-delimited body's early close is its end by definition, and the `fetch` of Node
 * 22.15–22.22 (undici 6.21–6.23) ends a chunked body closed at some points of its framing as if it
 * were complete. The bare SDK then raises a `SyntaxError` from its parse; a JSON value that stops
 * before it closes is a connection cut short, and the caller gets the SDK's connection error.
 */

/** What reading a JSON body whole found. */
export type JsonBody =
  | { readonly kind: 'value'; readonly value: unknown }
  /** It stops inside its top-level object or array, or inside a string: cut short. */
  | { readonly kind: 'cut' }
  /** Not JSON, but not cut short either: the SDK's own parse raises its `SyntaxError`. */
  | { readonly kind: 'invalid' };

export function readJsonBody(text: string): JsonBody {
  try {
    return { kind: 'value', value: JSON.parse(text) };
  } catch {
    return endsInsideValue(text) ? { kind: 'cut' } : { kind: 'invalid' };
  }
}

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN = new Set([123 /* { */, 91 /* [ */]);
const CLOSE = new Set([125 /* } */, 93 /* ] */]);

/**
 * Whether `text` stops before its value ends: it opens an object or array (after any whitespace)
 * and ends inside a string or with brackets still open. Only run on a body that failed to parse.
 */
export function endsInsideValue(text: string): boolean {
  const start = text.length - text.trimStart().length;
  if (!OPEN.has(text.charCodeAt(start))) return false;
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (OPEN.has(c)) depth++;
    else if (CLOSE.has(c)) depth--;
  }
  return inString || depth > 0;
}
