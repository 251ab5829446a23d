/**
 * Counting what happened, cheaply on the hot path; {@link StatsCollector.snapshot} builds the
 * public {@link SimulatorStats}.
 * @module
 */
import type { PoolStats, SimulatorStats } from './types.js';
import { tally } from '../util/tally.js';

/** Mutable counters behind `stats()`. */
export class StatsCollector {
  startedAt = Date.now();
  attempts = 0;
  logicalRequests = 0;
  byStatus: Record<string, number> = {};
  byErrorType: Record<string, number> = {};
  byErrorCode: Record<string, number> = {};
  resets = 0;
  hangs = 0;
  streamErrors = 0;
  streamCuts = 0;
  scripted = 0;
  inFlight = 0;
  peakInFlight = 0;
  retryAfterViolations = 0;
  inputTokens = 0;
  outputTokens = 0;
  /** 429s by the limit that refused (see `SimulatorStats.refusals`). */
  refusals: Record<string, number> = {};
  /** Output tokens reserved at admission and given back at the end. */
  reserved = 0;
  refunded = 0;
  /** `byRetryCount[n]` = attempts that carried retry count `n`. */
  byRetryCount: number[] = [];

  /** An attempt arrived (and is now in flight). */
  arrive(retryCount: number): void {
    this.attempts++;
    if (retryCount === 0) this.logicalRequests++;
    this.byRetryCount[retryCount] = (this.byRetryCount[retryCount] ?? 0) + 1;
    if (++this.inFlight > this.peakInFlight) this.peakInFlight = this.inFlight;
  }

  /** An attempt's connection is done with (response finished, or the connection closed). */
  depart(): void {
    this.inFlight--;
  }

  status(status: number): void {
    tally(this.byStatus, String(status));
  }

  refusal(key: string): void {
    tally(this.refusals, key);
  }

  error(type: string, code: string | undefined): void {
    tally(this.byErrorType, type);
    if (code !== undefined) tally(this.byErrorCode, code);
  }

  /** Clears every counter but `inFlight` (requests still open stay counted until they end). */
  clear(): void {
    const inFlight = this.inFlight;
    Object.assign(this, new StatsCollector());
    this.inFlight = inFlight;
    this.peakInFlight = inFlight;
  }

  /** The public statistics; `pools` comes from the limits. */
  snapshot(pools: Record<string, PoolStats> = {}): SimulatorStats {
    const histogram: Record<string, number> = {};
    for (let n = 0; n < this.byRetryCount.length; n++) {
      const exactly = (this.byRetryCount[n] ?? 0) - (this.byRetryCount[n + 1] ?? 0);
      if (exactly > 0) histogram[String(n + 1)] = exactly;
    }
    return {
      startedAt: this.startedAt,
      attempts: this.attempts,
      logicalRequests: this.logicalRequests,
      byStatus: { ...this.byStatus },
      byErrorType: { ...this.byErrorType },
      byErrorCode: { ...this.byErrorCode },
      resets: this.resets,
      hangs: this.hangs,
      streamErrors: this.streamErrors,
      streamCuts: this.streamCuts,
      scripted: this.scripted,
      inFlight: this.inFlight,
      peakInFlight: this.peakInFlight,
      retryAfterViolations: this.retryAfterViolations,
      attemptsPerRequest: {
        mean: this.logicalRequests === 0 ? 0 : this.attempts / this.logicalRequests,
        histogram,
      },
      tokens: { input: this.inputTokens, output: this.outputTokens },
      refusals: { ...this.refusals },
      outputTokens: { reserved: this.reserved, refunded: this.refunded },
      pools,
    };
  }
}
