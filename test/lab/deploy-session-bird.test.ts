// Session actions on a real BIRD 2 (lab on 127.0.14.0/24, peering with FRR and GoBGP): a session to GoBGP
// created with the wizard and a template that renders one BGP protocol per session. Configure puts the
// protocol in BIRD and it reaches Established with GoBGP; a second Configure commits nothing;
// DELETE ?remove_from_router=1 takes it out of BIRD (FRR's session untouched) and deletes the session
// and its BGP peer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labSkipReason } from '../support/lab.ts';
import { daemonLabMissing, type DaemonLab } from '../support/lab/daemons.ts';
import { sharedLab } from '../support/lab/shared.ts';
import { engines } from '../support/db.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { startWorker } from '../../src/jobs/worker.ts';
import { SecretBox } from '../../src/platform/crypto.ts';
import deployRoutes from '../../src/deploy/deploy.routes.ts';

const skip =
  labSkipReason('bgpd', 'frr') ??
  labSkipReason('bird', 'bird2') ??
  labSkipReason('gobgpd', 'gobgpd') ??
  daemonLabMissing();
const shared = sharedLab(14);
afterAll(() => shared.stop(), 60_000);

const GOBGP_BLOCK = /\nprotocol bgp gobgp from lab_peer \{[^}]*\}\n?/;

