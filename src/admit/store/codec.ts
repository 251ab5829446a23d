/**
 * The {@link KeyState} as a short string, for a shared store: a JSON array of numbers in a fixed
 * order, led by its format number, so a process of another version never misreads it (an unknown
 * format reads as no state). ±Infinity and booleans are numbers too; the acceleration meter's
 * Float64Array is a plain array.
 */
import type { KeyState } from '../key-state.js';
import type { AccelerationState } from '../policy/acceleration.js';
import { PACED_BUCKET_NAMES, type Mirror } from '../policy/buckets.js';
import type { ConcurrencyState } from '../policy/concurrency.js';
import type { OutageState } from '../policy/outage.js';

/** The format number: change it with any change of the layout below. */
export const STATE_FORMAT = 5;

/** Infinity and -Infinity, which JSON lacks. */
const INF = 'I';
const NEG_INF = '-I';

type Cell = number | string;

const num = (x: number): Cell =>
  x === Infinity ? INF
  : x === -Infinity ? NEG_INF
  : x;
const bit = (b: boolean): number => (b ? 1 : 0);

function mirror(m: Mirror | undefined): Cell[] {
  return m ? [m.limit, m.capacity, num(m.level), m.at] : [];
}

export function encodeState(s: KeyState): string {
  const c = s.concurrency;
  const o = s.outage;
  const a = s.acceleration;
  const cells: Cell[] = [
    STATE_FORMAT,
    // concurrency (8)
    c.limit,
    c.threshold,
    c.lastChangeAt,
    num(c.lastCutAt),
    c.cutFrom,
    bit(c.succeeded),
    bit(c.everSucceeded),
    bit(c.throttledSinceChange),
    // key (4)
    s.inFlight,
    num(s.quietSince),
    num(s.lastSuccessAt),
    s.holdUntil,
    // outage (11)
    o.intervalStart,
    o.attempts,
    o.overloads,
    o.attemptsBefore,
    o.overloadsBefore,
    o.events,
    num(o.lastEventAt),
    o.holdMs,
    o.startedAt,
    o.limitBefore,
    o.streak,
    // spent (3)
    ...PACED_BUCKET_NAMES.map((b) => s.spent[b]),
    // input count (2)
    s.inputCount.estimated,
    s.inputCount.counted,
    // acceleration (20), then its meter
    a.slotAt,
    a.slot,
    a.firstAt,
    bit(a.armed),
    num(a.rate),
    a.rateAt,
    num(a.cutRate),
    a.tokens,
    a.tokensAt,
    num(a.eventAt),
    a.logGrowth,
    a.logGrowthAt,
    a.closedUntil,
    a.probeAt,
    num(a.openedAt),
    num(a.ceiling),
    num(a.ceilingCut),
    num(a.ceilingCutAt),
    a.ceilingAt,
    a.peak,
    a.admitted.length,
    ...a.admitted,
  ];
  return JSON.stringify([cells, ...PACED_BUCKET_NAMES.map((b) => mirror(s.buckets[b]))]);
}

/** The state in `text`, or undefined when there is none or it is of another format. */
export function decodeState(text: string | null | undefined): KeyState | undefined {
  if (!text) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || !Array.isArray(parsed[0]) || parsed[0][0] !== STATE_FORMAT) return undefined;
  const cells = parsed[0] as Cell[];
  let i = 1;
  const n = (): number => {
    const v = cells[i++];
    return (
      v === INF ? Infinity
      : v === NEG_INF ? -Infinity
      : Number(v)
    );
  };
  const b = (): boolean => n() === 1;
  const concurrency: ConcurrencyState = {
    limit: n(),
    threshold: n(),
    lastChangeAt: n(),
    lastCutAt: n(),
    cutFrom: n(),
    succeeded: b(),
    everSucceeded: b(),
    throttledSinceChange: b(),
  };
  const inFlight = n();
  const quietSince = n();
  const lastSuccessAt = n();
  const holdUntil = n();
  const outage = readOutage(n);
  const spent = { requests: n(), inputTokens: n(), outputTokens: n() };
  const inputCount = { estimated: n(), counted: n() };
  const acceleration: Omit<AccelerationState, 'admitted'> = {
    slotAt: n(),
    slot: n(),
    firstAt: n(),
    armed: b(),
    rate: n(),
    rateAt: n(),
    cutRate: n(),
    tokens: n(),
    tokensAt: n(),
    eventAt: n(),
    logGrowth: n(),
    logGrowthAt: n(),
    closedUntil: n(),
    probeAt: n(),
    openedAt: n(),
    ceiling: n(),
    ceilingCut: n(),
    ceilingCutAt: n(),
    ceilingAt: n(),
    peak: n(),
  };
  const slots = n();
  const admitted = new Float64Array(slots);
  for (let k = 0; k < slots; k++) admitted[k] = n();
  if (cells.some((v) => typeof v === 'number' && !Number.isFinite(v))) return undefined;
  return {
    concurrency,
    inFlight,
    quietSince,
    lastSuccessAt,
    holdUntil,
    outage,
    spent,
    inputCount,
    acceleration: { ...acceleration, admitted },
    buckets: decodeMirrors(parsed.slice(1)),
  };
}

/** The outage's cells, in {@link encodeState}'s order, from the reader `n`. */
function readOutage(n: () => number): OutageState {
  return {
    intervalStart: n(),
    attempts: n(),
    overloads: n(),
    attemptsBefore: n(),
    overloadsBefore: n(),
    events: n(),
    lastEventAt: n(),
    holdMs: n(),
    startedAt: n(),
    limitBefore: n(),
    streak: n(),
  };
}

function decodeMirrors(mirrors: unknown[]): KeyState['buckets'] {
  const buckets: KeyState['buckets'] = {};
  PACED_BUCKET_NAMES.forEach((name, k) => {
    const m = mirrors[k] as Cell[] | undefined;
    if (Array.isArray(m) && m.length === 4) {
      const [limit, capacity, level, at] = m.map((v) =>
        v === INF ? Infinity
        : v === NEG_INF ? -Infinity
        : Number(v),
      ) as [number, number, number, number];
      buckets[name] = { limit, capacity, level, at };
    }
  });
  return buckets;
}

/** A deep copy of `s` (the meter is a typed array; everything else plain values). */
export function copyState(s: KeyState): KeyState {
  return {
    ...s,
    concurrency: { ...s.concurrency },
    outage: { ...s.outage },
    buckets: { ...s.buckets },
    spent: { ...s.spent },
    inputCount: { ...s.inputCount },
    acceleration: { ...s.acceleration, admitted: new Float64Array(s.acceleration.admitted) },
  };
}
