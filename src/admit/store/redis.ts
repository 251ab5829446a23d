/**
 * The Redis store: the decision state of each key+model shared by every process of an
 * organization. Each change is one optimistic transaction on Redis's clock: a script reads the
 * state, the leases in use and Redis's `TIME`; this process runs the same pure steps as the memory
 * store on it; a second script writes it back if its version did not move (else it answers the
 * newer state, and the steps run again on that, a few times at most). Steps that arrive while a
 * transaction runs wait for the next one, so a busy process sends one transaction at a time per
 * key+model, whatever its number of calls.
 *
 * - Slots are leases with an expiry (a sorted set), renewed while their calls run: a process that
 *   dies gives its slots back within the lease time.
 * - The hold, the buckets, the concurrency limit and the acceleration gate are one state: no
 *   process sends into another's `retry-after`, and the limits are learned once for all.
 * - An attempt waiting for a slot is woken by a pub/sub message when one is given back (and looks
 *   again every {@link SLOT_POLL_MS} at most, should a message be lost).
 * - Redis down, slow or restarted: every operation has a short timeout; on a failure the process
 *   goes on alone with its share of the last shared state (1/P of the limits, P the live processes
 *   from their heartbeats), says so once through `diag`, probes until Redis answers, and then
 *   re-syncs (a state lost in a restart is written back from what it knew; its calls in flight
 *   take leases). A call never fails or waits on Redis.
 *
 * Nothing secret is stored: keys name an organization id or a credential's hash, and a model group.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { diag } from '@opentelemetry/api';
import { initialKeyState, type KeyState, type LimiterSettings } from '../key-state.js';
import { STEPS_PER_INTERVAL } from '../policy/concurrency.js';
import { copyState, decodeState, encodeState } from './codec.js';
import { decideAdmit, SLOT_POLL_MS } from './decide.js';
import { MOVED, READ, RELEASE, RENEW, WRITE, type Script } from './scripts.js';
import { keepShare, shareLimitsOf, shareOf, wholeOf, type ShareLimits } from './share.js';
import { recordFallback, recordOperation, type StoreOperation, type StoreOutcome } from './telemetry.js';
import type { AdmitRequest, AdmitResult, KeyStore, LimiterStore, Served, Step } from './types.js';

/** What the store needs of a client: an ioredis `Redis` or `Cluster` fits. */
export interface RedisClientLike {
  evalsha(sha: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>;
  ping(): Promise<unknown>;
  duplicate(): RedisSubscriberLike;
  on(event: string, listener: (...args: never[]) => void): unknown;
  quit(): Promise<unknown>;
  disconnect(): void;
  connect?(): Promise<unknown>;
  readonly status?: string;
}

/** The subscriber connection (a duplicate of the client). */
export interface RedisSubscriberLike extends RedisClientLike {
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
}

/** Whether `value` looks like a connected ioredis client (or cluster). */
export function isRedisClient(value: unknown): value is RedisClientLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as RedisClientLike).evalsha === 'function' &&
    typeof (value as RedisClientLike).duplicate === 'function'
  );
}

export interface RedisStoreOptions {
  /** Prefix of every key and channel (default `claude-gateway:`). */
  readonly keyPrefix?: string;
  /** Longest wait for one Redis operation before the process falls back to its share (default 200 ms;
   * one more such wait when the process itself was too busy to read the answer in time). */
  readonly timeoutMs?: number;
  /** How long a slot stays taken after its process stops renewing it (default 10 s). */
  readonly leaseMs?: number;
}

export const DEFAULT_KEY_PREFIX = 'claude-gateway:';
export const DEFAULT_TIMEOUT_MS = 200;
export const DEFAULT_LEASE_MS = 10_000;
/** How long a key+model's shared state outlives its last use. */
const STATE_TTL_MS = 15 * 60_000;
/** Conflicts one transaction retries on a newer state before its steps wait for the next. */
const MAX_CONFLICTS = 6;
/** How long reports that are not urgent may wait for company in a transaction. */
const LAZY_MS = 15;
/** How often a store that fell back asks Redis again. */
const PROBE_MS = 500;

/** What the store counted: operations (round trips), transactions, and the time admissions spent. */
export interface RedisStoreStats {
  operations: number;
  transactions: number;
  conflicts: number;
  timeouts: number;
  errors: number;
  fallbacks: number;
  resyncs: number;
  admissions: number;
  /** Time each admission of an attempt spent in transactions (ms), the last 10,000. */
  readonly admitMs: number[];
}

