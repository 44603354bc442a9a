// The system commands in this process (`peerdesk …` through the same program bin/peerdesk.js builds):
// help on every command, migrate, user and token create (the key alone on stdout), job run and
// poll from the database. The binary itself (and render --router) runs once, in smoke.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../src/platform/db.ts';
import { cli } from '../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'pd-cli-'));
const ENV = {
  PEERDESK_DATABASE_URL: `sqlite:${join(dir, 'cli.db')}`,
  PEERDESK_DATA_DIR: dir,
  PEERDESK_LOG_LEVEL: 'silent',
};
const saved: Record<string, string | undefined> = {};

beforeAll(() => {
  for (const [k, v] of Object.entries(ENV)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
});
afterAll(() => {
  for (const k of Object.keys(ENV))
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  rmSync(dir, { recursive: true, force: true });
});

describe('command line', () => {
  it('has --help on every command', async () => {
    const top = await cli('--help');
    expect(top.code).toBe(0);
    for (const c of ['serve', 'worker', 'migrate', 'user', 'token', 'job', 'peeringdb', 'irr', 'render', 'poll']) {
      expect(top.stdout).toContain(c);
      const r = await cli(c, '--help');
      expect(r.code, c).toBe(0);
      expect(r.stdout).toMatch(/Usage: peerdesk/);
    }
  });

  it('migrates, creates a user and prints a token key alone on stdout', async () => {
    expect((await cli('migrate')).stdout).toMatch(/applied: 0001_foundation/);
    expect((await cli('migrate')).stdout).toBe('schema is up to date\n');
    const u = await cli('user', 'create', 'noc', '--role', 'operator', '--password', 'noc-password');
    expect(u.code, u.stderr).toBe(0);
    expect(u.stdout).toBe('created noc (operator)\n');
    const tok = await cli('token', 'create', 'noc');
    expect(tok.code, tok.stderr).toBe(0);
    expect(tok.stdout).toMatch(/^pd_[A-Za-z0-9_-]{40}\n$/);
    expect((await cli('user', 'create', 'x', '--role', 'superuser', '--password', 'longenough')).stderr).toMatch(
      /role/,
    );
    expect((await cli('token', 'create', 'ghost')).stderr).toBe('peerdesk: no user ghost\n');
  });

  it('runs a job kind from the CLI', async () => {
    const r = await cli('job', 'run', 'system.sleep', '--payload', '{"ms": 10}', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'succeeded', result: { slept_ms: 10 } });
    expect((await cli('job', 'run', 'system.sleep', '--payload', '{"ms": "x"}')).stderr).toMatch(/payload.ms/);
  });

  // `render --router` is in smoke.test.ts: src/cli/render.ts imports the render service through a
  // computed path, which only a real Node process resolves.
  it('polls the routers of the database from the CLI', async () => {
    const db = await openDb(ENV.PEERDESK_DATABASE_URL);
    const t = new Date().toISOString();
    await db
      .insertInto('routers')
      .values({
        name: 'cli-rt',
        local_asn: 64500,
        router_id: '192.0.2.1',
        status: 'active',
        polling_enabled: true,
        created_at: t,
        updated_at: t,
        version: 1,
      })
      .execute();
    await db.destroy();
    const p = await cli('poll', '--json');
    expect(p.code).toBe(1);
    expect(JSON.parse(p.stdout)).toMatchObject({
      failed: 1,
      routers: [{ name: 'cli-rt', ok: false, error: 'the router has no platform' }],
    });
  });
});
