/**
 * Responses the gateway hands the SDK in place of one whose body it read or wraps. The `Response`
 * constructor refuses what `fetch` accepts from the wire (a status outside 200–599, a reason phrase
 * with a control or non-Latin-1 byte), so a rebuilt response keeps the status only where the
 * constructor allows it and drops a reason phrase it refuses; an error response is never rebuilt
 * (the SDK gets a clone of the original, whatever its status).
 */

/** A response with `body` in place of `from`'s, same status and headers. */
export function withBody(from: Response, body: BodyInit | null): Response {
  const init = { status: from.status, statusText: from.statusText, headers: from.headers };
  try {
    return new Response(body, init);
  } catch {
    // The reason phrase is for humans; the SDK reads the status and the headers.
    return new Response(body, { status: from.status, headers: from.headers });
  }
}
