// `peerdesk deploy ROUTER --at ISO` (src/cli/deploy.ts) in a child process against the Junos NETCONF test
// router: the deployment is scheduled (its job queued for that time, nothing touches the router) and
// the command exits 0; a past or too distant --at exits 1 naming it and creates nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { engines, createTestDb, type TestDb } from '../support/db.ts';
import { startNetconfServer, type NetconfTestServer } from '../support/netconf-server.ts';
import { openDb, type Db } from '../../src/platform/db.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { SecretBox } from '../../src/platform/crypto.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const KEY = 'c'.repeat(40);
// Runs only the deploy command (main.ts registers it once the lead adds it there).
const COMMANDER = pathToFileURL(createRequire(join(ROOT, 'package.json')).resolve('commander')).href;
const SCRIPT = `import { Command } from '${COMMANDER}'; import { register } from '${pathToFileURL(join(ROOT, 'src/cli/deploy.ts')).href}';
const p = new Command('peerdesk'); p.exitOverride(); register(p);
await p.parseAsync(process.argv.slice(2), { from: 'user' }).catch((e) => { process.stderr.write(String(e.message) + '\\n'); process.exitCode = 1; });`;

describe.each(engines())('peerdesk deploy on %s', (engine) => {
  let server: NetconfTestServer;
  let dir: string;
  let url: string;
  let tdb: TestDb | null = null;
  let db: Db;
  const run = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [join(dir, 'deploy-cli.mjs'), ...args],
        {
          cwd: ROOT,
          encoding: 'utf8',
          timeout: 120_000,
          env: {
            ...process.env,
            PEERDESK_DATABASE_URL: url,
            PEERDESK_DATA_DIR: dir,
            PEERDESK_SECRET_KEY: KEY,
            PEERDESK_LOG_LEVEL: 'silent',
            PEERDESK_DEPLOY_REVIEW: '0',
          },
        },
        (err, stdout, stderr) =>
          resolve({
            code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0,
            stdout,
            stderr,
          }),
      );
    });

  beforeAll(async () => {
    server = await startNetconfServer({
      flavor: 'junos',
      neighbors: [
        {
          vrf: null,
          peer_ip: '192.0.2.2',
          remote_asn: 64501,
          group: 'T',
          state: 'Established',
          elapsed_s: 50,
          flap_count: 0,
        },
      ],
      minuteMs: 60_000,
    });
    dir = mkdtempSync(join(tmpdir(), 'pd-deploy-cli-at-'));
    writeFileSync(join(dir, 'deploy-cli.mjs'), SCRIPT);
    if (engine === 'sqlite') {
      url = `sqlite:${join(dir, 'cli.db')}`;
      db = await openDb(url);
      await migrateToLatest(db);
    } else {
      tdb = await createTestDb(engine);
      url = tdb.url;
      db = tdb.db;
    }
    const t = new Date().toISOString();
    const stamp = { created_at: t, updated_at: t };
    const tpl = await db
      .insertInto('config_templates')
      .values({
        name: 'cli-at-policy',
        body: 'policy-options {\n    prefix-list CLI-AT {\n        192.0.2.0/24;\n    }\n}\n',
        ...stamp,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const p = await db
      .insertInto('platforms')
      .values({ name: 'Junos', slug: 'junos', driver: 'junos', ...stamp })
      .returning('id')
      .executeTakeFirstOrThrow();
    const creds = new SecretBox(KEY).encrypt(
      JSON.stringify({ username: server.username, password: server.password, ssh_host_key: server.hostKeyFingerprint }),
    );
    await db
      .insertInto('routers')
      .values({
        name: 'mx1',
        hostname: server.hostname,
        platform_id: p.id,
        local_asn: 64500,
        status: 'active',
        config_template_id: tpl.id,
        credentials_enc: creds,
        ...stamp,
      })
      .execute();
  }, 60_000);
  afterAll(async () => {
    if (tdb) await tdb.drop();
    else await db?.destroy();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('--at schedules the deployment for a worker; a bad window exits 1 and creates nothing', async () => {
    const at = new Date(Date.now() + 2 * 3600_000);
    at.setMilliseconds(0);
    const r = await run('deploy', 'mx1', '--at', at.toISOString());
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toBe(`deployment #1 mx1: planned (scheduled for ${at.toISOString()})\n`);
    const d = await db.selectFrom('deployments').selectAll().executeTakeFirstOrThrow();
    const job = await db.selectFrom('jobs').selectAll().where('id', '=', d.job_id).executeTakeFirstOrThrow();
    expect([d.status, d.run_at, d.proposed_by_name, job.kind, job.status, job.run_after]).toEqual([
      'planned',
      at.toISOString(),
      'cli',
      'deploy.run',
      'queued',
      at.toISOString(),
    ]);
    expect(server.runningText()).not.toContain('prefix-list CLI-AT');

    const json = await run('deploy', 'mx1', '--dry-run', '--at', at.toISOString(), '--json');
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      id: 2,
      status: 'planned',
      dry_run: true,
      run_at: at.toISOString(),
      job_id: expect.any(Number),
    });

    const past = await run('deploy', 'mx1', '--at', new Date(Date.now() - 60_000).toISOString());
    expect(past.code).toBe(1);
    expect(past.stderr).toMatch(/^--at: must be in the future/m);
    const far = await run('deploy', 'mx1', '--at', new Date(Date.now() + 40 * 86_400_000).toISOString());
    expect([far.code, far.stderr.trim()]).toEqual([1, '--at: at most 30 days ahead']);
    const junk = await run('deploy', 'mx1', '--at', 'next tuesday');
    expect(junk.code).toBe(1);
    expect(junk.stderr).toMatch(/^--at: not a date and time/m);
    expect((await db.selectFrom('deployments').select('id').execute()).length).toBe(2);
  }, 180_000);
});
