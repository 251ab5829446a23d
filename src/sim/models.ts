/**
 * `GET /v1/models` (paginated like the API: `limit`, `after_id`, `before_id`) and
 * `GET /v1/models/{id}`, answering `ModelInfo` objects for the configured model ids.
 * @module
 */

const LINES = ['haiku', 'sonnet', 'opus', 'fable', 'mythos'] as const;

/** A `ModelInfo` for `id`, derived from its name (e.g. `claude-sonnet-4-5` → "Claude Sonnet 4.5"). */
export function modelInfo(id: string): Record<string, unknown> {
  const parts = id.split('-');
  const line = LINES.find((l) => parts.includes(l)) ?? null;
  const version = parts.filter((p) => /^\d{1,2}$/.test(p)).join('.');
  const name = parts.filter((p) => /^[a-z]+$/i.test(p)).map((p) => p[0]!.toUpperCase() + p.slice(1));
  return {
    type: 'model',
    id,
    display_name: [...name, version].filter(Boolean).join(' '),
    created_at: '2025-01-01T00:00:00Z',
    capabilities: null,
    deprecated_at: null,
    lifecycle: 'active',
    line,
    max_input_tokens: 200_000,
    max_tokens: 64_000,
    retires_at: null,
  };
}

/** The page body for `query` (the part of the URL after `?`), or `undefined` for an invalid `limit`. */
export function modelsPage(models: readonly string[], query: string): string | undefined {
  const params = new URLSearchParams(query);
  const limitText = params.get('limit');
  const limit = limitText === null ? 20 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return undefined;
  let from = 0;
  let to = models.length;
  const after = params.get('after_id');
  const before = params.get('before_id');
  if (before !== null) {
    to = Math.max(0, models.indexOf(before));
    from = Math.max(0, to - limit);
  } else {
    if (after !== null) from = models.indexOf(after) + 1;
    to = Math.min(models.length, from + limit);
  }
  const ids = models.slice(from, to);
  return JSON.stringify({
    data: ids.map(modelInfo),
    has_more: before !== null ? from > 0 : to < models.length,
    first_id: ids[0] ?? null,
    last_id: ids.at(-1) ?? null,
  });
}
