// Deploy to a real BIRD 2 (lab on 127.0.8.0/24): the whole configuration file is Peerdesk's. A deploy
// that adds the GoBGP protocol back reaches Established and replaces the file only once confirmed; a
// second deploy commits nothing; a broken candidate, a failing health gate and an unconfirmed
// `configure … timeout` (lost connection) all leave BIRD and its file exactly as before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labSkipReason } from '../support/lab.ts';
import { daemonLabMissing, type DaemonLab } from '../support/lab/daemons.ts';
import { sharedLab } from '../support/lab/shared.ts';
import { engines } from '../support/db.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { startWorker } from '../../src/jobs/worker.ts';
import { SecretBox } from '../../src/platform/crypto.ts';
import { birdDriver } from '../../src/drivers/bird/bird.driver.ts';
import deployRoutes from '../../src/deploy/deploy.routes.ts';

const skip = labSkipReason('bgpd', 'frr') ?? labSkipReason('bird', 'bird2') ?? labSkipReason('gobgpd', 'gobgpd') ?? daemonLabMissing();
const shared = sharedLab(8);
afterAll(() => shared.stop(), 60_000);

describe.skipIf(skip)('deploy to BIRD', () => {
  let lab: DaemonLab;
  let conf = '';
  let full = '';
  const saved = { dirs: process.env.PEERDESK_SOCKET_DIRS, file: process.env.PEERDESK_BIRD_CONFIG_FILE };
  beforeAll(async () => {
    lab = await shared.lab();
    conf = join(lab.dir, 'bird', 'bird.conf');
    process.env.PEERDESK_SOCKET_DIRS = lab.dir;
    process.env.PEERDESK_BIRD_CONFIG_FILE = conf;
    await lab.waitAllEstablished();
    full = readFileSync(conf, 'utf8');
  }, 120_000);
  afterAll(() => {
    for (const [k, v] of [['PEERDESK_SOCKET_DIRS', saved.dirs], ['PEERDESK_BIRD_CONFIG_FILE', saved.file]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  const protocols = async () => (await lab.birdc('show protocols')).split('\n').filter((l) => /\bBGP\b/.test(l)).map((l) => l.split(/\s+/)[0]).sort();
  const withExtra = (ip: string, asn: number) => `${full}\nprotocol bgp extra_${ip.split('.').pop()} from lab_peer {\n  neighbor ${ip} port ${lab.port} as ${asn};\n}\n`;

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
      if (!t.app.hasRoute({ method: 'POST', url: '/api/routers/:id/deploy/' })) await t.app.register(deployRoutes);
      const platform = (await t.api('POST', '/api/platforms/', { name: 'lab bird', driver: 'bird2' })).body;
      // Jinja keeps BIRD's braces literal only inside {% raw %}.
      const tpl = await t.api('POST', '/api/templates/', { name: `deploy-bird-${engine}`, body: `{% raw %}${full}{% endraw %}` });
      expect(tpl.status, JSON.stringify(tpl.body)).toBe(201);
      templateId = tpl.body.id;
      const r = await t.api('POST', '/api/routers/', { name: 'lab-bird', local_asn: lab.nodes.bird.asn, platform: platform.id, hostname: lab.nodes.bird.ip, config_template: templateId });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      routerId = r.body.id;
      await t.tdb.db.updateTable('routers').set({ hostname: lab.hostnames.bird }).where('id', '=', routerId).execute();
    }, 60_000);
    afterAll(() => t?.close());

    it('adds a protocol that reaches Established; a second deploy commits nothing', async () => {
      await setTemplate(`{% raw %}${full}{% endraw %}`);
      // The GoBGP protocol disappears behind Peerdesk's back.
      writeFileSync(conf, full.replace(/\nprotocol bgp gobgp from lab_peer \{[^}]*\}/, ''));
      expect(await lab.birdc('configure')).toMatch(/Reconfigured|Reconfiguration in progress/);
      await lab.waitSession('bird', 'gobgp', false);

      const d = await deploy({ dry_run: false, confirm_timeout: 120 });
      expect(d.status, d.log).toBe('done');
      expect(d.diff).toContain('+protocol bgp gobgp from lab_peer {');
      expect(d.log).toContain('health gate passed; confirmed');
      expect(await lab.isEstablished('bird', 'gobgp')).toBe(true);
      expect(readFileSync(conf, 'utf8')).toBe(full);
      expect(existsSync(`${conf}.peerdesk-candidate`)).toBe(false);

      const again = await deploy({ dry_run: false });
      expect([again.status, again.reason, again.diff, again.committed]).toEqual(['done', 'no changes: nothing committed', '', false]);
      expect(again.log).not.toContain('configure "');
    }, 180_000);

    it('a broken candidate leaves BIRD and its file as before', async () => {
      const before = await protocols();
      await setTemplate(`{% raw %}${full}\nprotocol bgp broken from lab_peer { no_such_option 5; }\n{% endraw %}`);
      const d = await deploy({ dry_run: false });
      expect(d.status).toBe('failed');
      expect(d.failed_check).toBe('load_candidate');
      expect(d.reason).toMatch(/refused the candidate: .*syntax error/);
      expect(readFileSync(conf, 'utf8')).toBe(full);
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
      expect(readFileSync(conf, 'utf8')).toBe(full);
    }, 120_000);

    it('an unconfirmed configure timeout (lost connection) undoes itself', async () => {
      const before = await protocols();
      const s = await birdDriver.open({ id: routerId, name: 'lab-bird', hostname: lab.hostnames.bird, driver: 'bird2', local_asn: lab.nodes.bird.asn, credentials: null }, { signal: AbortSignal.timeout(60_000), socketDirs: [lab.dir] });
      await s.loadCandidate!(withExtra('127.0.8.98', 65098), 'replace');
      await s.commitConfirmed!(3);
      expect(await protocols()).toContain('extra_98');
      expect(await s.pendingConfirm!()).toBe(true);
      await s.close();
      await expect.poll(protocols, { timeout: 60_000, interval: 300 }).toEqual(before);
      expect(readFileSync(conf, 'utf8')).toBe(full);
    }, 120_000);
  });
});
