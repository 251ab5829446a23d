/**
 * When an attempt leaves for the API: the moment the client's own `fetch` is called for it, which
 * can be long after the gateway hands it on. A cloud client's credentials are fetched and applied
 * innermost, after every middleware (Vertex's OAuth token from the metadata server took 1–2 s for a
 * cold client on a loaded machine), so attempts the gateway counts in flight may not have reached
 * the API. The attempt is known by its abort signal, which every layer of the SDK passes on.
 */

/** What to do when the attempt of a signal is sent; each runs once. */
const pending = new WeakMap<AbortSignal, () => void>();
const MARKED = Symbol.for('claude-otel-gateway.onWireFetch');

/** Calls `onSent` when the attempt sent on `signal` reaches a `fetch` made by {@link onWireFetch}. */
export function whenSent(signal: AbortSignal, onSent: () => void): void {
  pending.set(signal, onSent);
}

/** `inner`, telling each attempt registered with {@link whenSent} that it is being sent. */
export function onWireFetch(inner: typeof fetch): typeof fetch {
  if ((inner as { [MARKED]?: true })[MARKED]) return inner;
  const wrapped = function (this: unknown, input: string | URL | Request, init?: RequestInit) {
    const signal = init?.signal;
    if (signal) {
      const onSent = pending.get(signal);
      if (onSent) {
        pending.delete(signal);
        onSent();
      }
    }
    return inner.call(undefined, input, init);
  } as typeof fetch;
  Object.defineProperty(wrapped, MARKED, { value: true });
  return wrapped;
}
