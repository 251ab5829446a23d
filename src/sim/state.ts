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
  /** Monotonic time (`performance.now()`) of the start or the last reset: origin of overload and acceleration windows. */
  epoch = performance.now();
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
    this.limits = new Limits(this.config, this.epoch);
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
    this.limits.reconfigure(config, performance.now());
  }

  reset(): void {
    this.epoch = performance.now();
    this.nextAttempt = 0;
    this.rng = new Rng(this.start.seed);
    this.stats.clear();
    this.limits.clear(this.epoch);
    this.script.reset();
  }

  /** The overload probability at monotonic time `now`: that of the first window containing it, else `overloadRate`. */
  overloadRate(now: number): number {
    const t = now - this.epoch;
    for (const w of this.config.overloadWindows) {
      if (t >= w.startMs && t < w.endMs) return w.rate;
    }
    return this.config.overloadRate;
  }
}
