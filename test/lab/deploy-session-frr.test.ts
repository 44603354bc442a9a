// Session actions on a real FRR bgpd (lab on 127.0.9.0/24, peering with BIRD and GoBGP): a session to
// GoBGP created with the wizard and a template that renders one `neighbor` line set per session.
// Configure puts the neighbour on bgpd and it reaches Established; a second Configure commits nothing;
// the Config Manager's one-time commands land on bgpd; remove-from-router takes it off bgpd (BIRD's
// session untouched) and deletes the session and its BGP peer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
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
const shared = sharedLab(9);
afterAll(() => shared.stop(), 60_000);

describe.skipIf(skip)('session actions on FRR', () => {
  let lab: DaemonLab;
  const saved = { dirs: process.env.PEERDESK_SOCKET_DIRS, state: process.env.PEERDESK_FRR_STATE_DIR };
  let template = '';
  beforeAll(async () => {
    lab = await shared.lab();
    process.env.PEERDESK_SOCKET_DIRS = lab.dir;
    process.env.PEERDESK_FRR_STATE_DIR = join(lab.dir, 'frr-state');
    await lab.waitAllEstablished();
    const full = await lab.vtysh('show running-config');
    const ip = lab.nodes.gobgp.ip;
    // Every line naming the GoBGP neighbour becomes one line per session of the router.
    template = full
      .split('\n')
      .map((l) =>
        l.includes(ip) ? `{% for s in sessions %}${l.split(ip).join('{{ s.peer_ip }}')}\n{% endfor %}` : `${l}\n`,
      )
      .join('');
    expect(template).toContain('{{ s.peer_ip }}');
    // The neighbour goes away behind Peerdesk's back; the session will bring it back.
    await lab.removeNeighbor('frr', ip);
    await lab.waitSession('frr', 'gobgp', false);
  }, 120_000);
  afterAll(() => {
    for (const [k, v] of [
      ['PEERDESK_SOCKET_DIRS', saved.dirs],
      ['PEERDESK_FRR_STATE_DIR', saved.state],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  const running = () => lab.vtysh('show running-config');

  describe.each(engines())('on %s', (engine) => {
    let t: TestApp;
    let routerId = 0;

    async function act(path: string, body: Record<string, unknown>) {
      const r = await t.api('POST', path, body);
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      const w = startWorker({
        db: t.tdb.db,
        logger: pino({ level: 'silent' }),
        pollMs: 20,
        secrets: new SecretBox('k'.repeat(40)),
      });
      try {
        for (let i = 0; i < 2400; i++) {
          const j = (await t.api('GET', `/api/jobs/${r.body.job_id}/`)).body;
          if (['succeeded', 'failed', 'cancelled'].includes(j.status))
            return (await t.api('GET', `/api/deployments/${r.body.deployment.id}/`)).body;
          await new Promise((res) => setTimeout(res, 50));
        }
        throw new Error('deploy job did not finish');
      } finally {
        await w.stop();
      }
    }

    beforeAll(async () => {
      t = await startTestApp(engine);
      if (!t.app.hasRoute({ method: 'POST', url: '/api/routers/:id/deploy/' })) await t.app.register(deployRoutes);
      const platform = (await t.api('POST', '/api/platforms/', { name: 'lab frr', driver: 'frr' })).body;
      const tpl = await t.api('POST', '/api/templates/', { name: `session-frr-${engine}`, body: template });
      expect(tpl.status, JSON.stringify(tpl.body)).toBe(201);
      const r = await t.api('POST', '/api/routers/', {
        name: 'lab-frr',
        local_asn: lab.nodes.frr.asn,
        platform: platform.id,
        hostname: lab.nodes.frr.ip,
        config_template: tpl.body.id,
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      routerId = r.body.id;
      // The vty socket is in a temporary directory: set directly (the API allows only the app config's PEERDESK_SOCKET_DIRS).
      await t.tdb.db.updateTable('routers').set({ hostname: lab.hostnames.frr }).where('id', '=', routerId).execute();
    }, 60_000);
    afterAll(() => t?.close());

    it('Configure adds the session on bgpd and it reaches Established; remove-from-router takes it off and deletes it', async () => {
      const ip = lab.nodes.gobgp.ip;
      // A previous engine's run that stopped half-way may have left the neighbour on bgpd.
      if ((await running()).includes(ip)) {
        await lab.removeNeighbor('frr', ip);
        await lab.waitSession('frr', 'gobgp', false);
      }
      const before = await running();
      expect(before).not.toContain(ip);
      const w = await t.api('POST', '/api/peering-sessions/wizard/', {
        router: routerId,
        peer: { asn: lab.nodes.gobgp.asn, name: 'Lab GoBGP', ipv4: ip },
      });
      expect(w.status, JSON.stringify(w.body)).toBe(201);
      const s = w.body[0].id;

      const dry = await act(`/api/peering-sessions/${s}/configure/`, { dry_run: true });
      expect([dry.status, dry.action]).toEqual(['done', 'configure']);
      expect(dry.diff).toContain(`+ neighbor ${ip} remote-as ${lab.nodes.gobgp.asn}`);
      expect(await running()).toBe(before);

      const d = await act(`/api/peering-sessions/${s}/configure/`, { confirm_timeout: 120 });
      expect([d.status, d.reason], d.log).toEqual(['done', 'applied and confirmed']);
      expect(d.log).toContain('health gate passed; confirmed');
      expect(await lab.isEstablished('frr', 'gobgp')).toBe(true);
      expect(await running()).toContain(`neighbor ${ip} remote-as ${lab.nodes.gobgp.asn}`);

      const again = await act(`/api/peering-sessions/${s}/configure/`, {});
      expect([again.status, again.reason, again.committed]).toEqual(['done', 'no changes: nothing committed', false]);

      // Config Manager: a one-time command appended to the candidate lands on bgpd.
      const cm = await act(`/api/peering-sessions/${s}/config-manager/`, {
        commands_after: ['ip prefix-list PD-ONE-TIME seq 5 permit 203.0.113.0/24'],
      });
      expect([cm.status, cm.edited], cm.log).toEqual(['done', true]);
      expect(await running()).toContain('ip prefix-list PD-ONE-TIME seq 5 permit 203.0.113.0/24');

      // Remove from the router. The one-time prefix list goes too (it is not in the template), which
      // the prefix-list guard refuses: nothing changes and the session stays.
      const peer = (await t.api('GET', `/api/peering-sessions/${s}/`)).body.bgp_peer;
      const refused = await act(`/api/peering-sessions/${s}/remove-from-router/`, {});
      expect([refused.status, refused.failed_check, refused.reason]).toEqual([
        'failed',
        'guard:prefix_list_shrink',
        'refused: prefix list PD-ONE-TIME shrinks from 1 to 0 entries (100%); at most 50% without force; nothing applied',
      ]);
      expect(await running()).toContain(`neighbor ${ip} remote-as`);
      expect((await t.api('GET', `/api/peering-sessions/${s}/`)).status).toBe(200);
      // Forced: off bgpd (BIRD stays up), then the session and its BGP peer are gone.
      const rm = await act(`/api/peering-sessions/${s}/remove-from-router/`, { force: true });
      expect([rm.status, rm.action], rm.log).toEqual(['done', 'deconfigure']);
      expect(rm.diff).toContain(`- neighbor ${ip} remote-as ${lab.nodes.gobgp.asn}`);
      expect(await running()).not.toContain(`neighbor ${ip}`);
      await lab.waitSession('frr', 'gobgp', false);
      expect(await lab.isEstablished('frr', 'bird')).toBe(true);
      expect((await t.api('GET', `/api/peering-sessions/${s}/`)).status).toBe(404);
      expect((await t.api('GET', `/api/bgp-peers/${typeof peer === 'object' ? peer.id : peer}/`)).status).toBe(404);
    }, 240_000);
  });
});
