/**
 * What an ideal client could achieve against the simulator's limits, for benchmarks: the greedy
 * admission schedule of a client that knows every limit exactly, computed with the simulator's
 * own limit code (so the schedule and the server can never disagree). Closed-form bounds live next
 * to each mechanism (`rampAdmissionBound`, `inflightMakespanBound`, `rateMakespanBound`).
 * @module
 */
import { Limits } from './limits.js';
import { modelConfig } from './options.js';
import type { RuntimeOptions } from './types.js';

/** The calls an ideal client has to make. */
export interface IdealWorkload {
  /** Number of calls, an integer ≥ 0. */
  calls: number;
  /** Service time of each call in ms (admission to end of response), ≥ 0. */
  serviceMs: number;
  /** Input tokens per call (taken from the input-token bucket). Default 1. */
  inputTokens?: number;
  /** `max_tokens` per call (reserved from the output-token bucket at admission). Default 1. */
  maxTokens?: number;
  /** Output tokens each call actually produces (the rest of the reservation is given back when it ends). Default `maxTokens`. */
  outputTokens?: number;
}

/** The greedy schedule. */
export interface IdealSchedule {
  /** When each call is admitted, ms from cold, non-decreasing. */
  admitMs: number[];
  /** When the last call ends: `admitMs[calls − 1] + serviceMs` (0 for no calls). */
  makespanMs: number;
}

/** Steps shorter than this (ms) are floating-point noise in a wait. */
const MIN_STEP = 1e-6;

/**
 * The schedule of a client that sends each call at the first instant every limit of `options`
 * (request bucket, with `burst` / `requestIntervalMs`; input- and output-token buckets with the
 * output reservation given back at the end; the acceleration mechanism) would admit it, from cold,
 * all calls in one pool, each call lasting `serviceMs`. Faults, overloads and latency options are
 * ignored: `serviceMs` stands for the latency.
 *
 * For token buckets and the fixed windows, admitting earlier never lowers a later allowance, so
 * the greedy makespan is the least achievable: a lower bound for any real client. For the
 * `inflight` and `rate` caps it is the schedule of an ideal client that keeps the cap full, not a
 * proof of optimality; `inflightMakespanBound` and `rateMakespanBound` are proven (looser) lower
 * bounds. Time is simulated ms (`timeScale` does not apply).
 *
 * @throws {SimulatorOptionsError} for invalid options.
 */
export function idealSchedule(options: RuntimeOptions, workload: IdealWorkload): IdealSchedule {
  const config = modelConfig(options);
  const { calls, serviceMs } = workload;
  if (!Number.isInteger(calls) || calls < 0)
    throw new RangeError(`calls: expected an integer ≥ 0, got ${calls}`);
  if (!(serviceMs >= 0) || !Number.isFinite(serviceMs))
    throw new RangeError(`serviceMs: expected a finite number ≥ 0, got ${serviceMs}`);
  const maxTokens = workload.maxTokens ?? 1;
  const produced = Math.min(maxTokens, workload.outputTokens ?? maxTokens);
  const need = { input: workload.inputTokens ?? 1, reserve: maxTokens };
  const limits = new Limits(config);
  const pool = limits.get('ideal', 'model', 0);
  const admitMs: number[] = [];
  const ends: number[] = [];
  let head = 0;
  let t = 0;
  while (admitMs.length < calls) {
    while (head < ends.length && ends[head]! <= t) limits.finish(pool, ends[head++]!, maxTokens, produced);
    const admission = limits.admit(pool, t, need);
    if (admission.ok) {
      admitMs.push(t);
      ends.push(t + serviceMs);
      continue;
    }
    let next = t + Math.max(admission.waitMs, MIN_STEP);
    if (head < ends.length && ends[head]! < next) next = ends[head]!;
    if (!Number.isFinite(next))
      throw new Error('idealSchedule: no call can ever be admitted (a limit that never refills)');
    t = next;
  }
  return { admitMs, makespanMs: calls === 0 ? 0 : admitMs[calls - 1]! + serviceMs };
}
