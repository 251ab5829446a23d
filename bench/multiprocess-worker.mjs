// One worker process of the multi-process bench (bench/multiprocess.mjs): a gateway of its own,
// alone or sharing its limits through Redis, calling one simulator organization. Forked by the
// parent; IPC: it sends `{ type: 'ready' }`, gets `{ type: 'go', calls, params }`, fires its calls
// at once (the gateway queues them), and answers `{ type: 'done', … }` with its counts and its
// store's statistics, then exits. Asked `{ type: 'report' }` (the run's deadline passed), it
// answers `{ type: 'partial', … }`: the same counts so far, its calls still pending and its
// limiters, so that a run that stalls says where.
import Anthropic from '@anthropic-ai/sdk';
import { createGateway } from './.dist/index.js';
import { redisStoreFromUrl } from './.dist/admit/store/redis.js';

const { BENCH_SIM_URL, BENCH_REDIS_URL, BENCH_PREFIX, BENCH_API_KEY } = process.env;

// The gateway at its defaults: no CLAUDE_GATEWAY_* variable but the store.
const store = BENCH_REDIS_URL ? redisStoreFromUrl(BENCH_REDIS_URL, { keyPrefix: BENCH_PREFIX }) : undefined;
const gateway = createGateway(store ? { store } : {}, {});
const client = gateway.wrap(
  new Anthropic({ apiKey: BENCH_API_KEY ?? 'sk-bench-key', baseURL: BENCH_SIM_URL }),
);

// BENCH_TRACE: this worker's view of its limiter every BENCH_TRACE_MS (250), for bench/multiprocess.mjs --trace.
const internals = process.env.BENCH_TRACE ? (await import('./internals.mjs')).gatewayInternals() : undefined;

process.on('message', async (msg) => {
  if (msg.type !== 'go') return;
  const started = performance.now();
  const trace = [];
  const tracer =
    internals &&
    setInterval(
      () => {
        const [l] = gateway.limiters();
        const g = internals.sample();
        const t = (performance.now() - started) / 1000;
        trace.push(
          `${t.toFixed(2)} s  limit ${l?.limit}, active ${l?.active}, queued ${l?.queued}, gate ${g.gateRate == null ? 'unarmed' : `${g.gateRate.toFixed(1)}/s${g.gateClosed ? ' closed' : ''}`}; ${internals.detail()}`,
        );
      },
      Number(process.env.BENCH_TRACE_MS) || 250,
    );
  let ok = 0;
  let failed = 0;
  const errors = {};
  let lastSettle = 0;
  const storeStats = () => (store ? { ...store.stats, admitMs: store.stats.admitMs.slice() } : undefined);
  process.on('message', (m) => {
    if (m.type !== 'report') return;
    const pending = msg.calls - ok - failed;
    const limiters = gateway.limiters();
    process.send({ type: 'partial', ok, failed, pending, errors, stats: storeStats(), trace, limiters });
  });
  await Promise.all(
    Array.from({ length: msg.calls }, async () => {
      try {
        await client.messages.create(msg.params);
        ok++;
      } catch (error) {
        failed++;
        const kind = typeof error?.status === 'number' ? String(error.status) : (error?.name ?? 'Error');
        errors[kind] = (errors[kind] ?? 0) + 1;
      }
      lastSettle = performance.now() - started;
    }),
  );
  if (tracer) clearInterval(tracer);
  process.send(
    { type: 'done', ok, failed, errors, lastSettleMs: lastSettle, stats: storeStats(), trace },
    () => {
      void gateway.close().finally(() => process.exit(0));
    },
  );
});

process.on('disconnect', () => process.exit(0));
process.send({ type: 'ready' });
