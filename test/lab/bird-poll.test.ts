// Live state from a real router: two BIRD 2 daemons peer over loopback; Peerdesk polls one of them
// through its control socket (the Refresh button's job) and shows state, prefixes and history.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startBirdLab, type BirdLab } from '../support/bird-lab.ts';
import pino from 'pino';
import { labSkipReason } from '../support/lab.ts';
import { engines } from '../support/db.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { startWorker } from '../../src/jobs/worker.ts';
import { SecretBox } from '../../src/platform/crypto.ts';
import { parseBirdProtocols } from '../../src/drivers/bird.driver.ts';

const skip = labSkipReason('bird', 'bird2');

describe.skipIf(skip)('polling a real BIRD router', () => {
  let lab: BirdLab;
  const birdc = (name: 'edge' | 'peer', ...cmd: string[]) => lab.birdc(name, ...cmd);
  const waitEstablished = () => lab.waitEstablished();
  beforeAll(async () => {
    lab = await startBirdLab(20000 + (process.pid % 5000));
  }, 30_000);
  afterAll(() => lab?.stop());

  it('parses BIRD output into neighbour states', () => {
    const states = parseBirdProtocols(birdc('edge', 'show', 'protocols', 'all').split('\n').slice(1));
    const b = states.find((s) => s.peer_ip === '127.0.0.2')!;
    expect(b).toMatchObject({ state: 'established', remote_asn: 64501, prefixes_received: 2, prefixes_accepted: 2, prefixes_advertised: 1 });
    expect(states.find((s) => s.peer_ip === '127.0.0.3')!.state).not.toBe('established');
  });

  describe.each(engines())('through the API on %s', (engine) => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp(engine);
    });
    afterAll(async () => t?.close());

    async function runPoll(body: object = {}) {
      const q = await t.api('POST', '/api/peering-sessions/refresh/', body);
      expect(q.status).toBe(202);
      const w = startWorker({ db: t.tdb.db, logger: pino({ level: 'silent' }), pollMs: 20, secrets: new SecretBox('k'.repeat(40)) });
      try {
        for (let i = 0; i < 200; i++) {
          const j = (await t.api('GET', `/api/jobs/${q.body.job_id}/`)).body;
          if (['succeeded', 'failed'].includes(j.status)) return j;
          await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error('poll job did not finish');
      } finally {
        await w.stop();
      }
    }

    it('Refresh polls the router and the session list shows live state, prefixes and history', async () => {
      await waitEstablished();
      const platform = (await t.api('POST', '/api/platforms/', { name: 'BIRD 2', driver: 'bird2' })).body;
      const router = (await t.api('POST', '/api/routers/', { name: 'edge', local_asn: 64500, platform: platform.id, hostname: lab.edgeHostname, polling_enabled: true })).body;
      await t.api('POST', '/api/peer-asns/bulk/', [{ asn: 64501, name: 'Peer B', ipv4_max_prefixes: 2 }, { asn: 64502, name: 'Dead C' }, { asn: 64503, name: 'Ghost' }]);
      const ids: Record<string, number> = {};
      for (const [ip, asn] of [['127.0.0.2', 64501], ['127.0.0.3', 64502], ['127.0.0.9', 64503]] as const) {
        const peer = (await t.api('POST', '/api/bgp-peers/', { router: router.id, peer_ip: ip, source_ip: '127.0.0.1', remote_asn: asn })).body;
        ids[ip] = (await t.api('POST', '/api/peering-sessions/', { bgp_peer: peer.id })).body.id;
      }
      const job = await runPoll();
      expect(job.status, JSON.stringify(job)).toBe('succeeded');
      expect(job.result).toMatchObject({ routers: 1, failed: 0 });
      const live = (await t.api('GET', `/api/peering-sessions/${ids['127.0.0.2']}/`)).body;
      expect(live).toMatchObject({ state: 'established', prefixes_received: 2, prefixes_accepted: 2, prefixes_advertised: 1, max_prefixes: 2 });
      expect(Date.parse(live.state_since)).toBeLessThanOrEqual(Date.now());
      const dead = (await t.api('GET', `/api/peering-sessions/${ids['127.0.0.3']}/`)).body;
      expect(['active', 'connect', 'idle']).toContain(dead.state);
      const ghost = (await t.api('GET', `/api/peering-sessions/${ids['127.0.0.9']}/`)).body;
      expect(ghost).toMatchObject({ state: 'unknown', last_error: 'not configured on the router' });
      expect((await t.api('GET', '/api/peering-sessions/?state=established')).body.count).toBe(1);
      expect((await t.api('GET', `/api/routers/${router.id}/state-summary/`)).body.by_state.established).toBe(1);

      // The peer shuts its session: the next poll records the change with the previous state.
      birdc('peer', 'disable', 'edge_a');
      await new Promise((r) => setTimeout(r, 500));
      await runPoll({ session_ids: [ids['127.0.0.2']] });
      const down = (await t.api('GET', `/api/peering-sessions/${ids['127.0.0.2']}/`)).body;
      expect(down.state).not.toBe('established');
      const history = (await t.api('GET', `/api/peering-sessions/${ids['127.0.0.2']}/state-history/`)).body;
      expect(history.map((h: any) => h.state)).toEqual(['established', down.state]);
      expect(history[1].previous_state).toBe('established');
      birdc('peer', 'enable', 'edge_a');
    });

    it('reports an unreachable router in the job instead of failing silently', async () => {
      const platform = (await t.api('GET', '/api/platforms/?driver=bird2')).body.results[0];
      const router = (await t.api('POST', '/api/routers/', { name: 'gone', local_asn: 64500, platform: platform.id, hostname: `unix:${join(lab.dir, 'nope.ctl')}` })).body;
      const q = await t.api('POST', `/api/routers/${router.id}/poll/`);
      expect(q.status).toBe(202);
      const w = startWorker({ db: t.tdb.db, logger: pino({ level: 'silent' }), pollMs: 20 });
      try {
        for (let i = 0; i < 200; i++) {
          const j = (await t.api('GET', `/api/jobs/${q.body.job_id}/`)).body;
          if (j.status === 'succeeded') {
            expect(j.result.failed).toBe(1);
            expect(j.result.results[0].error).toMatch(/BIRD at .*nope\.ctl/);
            return;
          }
          await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error('poll job did not finish');
      } finally {
        await w.stop();
      }
    });
  });
});
