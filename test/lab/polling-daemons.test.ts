// Peerdesk against real daemons (FRR, BIRD 2, GoBGP in a triangle on 127.0.4.0/24): import of each
// router's sessions (and none the second time), one Refresh polling all three with state and counts,
// Admin Down on the device seen from the other daemon (with its down reason) and Admin Up restoring
// it, and a drift report listing a neighbour added behind Peerdesk's back with the daemon's own CLI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labSkipReason } from '../support/lab.ts';
import { daemonLabMissing, type DaemonLab, type LabDaemon } from '../support/lab/daemons.ts';
import { sharedLab } from '../support/lab/shared.ts';
import { engines } from '../support/db.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { startWorker } from '../../src/jobs/worker.ts';
import { SecretBox } from '../../src/platform/crypto.ts';
import { openDb } from '../../src/platform/db.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';

const skip =
  labSkipReason('bgpd', 'frr') ??
  labSkipReason('bird', 'bird2') ??
  labSkipReason('gobgpd', 'gobgpd') ??
  daemonLabMissing();
const shared = sharedLab(4);
afterAll(() => shared.stop(), 60_000);

const DRIVER: Record<LabDaemon, string> = { frr: 'frr', bird: 'bird2', gobgp: 'gobgp' };
const DAEMONS: LabDaemon[] = ['frr', 'bird', 'gobgp'];

