// Live state from a real BIRD 2 (in the FRR–BIRD–GoBGP lab on 127.0.5.0/24): the Refresh job polls it
// through its control socket and stores state, counts and history; a peer the router lacks and an
// unreachable router are clear per-router results.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import pino from 'pino';
import { labSkipReason } from '../support/lab.ts';
import { daemonLabMissing, startDaemonLab, type DaemonLab } from '../support/lab/daemons.ts';
import { engines } from '../support/db.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { startWorker } from '../../src/jobs/worker.ts';
import { SecretBox } from '../../src/platform/crypto.ts';

const skip = labSkipReason('bird', 'bird2') ?? daemonLabMissing();

describe.skipIf(skip)('polling a real BIRD router', () => {
  let lab: DaemonLab;
  const savedDirs = process.env.PEERDESK_SOCKET_DIRS;
  beforeAll(async () => {
    lab = await startDaemonLab({ net: 5 });
    process.env.PEERDESK_SOCKET_DIRS = lab.dir;
  }, 120_000);
  afterAll(async () => {
    if (savedDirs === undefined) delete process.env.PEERDESK_SOCKET_DIRS;
    else process.env.PEERDESK_SOCKET_DIRS = savedDirs;
    await lab?.stop();
  }, 60_000);

  describe.each(engines())('through the API on %s', (engine) => {
    let t: TestApp;
    let platformId: number;
    beforeAll(async () => {
      t = await startTestApp(engine);
      platformId = (await t.api('POST', '/api/platforms/', { name: 'BIRD 2', driver: 'bird2' })).body.id;
    });
    afterAll(async () => t?.close());

    async function runJob(jobId: number) {
      const w = startWorker({
        db: t.tdb.db,
        logger: pino({ level: 'silent' }),
        pollMs: 20,
        secrets: new SecretBox('k'.repeat(40)),
      });
      try {
        for (let i = 0; i < 600; i++) {
          const j = (await t.api('GET', `/api/jobs/${jobId}/`)).body;
          if (['succeeded', 'failed'].includes(j.status)) return j;
          await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error('poll job did not finish');
      } finally {
        await w.stop();
      }
    }
    async function addRouter(name: string, hostname: string) {
      const r = (
        await t.api('POST', '/api/routers/', {
          name,
          local_asn: lab.nodes.bird.asn,
          platform: platformId,
          hostname: '127.0.5.2',
          polling_enabled: true,
        })
      ).body;
      // A socket in the lab's temporary directory (the API only takes PEERDESK_SOCKET_DIRS of the app's own config).
      await t.tdb.db.updateTable('routers').set({ hostname }).where('id', '=', r.id).execute();
      return r.id as number;
    }

    it('Refresh stores state, counts, max-prefix and history; a peer the router lacks is marked', async () => {
      await lab.waitAllEstablished();
      const router = await addRouter('lab-bird', lab.hostnames.bird);
      await t.api('POST', '/api/peer-asns/bulk/', [
        { asn: 65001, name: 'Lab FRR', ipv4_max_prefixes: 2 },
        { asn: 65003, name: 'Lab GoBGP' },
        { asn: 65099, name: 'Ghost' },
      ]);
      const ids: Record<string, number> = {};
      for (const [ip, asn] of [
        [lab.nodes.frr.ip, 65001],
        [lab.nodes.gobgp.ip, 65003],
        ['127.0.5.99', 65099],
      ] as const) {
        const peer = (await t.api('POST', '/api/bgp-peers/', { router, peer_ip: ip, remote_asn: asn })).body;
        ids[ip] = (await t.api('POST', '/api/peering-sessions/', { bgp_peer: peer.id })).body.id;
      }
      const job = await runJob((await t.api('POST', '/api/peering-sessions/refresh/', {})).body.job_id);
      expect(job.status, JSON.stringify(job)).toBe('succeeded');
      expect(job.result.failed).toBe(0);
      expect(job.result.routers).toMatchObject([
        {
          id: router,
          name: 'lab-bird',
          ok: true,
          peers: 3,
          neighbors: 2,
          missing: 1,
          unknown: 0,
          max_prefix_warnings: 1,
        },
      ]);
      const frr = (await t.api('GET', `/api/peering-sessions/${ids[lab.nodes.frr.ip]}/`)).body;
      expect(frr).toMatchObject({
        state: 'established',
        prefixes_received: 2,
        prefixes_advertised: 1,
        max_prefixes: 2,
      });
      expect((await t.api('GET', `/api/peering-sessions/${ids[lab.nodes.gobgp.ip]}/`)).body).toMatchObject({
        state: 'established',
        prefixes_received: 3,
      });
      expect((await t.api('GET', `/api/peering-sessions/${ids['127.0.5.99']}/`)).body).toMatchObject({
        state: 'unknown',
        last_error: 'not configured on the router',
      });
      expect(
        (await t.api('GET', `/api/peering-sessions/${ids[lab.nodes.frr.ip]}/state-summary/`)).body.max_prefix,
      ).toEqual({ limit: 2, received: 2, percent: 100, warning: true });

      // FRR shuts its side: the next poll of BIRD records the change and its reason.
      await lab.vtysh(
        'configure terminal',
        `router bgp ${lab.nodes.frr.asn}`,
        `neighbor ${lab.nodes.bird.ip} shutdown message bird-poll test`,
      );
      try {
        await lab.waitSession('bird', 'frr', false, 30_000);
        const again = await runJob(
          (await t.api('POST', '/api/peering-sessions/refresh/', { session_ids: [ids[lab.nodes.frr.ip]] })).body.job_id,
        );
        expect(again.result.routers).toMatchObject([{ name: 'lab-bird', ok: true, changed: 1 }]);
        const down = (await t.api('GET', `/api/peering-sessions/${ids[lab.nodes.frr.ip]}/`)).body;
        expect(down.state).not.toBe('established');
        expect(down.last_error).toBeTruthy();
        const history = (await t.api('GET', `/api/peering-sessions/${ids[lab.nodes.frr.ip]}/state-history/`)).body;
        expect(history.map((h: any) => [h.previous_state, h.state])).toEqual([
          ['unknown', 'established'],
          ['established', down.state],
        ]);
        expect(history[1].reason).toBe(down.last_error);
      } finally {
        await lab.vtysh(
          'configure terminal',
          `router bgp ${lab.nodes.frr.asn}`,
          `no neighbor ${lab.nodes.bird.ip} shutdown`,
        );
      }
      await lab.waitSession('bird', 'frr', true, 60_000);
    }, 120_000);

    it('reports an unreachable router in the job result and on the router, without failing the job', async () => {
      const router = await addRouter('gone', `unix:${join(lab.dir, 'nope.ctl')}`);
      const job = await runJob((await t.api('POST', `/api/routers/${router}/poll/`)).body.job_id);
      expect(job.status).toBe('succeeded');
      expect(job.result.failed).toBe(1);
      expect(job.result.routers[0]).toMatchObject({ id: router, name: 'gone', ok: false });
      expect(job.result.routers[0].error).toMatch(/nope\.ctl|unreachable|ENOENT/i);
      const live = (await t.api('GET', `/api/routers/${router}/live/`)).body;
      expect(live.last_poll_error).toBe(job.result.routers[0].error);
      expect(live.last_poll_job_id).toBe(job.id);
    }, 60_000);
  });
});
