/** The Bedrock and Vertex guides: `examples/bedrock/`, `examples/vertex/`, against a stand-in for each cloud. */
import { describe } from 'vitest';
import { exampleTests } from './harness.js';

describe('examples/bedrock', () => {
  exampleTests({ file: 'bedrock/app.ts', register: true });
  exampleTests({ file: 'bedrock/explicit.ts' });
});

describe('examples/vertex', () => {
  exampleTests({ file: 'vertex/app.ts', register: true });
  exampleTests({ file: 'vertex/explicit.ts' });
});
