#!/usr/bin/env node
// Measures how many requests a second the simulator serves on loopback, with latency set to 0.
// The simulator runs in a worker thread (its own event loop and core); the load comes from this
// thread over keep-alive connections. Needs a build first (`node bench/build.mjs`).
//
//   node bench/sim-throughput.mjs [--seconds 3] [--concurrency 64] [--sdk]
//
// Modes: `json` (non-streaming POST /v1/messages), `sse` (stream: true, read to the end),
// `count` (POST /v1/messages/count_tokens), and with --sdk the same JSON call through the real
// @anthropic-ai/sdk (its client-side cost included). Bounded in time and count; loopback only.
import http from 'node:http';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';

if (!isMainThread) {
  const { startSimulator } = await import('./.dist/sim/index.js');
  const sim = await startSimulator({
    latency: { ttftMs: 0, msPerToken: 0 },
    requestsPerMinute: 1_000_000_000,
  });
  parentPort.postMessage({ url: sim.url, port: sim.port });
  parentPort.on('message', async (msg) => {
    if (msg === 'stats') parentPort.postMessage({ stats: sim.stats() });
    if (msg === 'close') {
      await sim.close();
      parentPort.close();
    }
  });
} else {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '3' },
      concurrency: { type: 'string', default: '64' },
      sdk: { type: 'boolean' },
    },
  });
  const seconds = Math.min(30, Math.max(0.5, Number(values.seconds)));
  const concurrency = Math.min(512, Math.max(1, Number(values.concurrency)));
  const worker = new Worker(new URL(import.meta.url));
  const { port, url } = await new Promise((resolve) => worker.once('message', resolve));
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const MAX_REQUESTS = 2_000_000;

  const body = (extra) =>
    JSON.stringify({
      model: 'claude-haiku-4-5',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'Hello, simulator' }],
      ...extra,
    });

  function post(path, payload) {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path,
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'x-api-key': 'sk-bench',
            'content-length': Buffer.byteLength(payload),
          },
        },
        (res) => {
          res.on('data', () => {});
          res.on('end', () => resolve(res.statusCode));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  async function run(label, once) {
    let done = 0;
    let failed = 0;
    const deadline = performance.now() + seconds * 1000;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < deadline && done + failed < MAX_REQUESTS) {
          try {
            if ((await once()) === 200) done++;
            else failed++;
          } catch {
            failed++;
          }
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    const rate = Math.round(done / elapsed);
    console.log(
      `${label.padEnd(6)} ${String(rate).padStart(7)} req/s  (${done} ok, ${failed} failed, ${elapsed.toFixed(1)} s, concurrency ${concurrency})`,
    );
    return rate;
  }

  const json = body({});
  const sse = body({ stream: true });
  const count = JSON.stringify({
    model: 'claude-haiku-4-5',
    messages: [{ role: 'user', content: 'Hello, simulator' }],
  });
  await run('warmup', () => post('/v1/messages', json));
  await run('json', () => post('/v1/messages', json));
  await run('sse', () => post('/v1/messages', sse));
  await run('count', () => post('/v1/messages/count_tokens', count));
  if (values.sdk) {
    const { default: Anthropic } = await import('@anthropic-ai/sdk');
    const client = new Anthropic({ apiKey: 'sk-bench', baseURL: url, maxRetries: 0 });
    const params = {
      model: 'claude-haiku-4-5',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'Hello, simulator' }],
    };
    await run('sdk', async () => (await client.messages.create(params), 200));
  }
  worker.postMessage('stats');
  const { stats } = await new Promise((resolve) => worker.once('message', resolve));
  console.log(
    `simulator: ${stats.attempts} attempts, by status ${JSON.stringify(stats.byStatus)}, peak in flight ${stats.peakInFlight}`,
  );
  agent.destroy();
  worker.postMessage('close');
}
