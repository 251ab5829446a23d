/**
 * The memory store (the default): each key+model's state is this process's own, and every step runs
 * at once on it, synchronously. The slots are those of the admission's queue.
 */
import { monotonicNow, toEpoch } from '../../delay/clock.js';
import { initialKeyState, type KeyState, type LimiterSettings } from '../key-state.js';
import { decideAdmit } from './decide.js';
import type { AdmitRequest, AdmitResult, KeyStore, LimiterStore, Step } from './types.js';

class MemoryKey implements KeyStore {
  readonly served = 'memory' as const;
  private readonly state: KeyState;

  constructor(
    private readonly settings: LimiterSettings,
    readonly now: () => number,
  ) {
    this.state = initialKeyState(settings, now());
  }

  view(): KeyState {
    return this.state;
  }

  toEpoch(t: number): number {
    return toEpoch(t);
  }

  admit(request: AdmitRequest): AdmitResult {
    const d = decideAdmit(this.state, this.now(), request, this.settings.rampIntervalMs, 0);
    return d.dispatch ? { dispatch: d.dispatch, served: 'memory' } : { ...d, served: 'memory' };
  }

  update(step: Step, saturated: boolean): void {
    step(this.state, this.now(), saturated);
  }

  waitForRoom(): Promise<void> {
    // The memory store never answers `forSlot`: its queue gives the slots.
    return Promise.resolve();
  }

  onChange(): void {}
  rekey(): void {}
  processes(): number {
    return 1;
  }
  close(): void {}
}

/** The memory store: state per process, no I/O. */
export class MemoryStore implements LimiterStore {
  readonly kind = 'memory' as const;

  open(_id: string, settings: LimiterSettings, clock: () => number = monotonicNow): KeyStore {
    return new MemoryKey(settings, clock);
  }

  async close(): Promise<void> {}
}

/** The store every gateway uses unless told otherwise: it holds nothing itself, so one serves all. */
export const MEMORY_STORE: LimiterStore = new MemoryStore();