class StoreTimeout extends Error {
  override readonly name = 'StoreTimeout';
}

/** The key names of one key+model. Group and owner are escaped so braces never end the hash tag. */
function namesOf(prefix: string, id: string) {
  const [owner = '', group = ''] = id.split('\u0000');
  const safe = (s: string) => s.replace(/[^\w.:@/-]/g, (c) => `%${c.charCodeAt(0).toString(16)}`);
  const tag = `${prefix}{${safe(owner)}|${safe(group)}}`;
  return { tag, state: `${tag}:s`, leases: `${tag}:l`, processes: `${tag}:p`, channel: `${tag}:w` };
}
type Names = ReturnType<typeof namesOf>;

/** The state as a read script answers it. */
interface Read {
  readonly now: number;
  readonly version: string;
  readonly state: KeyState | undefined;
  readonly waitingUntil: number;
  readonly leases: number;
  readonly processes: number;
  /** The key+model another process moved this one's limits to (see MOVED), if any. */
  readonly movedTo: string | undefined;
}

function parseRead(r: unknown[], at: number): Read {
  return {
    now: Number(r[at]) * 1000 + Number(r[at + 1]) / 1000,
    version: String(r[at + 2]),
    state: decodeState(r[at + 3] as string),
    waitingUntil: Number(r[at + 4]) || 0,
    leases: Number(r[at + 5]) || 0,
    processes: Math.max(1, Number(r[at + 6]) || 1),
    movedTo: (r[at + 7] as string | undefined) || undefined,
  };
}

/** How many moves one transaction follows: a move leads to an organization's key, which does not move. */
const MAX_MOVES = 2;

type Entry =
  | {
      readonly kind: 'admit';
      readonly request: AdmitRequest;
      readonly resolve: (r: AdmitResult) => void;
    }
  | {
      readonly kind: 'update';
      readonly step: Step;
      readonly saturated: boolean;
      readonly release: string | undefined;
    };

export class RedisStore implements LimiterStore {
  readonly kind = 'redis' as const;
  /** This process's id in the heartbeats and lease names. */
  readonly process = randomUUID().slice(0, 13);
  readonly prefix: string;
  readonly timeoutMs: number;
  readonly leaseMs: number;
  readonly stats: RedisStoreStats = {
    operations: 0,
    transactions: 0,
    conflicts: 0,
    timeouts: 0,
    errors: 0,
    fallbacks: 0,
    resyncs: 0,
    admissions: 0,
    admitMs: [],
  };
  /** Redis answers: false from a failure until a probe succeeds. */
  healthy = true;
  /** Redis time − this process's monotonic time, from the last answer. */
  private offset = Date.now() - performance.now();
  private readonly keys = new Set<RedisKey>();
  private renewTimer: ReturnType<typeof setInterval> | undefined;
  private probeTimer: ReturnType<typeof setTimeout> | undefined;
  private subscriber: RedisSubscriberLike | undefined;
  private readonly channels = new Map<string, Set<RedisKey>>();
  private warned = false;
  private closed = false;

  constructor(
    readonly client: RedisClientLike,
    options: RedisStoreOptions = {},
    /** The store made the client (from a URL): it closes it, and reconnects it itself. */
    private readonly ownsClient = false,
  ) {
    this.prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    // An error event with no listener would be thrown: the failures are noted per operation.
    client.on('error', (() => {}) as never);
    if (ownsClient) unrefOnConnect(client);
  }

  /** Redis time now, as this process reckons it from the last answer (ms). */
  readonly clock = (): number => performance.now() + this.offset;

  open(id: string, settings: LimiterSettings): KeyStore {
    const key = new RedisKey(this, id, settings);
    this.keys.add(key);
    this.startRenewing();
    return key;
  }

  /** @internal */
  forget(key: RedisKey): void {
    this.keys.delete(key);
    if (this.keys.size === 0) {
      clearInterval(this.renewTimer);
      this.renewTimer = undefined;
    }
  }

