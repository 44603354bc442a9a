// A lost connection during the confirm window still rolls back (lab on 127.0.13.0/24, FRR reached over a
// real sshd, as a remote router is). FRR has no commit-confirm: the driver arms a revert timer on the
// router's host before it changes bgpd. (1) Through the driver: a candidate that adds the GoBGP neighbour
// back is committed with a short confirm timeout, then the SSH session is closed without confirming: bgpd's
// running configuration becomes exactly the pre-change one again and the neighbour leaves the daemon.
// (2) Through the deploy pipeline on each database: `peerdesk deploy` runs in a child process that is
// killed (SIGKILL: no rollback, no goodbye) while its health gate waits in the confirm window: the timer
// on the host still restores bgpd exactly, and the added neighbour is gone from the daemon.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { labSkipReason } from '../support/lab.ts';
import { daemonLabMissing, type DaemonLab } from '../support/lab/daemons.ts';
import { sshdMissing, type SshdHarness } from '../support/lab/sshd.ts';
import { sharedLab } from '../support/lab/shared.ts';
import { createTestDb, engines, type TestDb } from '../support/db.ts';
import { frrDriver } from '../../src/drivers/frr/frr.driver.ts';
import type { DriverSession } from '../../src/drivers/driver.types.ts';
import { openDb, type Db } from '../../src/platform/db.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { SecretBox } from '../../src/platform/crypto.ts';

const skip =
  labSkipReason('bgpd', 'frr') ??
  labSkipReason('bird', 'bird2') ??
  labSkipReason('gobgpd', 'gobgpd') ??
  daemonLabMissing() ??
  labSkipReason('sshd', 'openssh-server') ??
  sshdMissing();
const NET = 13;
const shared = sharedLab(NET);
afterAll(() => shared.stop(), 60_000);

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const KEY = 'f'.repeat(40);
const COMMANDER = pathToFileURL(createRequire(join(ROOT, 'package.json')).resolve('commander')).href;
const SCRIPT = `import { Command } from '${COMMANDER}'; import { register } from '${pathToFileURL(join(ROOT, 'src/cli/deploy.ts')).href}';
const p = new Command('peerdesk'); p.exitOverride(); register(p);
await p.parseAsync(process.argv.slice(2), { from: 'user' }).catch((e) => { process.stderr.write(String(e.message) + '\\n'); process.exitCode = 1; });`;

/** The neighbours bgpd has (its own view, `show bgp summary json`). */
async function daemonPeers(lab: DaemonLab): Promise<string[]> {
  const j = JSON.parse(await lab.vtysh('show bgp summary json')) as {
    ipv4Unicast?: { peers?: Record<string, unknown> };
  };
  return Object.keys(j.ipv4Unicast?.peers ?? {}).sort();
}

