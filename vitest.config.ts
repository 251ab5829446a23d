import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Real HTTP on loopback and real timers: keep files isolated, but let two run at once.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Any unhandled rejection fails the run (vitest's default; stated so nobody turns it off).
    dangerouslyIgnoreUnhandledErrors: false,
  },
});