  /** Runs `script` with a timeout; records the round trip; a failure marks Redis unhealthy. */
  async run(operation: StoreOperation, script: Script, keys: string[], args: Array<string | number>) {
    const started = performance.now();
    this.stats.operations++;
    try {
      const reply = await withTimeout(this.eval(script, keys, args), this.timeoutMs);
      recordOperation(operation, 'ok', performance.now() - started);
      return { reply: reply as unknown[], sentAt: started, at: performance.now() };
    } catch (error) {
      const outcome: StoreOutcome = error instanceof StoreTimeout ? 'timeout' : 'error';
      if (outcome === 'timeout') this.stats.timeouts++;
      else this.stats.errors++;
      recordOperation(operation, outcome, performance.now() - started);
      this.fail(outcome, error);
      throw error;
    }
  }

  private async eval(script: Script, keys: string[], args: Array<string | number>): Promise<unknown> {
    await this.connected();
    try {
      return await this.client.evalsha(script.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!String((error as Error)?.message).includes('NOSCRIPT')) throw error;
      this.stats.operations++;
      return this.client.eval(script.lua, keys.length, ...keys, ...args);
    }
  }

  /** Waits for a client the store made to be connected (bounded by the operation's timeout). */
  private async connected(): Promise<void> {
    const c = this.client;
    if (!this.ownsClient || c.status === 'ready') return;
    if (c.status === 'end' || c.status === 'close') void c.connect?.().catch(() => {});
    await new Promise<void>((resolve) => {
      const emitter = c as {
        once?: (e: string, l: () => void) => void;
        off?: (e: string, l: () => void) => void;
      };
      const done = () => {
        clearTimeout(timer);
        emitter.off?.('ready', done);
        resolve();
      };
      const timer = setTimeout(done, this.timeoutMs);
      timer.unref();
      emitter.once?.('ready', done);
    });
  }

  /** Adds the time an admission spent in transactions, keeping the last 10,000. */
  noteAdmit(ms: number): void {
    this.stats.admissions++;
    const list = this.stats.admitMs;
    if (list.length >= 10_000) list.splice(0, list.length - 9_999);
    list.push(ms);
  }

  /** An answer's Redis time, read halfway through the round trip. */
  noteTime(redisMs: number, sentAt: number, at: number): void {
    this.offset = redisMs - (sentAt + at) / 2;
  }

  /** A transaction's usual time, smoothed (ms). */
  private transactionMs = 1;

  /** Records a committed transaction's time. */
  noteTransaction(ms: number): void {
    this.transactionMs += (Math.min(ms, 50) - this.transactionMs) / 16;
  }

  /** How early a timed wait ends so that the next look reaches Redis on time. */
  lookAheadMs(): number {
    return this.transactionMs;
  }

  /** Redis failed or was slow: every key goes on with its share until a probe succeeds. */
  private fail(outcome: StoreOutcome, error: unknown): void {
    if (!this.healthy || this.closed) return;
    this.healthy = false;
    this.stats.fallbacks++;
    recordFallback(outcome);
    const reason = outcome === 'timeout' ? `no answer within ${this.timeoutMs} ms` : errorText(error);
    const message = `claude-otel-gateway: the Redis store failed (${reason}); each process goes on with its share of the shared limits until Redis answers again`;
    if (this.warned) diag.debug(message);
    else {
      this.warned = true;
      diag.warn(message);
    }
    this.scheduleProbe();
  }

