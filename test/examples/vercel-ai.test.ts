/** The Vercel AI SDK guide: `examples/vercel-ai/`, through `createGatewayFetch()`. */
import { describe } from 'vitest';
import { exampleTests } from './harness.js';

describe('examples/vercel-ai', () => {
  exampleTests({ file: 'vercel-ai/explicit.ts', baseUrlSuffix: '/v1' });
});
