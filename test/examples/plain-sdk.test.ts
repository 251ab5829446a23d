/** The plain SDK guide: `examples/plain-sdk/`, under `register` and with `withGateway()`. */
import { describe } from 'vitest';
import { exampleTests } from './harness.js';

describe('examples/plain-sdk', () => {
  exampleTests({ file: 'plain-sdk/app.ts', register: true });
  exampleTests({ file: 'plain-sdk/explicit.ts' });
});
