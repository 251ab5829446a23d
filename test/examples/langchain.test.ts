/**
 * The LangChain guide: `examples/langchain/`, under `register` (LangChain's nested SDK 0.122 adopted,
 * default install, no overrides) and with `createClient: (o) => withGateway(new Anthropic(o))`.
 */
import { describe } from 'vitest';
import { exampleTests } from './harness.js';

describe('examples/langchain', () => {
  exampleTests({ file: 'langchain/app.ts', register: true });
  exampleTests({ file: 'langchain/explicit.ts' });
});
