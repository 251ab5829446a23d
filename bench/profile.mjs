#!/usr/bin/env node
// Where a call's CPU goes: the V8 sampling profiler (node:inspector) over K calls (8 in flight)
// against a fault-free simulator in a child process, the bare SDK and the gateway-wrapped SDK one
// after the other, each with a real TracerProvider (BatchSpanProcessor → InMemorySpanExporter) as
// in bench/overhead.mjs, or none with --no-tracing. Self time is summed by component (the file
// each sampled function lives in): the gateway by folder, the SDK, OpenTelemetry, p-retry and
// p-limit, undici (fetch), Node's internals, GC, and the rest; printed as µs per call, the
// gateway's column minus the bare SDK's showing what the gateway adds and where.
//
//   node bench/profile.mjs [--calls K] [--no-tracing] [--json] [--functions N]
//
// --functions N also lists the gateway's N functions with the most self time (file:line), to find
// what to make cheaper inside a component.
//
// Needs bench/.dist (node bench/build.mjs).
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { callsInFlight, profiledClients, spawnUnlimitedSimulator, tracingSetup } from './cpu-load.mjs';
import { callParams } from './scenarios.mjs';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '4000' },
    'no-tracing': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    functions: { type: 'string', default: '0' },
  },
});
const K = Number(values.calls);
const IN_FLIGHT = 8;
const tracing = !values['no-tracing'];
const params = callParams({});

const { exporter, provider } = tracingSetup(tracing);

const DIST = '/bench/.dist/';

/** A script's path inside the gateway's build (bench/.dist), or undefined when not the gateway's. */
function distPath(url) {
  const at = url.indexOf(DIST);
  return at < 0 ? undefined : url.slice(at + DIST.length);
}

/** The component a sampled function belongs to, from its script's URL. */
function componentOf(url, name) {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)' || name === '(program)') return name;
  if (!url) return 'Node internals and native';
  const rest = distPath(url);
  if (rest !== undefined) {
    const folder = rest.includes('/') ? rest.slice(0, rest.indexOf('/')) : rest;
    return `gateway ${folder}/`;
  }
  if (url.includes('/@anthropic-ai/sdk/')) return '@anthropic-ai/sdk';
  if (url.includes('/@opentelemetry/')) return 'OpenTelemetry';
  if (url.includes('/p-retry/') || url.includes('/p-limit/') || url.includes('/yocto-queue/'))
    return 'p-retry, p-limit';
  if (url.startsWith('node:internal/deps/undici') || url.includes('/undici/')) return 'undici (fetch)';
  if (url.startsWith('node:')) return 'Node internals and native';
  return 'other';
}

/** Self time (µs) from a V8 CPU profile, summed by `keyOf(callFrame)`; frames it keys as
 * `undefined` are left out. */
function selfTimeBy(profile, keyOf) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const out = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const key = keyOf(byId.get(profile.samples[i]).callFrame);
    if (key !== undefined) out.set(key, (out.get(key) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
  }
  return out;
}

/** Self time per component. */
const selfTimes = (profile) => selfTimeBy(profile, (f) => componentOf(f.url, f.functionName));

/** Self time per gateway function, keyed `file:line name`. */
const gatewayFunctions = (profile) =>
  selfTimeBy(profile, ({ url, functionName, lineNumber }) => {
    const file = distPath(url);
    return file === undefined ? undefined : `${file}:${lineNumber + 1} ${functionName || '(anonymous)'}`;
  });

async function run(client) {
  await callsInFlight(client, params, K, IN_FLIGHT);
  await provider.forceFlush();
  exporter.reset();
}

const sim = await spawnUnlimitedSimulator();
const { bare, gateway, wrapped } = profiledClients(sim.url);

const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 100 });

const results = {};
for (const [name, client] of [
  ['bare', bare],
  ['gateway', wrapped],
]) {
  await run(client); // warm-up: JIT, connections
  const cpuBefore = process.cpuUsage();
  await session.post('Profiler.start');
  await run(client);
  const { profile } = await session.post('Profiler.stop');
  const cpu = process.cpuUsage(cpuBefore);
  results[name] = {
    cpuUsPerCall: (cpu.user + cpu.system) / K,
    selfUsPerCall: Object.fromEntries([...selfTimes(profile)].map(([k, v]) => [k, v / K])),
    functions: [...gatewayFunctions(profile)].map(([k, v]) => [k, v / K]).sort((a, b) => b[1] - a[1]),
  };
}
session.disconnect();
await gateway.close();
await sim.close();

const keys = [
  ...new Set([...Object.keys(results.bare.selfUsPerCall), ...Object.keys(results.gateway.selfUsPerCall)]),
].filter((k) => k !== '(idle)');
const row = (k) => ({
  component: k,
  bare: results.bare.selfUsPerCall[k] ?? 0,
  gateway: results.gateway.selfUsPerCall[k] ?? 0,
});
const rows = keys.map(row).sort((a, b) => b.gateway - b.bare - (a.gateway - a.bare));
if (values.json) {
  console.log(JSON.stringify({ calls: K, tracing, results, rows }));
} else {
  console.log(
    `CPU per call (process.cpuUsage, profiler on): bare ${results.bare.cpuUsPerCall.toFixed(0)} µs, gateway ${results.gateway.cpuUsPerCall.toFixed(0)} µs; tracing ${tracing ? 'on' : 'off'}, ${K} calls, ${IN_FLIGHT} in flight`,
  );
  console.log('');
  console.log('| component (self time) | bare SDK µs/call | gateway µs/call | added |');
  console.log('|---|---:|---:|---:|');
  for (const r of rows)
    console.log(
      `| ${r.component} | ${r.bare.toFixed(1)} | ${r.gateway.toFixed(1)} | ${(r.gateway - r.bare).toFixed(1)} |`,
    );
  const n = Number(values.functions);
  if (n > 0) {
    console.log('');
    console.log('| gateway function (self time) | µs/call |');
    console.log('|---|---:|');
    for (const [k, v] of results.gateway.functions.slice(0, n)) console.log(`| \`${k}\` | ${v.toFixed(1)} |`);
  }
}
