// Deploy to a real FRR bgpd (lab on 127.0.7.0/24, peering with BIRD and GoBGP): a stored template
// whose text the test controls. A deploy that adds the GoBGP neighbour back reaches Established and
// is confirmed; a second deploy commits nothing; a broken candidate and a failing health gate leave
// bgpd's running configuration exactly as before; a revert timer left unconfirmed (lost connection)
// rolls back by itself; a pending revert timer makes the next deployment refuse.
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
import { frrDriver } from '../../src/drivers/frr/frr.driver.ts';
import { ownedText } from '../../src/drivers/frr/frr.config.ts';
import deployRoutes from '../../src/deploy/deploy.routes.ts';

const skip = labSkipReason('bgpd', 'frr') ?? labSkipReason('bird', 'bird2') ?? labSkipReason('gobgpd', 'gobgpd') ?? daemonLabMissing();
const shared = sharedLab(7);
afterAll(() => shared.stop(), 60_000);

describe.skipIf(skip)('deploy to FRR', () => {
  let lab: DaemonLab;
  const saved = { dirs: process.env.PEERDESK_SOCKET_DIRS, state: process.env.PEERDESK_FRR_STATE_DIR, health: process.env.PEERDESK_DEPLOY_HEALTH_TIMEOUT_S };
  let full = '';
  beforeAll(async () => {
    lab = await shared.lab();
    process.env.PEERDESK_SOCKET_DIRS = lab.dir;
    process.env.PEERDESK_FRR_STATE_DIR = join(lab.dir, 'frr-state');
    await lab.waitAllEstablished();
    full = await lab.vtysh('show running-config');
  }, 120_000);
  afterAll(() => {
    for (const [k, v] of [['PEERDESK_SOCKET_DIRS', saved.dirs], ['PEERDESK_FRR_STATE_DIR', saved.state], ['PEERDESK_DEPLOY_HEALTH_TIMEOUT_S', saved.health]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  const running = () => lab.vtysh('show running-config');
  const gobgpIp = () => lab.nodes.gobgp.ip;

  describe.each(engines())('on %s', (engine) => {
    let t: TestApp;
    let routerId = 0;
    let templateId = 0;

    async function deploy(body: Record<string, unknown>) {
      const r = await t.api('POST', `/api/routers/${routerId}/deploy/`, body);
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      const w = startWorker({ db: t.tdb.db, logger: pino({ level: 'silent' }), pollMs: 20, secrets: new SecretBox('k'.repeat(40)) });
      try {
        for (let i = 0; i < 2400; i++) {
          const j = (await t.api('GET', `/api/jobs/${r.body.job_id}/`)).body;
          if (['succeeded', 'failed', 'cancelled'].includes(j.status)) return (await t.api('GET', `/api/deployments/${r.body.deployment.id}/`)).body;
          await new Promise((res) => setTimeout(res, 50));
        }
        throw new Error('deploy job did not finish');
      } finally {
        await w.stop();
      }
    }
    const setTemplate = async (body: string) => expect((await t.api('PATCH', `/api/templates/${templateId}/`, { body })).status).toBe(200);

    beforeAll(async () => {
      t = await startTestApp(engine);
      // Until app.ts lists deploy.routes.ts among its route modules, mount it here (before the first request).
      if (!t.app.hasRoute({ method: 'POST', url: '/api/routers/:id/deploy/' })) await t.app.register(deployRoutes);
      const platform = (await t.api('POST', '/api/platforms/', { name: 'lab frr', driver: 'frr' })).body;
      const tpl = await t.api('POST', '/api/templates/', { name: `deploy-frr-${engine}`, body: full });
      expect(tpl.status, JSON.stringify(tpl.body)).toBe(201);
      templateId = tpl.body.id;
      const r = await t.api('POST', '/api/routers/', { name: 'lab-frr', local_asn: lab.nodes.frr.asn, platform: platform.id, hostname: lab.nodes.frr.ip, config_template: templateId });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      routerId = r.body.id;
      // The vty socket is in a temporary directory: set directly (the API allows only the app config's PEERDESK_SOCKET_DIRS).
      await t.tdb.db.updateTable('routers').set({ hostname: lab.hostnames.frr }).where('id', '=', routerId).execute();
    }, 60_000);
    afterAll(() => t?.close());

    it('adds a neighbour that reaches Established, then a second deploy commits nothing', async () => {
      await setTemplate(full);
      // The GoBGP neighbour disappears behind Peerdesk's back; the template still has it.
      await lab.removeNeighbor('frr', gobgpIp());
      await lab.waitSession('frr', 'gobgp', false);
      const before = await running();

      const dry = await deploy({ dry_run: true });
      expect(dry.status).toBe('done');
      expect(dry.reason).toBe('dry run: diff computed, nothing applied');
      expect(dry.diff).toContain(`+ neighbor ${gobgpIp()} remote-as ${lab.nodes.gobgp.asn}`);
      expect(dry.committed).toBe(false);
      expect(await running()).toBe(before);

      const d = await deploy({ dry_run: false, confirm_timeout: 120 });
      expect(d.status, d.log).toBe('done');
      expect(d.reason).toBe('applied and confirmed');
      expect(d.committed).toBe(true);
      const tplVersion = (await t.api('GET', `/api/templates/${templateId}/`)).body.version;
      expect(d.template).toEqual({ id: templateId, name: `deploy-frr-${engine}`, version: tplVersion });
      expect(d.log).toContain('health gate passed; confirmed');
      expect(await lab.isEstablished('frr', 'gobgp')).toBe(true);
      expect(ownedText(await running())).toBe(ownedText(full));

      const again = await deploy({ dry_run: false });
      expect(again.status).toBe('done');
      expect(again.reason).toBe('no changes: nothing committed');
      expect(again.diff).toBe('');
      expect(again.committed).toBe(false);
      expect(again.log).not.toContain('configure terminal');
      const list = (await t.api('GET', `/api/deployments/?router=${routerId}`)).body;
      expect(list.results.map((x: any) => [x.id, x.status, x.has_changes])).toEqual([
        [again.id, 'done', false],
        [d.id, 'done', true],
        [dry.id, 'done', true],
      ]);
    }, 180_000);

    it('a broken candidate leaves the router exactly as before', async () => {
      const before = await running();
      await setTemplate(`${full}\nrouter bgp ${lab.nodes.frr.asn}\n neighbor 127.0.7.77 remote-as 65077\n neighbor 127.0.7.77 no-such-keyword 5\n`);
      const d = await deploy({ dry_run: false });
      expect(d.status).toBe('failed');
      expect(d.failed_check).toBe('load_candidate');
      expect(d.reason).toMatch(/refused the candidate: .*Unknown command/);
      expect(d.committed).toBe(false);
      expect(await running()).toBe(before);
    }, 120_000);

    it('a failing health gate rolls back and says which check failed', async () => {
      const before = await running();
      process.env.PEERDESK_DEPLOY_HEALTH_TIMEOUT_S = '3';
      try {
        // Nothing answers at 127.0.7.99: the added session never reaches Established.
        await setTemplate(full.replace(/^router bgp (\d+)$/m, `router bgp $1\n neighbor 127.0.7.99 remote-as 65099`));
        const d = await deploy({ dry_run: false, confirm_timeout: 60 });
        expect(d.status, d.log).toBe('rolled_back');
        expect(d.failed_check).toBe('added_sessions_established');
        expect(d.reason).toMatch(/^health gate failed \(added_sessions_established\): added session 127\.0\.7\.99 is \w+, not Established after 3 s; rolled back$/);
        expect(d.committed).toBe(false);
      } finally {
        delete process.env.PEERDESK_DEPLOY_HEALTH_TIMEOUT_S;
      }
      expect(await running()).toBe(before);
      await lab.waitSession('frr', 'gobgp', true);
    }, 120_000);

    it('an unconfirmed commit (lost connection) reverts by itself; a pending one blocks the next deployment', async () => {
      const before = await running();
      const target = { id: routerId, name: 'lab-frr', hostname: lab.hostnames.frr, driver: 'frr', local_asn: lab.nodes.frr.asn, credentials: null };
      const opts = { signal: AbortSignal.timeout(60_000), socketDirs: [lab.dir] };
      const s = await frrDriver.open(target, opts);
      await s.loadCandidate!(full.replace(/^router bgp (\d+)$/m, `router bgp $1\n neighbor 127.0.7.98 remote-as 65098`), 'replace');
      await s.commitConfirmed!(3);
      expect(await running()).toContain('neighbor 127.0.7.98 remote-as 65098');
      expect(await s.pendingConfirm!()).toBe(true);
      // Someone else's pending confirm: Peerdesk refuses to deploy over it.
      await setTemplate(full);
      const d = await deploy({ dry_run: false });
      expect(d.status).toBe('failed');
      expect(d.failed_check).toBe('pending_confirm');
      await s.close(); // the connection is gone: nobody confirms
      await expect.poll(async () => running(), { timeout: 60_000, interval: 500 }).toBe(before);
      const s2 = await frrDriver.open(target, opts);
      try {
        expect(await s2.pendingConfirm!()).toBe(false);
      } finally {
        await s2.close();
      }
    }, 120_000);
  });
});
