/**
 * The mutable state of one simulator: configuration, PRNG, statistics, limits, script and the
 * exchanges (requests) in progress.
 * @module
 */
import type { Exchange } from './exchange.js';
import { Limits } from './limits.js';
import { mergeRuntime, parseOptions, resolveConfig, validateRuntime, type StartOptions } from './options.js';
import { Rng } from './random.js';
import { Script } from './script.js';
import { StatsCollector } from './stats.js';
import type { RuntimeOptions, SimulatorConfig, SimulatorOptions } from './types.js';

export class SimState {
  readonly start: StartOptions;
  layer: RuntimeOptions;
  config: SimulatorConfig;
  knownModels: ReadonlySet<string>;
  rng: Rng;
  readonly stats = new StatsCollector();
  readonly limits: Limits;
  readonly script: Script;
  /** Monotonic real time (`performance.now()`) of the start or the last reset: the origin of simulated time. */
  epoch = performance.now();
  /** Simulated ms per real ms (the `timeScale` option). */
  readonly timeScale: number;
  /** Incremented by `reset()`: attempts admitted before it no longer count in the statistics. */
  generation = 0;
  /** Arrival index of the next attempt. */
  nextAttempt = 0;
  /** Exchanges whose connection is still open. */
  readonly exchanges = new Set<Exchange>();
  closing = false;

  /** Validates everything; throws `SimulatorOptionsError`. */
  constructor(options: SimulatorOptions | undefined) {
    const { start, layer } = parseOptions(options);
    this.start = start;
    this.layer = layer;
    this.config = resolveConfig(start, layer);
    this.knownModels = new Set(this.config.models);
    this.rng = new Rng(start.seed);
    this.script = new Script(start.script);
    this.timeScale = start.timeScale;
    this.limits = new Limits(this.config);
  }

  /**
   * Simulated ms since the start or the last reset: real time × `timeScale`. Every limit, window
   * and latency works in this time; only the wire (timers, `retry-after`, header times) is real.
   */
  now(): number {
    return (performance.now() - this.epoch) * this.timeScale;
  }

  /** Real ms for `simMs` simulated ms. */
  toReal(simMs: number): number {
    return simMs / this.timeScale;
  }

  /** Sets the port actually bound (when 0 was asked for). */
  bound(port: number): void {
    this.config = Object.freeze({ ...this.config, port });
  }

  update(patch: RuntimeOptions): void {
    const layer = mergeRuntime(this.layer, validateRuntime(patch));
    const config = Object.freeze({ ...resolveConfig(this.start, layer), port: this.config.port });
    this.layer = layer;
    this.config = config;
    this.knownModels = new Set(config.models);
    this.limits.reconfigure(config, this.now());
  }

  reset(): void {
    this.generation++;
    this.epoch = performance.now();
    this.nextAttempt = 0;
    this.rng = new Rng(this.start.seed);
    this.stats.clear();
    this.limits.clear();
    this.script.reset();
  }

  /** The overload probability at simulated time `now`: that of the first window containing it, else `overloadRate`. */
  overloadRate(now: number): number {
    const t = now;
    for (const w of this.config.overloadWindows) {
      if (t >= w.startMs && t < w.endMs) return w.rate;
    }
    return this.config.overloadRate;
  }
}
