// The one subprocess test of the command line: bin/peerdesk.js starts, migrates a fresh database,
// renders a router stored in it, and refuses bad configuration with a readable message and a non-zero
// status. Everything else about
// the commands runs in process (system-cli.test.ts, main.test.ts).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDb } from '../../src/platform/db.ts';

describe('peerdesk binary', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pd-smoke-'));
  const env = {
    ...process.env,
    PEERDESK_DATABASE_URL: `sqlite:${join(dir, 'cli.db')}`,
    PEERDESK_DATA_DIR: dir,
    PEERDESK_LOG_LEVEL: 'silent',
  };
  const cli = (args: string[], extra: Record<string, string> = {}) =>
    spawnSync(process.execPath, ['bin/peerdesk.js', ...args], { env: { ...env, ...extra }, encoding: 'utf8' });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('migrates a fresh database, renders a router from it and refuses bad configuration', async () => {
    const m = cli(['migrate']);
    expect(m.status, m.stderr).toBe(0);
    expect(m.stdout).toMatch(/^applied: 0001_foundation, /);
    const db = await openDb(env.PEERDESK_DATABASE_URL);
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
    const rendered = cli(['render', '--router', 'cli-rt', '--template', 'frr.j2']);
    expect(rendered.status, rendered.stderr).toBe(0);
    expect(rendered.stdout).toMatch(/router bgp 64500/);
    const r = cli(['migrate'], { PEERDESK_DATABASE_URL: 'mysql://x' });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      'peerdesk: invalid configuration:\n  PEERDESK_DATABASE_URL: must start with sqlite: or postgres://\n',
    );
  });
});