  private scheduleProbe(): void {
    if (this.probeTimer || this.closed) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      void this.probe();
    }, PROBE_MS);
    this.probeTimer.unref();
  }

  private async probe(): Promise<void> {
    if (this.closed) return;
    const started = performance.now();
    this.stats.operations++;
    try {
      if (this.ownsClient) await this.connected();
      await withTimeout(this.client.ping(), this.timeoutMs);
      recordOperation('ping', 'ok', performance.now() - started);
    } catch (error) {
      recordOperation(
        'ping',
        error instanceof StoreTimeout ? 'timeout' : 'error',
        performance.now() - started,
      );
      return this.scheduleProbe();
    }
    this.healthy = true;
    this.stats.resyncs++;
    diag.info('claude-otel-gateway: the Redis store answers again; the processes share their limits again');
    this.resubscribe();
    for (const key of this.keys) key.resync();
  }

  private startRenewing(): void {
    if (this.renewTimer) return;
    this.renewTimer = setInterval(() => this.renew(), Math.max(50, this.leaseMs / 3));
    this.renewTimer.unref();
  }

  /** Renews the leases of this process's calls in flight, and its heartbeats. */
  private renew(): void {
    if (!this.healthy) return;
    for (const key of this.keys) {
      for (const [names, members] of key.leasesByKey()) {
        this.run(
          'renew',
          RENEW,
          [names.leases, names.processes],
          [this.leaseMs, this.process, STATE_TTL_MS, ...members],
        ).catch(() => {});
      }
    }
  }

  /** Marks `names` as moved to key+model `id`, for the processes still on it (see MOVED). */
  markMoved(names: Names, id: string): void {
    if (!this.healthy) return;
    this.run('transaction', MOVED, [names.state], [id, STATE_TTL_MS, names.channel]).catch(() => {});
  }

  /** Gives back leases held under a key this process no longer uses (it was renamed). */
  releaseElsewhere(names: Names, members: string[]): void {
    if (!this.healthy || members.length === 0) return;
    this.run('release', RELEASE, [names.leases], [names.channel, ...members]).catch(() => {});
  }

  /** Wakes `key` on messages on `channel`. */
  subscribe(channel: string, key: RedisKey): void {
    let set = this.channels.get(channel);
    if (!set) {
      set = new Set();
      this.channels.set(channel, set);
      void this.subscriberConnection()
        ?.subscribe(channel)
        .catch(() => {});
    }
    set.add(key);
  }

  unsubscribe(channel: string, key: RedisKey): void {
    const set = this.channels.get(channel);
    if (!set) return;
    set.delete(key);
    if (set.size > 0) return;
    this.channels.delete(channel);
    void this.subscriber?.unsubscribe(channel).catch(() => {});
  }

  private subscriberConnection(): RedisSubscriberLike | undefined {
    if (this.subscriber || this.closed) return this.subscriber;
    try {
      const sub = this.client.duplicate();
      sub.on('error', (() => {}) as never);
      unrefOnConnect(sub);
      sub.on('message', ((channel: string) => {
        for (const key of this.channels.get(channel) ?? []) key.wake();
      }) as never);
      this.subscriber = sub;
    } catch {
      // Without pub/sub, waiting attempts look again every SLOT_POLL_MS.
    }
    return this.subscriber;
  }

  /** After Redis came back: a subscriber that gave up reconnecting is made anew. */
  private resubscribe(): void {
    const sub = this.subscriber;
    if (!sub || sub.status === 'ready' || sub.status === 'connecting' || sub.status === 'reconnecting')
      return;
    this.subscriber = undefined;
    sub.disconnect();
    const fresh = this.subscriberConnection();
    if (fresh && this.channels.size > 0) void fresh.subscribe(...this.channels.keys()).catch(() => {});
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.renewTimer);
    clearTimeout(this.probeTimer);
    for (const key of Array.from(this.keys)) key.close(); // each leaves the set
    const sub = this.subscriber;
    this.subscriber = undefined;
    await Promise.all([
      sub && withTimeout(sub.quit(), this.timeoutMs).catch(() => sub.disconnect()),
      this.ownsClient &&
        withTimeout(this.client.quit(), this.timeoutMs).catch(() => this.client.disconnect()),
    ]);
  }
}

/** One key+model's shared state, as this process sees and changes it. */
class RedisKey implements KeyStore {
  private names: Names;
  /** The state as last read or written in Redis, and its version there ('' when unknown). */
  private shared: KeyState;
  private version = '';
  /** While Redis is away: this process's share of `shared`, and its mirrors' limits. */
  private local: KeyState | undefined;
  private shareLimits: ShareLimits = {};
  /** A state to write if Redis has none (a new key, a restart, a rename). */
  private seed: KeyState | undefined;
  private liveProcesses = 1;
  private pending: Entry[] = [];
  private flushing = false;
  private scheduled: false | 'now' | 'lazy' = false;
  private urgentPending = false;
  private lazyTimer: ReturnType<typeof setTimeout> | undefined;
  /** Slots of this process's calls in flight, and the key each is leased under (undefined: not leased). */
  private readonly mine = new Map<string, Names | undefined>();
  /** Slots given back while Redis was away, whose lease the next transaction removes. */
  private readonly orphans = new Set<string>();
  /** Slots given back whose lease is not removed yet: not renewed any more. */
  private readonly releasing = new Set<string>();
  private readonly roomWaiters = new Set<() => void>();
  private readonly listeners: Array<() => void> = [];
  private closed = false;

