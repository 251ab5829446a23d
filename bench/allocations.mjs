#!/usr/bin/env node
// What a call allocates: V8's sampling heap profiler (node:inspector, a sample per 512 bytes on
// average, objects collected by minor and major GCs kept) over K calls (8 in flight) against a
// fault-free simulator in a child process, the bare SDK and then the gateway-wrapped SDK, each after
// a warm-up run of the same size; no tracer provider. Prints the bytes allocated per call on each
// side, and the functions whose allocations the gateway adds or removes (bytes per call, gateway
// minus bare), to find what makes its garbage.
//
//   node bench/allocations.mjs [--calls K] [--top N]
//
// Needs bench/.dist (node bench/build.mjs).
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { callsInFlight, profiledClients, spawnUnlimitedSimulator } from './cpu-load.mjs';
import { callParams } from './scenarios.mjs';

const { values } = parseArgs({
  options: { calls: { type: 'string', default: '4000' }, top: { type: 'string', default: '30' } },
});
const K = Number(values.calls);
const TOP = Number(values.top);
const params = callParams({});

/** Self bytes of a sampling heap profile, summed by `package/file:line function`. */
function bytesByFunction(profile) {
  const out = new Map();
  const visit = (node) => {
    const f = node.callFrame;
    const file = (f.url || '(native)')
      .replace(/.*node_modules\//, '')
      .replace(/.*bench\/\.dist\//, 'gateway/');
    const key = `${file}:${f.lineNumber + 1} ${f.functionName || '(anonymous)'}`;
    out.set(key, (out.get(key) ?? 0) + node.selfSize);
    for (const child of node.children) visit(child);
  };
  visit(profile.head);
  return out;
}

const sim = await spawnUnlimitedSimulator();
const { bare, wrapped } = profiledClients(sim.url);
const session = new Session();
session.connect();

const bytes = {};
for (const [name, client] of [
  ['bare', bare],
  ['gateway', wrapped],
]) {
  await callsInFlight(client, params, K, 8); // warm-up: JIT, connections
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 512,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  await callsInFlight(client, params, K, 8);
  const { profile } = await session.post('HeapProfiler.stopSampling');
  bytes[name] = bytesByFunction(profile);
  const total = [...bytes[name].values()].reduce((a, b) => a + b, 0);
  console.log(`${name}: ${(total / K / 1024).toFixed(1)} KiB allocated per call (${K} calls)`);
}
await sim.close();

const names = new Set([...bytes.bare.keys(), ...bytes.gateway.keys()]);
const added = [...names]
  .map((k) => [k, ((bytes.gateway.get(k) ?? 0) - (bytes.bare.get(k) ?? 0)) / K])
  .sort((a, b) => b[1] - a[1]);
console.log(
  `\nGateway minus bare, bytes per call (the ${TOP} largest additions, then the largest removals):`,
);
for (const [k, v] of added.slice(0, TOP)) console.log(`${v.toFixed(0).padStart(7)}  ${k}`);
for (const [k, v] of added.slice(-Math.ceil(TOP / 4))) console.log(`${v.toFixed(0).padStart(7)}  ${k}`);
