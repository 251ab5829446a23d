/**
 * The admissions of a gateway, one per key+model, created when first used and evicted once idle:
 * nothing queued or in flight, no hold in force, and unused for {@link IDLE_EVICTION_MS} (or at
 * once when there are more than {@link MAX_IDLE_KEYS} of them: a process that calls many models,
 * or many a 404, must not keep them all).
 */
import { monotonicNow } from '../delay/clock.js';
import type { Admission, LimiterSnapshot } from './admission.js';

/** How long an idle admission's state is kept: what it learned is stale after that. */
export const IDLE_EVICTION_MS = 10 * 60_000;
/** Above this many admissions, idle ones are evicted however recently used. */
export const MAX_IDLE_KEYS = 1000;
/** How often the time-based sweep may run (it runs on use: there is no timer). */
const SWEEP_EVERY_MS = 60_000;

export class Registry {
  private readonly entries = new Map<string, { admission: Admission; usedAt: number }>();
  private lastSweep = monotonicNow();

  /** The admission of key+model `id`, made by `make` when there is none. */
  get(id: string, make: () => Admission): Admission {
    const now = monotonicNow();
    let entry = this.entries.get(id);
    if (!entry) {
      if (this.entries.size >= MAX_IDLE_KEYS) this.sweep(now, 0);
      entry = { admission: make(), usedAt: now };
      this.entries.set(id, entry);
    }
    entry.usedAt = now;
    if (now - this.lastSweep >= SWEEP_EVERY_MS) this.sweep(now, IDLE_EVICTION_MS);
    return entry.admission;
  }

  /**
   * Moves the admissions of owner `from` (a credential) to owner `to` (its organization): what a
   * credential learned before its organization was known carries over to the organization's, and
   * where the organization has an admission for the group already (another of its keys), the
   * credential's is merged into it. Keys are `owner\0group`.
   */
  moveOwner(from: string, to: string): void {
    const prefix = `${from}\u0000`;
    // A copy: entries are moved while the loop runs.
    for (const [id, entry] of Array.from(this.entries)) {
      if (!id.startsWith(prefix)) continue;
      const target = `${to}\u0000${id.slice(prefix.length)}`;
      this.entries.delete(id);
      const existing = this.entries.get(target);
      if (existing) {
        // The organization has a limiter for the group already (another of its keys): one limiter.
        entry.admission.mergeInto(existing.admission);
        continue;
      }
      this.entries.set(target, entry);
      entry.admission.rekey(target);
    }
  }

  /** Evicts the admissions idle and unused for `unusedMs`. */
  private sweep(now: number, unusedMs: number): void {
    this.lastSweep = now;
    for (const [id, { admission, usedAt }] of this.entries) {
      if (now - usedAt >= unusedMs && admission.idle()) {
        this.entries.delete(id);
        admission.dispose();
      }
    }
  }

  snapshots(): LimiterSnapshot[] {
    return [...this.entries.values()].map((e) => e.admission.snapshot());
  }

  clear(): void {
    for (const { admission } of this.entries.values()) admission.dispose();
    this.entries.clear();
  }
}
