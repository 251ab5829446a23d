// A read-only window on the gateway's limiter state, for diagnosis: the acceleration gate's rate,
// whether it is armed or closed, its ceiling on attempts in flight, the attempts in flight. The
// public `gateway.limiters()` snapshot has the concurrency limit, slots, queue and hold but not the
// gate, so this watches the private admissions as the registry hands them out
// (.dist/admit/registry.js, the same module instance the gateway uses). It never writes to them. If
// the private shape changes, the fields read as absent.
import { levelAt } from './.dist/admit/policy/buckets.js';
import { Registry } from './.dist/admit/registry.js';

const seen = new Set();
const originalGet = Registry.prototype.get;
if (!Registry.prototype.get.__benchWatched) {
  Registry.prototype.get = function watchedGet(id, make) {
    const admission = originalGet.call(this, id, make);
    seen.add(admission);
    return admission;
  };
  Registry.prototype.get.__benchWatched = true;
}

/** Forget the admissions of earlier runs; returns a sampler of the current ones. */
export function gatewayInternals() {
  seen.clear();
  return {
    sample() {
      let rate = 0;
      let armed = false;
      let closed = false;
      let inFlight = 0;
      let ceiling = Infinity;
      let any = false;
      for (const a of seen) {
        const s = a?.state;
        if (!s) continue;
        any = true;
        const acc = s.acceleration;
        if (acc?.armed) {
          armed = true;
          rate += Number.isFinite(acc.rate) ? acc.rate : 0;
        }
        if (acc?.closedUntil > 0) closed = true;
        if (acc?.ceiling < ceiling) ceiling = acc.ceiling;
        inFlight += s.inFlight ?? 0;
      }
      return any ?
          { gateRate: armed ? rate : null, gateClosed: closed, gateCeiling: ceiling, gwInFlight: inFlight }
        : {};
    },
    /** One line on the first admission: the gate's cut level, what it counted admitted over the
     * last second, its growth per second, the store key it decides on (a shared store's), and the
     * requests bucket's mirror (level now, capacity) once headers have set it. */
    detail() {
      const [a] = seen;
      const acc = a?.state?.acceleration;
      if (!acc) return '';
      const admitted = Array.from(acc.admitted ?? []).reduce((x, y) => x + y, 0);
      const key = a.keys?.names?.tag;
      const m = a.state.buckets?.requests;
      const mirror =
        m ?
          `, requests mirror ${levelAt(m, a.keys?.now?.() ?? performance.now()).toFixed(1)}/${m.capacity}`
        : '';
      return `cut ${Number.isFinite(acc.cutRate) ? `${acc.cutRate.toFixed(1)}/s` : 'none'}, admitted ${admitted} in 1 s, growth ×${Math.exp(acc.logGrowth).toFixed(2)}/s${key ? `, key ${key.slice(key.indexOf('{'))} (${a.keys.served})` : ''}${mirror}`;
    },
  };
}