describe.skipIf(skip)('polling real daemons', () => {
  let lab: DaemonLab;
  const savedDirs = process.env.PEERDESK_SOCKET_DIRS;
  beforeAll(async () => {
    lab = await shared.lab();
    // The lab's sockets live in its temporary directory: allow it for this test file.
    process.env.PEERDESK_SOCKET_DIRS = lab.dir;
  }, 120_000);
  afterAll(() => {
    if (savedDirs === undefined) delete process.env.PEERDESK_SOCKET_DIRS;
    else process.env.PEERDESK_SOCKET_DIRS = savedDirs;
  });

  describe.each(engines())('on %s', (engine) => {
    let t: TestApp;
    const router: Record<string, number> = {};

    async function runJob(jobId: number) {
      const w = startWorker({
        db: t.tdb.db,
        logger: pino({ level: 'silent' }),
        pollMs: 20,
        secrets: new SecretBox('k'.repeat(40)),
      });
      try {
        for (let i = 0; i < 1200; i++) {
          const j = (await t.api('GET', `/api/jobs/${jobId}/`)).body;
          if (['succeeded', 'failed', 'cancelled'].includes(j.status)) return j;
          await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error(`job ${jobId} did not finish`);
      } finally {
        await w.stop();
      }
    }
    const pollRouter = async (d: LabDaemon) =>
      runJob((await t.api('POST', `/api/routers/${router[d]}/poll/`)).body.job_id);
    const sessionOf = async (on: LabDaemon, peer: LabDaemon) =>
      (await t.api('GET', `/api/peering-sessions/?router=${router[on]}&q=${lab.nodes[peer].ip}`)).body.results.find(
        (s: any) => s.peer_ip === lab.nodes[peer].ip,
      );
    /** Polls `on` through Peerdesk until its session to `peer` is (not) Established; bounded. */
    async function waitPolled(on: LabDaemon, peer: LabDaemon, established: boolean) {
      for (let i = 0; i < 60; i++) {
        await pollRouter(on);
        const s = await sessionOf(on, peer);
        if ((s.state === 'established') === established) return s;
        await new Promise((r) => setTimeout(r, 500));
      }
      throw new Error(`${on}→${peer} never ${established ? 'Established' : 'down'} in Peerdesk`);
    }

    beforeAll(async () => {
      t = await startTestApp(engine);
      await lab.waitAllEstablished();
      const fabric = (await t.api('POST', '/api/fabrics/', { name: 'LAB4' })).body;
      expect(
        (await t.api('POST', '/api/peering-networks/', { fabric: fabric.id, name: 'LAB4 LAN', prefix: '127.0.4.0/24' }))
          .status,
      ).toBe(201);
      for (const d of DAEMONS) {
        const platform = (await t.api('POST', '/api/platforms/', { name: `lab ${d}`, driver: DRIVER[d] })).body;
        const r = await t.api('POST', '/api/routers/', {
          name: `lab-${d}`,
          local_asn: lab.nodes[d].asn,
          platform: platform.id,
          hostname: lab.nodes[d].ip,
          polling_enabled: true,
        });
        expect(r.status, JSON.stringify(r.body)).toBe(201);
        router[d] = r.body.id;
        // Socket hostnames in a temporary directory: set directly (the API allows only PEERDESK_SOCKET_DIRS of the app's config).
        await t.tdb.db.updateTable('routers').set({ hostname: lab.hostnames[d] }).where('id', '=', r.body.id).execute();
      }
    }, 120_000);
    afterAll(async () => t?.close());

    it('imports each daemon’s sessions, and a second import creates none', async () => {
      for (const d of DAEMONS) {
        const others = DAEMONS.filter((x) => x !== d);
        const dry = await t.api('POST', `/api/routers/${router[d]}/import/`, { dry_run: true });
        expect(dry.status, JSON.stringify(dry.body)).toBe(200);
        expect(
          dry.body.items.map((i: any) => [i.peer_ip, i.remote_asn, i.action, i.network?.name, i.description]).sort(),
        ).toEqual(others.map((o) => [lab.nodes[o].ip, lab.nodes[o].asn, 'create', 'LAB4 LAN', `lab ${o}`]).sort());
        const real = await t.api('POST', `/api/routers/${router[d]}/import/`, { dry_run: false });
        expect(real.body).toMatchObject({ created: 2, existing: 0, skipped: 0 });
        const again = await t.api('POST', `/api/routers/${router[d]}/import/`, { dry_run: false });
        expect(again.body).toMatchObject({ created: 0, existing: 2, peer_asns_created: [] });
      }
      expect((await t.api('GET', '/api/peering-sessions/')).body.count).toBe(6);
      expect((await t.api('GET', '/api/peer-asns/')).body.results.map((a: any) => a.asn).sort()).toEqual([
        65001, 65002, 65003,
      ]);
    }, 120_000);

    it('one Refresh polls the three routers: all Established with the right counts', async () => {
      await lab.waitAllEstablished();
      const job = await runJob((await t.api('POST', '/api/peering-sessions/refresh/', {})).body.job_id);
      expect(job.status).toBe('succeeded');
      expect(job.result).toMatchObject({ failed: 0 });
      // Results are listed by router name.
      expect(job.result.routers.map((r: any) => [r.name, r.ok, r.peers, r.neighbors, r.missing, r.unknown])).toEqual(
        ['bird', 'frr', 'gobgp'].map((d) => [`lab-${d}`, true, 2, 2, 0, 0]),
      );
      for (const d of DAEMONS) {
        for (const o of DAEMONS.filter((x) => x !== d)) {
          const s = await sessionOf(d, o);
          expect(s, `${d}→${o}`).toMatchObject({
            state: 'established',
            prefixes_received: lab.nodes[o].prefixes.length,
            prefixes_advertised: lab.nodes[d].prefixes.length,
          });
          expect(Date.parse(s.state_since)).toBeLessThanOrEqual(Date.now() + 1000);
        }
      }
      const live = (await t.api('GET', `/api/routers/${router.frr}/live/`)).body;
      expect(live).toMatchObject({
        pollable: true,
        admin_on_device: true,
        last_poll_error: null,
        sessions: 2,
        by_state: { established: 2 },
      });
    }, 120_000);

    for (const [d, peer] of [
      ['bird', 'frr'],
      ['frr', 'gobgp'],
      ['gobgp', 'bird'],
    ] as [LabDaemon, LabDaemon][]) {
      it(`Admin Down on ${d} takes its session to ${peer} down, seen from ${peer}; Admin Up restores it`, async () => {
        await lab.waitAllEstablished();
        const s = await sessionOf(d, peer);
        try {
          const down = await t.api('POST', `/api/peering-sessions/${s.id}/admin-down/`, {
            message: `peerdesk lab ${d}`,
          });
          expect(down.status, JSON.stringify(down.body)).toBe(200);
          expect(down.body).toMatchObject({
            status: 'succeeded',
            applied_on_device: true,
            failed: 0,
            results: [{ ok: true, applied_on_device: true, enabled: false, state: 'admin-down' }],
          });
          await lab.waitSession(peer, d, false, 30_000);
          const seen = await waitPolled(peer, d, false);
          const history = (await t.api('GET', `/api/peering-sessions/${seen.id}/state-history/`)).body;
          expect(history.at(-1)).toMatchObject({ previous_state: 'established', state: seen.state });
          // The down reason as each observer reports it (GoBGP's API does not expose the last NOTIFICATION).
          if (peer === 'frr') expect(seen.last_error).toMatch(/Administrative Shutdown/);
          if (peer !== 'gobgp') {
            expect(seen.last_error, JSON.stringify(seen)).toBeTruthy();
            expect(history.at(-1).reason).toBe(seen.last_error);
          }
        } finally {
          const up = await t.api('POST', `/api/peering-sessions/${s.id}/admin-up/`);
          expect(up.body).toMatchObject({ applied_on_device: true, results: [{ ok: true, enabled: true }] });
        }
        await lab.waitSession(peer, d, true, 60_000);
        const back = await waitPolled(d, peer, true);
        expect(back).toMatchObject({ enabled: true, state: 'established' });
        const summary = (await t.api('GET', `/api/peering-sessions/${(await sessionOf(peer, d)).id}/state-summary/`))
          .body;
        expect(summary.flaps).toBeGreaterThanOrEqual(1);
      }, 180_000);
    }

    it('drift lists a neighbour added behind Peerdesk’s back with each daemon’s own CLI', async () => {
      const add: Record<
        LabDaemon,
        { ip: string; asn: number; add: () => Promise<unknown>; remove: () => Promise<unknown> }
      > = {
        frr: {
          ip: '127.0.4.50',
          asn: 65050,
          add: () =>
            lab.vtysh('configure terminal', `router bgp ${lab.nodes.frr.asn}`, 'neighbor 127.0.4.50 remote-as 65050'),
          remove: () => lab.vtysh('configure terminal', `router bgp ${lab.nodes.frr.asn}`, 'no neighbor 127.0.4.50'),
        },
        gobgp: {
          ip: '127.0.4.51',
          asn: 65051,
          add: () => lab.gobgp('neighbor', 'add', '127.0.4.51', 'as', '65051'),
          remove: () => lab.gobgp('neighbor', 'del', '127.0.4.51'),
        },
        bird: {
          ip: '127.0.4.52',
          asn: 65052,
          add: async () => {
            const conf = join(lab.dir, 'bird', 'bird.conf');
            writeFileSync(
              conf,
              `${readFileSync(conf, 'utf8')}\nprotocol bgp drift_test from lab_peer {\n  neighbor 127.0.4.52 port ${lab.port} as 65052;\n}\n`,
            );
            return lab.birdc('configure');
          },
          remove: async () => {
            const conf = join(lab.dir, 'bird', 'bird.conf');
            writeFileSync(conf, readFileSync(conf, 'utf8').replace(/\nprotocol bgp drift_test[\s\S]*$/, '\n'));
            return lab.birdc('configure');
          },
        },
      };
      for (const d of DAEMONS) {
        const x = add[d];
        await x.add();
        try {
          const drift = await t.api('GET', `/api/routers/${router[d]}/drift/`);
          expect(drift.status, JSON.stringify(drift.body)).toBe(200);
          expect(drift.body.unknown_on_router.map((u: any) => [u.peer_ip, u.remote_asn])).toEqual([[x.ip, x.asn]]);
          expect(drift.body).toMatchObject({ missing_on_router: [], neighbors: 3, peers: 2 });
          // Peerdesk's description is the router's (imported), and admin state agrees.
          expect(drift.body.differences).toEqual([]);
        } finally {
          await x.remove();
        }
      }
    }, 120_000);
  });

  describe('from the command line', () => {
    let dir: string;
    let env: Record<string, string>;
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ['bin/peerdesk.js', ...args], { env, encoding: 'utf8', timeout: 120_000 });
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'pd-polling-cli-'));
      const url = `sqlite:${join(dir, 'cli.db')}`;
      env = {
        ...(process.env as Record<string, string>),
        PEERDESK_DATABASE_URL: url,
        PEERDESK_DATA_DIR: dir,
        PEERDESK_SECRET_KEY: 's'.repeat(40),
        PEERDESK_SOCKET_DIRS: lab.dir,
        PEERDESK_LOG_LEVEL: 'silent',
      };
      const db = await openDb(url);
      await migrateToLatest(db);
      const t = new Date().toISOString();
      const stamp = { created_at: t, updated_at: t, version: 1 };
      const p = await db
        .insertInto('platforms')
        .values({ name: 'BIRD 2', slug: 'bird2', driver: 'bird2', ...stamp })
        .returning('id')
        .executeTakeFirstOrThrow();
      await db
        .insertInto('routers')
        .values({
          name: 'lab-bird',
          hostname: lab.hostnames.bird,
          platform_id: p.id,
          local_asn: lab.nodes.bird.asn,
          status: 'active',
          polling_enabled: true,
          ...stamp,
        })
        .execute();
      await db
        .insertInto('routers')
        .values({
          name: 'gone',
          hostname: `unix:${join(lab.dir, 'gone.ctl')}`,
          platform_id: p.id,
          local_asn: 64500,
          status: 'active',
          polling_enabled: true,
          ...stamp,
        })
        .execute();
      await db.destroy();
    }, 60_000);
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('router import (dry run, then for real, then nothing twice), poll and drift, each with --json', async () => {
      await lab.waitAllEstablished();
      const dry = cli('router', 'import', 'lab-bird', '--dry-run', '--json');
      expect(dry.status, dry.stderr).toBe(0);
      const preview = JSON.parse(dry.stdout);
      expect(preview).toMatchObject({ dry_run: true, neighbors: 2, created: 2, existing: 0 });
      expect(preview.items.map((i: any) => [i.peer_ip, i.action]).sort()).toEqual([
        [lab.nodes.frr.ip, 'create'],
        [lab.nodes.gobgp.ip, 'create'],
      ]);
      const real = cli('router', 'import', 'lab-bird', '--json');
      expect(real.status, real.stderr).toBe(0);
      expect(JSON.parse(real.stdout)).toMatchObject({ dry_run: false, created: 2 });
      const again = cli('router', 'import', 'lab-bird');
      expect(again.status, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/imported 0, 2 already in Peerdesk, 0 skipped/);

      const poll = cli('poll', '--json');
      expect(poll.status).toBe(1); // one router failed
      const res = JSON.parse(poll.stdout);
      expect(res.failed).toBe(1);
      expect(res.routers.map((r: any) => [r.name, r.ok, r.peers])).toEqual([
        ['gone', false, 0],
        ['lab-bird', true, 2],
      ]);
      const onlyBird = cli('poll', '--router', 'lab-bird');
      expect(onlyBird.status, onlyBird.stderr).toBe(0);
      expect(onlyBird.stdout).toMatch(/^lab-bird\treached\t2 neighbours, 2 peers/);

      const drift = cli('router', 'drift', 'lab-bird', '--json');
      expect(drift.status, drift.stdout + drift.stderr).toBe(0);
      expect(JSON.parse(drift.stdout)).toMatchObject({
        neighbors: 2,
        peers: 2,
        in_sync: 2,
        unknown_on_router: [],
        missing_on_router: [],
        differences: [],
      });
      const none = cli('router', 'drift', 'nope');
      expect(none.status).not.toBe(0);
      expect(none.stderr).toMatch(/no router named nope/);
    }, 180_000);
  });
});
