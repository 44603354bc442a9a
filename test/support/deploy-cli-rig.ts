// A Junos NETCONF test router and a database holding it (router mx1 with a one-prefix-list template and
// its credentials), plus `run(...args)`: `peerdesk deploy …` in a child process on that database. Used by
// the deploy CLI tests; each `describe` gets its own server, database and directory.
import { afterAll, beforeAll } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { createTestDb, type Engine, type TestDb } from './db.ts';
import type { NetconfTestServer } from './netconf-server.ts';
import { startJunosTestRouter } from './junos-router.ts';
import { openDb, type Db } from '../../src/platform/db.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { SecretBox } from '../../src/platform/crypto.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const KEY = 'c'.repeat(40);
// Runs only the deploy command.
const COMMANDER = pathToFileURL(createRequire(join(ROOT, 'package.json')).resolve('commander')).href;
const SCRIPT = `import { Command } from '${COMMANDER}'; import { register } from '${pathToFileURL(join(ROOT, 'src/cli/deploy.ts')).href}';
const p = new Command('peerdesk'); p.exitOverride(); register(p);
await p.parseAsync(process.argv.slice(2), { from: 'user' }).catch((e) => { process.stderr.write(String(e.message) + '\\n'); process.exitCode = 1; });`;

export interface DeployCliRig {
  server: NetconfTestServer;
  db: Db;
  run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
}

/** Registers the hooks that set the rig up and tear it down; its fields are valid inside tests. */
export function deployCliRig(
  engine: Engine,
  opts: { dirPrefix: string; templateName: string; prefixList: string },
): DeployCliRig {
  let dir = '';
  let url = '';
  let tdb: TestDb | null = null;
  const rig = {
    run: (...args: string[]) =>
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
              code: err
                ? typeof (err as { code?: unknown }).code === 'number'
                  ? (err as { code: number }).code
                  : 1
                : 0,
              stdout,
              stderr,
            }),
        );
      }),
  } as DeployCliRig;

  beforeAll(async () => {
    rig.server = await startJunosTestRouter();
    dir = mkdtempSync(join(tmpdir(), opts.dirPrefix));
    writeFileSync(join(dir, 'deploy-cli.mjs'), SCRIPT);
    if (engine === 'sqlite') {
      url = `sqlite:${join(dir, 'cli.db')}`;
      rig.db = await openDb(url);
      await migrateToLatest(rig.db);
    } else {
      tdb = await createTestDb(engine);
      url = tdb.url;
      rig.db = tdb.db;
    }
    const db = rig.db;
    const t = new Date().toISOString();
    const stamp = { created_at: t, updated_at: t };
    const tpl = await db
      .insertInto('config_templates')
      .values({
        name: opts.templateName,
        body: `policy-options {\n    prefix-list ${opts.prefixList} {\n        192.0.2.0/24;\n    }\n}\n`,
        ...stamp,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const p = await db
      .insertInto('platforms')
      .values({ name: 'Junos', slug: 'junos', driver: 'junos', ...stamp })
      .returning('id')
      .executeTakeFirstOrThrow();
    const server = rig.server;
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
    else await rig.db?.destroy();
    await rig.server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return rig;
}