describe.skipIf(skip)('FRR: a lost connection during the confirm window still rolls back', () => {
  let lab: DaemonLab;
  let sshd: SshdHarness;
  let full = '';
  const running = () => lab.vtysh('show running-config');
  const sshHost = () => `ssh://${sshd.user}@127.0.0.1:${sshd.port}${lab.frrVtyDir}`;
  const creds = () => ({ ssh_private_key: sshd.privateKey, ssh_host_key: sshd.hostKeyFingerprint });

  beforeAll(async () => {
    [lab, sshd] = await Promise.all([shared.lab(), shared.sshd()]);
    await lab.waitAllEstablished();
    full = await running();
  }, 120_000);

  it('through the driver: the SSH session closes unconfirmed; bgpd reverts exactly and the added neighbour leaves the daemon', async () => {
    const gobgp = lab.nodes.gobgp.ip;
    // The GoBGP neighbour disappears behind Peerdesk's back; the candidate (the full configuration) adds it back.
    await lab.removeNeighbor('frr', gobgp);
    await lab.waitSession('frr', 'gobgp', false);
    const before = await running();
    expect(before).not.toContain(`neighbor ${gobgp}`);
    expect(await daemonPeers(lab)).toEqual([lab.nodes.bird.ip]);

    // The driver takes any whole number of seconds (the API's minimum is 30); a short window keeps the test short.
    const timeoutS = 10;
    const s: DriverSession = await frrDriver.open(
      {
        id: 1,
        name: 'lab-frr-ssh',
        hostname: sshHost(),
        driver: 'frr',
        local_asn: lab.nodes.frr.asn,
        credentials: creds(),
      },
      { signal: AbortSignal.timeout(120_000), timeoutMs: 30_000 },
    );
    try {
      const { diff } = await s.loadCandidate!(full, 'replace');
      expect(diff).toContain(`+ neighbor ${gobgp} remote-as ${lab.nodes.gobgp.asn}`);
      await s.commitConfirmed!(timeoutS, 'lost connection test');
      expect(await running()).toContain(`neighbor ${gobgp} remote-as ${lab.nodes.gobgp.asn}`);
      expect(await daemonPeers(lab)).toEqual([lab.nodes.bird.ip, gobgp].sort());
      expect(await s.pendingConfirm!()).toBe(true);
    } finally {
      await s.close(); // the management connection is gone: nobody confirms, nobody rolls back
    }
    await expect.poll(running, { timeout: (timeoutS + 60) * 1000, interval: 500 }).toBe(before);
    expect(await daemonPeers(lab)).toEqual([lab.nodes.bird.ip]);
    expect(await lab.isEstablished('frr', 'bird')).toBe(true);
    const again = await frrDriver.open(
      {
        id: 1,
        name: 'lab-frr-ssh',
        hostname: sshHost(),
        driver: 'frr',
        local_asn: lab.nodes.frr.asn,
        credentials: creds(),
      },
      { signal: AbortSignal.timeout(60_000), timeoutMs: 30_000 },
    );
    try {
      // The timer's script removes its files just after the restore: polled, not read once.
      await expect.poll(() => again.pendingConfirm!(), { timeout: 30_000, interval: 200 }).toBe(false);
    } finally {
      await again.close();
    }
  }, 180_000);

  describe.each(engines())('through the deploy pipeline on %s', (engine) => {
    let dir: string;
    let url: string;
    let tdb: TestDb | null = null;
    let db: Db;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'pd-deploy-lost-'));
      writeFileSync(join(dir, 'deploy-cli.mjs'), SCRIPT);
      if (engine === 'sqlite') {
        url = `sqlite:${join(dir, 'lost.db')}`;
        db = await openDb(url);
        await migrateToLatest(db);
      } else {
        tdb = await createTestDb(engine);
        url = tdb.url;
        db = tdb.db;
      }
    }, 60_000);
    afterAll(async () => {
      if (tdb) await tdb.drop();
      else await db?.destroy();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('the deploying process dies while the health gate waits: the timer on the host restores bgpd', async () => {
      const ghost = `127.0.${NET}.99`;
      const before = await running();
      expect(await daemonPeers(lab)).not.toContain(ghost);
      // The template adds a neighbour nobody answers: the health gate waits in the confirm window.
      const t = new Date().toISOString();
      const stamp = { created_at: t, updated_at: t };
      const tpl = await db
        .insertInto('config_templates')
        .values({
          name: `lost-${engine}`,
          body: before.replace(/^router bgp (\d+)$/m, `router bgp $1\n neighbor ${ghost} remote-as 65099`),
          ...stamp,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const p = await db
        .insertInto('platforms')
        .values({ name: 'FRR', slug: 'frr', driver: 'frr', ...stamp })
        .returning('id')
        .executeTakeFirstOrThrow();
      await db
        .insertInto('routers')
        .values({
          name: 'lab-frr',
          hostname: sshHost(),
          platform_id: p.id,
          local_asn: lab.nodes.frr.asn,
          status: 'active',
          config_template_id: tpl.id,
          credentials_enc: new SecretBox(KEY).encrypt(JSON.stringify(creds())),
          ...stamp,
        })
        .execute();

      const confirmS = 30; // the API's and the CLI's minimum
      const child = spawn(
        process.execPath,
        [join(dir, 'deploy-cli.mjs'), 'deploy', 'lab-frr', '--confirm-timeout', String(confirmS)],
        {
          cwd: ROOT,
          stdio: 'ignore',
          env: {
            ...process.env,
            PEERDESK_DATABASE_URL: url,
            PEERDESK_DATA_DIR: dir,
            PEERDESK_SECRET_KEY: KEY,
            PEERDESK_LOG_LEVEL: 'silent',
            PEERDESK_DEPLOY_REVIEW: '0',
            PEERDESK_DEPLOY_HEALTH_TIMEOUT_S: '600',
          },
        },
      );
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      try {
        // Committed, in the confirm window: the health gate waits for the ghost neighbour.
        await expect
          .poll(
            async () => (await db.selectFrom('deployments').select(['status', 'committed']).executeTakeFirst())?.status,
            { timeout: 90_000, interval: 200 },
          )
          .toBe('confirming');
        expect(await running()).toContain(`neighbor ${ghost} remote-as 65099`);
        expect(await daemonPeers(lab)).toContain(ghost);
      } finally {
        child.kill('SIGKILL'); // the process and its SSH connection are gone mid-window
        await exited;
      }
      const d = await db.selectFrom('deployments').selectAll().executeTakeFirstOrThrow();
      expect(d.log).toContain(`committed with confirmation (reverts by itself after ${confirmS} s)`);
      expect(d.log).not.toContain('health gate passed');
      await expect.poll(running, { timeout: (confirmS + 60) * 1000, interval: 500 }).toBe(before);
      expect(await daemonPeers(lab)).not.toContain(ghost);
      expect(await lab.isEstablished('frr', 'bird')).toBe(true);
    }, 240_000);
  });
});
