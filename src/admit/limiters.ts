/**
 * The limiters of a gateway: the admission of each organization (or credential) and model group,
 * found from a call's credential and model, and the organizations learned from the answers.
 */
import type { GatewayConfig } from '../config.js';
import { Admission, type LimiterSnapshot } from './admission.js';
import { LimiterKeys, modelGroup } from './limiter-key.js';
import { Registry } from './registry.js';
import { MEMORY_STORE } from './store/memory.js';
import type { LimiterStore } from './store/types.js';

export class Limiters {
  private readonly keys = new LimiterKeys();
  /** The last lookup: most processes call one key and model, so a repeat skips the lookups. */
  private last: { credential: string; model: string; id: string } | undefined;

  constructor(
    readonly registry: Registry = new Registry(),
    /** Where each key+model's decision state lives: this process's memory, or a shared store. */
    readonly store: LimiterStore = MEMORY_STORE,
  ) {}

  /** The admission of a call by `credential` to `model`, made with `config` when new. */
  admissionFor(credential: string, model: string, config: GatewayConfig): Admission {
    let last = this.last;
    if (!last || last.credential !== credential || last.model !== model) {
      const id = this.keys.keyOf(credential, modelGroup(model, config.modelGroups));
      last = this.last = { credential, model, id };
    }
    const { id } = last;
    return this.registry.get(id, () => new Admission(id, config, undefined, undefined, this.store));
  }

  /**
   * Records the organization an answer to `credential` named. What the credential's limiters
   * learned so far carries over to its organization's.
   */
  learnOrganization(credential: string, organization: string | null): void {
    if (organization === null || this.keys.organizationOf(credential) === organization) return;
    const before = this.keys.ownerOf(credential);
    this.keys.learn(credential, organization);
    this.last = undefined;
    this.registry.moveOwner(before, this.keys.ownerOf(credential));
  }

  snapshots(): LimiterSnapshot[] {
    return this.registry.snapshots();
  }
}
