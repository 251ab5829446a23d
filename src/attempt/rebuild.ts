/**
 * Responses the gateway hands the SDK in place of one whose body it read or wraps: the same
 * response object, status, reason phrase and headers, its body served from what the gateway holds.
 *
 * Why not `new Response(body, init)`: the constructor costs about 25 µs a call (it copies the
 * headers through a sorted walk), more than all the rest of the gateway's work on a success, and
 * it refuses what `fetch` accepts from the wire (a status outside 200–599, a reason phrase with a
 * control byte). Only a response of this runtime's `fetch` is served this way; any other (a custom
 * `fetch`'s own class) is rebuilt with the constructor.
 */

const SERVED = Symbol('claude-otel-gateway.servedBody');

/** The body a served response reads from: bytes held whole, or a stream read as it comes. */
interface ServedBody {
  bytes?: Uint8Array<ArrayBuffer> | undefined;
  stream?: ReadableStream<Uint8Array> | undefined;
  /** The bytes' JSON, when the gateway parsed them: `json()` answers with it. */
  parsed?: { readonly value: unknown } | undefined;
  used: boolean;
}

type Served = Response & { [SERVED]: ServedBody };

const decoder = new TextDecoder();

function unusable(): TypeError {
  return new TypeError('Body is unusable: Body has already been read');
}

/** All of a served body, once: the bytes held, or the stream read to its end. */
async function take(response: Served): Promise<Uint8Array<ArrayBuffer>> {
  const served = response[SERVED];
  if (served.used || served.stream?.locked) throw unusable();
  served.used = true;
  if (served.bytes) return served.bytes;
  if (!served.stream) return new Uint8Array(0);
  return new Uint8Array(await new Response(served.stream).arrayBuffer());
}

function streamOf(bytes: Uint8Array<ArrayBuffer>, served: ServedBody): ReadableStream<Uint8Array> {
  // No queue ahead of the reader (high-water mark 0): pulled only when read, so a body that is only
  // looked at stays usable.
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        served.used = true;
        controller.enqueue(bytes);
        controller.close();
      },
    },
    { highWaterMark: 0 },
  );
}

/** A `Response` of this runtime whose body methods read the body the gateway holds. */
class ServedResponse extends Response {
  declare [SERVED]: ServedBody;

  override async text(): Promise<string> {
    return decoder.decode(await take(this));
  }

  override async json(): Promise<unknown> {
    const parsed = this[SERVED].parsed;
    if (!parsed) return JSON.parse(await this.text());
    await take(this); // marks the body used, or refuses a second read
    return parsed.value;
  }

  override async arrayBuffer(): Promise<ArrayBuffer> {
    return (await take(this)).slice().buffer;
  }

  override async bytes(): Promise<Uint8Array<ArrayBuffer>> {
    return (await take(this)).slice();
  }

  override async blob(): Promise<Blob> {
    return new Blob([await take(this)], { type: this.headers.get('content-type') ?? '' });
  }

  override async formData(): Promise<FormData> {
    return rebuilt(this, await take(this)).formData();
  }

  override clone(): Response {
    const served = this[SERVED];
    if (served.used || served.stream?.locked) throw unusable();
    if (served.bytes) return rebuilt(this, served.bytes.slice());
    if (!served.stream) return rebuilt(this, null);
    const [mine, theirs] = served.stream.tee();
    served.stream = mine;
    return rebuilt(this, theirs);
  }
}

// Accessors, not fields: `Response` declares `body` and `bodyUsed` as properties.
Object.defineProperties(ServedResponse.prototype, {
  body: {
    configurable: true,
    get(this: Served) {
      const served = this[SERVED];
      if (served.bytes && !served.stream) served.stream = streamOf(served.bytes, served);
      return served.stream ?? null;
    },
  },
  bodyUsed: {
    configurable: true,
    get(this: Served) {
      const served = this[SERVED];
      return served.used || served.stream?.locked === true;
    },
  },
});

/** A new `Response` (of the constructor) with `body` and `from`'s status, reason phrase and headers. */
function rebuilt(from: Response, body: BodyInit | null): Response {
  const init = { status: from.status, statusText: from.statusText, headers: from.headers };
  try {
    return new Response(body, init);
  } catch {
    // The constructor refuses some statuses and reason phrases `fetch` accepts; the reason phrase is
    // for humans, and the SDK reads the status and the headers.
    return new Response(body, { status: from.status, headers: from.headers });
  }
}

/**
 * `from` with `body` in place of its own (which the gateway has read, or holds a reader on): the same
 * object when it is a response of this runtime's `fetch`, else a new one. `parsed`: the bytes' JSON,
 * when the gateway parsed them, for `json()`.
 */
export function withBody(
  from: Response,
  body: Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array>,
  parsed?: { readonly value: unknown },
): Response {
  if (!(from instanceof Response)) return rebuilt(from, body);
  const served: ServedBody =
    body instanceof ReadableStream ? { stream: body, used: false } : { bytes: body, parsed, used: false };
  if (!(from instanceof ServedResponse)) Object.setPrototypeOf(from, ServedResponse.prototype);
  (from as Served)[SERVED] = served;
  return from;
}
