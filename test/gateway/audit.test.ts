/** The client-side retry-after audit catches what it should: the plain SDK's concurrent
 * attempts ignore a retry-after another attempt received. */
import { describe, expect, it } from 'vitest';
import { createFetchAudit } from '../../src/sim/audit.js';
import { PARAMS, sdk, sim } from '../helpers.js';

describe('createFetchAudit', () => {
  it('counts attempts sent while a received retry-after was running', async () => {
    const s = await sim();
    s.enqueue({ kind: 'error', status: 429, retryAfterMs: 300, retryAfterSec: 1 });
    const audit = createFetchAudit();
    const client = sdk(s, { fetch: audit.fetch, maxRetries: 0 });
    await client.messages.create(PARAMS).catch(() => undefined);
    await client.messages.create(PARAMS); // sent at once: the plain SDK holds nothing
    expect(audit.violations()).toBe(1);
    expect(audit.attempts()).toBe(2);
  });
});
