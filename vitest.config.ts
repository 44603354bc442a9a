import { defineConfig } from 'vitest/config';

// Under CI a JSON report feeds the "N passed, N failed" line of .ci/run.
const reporters: any[] = process.env.CI ? ['default', ['json', { outputFile: 'test-results.json' }]] : ['default'];

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters,
    env: { PEERDESK_VALIDATE_RESPONSES: '1' },
    // Browser and job waits poll; under a loaded CI machine one second is too short.
    expect: { poll: { timeout: 15_000, interval: 100 } },
  },
});
