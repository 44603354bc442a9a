import { globSync, readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// Two projects, one suite. `npm test` runs both (the whole suite); `npm run test:fast` runs only `fast`:
//
// - fast: unit tests and the API tested in this process (app.inject on an in-memory database, fake
//   servers on loopback inside the test process). One module graph per worker thread (isolate: false),
//   so the app's modules load once per worker instead of once per file.
// - full: everything that starts something outside the test process (real daemons, a browser, the
//   CLI as a subprocess, bgpq4/Python/git/tool runs), plus files that rely on a fresh module graph.
//
// Each file sits in exactly one project (FULL below is fast's exclude and full's include).
const SLOW = [
  // Real routing daemons, sshd, dovecot and the browser (see test/support/lab/).
  'test/e2e/**',
  'test/lab/**',
  'test/api/security-csp.test.ts', // Chromium
  // Subprocesses (any other test file that imports node:child_process is found below).
  'src/irr/aggregate.test.ts', // differential against bgpq4
  'src/irr/expand.test.ts', // differential against bgpq4
  'src/templates/engine/differential.test.ts', // differential against Python Jinja2
  'src/templates/shipped-templates.test.ts', // vendor config checkers
  'src/peeringdb/peeringdb.crash.test.ts', // kills a child process mid-sync
  'test/api/deploy-cli.test.ts', // the deploy CLI as a process
  'test/api/deploy-cli-at.test.ts', // the same, with --at
  'test/api/deploy-vendor.test.ts', // git export of applied configs
  'test/api/openapi.test.ts', // scripts/openapi.ts --check as a process
  'test/jobs/workers.test.ts', // worker processes killed and restarted
  'test/cli/cli.test.ts', // bin/peerdesk.js as a process
  'test/cli/smoke.test.ts', // bin/peerdesk.js as a process (the one CLI smoke test)
  // Seconds of deliberate waiting or heavy generated input per case, not in-process API behaviour.
  'test/api/fuzz.test.ts', // property-based, ~30 s of generated bodies
  'test/api/render-isolation.test.ts', // render worker time and heap limits (waits on kills)
  'test/drivers/**', // NETCONF/eAPI device simulators: SSH handshakes and per-call timeouts
  // Mocks a platform module (vi.mock) and needs a module graph of its own.
  'test/api/security-server.test.ts',
];

const TESTS = ['src/**/*.test.ts', 'test/**/*.test.ts'];
// A test file that starts a process (imports node:child_process) runs in `full` without being listed.
const spawning = globSync(TESTS).filter((f) => /from ['"](node:)?child_process['"]/.test(readFileSync(f, 'utf8')));
const FULL = [...new Set([...SLOW.map((p) => (p.endsWith('.ts') ? p : `${p}/*.test.ts`)), ...spawning])];

// Under CI a JSON report feeds the "N passed, N failed" line of .ci/run.
const reporters: any[] = process.env.CI ? ['default', ['json', { outputFile: 'test-results.json' }]] : ['default'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
    reporters,
    env: { PEERDESK_VALIDATE_RESPONSES: '1' },
    // Names the run for the workers' PostgreSQL template databases and drops them at the end.
    globalSetup: ['test/support/db.ts'],
    // Browser and job waits poll; under a loaded CI machine one second is too short.
    expect: { poll: { timeout: 15_000, interval: 100 } },
    projects: [
      {
        extends: true,
        test: {
          name: 'fast',
          include: TESTS,
          exclude: FULL,
          pool: 'threads',
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'full',
          include: FULL,
          pool: 'forks',
        },
      },
    ],
  },
});
