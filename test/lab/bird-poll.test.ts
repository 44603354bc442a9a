// Live state from a real router: two BIRD 2 daemons peer over loopback; Peerdesk polls one of them
// through its control socket (the Refresh button's job) and shows state, prefixes and history.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { labSkipReason } from '../support/lab.ts';
import { engines } from '../support/db.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { startWorker } from '../../src/jobs/worker.ts';
import { SecretBox } from '../../src/platform/crypto.ts';
import { parseBirdProtocols } from '../../src/drivers/bird.driver.ts';

const skip = labSkipReason('bird', 'bird2');
const BASE_PORT = 20000 + (process.pid % 5000);

function birdConf(routerId: string, local: string, localPort: number, as: number, neighbors: { ip: string; port: number; as: number; name: string }[], routes: string[]): string {
  return `router id ${routerId};
timeformat protocol iso long;
protocol device {}
protocol static announced { ipv4; ${routes.map((r) => `route ${r} blackhole;`).join(' ')} }
${neighbors
  .map(
    (n) => `protocol bgp ${n.name} {
  local ${local} port ${localPort} as ${as};
  neighbor ${n.ip} port ${n.port} as ${n.as};
  multihop 2; hold time 9; connect retry time 1;
  ipv4 { import all; export all; };
}`,
  )
  .join('\n')}
`;
}

describe.skipIf(skip)('polling a real BIRD router', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pd-bird-'));
  const started: string[] = [];
  const start = (name: string, conf: string) => {
    writeFileSync(join(dir, `${name}.conf`), conf);
    execFileSync('bird', ['-c', join(dir, `${name}.conf`), '-s', join(dir, `${name}.ctl`), '-P', join(dir, `${name}.pid`)]);
    started.push(name);
  };
  const birdc = (name: string, ...cmd: string[]) => execFileSync('birdc', ['-s', join(dir, `${name}.ctl`), ...cmd], { encoding: 'utf8' });

  const waitEstablished = async () => {
    for (let i = 0; i < 150; i++) {
      // Up, and both of the peer's routes imported (they follow the OPEN by a moment).
      if (/Routes:\s+2 imported/.test(birdc('edge', 'show', 'protocols', 'all', 'peer_b'))) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('BIRD session did not come up');
  };

  beforeAll(async () => {
    // "edge" is our router (AS64500); "peer" (AS64501) announces two prefixes; 127.0.0.3 never answers.
    start('edge', birdConf('192.0.2.1', '127.0.0.1', BASE_PORT, 64500, [{ ip: '127.0.0.2', port: BASE_PORT + 1, as: 64501, name: 'peer_b' }, { ip: '127.0.0.3', port: BASE_PORT + 2, as: 64502, name: 'dead_c' }], ['192.0.2.0/24']));
    start('peer', birdConf('192.0.2.2', '127.0.0.2', BASE_PORT + 1, 64501, [{ ip: '127.0.0.1', port: BASE_PORT, as: 64500, name: 'edge_a' }], ['198.51.100.0/24', '203.0.113.0/24']));
    await waitEstablished();
  }, 30_000);
  afterAll(() => {
    for (const name of started) {
      try {
        process.kill(Number(readFileSync(join(dir, `${name}.pid`), 'utf8')), 'SIGTERM');
      } catch {}
    }
    rmSync(dir, { recursive: true, force: true });
  });

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
      const router = (await t.api('POST', '/api/routers/', { name: 'edge', local_asn: 64500, platform: platform.id, hostname: `unix:${join(dir, 'edge.ctl')}`, polling_enabled: true })).body;
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
      const router = (await t.api('POST', '/api/routers/', { name: 'gone', local_asn: 64500, platform: platform.id, hostname: `unix:${join(dir, 'nope.ctl')}` })).body;
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
