/**
 * Whose limits a call counts against. The API pools rate limits per organization and model group
 * (a family such as all Opus models shares one budget), not per API key: every response names the
 * organization in `anthropic-organization-id`. Until a credential's organization is known (before
 * its first answer), its calls are keyed by the credential itself (a hash, never the secret).
 */
import { createHash } from 'node:crypto';

/** The response header that names the organization a call counted against. */
export const ORGANIZATION_HEADER = 'anthropic-organization-id';

const FAMILY = /(opus|sonnet|haiku)/;

/** The model group of `model`: an override, else its family (`opus`, `sonnet`, `haiku`), else itself. */
export function modelGroup(model: string, overrides: Readonly<Record<string, string>>): string {
  return overrides[model] ?? FAMILY.exec(model)?.[1] ?? model;
}

/** Recent credentials and their hashes: a process uses a handful; hashing per call is waste. */
const hashes = new Map<string, string>();
const HASH_CACHE_SIZE = 64;

/** A short hash of a credential (an auth header), so no secret is kept, logged or exported. */
export function credentialId(secret: string | null): string {
  if (!secret) return 'anonymous';
  let id = hashes.get(secret);
  if (id === undefined) {
    id = createHash('sha256').update(secret).digest('hex').slice(0, 16);
    if (hashes.size >= HASH_CACHE_SIZE) hashes.delete(hashes.keys().next().value!);
    hashes.set(secret, id);
  }
  return id;
}

/** An organization id as the API sends one (a UUID); anything else is not trusted as a key. */
const ORGANIZATION_FORM = /^[\w-]{1,100}$/;

/** The organizations learned per credential, and the limiter key of a call. */
export class LimiterKeys {
  private readonly organizations = new Map<string, string>();

  /** The organization `credential` counts against, once an answer has said. */
  organizationOf(credential: string): string | undefined {
    return this.organizations.get(credential);
  }

  /** Records the organization a response to `credential` named. */
  learn(credential: string, organization: string | null): void {
    if (!organization || !ORGANIZATION_FORM.test(organization)) return;
    if (this.organizations.get(credential) === organization) return;
    if (this.organizations.size >= 1024) this.organizations.clear(); // a bound, not a cache policy
    this.organizations.set(credential, organization);
  }

  /** Who `credential`'s calls count against: `org:<id>` once known, else `key:<credential>`. */
  ownerOf(credential: string): string {
    const organization = this.organizations.get(credential);
    return organization ? `org:${organization}` : `key:${credential}`;
  }

  /** The key of a call by `credential` to model group `group`. */
  keyOf(credential: string, group: string): string {
    return `${this.ownerOf(credential)}\u0000${group}`;
  }
}