  constructor(
    private readonly store: RedisStore,
    id: string,
    private readonly settings: LimiterSettings,
  ) {
    this.names = namesOf(store.prefix, id);
    this.shared = initialKeyState(settings, store.clock());
    store.subscribe(this.names.channel, this);
  }

  get served(): Served {
    return this.local ? 'fallback' : 'redis';
  }

  view(): KeyState {
    return this.local ?? this.shared;
  }

  now(): number {
    return this.store.clock();
  }

  toEpoch(t: number): number {
    return Date.now() + (t - this.store.clock());
  }

  processes(): number {
    return this.liveProcesses;
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  admit(request: AdmitRequest): AdmitResult | Promise<AdmitResult> {
    if (!this.store.healthy) return this.admitLocally(request);
    const asked = performance.now();
    return new Promise((resolve) => {
      const answer = (r: AdmitResult) => {
        // The latency the store adds to an attempt: its admission's last look, the one that let it
        // go (earlier looks overlap the waits a hold, pacing or a full set of slots imposed anyway).
        if (r.dispatch && r.served === 'redis') this.store.noteAdmit(performance.now() - asked);
        resolve(r);
      };
      this.pending.push({ kind: 'admit', request, resolve: answer });
      this.schedule();
    });
  }

  update(step: Step, saturated: boolean, release?: string, urgent = release !== undefined): void {
    if (release !== undefined) this.releasing.add(release);
    if (!this.store.healthy) return this.updateLocally(step, saturated, release);
    // The same transition already waiting (growth, asked for at every slot event) is asked once.
    const last = this.pending[this.pending.length - 1];
    if (
      release === undefined &&
      last?.kind === 'update' &&
      last.step === step &&
      last.release === undefined
    ) {
      if (saturated && !last.saturated) this.pending[this.pending.length - 1] = { ...last, saturated };
    } else this.pending.push({ kind: 'update', step, saturated, release });
    this.schedule(urgent);
    // This process's calls waiting for a slot look again in the same transaction as the release.
    if (release !== undefined) this.wake();
  }

  waitForRoom(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.roomWaiters.delete(done);
        resolve();
      };
      const onAbort = () => {
        done();
        reject(signal!.reason);
      };
      // Referenced: a call is waiting on it.
      const timer = setTimeout(done, Math.min(ms, SLOT_POLL_MS));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.roomWaiters.add(done);
    });
  }

  /** A slot was given back, here or in another process (a pub/sub message), or the limit rose. */
  wake(): void {
    for (const w of Array.from(this.roomWaiters)) w(); // each leaves the set
  }

  rekey(id: string): void {
    const from = this.names;
    if (!this.moveTo(id)) return;
    // The other processes on the old key (their calls not answered yet, so their organization not
    // known) follow now: left there, they would share the old key's limits among themselves while
    // this process spends the organization's, twice the concurrency a cold start is allowed.
    this.store.markMoved(from, id);
  }

  /** Goes over to key+model `id`; false when already there. */
  private moveTo(id: string): boolean {
    const names = namesOf(this.store.prefix, id);
    if (names.tag === this.names.tag) return false;
    this.store.unsubscribe(this.names.channel, this);
    // What was learned under the old key seeds the new one if Redis has no state for it yet.
    this.seed = copyState(this.view());
    this.names = names;
    this.version = '';
    this.store.subscribe(names.channel, this);
    return true;
  }

  /** Redis answers again: the next transaction re-syncs (and takes leases for calls in flight). */
  resync(): void {
    this.version = '';
    // Should Redis have lost the state (a restart), what this process learned alone, as a whole.
    if (this.local) this.seed = wholeOf(this.local, this.shared, this.liveProcesses);
    // Should Redis still have it, the others never heard of a `retry-after` this process was given
    // alone: the next transaction writes it (see apply), at once, for the others may be sending now.
    if (this.local && this.local.holdUntil > this.now()) this.update(() => {}, false, undefined, true);
    this.wake();
  }

  /** This process's leases, by the key they are held under. */
  leasesByKey(): Array<[Names, string[]]> {
    const leased: Array<[Names, string]> = [];
    for (const [slot, names] of this.mine)
      if (names && !this.releasing.has(slot)) leased.push([names, this.member(slot)]);
    return byKey(leased);
  }

  private member(slot: string): string {
    return `${this.store.process}:${slot}`;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.store.unsubscribe(this.names.channel, this);
    this.store.forget(this);
    clearTimeout(this.lazyTimer);
    this.wake();
  }

  // ---- local decisions, while Redis is away ----------------------------------------------------

  private localState(): KeyState {
    if (!this.local) {
      this.local = shareOf(this.shared, this.liveProcesses, this.mine.size, this.settings);
      this.shareLimits = shareLimitsOf(this.local);
      this.changed();
    }
    return this.local;
  }

  private admitLocally(request: AdmitRequest): AdmitResult {
    const state = this.localState();
    const d = decideAdmit(state, this.now(), request, this.settings.rampIntervalMs, this.mine.size);
    if (!d.dispatch) return { ...d, served: 'fallback' };
    this.mine.set(request.slot, undefined);
    return { dispatch: d.dispatch, served: 'fallback' };
  }

  private updateLocally(step: Step, saturated: boolean, release: string | undefined): void {
    const state = this.localState();
    step(state, this.now(), saturated);
    keepShare(state, this.liveProcesses, this.shareLimits);
    if (release !== undefined && this.giveBack(release)) this.orphans.add(release);
  }

  /** Forgets a slot of this process; a lease under another key is given back there. */
  private giveBack(slot: string): Names | undefined {
    this.releasing.delete(slot);
    if (!this.mine.has(slot)) return undefined;
    const names = this.mine.get(slot);
    this.mine.delete(slot);
    if (names && names.tag !== this.names.tag) {
      this.store.releaseElsewhere(names, [this.member(slot)]);
      return undefined;
    }
    // A local release frees room here at once; others hear of it from the transaction's message.
    queueMicrotask(() => this.wake());
    return names;
  }

  // ---- transactions ------------------------------------------------------------------------------

  /**
   * Sends the pending steps: at the end of this turn of the event loop when `urgent` (an admission,
   * a release, a throttle), else within {@link LAZY_MS}, so the reports of many calls (usage,
   * growth, headers) share a transaction: fewer transactions, fewer conflicts between processes.
   */
  private schedule(urgent = true): void {
    if (this.flushing) {
      if (urgent) this.urgentPending = true;
      return;
    }
    if (urgent) {
      if (this.scheduled === 'now') return;
      clearTimeout(this.lazyTimer);
      this.lazyTimer = undefined;
      this.scheduled = 'now';
      // After this turn's microtasks: the calls a release woke, and every call that asked in this
      // turn, go in the same transaction.
      setImmediate(() => {
        this.scheduled = false;
        void this.flush();
      });
    } else if (!this.scheduled) {
      this.scheduled = 'lazy';
      this.lazyTimer = setTimeout(() => {
        this.lazyTimer = undefined;
        this.scheduled = false;
        void this.flush();
      }, LAZY_MS);
    }
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        this.urgentPending = false;
        if (!this.store.healthy || this.closed) this.applyLocally(batch);
        else await this.transact(batch);
        // What arrived meanwhile: at once if any of it is urgent, else with the next.
        if (!this.urgentPending && this.pending.length > 0 && !this.closed) {
          this.flushing = false;
          this.schedule(false);
          return;
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private applyLocally(batch: Entry[]): void {
    for (const e of batch) {
      if (e.kind === 'admit') e.resolve(this.admitLocally(e.request));
      else this.updateLocally(e.step, e.saturated, e.release);
    }
  }

  /** Runs `batch` as one transaction; on a failure, locally. */
  private async transact(batch: Entry[], moves = 0): Promise<void> {
    const store = this.store;
    store.stats.transactions++;
    const names = this.names;
    const keys = [names.state, names.leases, names.processes];
    const started = performance.now();
    // Another process moved this key's limits (see MOVED): the batch goes there instead.
    const moved = (read: Read) =>
      moves < MAX_MOVES && read.movedTo !== undefined && this.moveTo(read.movedTo);
    try {
      let read: Read;
      {
        const r = await store.run('transaction', READ, keys, [store.process, store.leaseMs]);
        read = parseRead(r.reply, 0);
        store.noteTime(read.now, r.sentAt, r.at);
      }
      if (moved(read)) return await this.transact(batch, moves + 1);
      for (let attempt = 0; ; attempt++) {
        const out = this.apply(batch, read);
        if (!out.dirty) {
          // Nothing admitted, reported or given back: nothing to write (the gate's refill is a
          // function of time alone). A look that found the way blocked costs one round trip.
          this.commit(batch, out, read.version, read.leases, read.processes);
          return;
        }
        const r = await store.run('transaction', WRITE, keys, [
          read.version,
          encodeState(out.state),
          out.waitingUntil,
          store.leaseMs,
          STATE_TTL_MS,
          out.wake ? 1 : 0,
          names.channel,
          out.add.length,
          ...out.add.map((s) => this.member(s)),
          ...out.remove.map((s) => this.member(s)),
        ]);
        if (Number(r.reply[0]) === 1) {
          store.noteTime(Number(r.reply[2]) * 1000 + Number(r.reply[3]) / 1000, r.sentAt, r.at);
          this.commit(batch, out, String(r.reply[1]), Number(r.reply[4]) || 0, read.processes);
          store.noteTransaction(performance.now() - started);
          return;
        }
        store.stats.conflicts++;
        recordOperation('transaction', 'conflict', 0);
        read = parseRead(r.reply, 1);
        if (moved(read)) return await this.transact(batch, moves + 1);
        if (attempt + 1 >= MAX_CONFLICTS) {
          // Contended: admissions look again in a moment, reports go in the next transaction.
          this.shared = read.state ?? this.shared;
          this.version = read.version;
          for (const e of batch) {
            if (e.kind === 'admit')
              e.resolve({ waitMs: 1 + Math.random() * 4, forSlot: false, served: 'redis' });
            else this.pending.push(e);
          }
          return;
        }
      }
    } catch {
      // The store marked itself unhealthy: this batch, and what follows until a probe succeeds,
      // is decided on this process's share.
      this.applyLocally(batch);
    }
  }

  /** The batch's steps on the state as read: the same pure code as the memory store's. */
  private apply(batch: Entry[], read: Read) {
    const now = read.now;
    let state: KeyState;
    if (read.state) state = read.state;
    else {
      // No state in Redis: a new key, a restart, a rename. What this process knew seeds it.
      state = copyState(this.seed ?? this.shared);
    }
    // A hold this process learned alone (its share is kept until the first commit after Redis is back).
    const aloneUntil = this.local?.holdUntil ?? 0;
    const heldAlone = aloneUntil > Math.max(now, state.holdUntil);
    if (heldAlone) state.holdUntil = aloneUntil;
    const waitWindow = this.settings.rampIntervalMs / (STEPS_PER_INTERVAL / 2);
    let waitingUntil = read.waitingUntil;
    const limitBefore = state.concurrency.limit;
    const add: string[] = [];
    const remove: string[] = [];
    const results = new Map<Entry, AdmitResult>();
    // Calls of this process in flight that hold no lease here take one: admitted while Redis was
    // away, or leased under a key this process has left (a rename), whose slots must count where
    // it decides now (the memory store's queue counts them the same way).
    const releasing = new Set<string>();
    for (const e of batch) if (e.kind === 'update' && e.release !== undefined) releasing.add(e.release);
    for (const [slot, names] of this.mine)
      if (names?.tag !== this.names.tag && !releasing.has(slot)) add.push(slot);
    for (const slot of this.orphans) remove.push(slot);
    let inUse = Math.max(0, read.leases + add.length - remove.length);
    state.inFlight = inUse;
    for (const e of batch) {
      const saturated = (e.kind === 'admit' ? e.request.saturated : e.saturated) || waitingUntil > now;
      if (e.kind === 'admit' ? e.request.saturated : e.saturated)
        waitingUntil = Math.max(waitingUntil, now + waitWindow);
      if (e.kind === 'admit') {
        const d = decideAdmit(state, now, e.request, this.settings.rampIntervalMs, inUse);
        if (d.dispatch) {
          add.push(e.request.slot);
          inUse++;
          results.set(e, { dispatch: d.dispatch, served: 'redis' });
        } else {
          if (!e.request.saturated) waitingUntil = Math.max(waitingUntil, now + waitWindow);
          // The next look reaches Redis a transaction later than it leaves: leave that much early
          // (a timed wait only: a wait for a slot is woken), so the attempt goes when it may.
          const waitMs = d.forSlot ? d.waitMs : Math.max(1, d.waitMs - this.store.lookAheadMs());
          results.set(e, { ...d, waitMs, served: 'redis' });
        }
      } else {
        e.step(state, now, saturated);
        if (e.release !== undefined && this.mine.get(e.release)?.tag === this.names.tag) {
          remove.push(e.release);
          inUse = Math.max(0, inUse - 1);
        }
      }
    }
    let dispatched = false;
    for (const r of results.values()) if (r.dispatch) dispatched = true;
    return {
      state,
      waitingUntil,
      add,
      remove,
      results,
      wake: state.concurrency.limit > limitBefore,
      // Written when something changed: a step ran, a slot was taken or given back, the state is
      // new, or the mark that calls wait would run out within half its window.
      dirty:
        dispatched ||
        add.length > 0 ||
        remove.length > 0 ||
        !read.state ||
        heldAlone ||
        batch.some((e) => e.kind === 'update') ||
        (waitingUntil > read.waitingUntil && read.waitingUntil < now + waitWindow / 2),
    };
  }

  private commit(
    batch: Entry[],
    out: ReturnType<RedisKey['apply']>,
    version: string,
    leases: number,
    processes: number,
  ): void {
    this.shared = out.state;
    this.shared.inFlight = leases; // the slots in use, every process's
    this.version = version;
    this.seed = undefined;
    this.liveProcesses = processes;
    this.local = undefined;
    this.orphans.clear();
    // Leased here now: a lease under a key this process left is given back there.
    const left: Array<[Names, string]> = [];
    for (const slot of out.add) {
      const before = this.mine.get(slot);
      if (before && before.tag !== this.names.tag) left.push([before, this.member(slot)]);
      this.mine.set(slot, this.names);
    }
    for (const [names, members] of byKey(left)) this.store.releaseElsewhere(names, members);
    for (const e of batch) {
      if (e.kind === 'admit') e.resolve(out.results.get(e)!);
      else if (e.release !== undefined) this.giveBack(e.release);
    }
    this.changed();
  }
}

/** Lease members grouped by the key they are held under. */
function byKey(leases: Iterable<[Names, string]>): Array<[Names, string[]]> {
  const by = new Map<string, [Names, string[]]>();
  for (const [names, member] of leases) {
    let entry = by.get(names.tag);
    if (!entry) by.set(names.tag, (entry = [names, []]));
    entry[1].push(member);
  }
  return [...by.values()];
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let armedAt = performance.now();
    let rearmed = false;
    const expire = () => {
      // Fired late: this process was busy with its own work (a loaded machine), and the command may
      // have sat in the socket's buffer meanwhile: its lag, not Redis's. One more period, once.
      if (!rearmed && performance.now() - armedAt > ms * 1.5) {
        rearmed = true;
        armedAt = performance.now();
        timer = setTimeout(expire, ms);
        return;
      }
      // The verdict after the I/O this turn reads (a promise settles once: a reply read first wins).
      setImmediate(() => reject(new StoreTimeout(`no answer within ${ms} ms`)));
    };
    let timer = setTimeout(expire, ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** An error's message, without anything that could carry a secret (a URL's credentials). */
function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\b(rediss?:\/\/)[^@\s/]*@/gi, '$1***@').slice(0, 200);
}

