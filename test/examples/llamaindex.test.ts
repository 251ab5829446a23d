/** The LlamaIndex guide: `examples/llamaindex/` (its nested SDK 0.58: the gateway is its fetch). */
import { describe } from 'vitest';
import { exampleTests } from './harness.js';

describe('examples/llamaindex', () => {
  exampleTests({ file: 'llamaindex/app.ts', register: true });
  exampleTests({ file: 'llamaindex/explicit.ts' });
});
