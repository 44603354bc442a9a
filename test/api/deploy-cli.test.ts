// `peerdesk deploy ROUTER` (src/cli/deploy.ts) in a child process against the Junos NETCONF test router:
// a dry run prints the diff and commits nothing; a real run ends `done`; an unknown router exits 1.
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
    dir = mkdtempSync(join(tmpdir(), 'pd-deploy-cli-'));
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
        name: 'cli-policy',
        body: 'policy-options {\n    prefix-list CLI {\n        192.0.2.0/24;\n    }\n}\n',
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
    rmSync(dir, { recursive: true, force: true });
  });

  it('dry run prints the diff and commits nothing; a real run is done; an unknown router fails', async () => {
    const dry = await run('deploy', 'mx1', '--dry-run');
    expect(dry.code, `${dry.stdout}\n${dry.stderr}`).toBe(0);
    expect(dry.stdout).toContain('+ 192.0.2.0/24;');
    expect(dry.stdout).toMatch(/^deployment #1 mx1: done \(dry run: diff computed, nothing applied\)$/m);
    expect(server.runningText()).not.toContain('prefix-list CLI');

    const real = await run('deploy', 'mx1', '--confirm-timeout', '120', '--json');
    expect(real.code, real.stderr).toBe(0);
    const d = JSON.parse(real.stdout);
    expect([d.id, d.status, d.reason, d.proposed_by, d.confirm_timeout]).toEqual([
      2,
      'done',
      'applied and confirmed',
      'cli',
      120,
    ]);
    expect(server.runningText()).toContain('192.0.2.0/24;');

    const bad = await run('deploy', 'nope');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('no router named nope');
    const badTimeout = await run('deploy', 'mx1', '--confirm-timeout', '5');
    expect(badTimeout.code).toBe(1);
    expect(badTimeout.stderr).toContain('--confirm-timeout must be a whole number of seconds from 30 to 3600');
  }, 180_000);
});