/** The socket of a connection the store made must not keep the process alive. */
function unrefOnConnect(client: RedisClientLike): void {
  client.on('connect', (() => {
    (client as { stream?: { unref?: () => void } }).stream?.unref?.();
  }) as never);
}

/**
 * A Redis store from a URL (`redis://[user:password@]host:port[/db]`, `rediss://` for TLS), on
 * ioredis (an optional dependency: install it to use this). The store owns the connection.
 * @throws {Error} when ioredis is not installed.
 */
export function redisStoreFromUrl(url: string, options: RedisStoreOptions = {}): RedisStore {
  const require = createRequire(import.meta.url);
  let Redis: new (url: string, options: object) => RedisClientLike;
  try {
    ({ Redis } = require('ioredis') as { Redis: typeof Redis });
  } catch {
    throw new Error('The Redis store needs the ioredis package, an optional dependency: npm install ioredis');
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const client = new Redis(url, {
    // Fail at once while disconnected, and reconnect under the store's own probe, so no
    // reconnection timer keeps the process alive and no command waits in a queue.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: Math.max(1000, timeoutMs),
    connectionName: 'claude-otel-gateway',
  });
  return new RedisStore(client, options, true);
}

/** A store over `client`: a connected ioredis client the application owns (not closed by the store). */
export function redisStoreFromClient(client: RedisClientLike, options: RedisStoreOptions = {}): RedisStore {
  return new RedisStore(client, options, false);
}
