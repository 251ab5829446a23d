#!/usr/bin/env node
// What a queued call keeps on the heap, by object type: 10,000 calls queued behind a concurrency of
// 1 (the one call in flight takes 10 minutes), a V8 heap snapshot before and after (two forced GCs
// each), the types that grew by at least 0.9 objects per call, in bytes per call. The gateway
// (`gateway`) or the SDK behind pLimit(1) (`bare`). Findings in bench/PROFILE.md.
//
//   node --expose-gc bench/heap-objects.mjs gateway|bare        (needs bench/.dist: node bench/build.mjs)
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import v8 from 'node:v8';
import { createGateway } from './.dist/index.js';
import { startSimulator } from './.dist/sim/index.js';
const N = 10000;
const mode = process.argv[2];
const sim = await startSimulator({ latency: { ttftMs: 600000, msPerToken: 0 } });
const params = { model: 'claude-sonnet-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] };
function summarize() {
  globalThis.gc();
  globalThis.gc();
  const snap = JSON.parse(readSnap());
  const f = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const W = f.length;
  const nodes = snap.nodes;
  const strings = snap.strings;
  const m = new Map();
  for (let i = 0; i < nodes.length; i += W) {
    const key = `${types[nodes[i]]}:${strings[nodes[i + 1]]}`.slice(0, 80);
    const e = m.get(key) ?? [0, 0];
    e[0]++;
    e[1] += nodes[i + 3];
    m.set(key, e);
  }
  return m;
}
function readSnap() {
  const file = v8.writeHeapSnapshot(join(tmpdir(), `heap-objects-${process.pid}.heapsnapshot`));
  try {
    return readFileSync(file, 'utf8');
  } finally {
    rmSync(file, { force: true });
  }
}
let client;
if (mode === 'gateway') {
  const gw = createGateway({ concurrencyInitial: 1, concurrencyMax: 1 }, {});
  client = gw.wrap(new Anthropic({ apiKey: 'sk-x', baseURL: sim.url }));
} else {
  const { default: pLimit } = await import('p-limit');
  const c = new Anthropic({ apiKey: 'sk-x', baseURL: sim.url, maxRetries: 0 });
  const limit = pLimit(1);
  client = { messages: { create: (p) => limit(() => c.messages.create(p)) } };
}
client.messages.create(params).catch(() => {});
await new Promise((r) => setTimeout(r, 300));
const before = summarize();
for (let i = 0; i < N; i++) client.messages.create(params).catch(() => {});
await new Promise((r) => setTimeout(r, 300));
const after = summarize();
const rows = [];
for (const [k, [c, s]] of after) {
  const b = before.get(k) ?? [0, 0];
  if (c - b[0] >= N * 0.9) rows.push([k, (c - b[0]) / N, (s - b[1]) / N]);
}
rows.sort((a, b) => b[2] - a[2]);
let tot = 0;
for (const r of rows) tot += r[2];
console.log(mode, 'bytes per call in types with ≥0.9 per call:', tot.toFixed(0));
for (const r of rows.slice(0, 40))
  console.log(r[2].toFixed(0).padStart(6), r[1].toFixed(2).padStart(6), r[0]);
process.exit(0);
