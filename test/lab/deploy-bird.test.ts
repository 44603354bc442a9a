// Deploy to a real BIRD 2 (lab on 127.0.8.0/24): the whole configuration file is Peerdesk's. A deploy
// that adds the GoBGP protocol back reaches Established and replaces the file only once confirmed; a
// second deploy commits nothing; a broken candidate, a failing health gate and an unconfirmed
// `configure … timeout` (lost connection) all leave BIRD and its file exactly as before.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labSkipReason } from '../support/lab.ts';
import { daemonLabMissing } from '../support/lab/daemons.ts';
import { useDeployApp, useDeployLab } from '../support/lab/deploy-fixture.ts';
import { sharedLab } from '../support/lab/shared.ts';
import { engines } from '../support/db.ts';
import { birdDriver } from '../../src/drivers/bird/bird.driver.ts';

const skip =
  labSkipReason('bgpd', 'frr') ??
  labSkipReason('bird', 'bird2') ??
  labSkipReason('gobgpd', 'gobgpd') ??
  daemonLabMissing();
const shared = sharedLab(8);
afterAll(() => shared.stop(), 60_000);

describe.skipIf(skip)('deploy to BIRD', () => {
  let conf = '';
  const fx = useDeployLab(
    shared,
    (lab) => {
      conf = join(lab.dir, 'bird', 'bird.conf');
      return { PEERDESK_SOCKET_DIRS: lab.dir, PEERDESK_BIRD_CONFIG_FILE: conf };
    },
    () => readFileSync(conf, 'utf8'),
  );
  const protocols = async () =>
    (await fx.lab.birdc('show protocols'))
      .split('\n')
      .filter((l) => /\bBGP\b/.test(l))
      .map((l) => l.split(/\s+/)[0])
      .sort();
  const withExtra = (ip: string, asn: number) =>
    `${fx.full}\nprotocol bgp extra_${ip.split('.').pop()} from lab_peer {\n  neighbor ${ip} port ${fx.lab.port} as ${asn};\n}\n`;

  describe.each(engines())('on %s', (engine) => {
    // Jinja keeps BIRD's braces literal only inside {% raw %}.
    const app = useDeployApp(engine, () => ({
      platform: { name: 'lab bird', driver: 'bird2' },
      template: { name: `deploy-bird-${engine}`, body: `{% raw %}${fx.full}{% endraw %}` },
      router: { name: 'lab-bird', local_asn: fx.lab.nodes.bird.asn, ip: fx.lab.nodes.bird.ip },
      hostname: fx.lab.hostnames.bird,
    }));
    const { deploy, setTemplate } = app;

    it('adds a protocol that reaches Established; a second deploy commits nothing', async () => {
      await setTemplate(`{% raw %}${fx.full}{% endraw %}`);
      // The GoBGP protocol disappears behind Peerdesk's back.
      writeFileSync(conf, fx.full.replace(/\nprotocol bgp gobgp from lab_peer \{[^}]*\}/, ''));
      expect(await fx.lab.birdc('configure')).toMatch(/Reconfigured|Reconfiguration in progress/);
      await fx.lab.waitSession('bird', 'gobgp', false);

      const d = await deploy({ dry_run: false, confirm_timeout: 120 });
      expect(d.status, d.log).toBe('done');
      expect(d.diff).toContain('+protocol bgp gobgp from lab_peer {');
      expect(d.log).toContain('health gate passed; confirmed');
      expect(await fx.lab.isEstablished('bird', 'gobgp')).toBe(true);
      expect(readFileSync(conf, 'utf8')).toBe(fx.full);
      expect(existsSync(`${conf}.peerdesk-candidate`)).toBe(false);

      const again = await deploy({ dry_run: false });
      expect([again.status, again.reason, again.diff, again.committed]).toEqual([
        'done',
        'no changes: nothing committed',
        '',
        false,
      ]);
      expect(again.log).not.toContain('configure "');
    }, 180_000);

    it('a broken candidate leaves BIRD and its file as before', async () => {
      const before = await protocols();
      await setTemplate(`{% raw %}${fx.full}\nprotocol bgp broken from lab_peer { no_such_option 5; }\n{% endraw %}`);
      const d = await deploy({ dry_run: false });
      expect(d.status).toBe('failed');
      expect(d.failed_check).toBe('load_candidate');
      expect(d.reason).toMatch(/refused the candidate: .*syntax error/);
      expect(readFileSync(conf, 'utf8')).toBe(fx.full);
      expect(existsSync(`${conf}.peerdesk-candidate`)).toBe(false);
      expect(await protocols()).toEqual(before);
    }, 120_000);

    it('a failing health gate rolls back (configure undo)', async () => {
      const before = await protocols();
      process.env.PEERDESK_DEPLOY_HEALTH_TIMEOUT_S = '3';
      try {
        await setTemplate(`{% raw %}${withExtra('127.0.8.99', 65099)}{% endraw %}`);
        const d = await deploy({ dry_run: false, confirm_timeout: 60 });
        expect(d.status, d.log).toBe('rolled_back');
        expect(d.failed_check).toBe('added_sessions_established');
        expect(d.reason).toMatch(/added session 127\.0\.8\.99 is \w+, not Established after 3 s; rolled back$/);
      } finally {
        delete process.env.PEERDESK_DEPLOY_HEALTH_TIMEOUT_S;
      }
      await expect.poll(protocols, { timeout: 30_000, interval: 300 }).toEqual(before);
      expect(readFileSync(conf, 'utf8')).toBe(fx.full);
    }, 120_000);

    it('an unconfirmed configure timeout (lost connection) undoes itself', async () => {
      const before = await protocols();
      const s = await birdDriver.open(
        {
          id: app.routerId,
          name: 'lab-bird',
          hostname: fx.lab.hostnames.bird,
          driver: 'bird2',
          local_asn: fx.lab.nodes.bird.asn,
          credentials: null,
        },
        { signal: AbortSignal.timeout(60_000), socketDirs: [fx.lab.dir] },
      );
      await s.loadCandidate!(withExtra('127.0.8.98', 65098), 'replace');
      await s.commitConfirmed!(3);
      expect(await protocols()).toContain('extra_98');
      expect(await s.pendingConfirm!()).toBe(true);
      await s.close();
      await expect.poll(protocols, { timeout: 60_000, interval: 300 }).toEqual(before);
      expect(readFileSync(conf, 'utf8')).toBe(fx.full);
    }, 120_000);
  });
});
