// Deploy to a real FRR bgpd (lab on 127.0.7.0/24, peering with BIRD and GoBGP): a stored template
// whose text the test controls. A deploy that adds the GoBGP neighbour back reaches Established and
// is confirmed; a second deploy commits nothing; a broken candidate and a failing health gate leave
// bgpd's running configuration exactly as before; a revert timer left unconfirmed (lost connection)
// rolls back by itself; a pending revert timer makes the next deployment refuse.
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { labSkipReason } from '../support/lab.ts';
import { daemonLabMissing } from '../support/lab/daemons.ts';
import { useDeployApp, useDeployLab } from '../support/lab/deploy-fixture.ts';
import { sharedLab } from '../support/lab/shared.ts';
import { engines } from '../support/db.ts';
import { frrDriver } from '../../src/drivers/frr/frr.driver.ts';
import { ownedText } from '../../src/drivers/frr/frr.config.ts';

const skip =
  labSkipReason('bgpd', 'frr') ??
  labSkipReason('bird', 'bird2') ??
  labSkipReason('gobgpd', 'gobgpd') ??
  daemonLabMissing();
const shared = sharedLab(7);
afterAll(() => shared.stop(), 60_000);

describe.skipIf(skip)('deploy to FRR', () => {
  const fx = useDeployLab(
    shared,
    (lab) => ({ PEERDESK_SOCKET_DIRS: lab.dir, PEERDESK_FRR_STATE_DIR: join(lab.dir, 'frr-state') }),
    (lab) => lab.vtysh('show running-config'),
  );

  const running = () => fx.lab.vtysh('show running-config');
  const gobgpIp = () => fx.lab.nodes.gobgp.ip;

  describe.each(engines())('on %s', (engine) => {
    const app = useDeployApp(engine, () => ({
      platform: { name: 'lab frr', driver: 'frr' },
      template: { name: `deploy-frr-${engine}`, body: fx.full },
      router: { name: 'lab-frr', local_asn: fx.lab.nodes.frr.asn, ip: fx.lab.nodes.frr.ip },
      hostname: fx.lab.hostnames.frr,
    }));
    const { deploy, setTemplate } = app;

    it('adds a neighbour that reaches Established, then a second deploy commits nothing', async () => {
      await setTemplate(fx.full);
      // The GoBGP neighbour disappears behind Peerdesk's back; the template still has it.
      await fx.lab.removeNeighbor('frr', gobgpIp());
      await fx.lab.waitSession('frr', 'gobgp', false);
      const before = await running();

      const dry = await deploy({ dry_run: true });
      expect(dry.status).toBe('done');
      expect(dry.reason).toBe('dry run: diff computed, nothing applied');
      expect(dry.diff).toContain(`+ neighbor ${gobgpIp()} remote-as ${fx.lab.nodes.gobgp.asn}`);
      expect(dry.committed).toBe(false);
      expect(await running()).toBe(before);

      const d = await deploy({ dry_run: false, confirm_timeout: 120 });
      expect(d.status, d.log).toBe('done');
      expect(d.reason).toBe('applied and confirmed');
      expect(d.committed).toBe(true);
      const tplVersion = (await app.t.api('GET', `/api/templates/${app.templateId}/`)).body.version;
      expect(d.template).toEqual({ id: app.templateId, name: `deploy-frr-${engine}`, version: tplVersion });
      expect(d.log).toContain('health gate passed; confirmed');
      expect(await fx.lab.isEstablished('frr', 'gobgp')).toBe(true);
      expect(ownedText(await running())).toBe(ownedText(fx.full));

      const again = await deploy({ dry_run: false });
      expect(again.status).toBe('done');
      expect(again.reason).toBe('no changes: nothing committed');
      expect(again.diff).toBe('');
      expect(again.committed).toBe(false);
      expect(again.log).not.toContain('configure terminal');
      const list = (await app.t.api('GET', `/api/deployments/?router=${app.routerId}`)).body;
      expect(list.results.map((x: any) => [x.id, x.status, x.has_changes])).toEqual([
        [again.id, 'done', false],
        [d.id, 'done', true],
        [dry.id, 'done', true],
      ]);
    }, 180_000);

    it('a broken candidate leaves the router exactly as before', async () => {
      const before = await running();
      await setTemplate(
        `${fx.full}\nrouter bgp ${fx.lab.nodes.frr.asn}\n neighbor 127.0.7.77 remote-as 65077\n neighbor 127.0.7.77 no-such-keyword 5\n`,
      );
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
        await setTemplate(
          fx.full.replace(/^router bgp (\d+)$/m, `router bgp $1\n neighbor 127.0.7.99 remote-as 65099`),
        );
        const d = await deploy({ dry_run: false, confirm_timeout: 60 });
        expect(d.status, d.log).toBe('rolled_back');
        expect(d.failed_check).toBe('added_sessions_established');
        expect(d.reason).toMatch(
          /^health gate failed \(added_sessions_established\): added session 127\.0\.7\.99 is \w+, not Established after 3 s; rolled back$/,
        );
        expect(d.committed).toBe(false);
      } finally {
        delete process.env.PEERDESK_DEPLOY_HEALTH_TIMEOUT_S;
      }
      expect(await running()).toBe(before);
      await fx.lab.waitSession('frr', 'gobgp', true);
    }, 120_000);

    it('an unconfirmed commit (lost connection) reverts by itself; a pending one blocks the next deployment', async () => {
      const before = await running();
      const target = {
        id: app.routerId,
        name: 'lab-frr',
        hostname: fx.lab.hostnames.frr,
        driver: 'frr',
        local_asn: fx.lab.nodes.frr.asn,
        credentials: null,
      };
      const opts = { signal: AbortSignal.timeout(60_000), socketDirs: [fx.lab.dir] };
      const s = await frrDriver.open(target, opts);
      await s.loadCandidate!(
        fx.full.replace(/^router bgp (\d+)$/m, `router bgp $1\n neighbor 127.0.7.98 remote-as 65098`),
        'replace',
      );
      await s.commitConfirmed!(3);
      expect(await running()).toContain('neighbor 127.0.7.98 remote-as 65098');
      expect(await s.pendingConfirm!()).toBe(true);
      // Someone else's pending confirm: Peerdesk refuses to deploy over it.
      await setTemplate(fx.full);
      const d = await deploy({ dry_run: false });
      expect(d.status).toBe('failed');
      expect(d.failed_check).toBe('pending_confirm');
      await s.close(); // the connection is gone: nobody confirms
      await expect.poll(async () => running(), { timeout: 60_000, interval: 500 }).toBe(before);
      const s2 = await frrDriver.open(target, opts);
      try {
        // The timer's script removes its files just after the restore: polled, not read once.
        await expect.poll(() => s2.pendingConfirm!(), { timeout: 30_000, interval: 200 }).toBe(false);
      } finally {
        await s2.close();
      }
    }, 120_000);
  });
});
