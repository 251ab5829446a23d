/**
 * `npm start`: the demo's entry point. Runs it with the process's stdout, stderr and signals, and
 * sets the exit code; the process then ends by itself (nothing is left running).
 * @module
 */
import '../node-version.js'; // oxlint-disable-line import/no-unassigned-import -- first: fails at once on Node.js < 22.15
import { processIO } from '../cli.js';
import { runDemo, type DemoIO } from './command.js';

const io: DemoIO = {
  ...processIO(),
  terminal:
    process.stdout.isTTY ?
      { write: (text) => void process.stdout.write(text), columns: () => process.stdout.columns }
    : undefined,
};

runDemo(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
