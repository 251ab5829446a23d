// The simulator in a child process, so the client under test and the simulated API run on
// separate cores and `process.cpuUsage()` in the parent measures the client alone.
//
// Parent side: `const sim = await spawnSimulator(options)` → `{ url, stats(), update(patch),
// reset(), close() }`. Child side (this file run with `--child`): starts `startSimulator(options)`
// from the JSON in BENCH_SIM_OPTIONS, sends `{ type: 'ready', url }`, and answers IPC requests
// `{ id, op: 'stats' | 'update' | 'reset' | 'close', arg }` with `{ id, result | error }`.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);

if (process.argv[2] === '--child') {
  const { startSimulator } = await import('./.dist/sim/index.js');
  const sim = await startSimulator(JSON.parse(process.env.BENCH_SIM_OPTIONS ?? '{}'));
  // Never outlive the parent.
  process.on('disconnect', () => void sim.close().finally(() => process.exit(0)));
  process.on('message', async ({ id, op, arg }) => {
    try {
      let result;
      if (op === 'stats') result = sim.stats();
      else if (op === 'update') sim.update(arg);
      else if (op === 'reset') sim.reset();
      else if (op === 'close') await sim.close();
      else throw new Error(`unknown op ${op}`);
      process.send({ id, result });
      if (op === 'close') process.disconnect();
    } catch (error) {
      process.send({ id, error: String(error?.stack ?? error) });
    }
  });
  process.send({ type: 'ready', url: sim.url });
}

/** The simulator's attempts admitted and admitted attempts in flight, over its model pools (the
 * `*` pool of model-less requests left out), from `stats()`. */
export function poolTotals(stats) {
  const pools = Object.values(stats.pools).filter((p) => p.group !== '*');
  return {
    admitted: pools.reduce((a, p) => a + p.admitted, 0),
    inFlight: pools.reduce((a, p) => a + p.inFlight, 0),
  };
}

/**
 * Starts a simulator child process with `options` (JSON-serialisable `SimulatorOptions`).
 * @returns a handle whose methods are IPC round trips; `close()` waits for the child to exit.
 */
export function spawnSimulator(options) {
  const child = fork(SELF, ['--child'], {
    env: { ...process.env, BENCH_SIM_OPTIONS: JSON.stringify(options) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 1;
  const pending = new Map();
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return new Promise((resolve, reject) => {
    const onEarlyExit = (code) =>
      reject(new Error(`simulator child exited with code ${code} before it was ready`));
    child.once('exit', onEarlyExit);
    child.on('message', (msg) => {
      if (msg.type === 'ready') {
        child.off('exit', onEarlyExit);
        child.once('exit', () => {
          for (const p of pending.values()) p.reject(new Error('simulator child exited'));
          pending.clear();
        });
        resolve({
          url: msg.url,
          stats: () => ask('stats'),
          update: (patch) => ask('update', patch),
          reset: () => ask('reset'),
          close,
        });
        return;
      }
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      if (msg.error) p.reject(new Error(msg.error));
      else p.resolve(msg.result);
    });
  });

  function ask(op, arg) {
    return new Promise((resolve, reject) => {
      if (!child.connected) return reject(new Error('simulator child is gone'));
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.send({ id, op, arg });
    });
  }

  async function close() {
    if (child.connected) await ask('close').catch(() => {});
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