describe.skipIf(skip)('session actions on BIRD', () => {
  let lab: DaemonLab;
  let conf = '';
  let template = '';
  const saved = { dirs: process.env.PEERDESK_SOCKET_DIRS, file: process.env.PEERDESK_BIRD_CONFIG_FILE };
  beforeAll(async () => {
    lab = await shared.lab();
    conf = join(lab.dir, 'bird', 'bird.conf');
    process.env.PEERDESK_SOCKET_DIRS = lab.dir;
    process.env.PEERDESK_BIRD_CONFIG_FILE = conf;
    await lab.waitAllEstablished();
    const full = readFileSync(conf, 'utf8');
    expect(full).toMatch(GOBGP_BLOCK);
    // The GoBGP protocol goes away behind Peerdesk's back; the session will bring it back as its own protocol.
    const without = full.replace(GOBGP_BLOCK, '\n');
    writeFileSync(conf, without);
    expect(await lab.birdc('configure')).toMatch(/Reconfigured|Reconfiguration in progress/);
    await lab.waitSession('gobgp', 'bird', false, 60_000);
    // The file as it is, then one protocol per session of the router (BIRD's braces stay literal in {% raw %}).
    template = `{% raw %}${without}{% endraw %}{% for s in sessions %}protocol bgp pd_s{{ s.id }} from lab_peer {\n  neighbor {{ s.peer_ip }} port ${lab.port} as {{ s.peer_asn }};\n}\n{% endfor %}`;
  }, 120_000);
  afterAll(() => {
    for (const [k, v] of [
      ['PEERDESK_SOCKET_DIRS', saved.dirs],
      ['PEERDESK_BIRD_CONFIG_FILE', saved.file],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  const protocols = async () =>
    (await lab.birdc('show protocols'))
      .split('\n')
      .filter((l) => /\bBGP\b/.test(l))
      .map((l) => l.split(/\s+/)[0])
      .sort();
  const birdState = async (name: string) =>
    /BGP state:\s+(\w+)/.exec(await lab.birdc(`show protocols all ${name}`).catch(() => ''))?.[1] ?? 'gone';

  describe.each(engines())('on %s', (engine) => {
    let t: TestApp;
    let routerId = 0;

    async function waitJob(jobId: number, deploymentId: number) {
      const w = startWorker({
        db: t.tdb.db,
        logger: pino({ level: 'silent' }),
        pollMs: 20,
        secrets: new SecretBox('k'.repeat(40)),
      });
      try {
        for (let i = 0; i < 2400; i++) {
          const j = (await t.api('GET', `/api/jobs/${jobId}/`)).body;
          if (['succeeded', 'failed', 'cancelled'].includes(j.status))
            return (await t.api('GET', `/api/deployments/${deploymentId}/`)).body;
          await new Promise((res) => setTimeout(res, 50));
        }
        throw new Error('deploy job did not finish');
      } finally {
        await w.stop();
      }
    }
    async function configure(s: number, body: Record<string, unknown>) {
      const r = await t.api('POST', `/api/peering-sessions/${s}/configure/`, body);
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      return waitJob(r.body.job_id, r.body.deployment.id);
    }

    beforeAll(async () => {
      t = await startTestApp(engine);
      if (!t.app.hasRoute({ method: 'POST', url: '/api/routers/:id/deploy/' })) await t.app.register(deployRoutes);
      const platform = (await t.api('POST', '/api/platforms/', { name: 'lab bird', driver: 'bird2' })).body;
      const tpl = await t.api('POST', '/api/templates/', { name: `session-bird-${engine}`, body: template });
      expect(tpl.status, JSON.stringify(tpl.body)).toBe(201);
      const r = await t.api('POST', '/api/routers/', {
        name: 'lab-bird',
        local_asn: lab.nodes.bird.asn,
        platform: platform.id,
        hostname: lab.nodes.bird.ip,
        config_template: tpl.body.id,
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      routerId = r.body.id;
      // The control socket is in a temporary directory: set directly (the API allows only the app config's PEERDESK_SOCKET_DIRS).
      await t.tdb.db.updateTable('routers').set({ hostname: lab.hostnames.bird }).where('id', '=', routerId).execute();
    }, 60_000);
    afterAll(() => t?.close());

    it('Configure adds the protocol and it reaches Established; a second Configure commits nothing; remove-from-router takes it out and deletes the session', async () => {
      const ip = lab.nodes.gobgp.ip;
      const before = readFileSync(conf, 'utf8');
      expect(before).not.toContain(`neighbor ${ip} `);
      const protocolsBefore = await protocols();
      const w = await t.api('POST', '/api/peering-sessions/wizard/', {
        router: routerId,
        peer: { asn: lab.nodes.gobgp.asn, name: 'Lab GoBGP', ipv4: ip },
      });
      expect(w.status, JSON.stringify(w.body)).toBe(201);
      const s = w.body[0].id as number;
      const name = `pd_s${s}`;
      const block = `protocol bgp ${name} from lab_peer {\n  neighbor ${ip} port ${lab.port} as ${lab.nodes.gobgp.asn};\n}\n`;

      const dry = await configure(s, { dry_run: true });
      expect([dry.status, dry.action, dry.reason]).toEqual([
        'done',
        'configure',
        'dry run: diff computed, nothing applied',
      ]);
      expect(dry.diff).toContain(`+protocol bgp ${name} from lab_peer {`);
      expect(readFileSync(conf, 'utf8')).toBe(before);

      const d = await configure(s, { confirm_timeout: 120 });
      expect([d.status, d.reason, d.committed, d.session], d.log).toEqual([
        'done',
        'applied and confirmed',
        true,
        { id: s, name: expect.any(String) },
      ]);
      expect(d.log).toContain('health gate passed; confirmed');
      expect(readFileSync(conf, 'utf8')).toBe(`${before}${block}`);
      expect(await protocols()).toEqual([...protocolsBefore, name].sort());
      expect(await birdState(name)).toBe('Established');
      await expect.poll(() => lab.isEstablished('gobgp', 'bird'), { timeout: 60_000, interval: 500 }).toBe(true);

      const again = await configure(s, {});
      expect([again.status, again.reason, again.has_changes, again.committed, again.diff]).toEqual([
        'done',
        'no changes: nothing committed',
        false,
        false,
        '',
      ]);
      expect(again.log).not.toContain('configure "');
      expect(readFileSync(conf, 'utf8')).toBe(`${before}${block}`);

      // Delete with "also remove from the router".
      const peer = (await t.api('GET', `/api/peering-sessions/${s}/`)).body.bgp_peer;
      const del = await t.api('DELETE', `/api/peering-sessions/${s}/?remove_from_router=1`);
      expect(del.status, JSON.stringify(del.body)).toBe(202);
      expect([del.body.deployment.action, del.body.deployment.status]).toEqual(['deconfigure', 'planned']);
      const rm = await waitJob(del.body.job_id, del.body.deployment.id);
      expect([rm.status, rm.reason, rm.action, rm.committed], rm.log).toEqual([
        'done',
        'applied and confirmed',
        'deconfigure',
        true,
      ]);
      expect(rm.diff).toContain(`-protocol bgp ${name} from lab_peer {`);
      expect(rm.log).toContain('and its BGP peer deleted');
      expect(readFileSync(conf, 'utf8')).toBe(before);
      expect(await protocols()).toEqual(protocolsBefore);
      expect(await birdState(name)).toBe('gone');
      await lab.waitSession('gobgp', 'bird', false, 60_000);
      expect(await lab.isEstablished('bird', 'frr')).toBe(true);
      expect((await t.api('GET', `/api/peering-sessions/${s}/`)).status).toBe(404);
      expect((await t.api('GET', `/api/bgp-peers/${typeof peer === 'object' ? peer.id : peer}/`)).status).toBe(404);
    }, 240_000);
  });
});
