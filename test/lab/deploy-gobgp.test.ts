// Deploy to a real gobgpd (lab on 127.0.12.0/24, peering with FRR and BIRD) from the shipped
// templates/gobgp.j2 (a stored template extends it with the lab's port and source address, the site
// settings gobgpd reads only at start). Peerdesk owns gobgpd's -f file (credentials config_file): a
// deploy writes it and sends SIGHUP with a revert timer armed on the host. Sessions come from the
// wizard: the neighbour it adds reaches Established with BIRD; a second deploy commits nothing; a
// broken candidate and a failing health gate leave the file and the neighbours exactly as before; a
// commit nobody confirms (lost connection) is reverted by the timer and blocks deployments meanwhile.
// Over SSH (a gobgpd whose file is reached through a real sshd): commit, confirm, and the timer's revert.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labSkipReason } from '../support/lab.ts';
import { daemonLabMissing } from '../support/lab/daemons.ts';
import { sshdMissing } from '../support/lab/sshd.ts';
import { useDeployApp, useDeployLab } from '../support/lab/deploy-fixture.ts';
import { sharedLab } from '../support/lab/shared.ts';
import { engines } from '../support/db.ts';
import { gobgpDriver } from '../../src/drivers/gobgp/gobgp.driver.ts';

const skip =
  labSkipReason('bgpd', 'frr') ??
  labSkipReason('bird', 'bird2') ??
  labSkipReason('gobgpd', 'gobgpd') ??
  daemonLabMissing();
const shared = sharedLab(12);
afterAll(() => shared.stop(), 60_000);

describe.skipIf(skip)('deploy to GoBGP', () => {
  const fx = useDeployLab(
    shared,
    (lab) => ({ PEERDESK_GOBGP_STATE_DIR: join(lab.dir, 'gobgp-state') }),
    (lab) => readFileSync(join(lab.dir, 'gobgp', 'gobgpd.toml'), 'utf8'),
  );
  const file = () => join(fx.lab.dir, 'gobgp', 'gobgpd.toml');
  const running = () => readFileSync(file(), 'utf8');
  const me = () => fx.lab.nodes.gobgp;
  /** gobgpd's neighbours as its own CLI lists them: address → AS. */
  const neighbours = async () =>
    Object.fromEntries(
      (JSON.parse(await fx.lab.gobgp('neighbor', '-j')) as { conf: { neighbor_address: string; peer_asn?: number } }[])
        .map((n) => [n.conf.neighbor_address, n.conf.peer_asn ?? null])
        .sort(),
    );
  // The lab's site settings: gobgpd listens on its own address and port, peers listen on the lab port.
  const template = (extraTransport = '') => `{% extends "gobgp.j2" %}
{% block global_config %}
  port = ${fx.lab.port}
  local-address-list = ["${me().ip}"]
{% endblock %}
{% block neighbor_transport %}
    local-address = "${me().ip}"
    remote-port = ${fx.lab.port}${extraTransport}
{% endblock %}
`;

  describe.each(engines())('on %s', (engine) => {
    const app = useDeployApp(engine, () => ({
      platform: { name: 'lab gobgp', driver: 'gobgp' },
      template: { name: `deploy-gobgp-${engine}`, body: template() },
      router: { name: 'lab-gobgp', local_asn: me().asn, ip: me().ip },
      hostname: fx.lab.hostnames.gobgp,
    }));
    const { deploy, setTemplate } = app;
    const wizard = async (asn: number, name: string, ip: string) => {
      const w = await app.t.api('POST', '/api/peering-sessions/wizard/', {
        router: app.routerId,
        peer: { asn, name, ipv4: ip },
      });
      expect(w.status, JSON.stringify(w.body)).toBe(201);
      return Number(w.body[0].id);
    };

    beforeAll(async () => {
      const r = await app.t.api('PATCH', `/api/routers/${app.routerId}/`, {
        router_id: me().ip,
        credentials: { config_file: file() },
      });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      await wizard(fx.lab.nodes.frr.asn, 'Lab FRR', fx.lab.nodes.frr.ip);
    });

    it("renders gobgp.j2 into gobgpd: the wizard's new neighbour reaches Established; a second deploy commits nothing", async () => {
      const frr = fx.lab.nodes.frr;
      const bird = fx.lab.nodes.bird;
      // The router's sessions are FRR only: the first deploy makes the file the template's and drops BIRD.
      // Taking over the lab's hand-written file drops its prefix set `own` (3 entries): the shrink guard
      // refuses that and leaves the file as it was, unless forced.
      const fileBefore = running();
      // (The lab is shared by both engines: only the first engine's run sees the hand-written file.)
      if (fileBefore.includes('prefix-set-name = "own"')) {
        const guarded = await deploy({ dry_run: false, confirm_timeout: 120 });
        expect([guarded.status, guarded.failed_check, guarded.reason]).toEqual([
          'failed',
          'guard:prefix_list_shrink',
          'refused: prefix list own shrinks from 3 to 0 entries (100%); at most 50% without force; nothing applied',
        ]);
        expect(running()).toBe(fileBefore);
      }
      const first = await deploy({ dry_run: false, force: true, confirm_timeout: 120 });
      expect([first.status, first.reason], first.log).toEqual(['done', 'applied and confirmed']);
      expect(running()).toBe(first.candidate);
      expect(await neighbours()).toEqual({ [frr.ip]: frr.asn });
      await fx.lab.waitSession('bird', 'gobgp', false);
      await fx.lab.waitSession('gobgp', 'frr', true);

      await wizard(bird.asn, 'Lab BIRD', bird.ip);
      const before = running();
      const dry = await deploy({ dry_run: true });
      expect([dry.status, dry.reason, dry.committed]).toEqual([
        'done',
        'dry run: diff computed, nothing applied',
        false,
      ]);
      expect(dry.diff).toContain(
        `+    neighbor-address = "${bird.ip}"\n+    peer-as = ${bird.asn}\n+    description = "AS${bird.asn} Lab BIRD"`,
      );
      expect(dry.diff).toContain(`+  neighbor-info-list = ["${bird.ip}"]`);
      expect(running()).toBe(before);

      const d = await deploy({ dry_run: false, confirm_timeout: 120 });
      expect([d.status, d.reason, d.committed], d.log).toEqual(['done', 'applied and confirmed', true]);
      expect(d.log).toContain('health gate passed; confirmed');
      expect(d.diff).toBe(dry.diff);
      expect(running()).toBe(d.candidate);
      expect(await neighbours()).toEqual({ [frr.ip]: frr.asn, [bird.ip]: bird.asn });
      expect(await fx.lab.isEstablished('gobgp', 'bird')).toBe(true);
      expect(await fx.lab.isEstablished('bird', 'gobgp')).toBe(true);
      // RFC 8212: no prefix list and no policy, so gobgpd's defaults reject both ways.
      expect(await fx.lab.gobgp('global', 'policy')).toMatch(
        /Import policy:\s+Default: REJECT\s+Name PEERDESK-IMPORT:\s+Export policy:\s+Default: REJECT\s+Name PEERDESK-EXPORT:\s*$/,
      );

      const again = await deploy({ dry_run: false });
      expect([again.status, again.reason, again.diff, again.committed]).toEqual([
        'done',
        'no changes: nothing committed',
        '',
        false,
      ]);
      expect(again.log).not.toContain('SIGHUP');
      expect(running()).toBe(d.candidate);
    }, 240_000);

    it('a broken candidate leaves the file and the neighbours exactly as before', async () => {
      const before = running();
      const peers = await neighbours();
      await setTemplate(template('\n    no-such-option = 1'));
      try {
        const d = await deploy({ dry_run: false });
        expect([d.status, d.failed_check, d.committed]).toEqual(['failed', 'load_candidate', false]);
        expect(d.reason).toMatch(
          /^the router refused the candidate: .*'neighbors\[\d\]\.transport\.config' has invalid keys: no-such-option/,
        );
      } finally {
        await setTemplate(template());
      }
      expect(running()).toBe(before);
      expect(await neighbours()).toEqual(peers);
    }, 120_000);

    it('a failing health gate rolls back the file and gobgpd', async () => {
      const before = running();
      const peers = await neighbours();
      // Nothing answers at .99: the added session never reaches Established.
      const s = await wizard(65099, 'Nobody', `127.0.${fx.lab.net}.99`);
      process.env.PEERDESK_DEPLOY_HEALTH_TIMEOUT_S = '3';
      try {
        const d = await deploy({ dry_run: false, confirm_timeout: 60 });
        expect([d.status, d.failed_check, d.committed], d.log).toEqual([
          'rolled_back',
          'added_sessions_established',
          false,
        ]);
        expect(d.reason).toMatch(
          new RegExp(
            `^health gate failed \\(added_sessions_established\\): added session 127\\.0\\.${fx.lab.net}\\.99 is \\w+, not Established after 3 s; rolled back$`,
          ),
        );
      } finally {
        delete process.env.PEERDESK_DEPLOY_HEALTH_TIMEOUT_S;
        expect((await app.t.api('DELETE', `/api/peering-sessions/${s}/`)).status).toBe(204);
      }
      expect(running()).toBe(before);
      expect(await neighbours()).toEqual(peers);
    }, 120_000);

    it('an unconfirmed commit (lost connection) reverts the file and the neighbours by itself; a pending one blocks the next deployment', async () => {
      const before = running();
      const peers = await neighbours();
      const target = {
        id: app.routerId,
        name: 'lab-gobgp',
        hostname: fx.lab.hostnames.gobgp,
        driver: 'gobgp',
        local_asn: me().asn,
        credentials: { config_file: file() },
      };
      const extra = `127.0.${fx.lab.net}.98`;
      const s = await gobgpDriver.open(target, { signal: AbortSignal.timeout(60_000) });
      const r = await s.loadCandidate!(
        `${before}\n[[neighbors]]\n  [neighbors.config]\n    neighbor-address = "${extra}"\n    peer-as = 65098\n`,
        'replace',
      );
      expect(r.diff).toContain(`+    neighbor-address = "${extra}"`);
      // The window must outlast the checks below (a deploy job included) on a loaded machine: once it ends,
      // the timer restores and nothing is pending any more.
      await s.commitConfirmed!(20);
      expect(running()).toContain(`neighbor-address = "${extra}"`);
      expect(await neighbours()).toEqual({ ...peers, [extra]: 65098 });
      expect(await s.pendingConfirm!()).toBe(true);
      // Someone else's pending confirm: Peerdesk refuses to deploy over it.
      const d = await deploy({ dry_run: false });
      expect([d.status, d.failed_check]).toEqual(['failed', 'pending_confirm']);
      await s.close(); // the connection is gone: nobody confirms
      await expect.poll(() => running(), { timeout: 60_000, interval: 500 }).toBe(before);
      await expect.poll(() => neighbours(), { timeout: 60_000, interval: 500 }).toEqual(peers);
      const s2 = await gobgpDriver.open(target, { signal: AbortSignal.timeout(60_000) });
      try {
        expect(await s2.pendingConfirm!()).toBe(false);
      } finally {
        await s2.close();
      }
    }, 120_000);
  });
});

describe.skipIf(skip ?? sshdMissing())('GoBGP config over SSH', () => {
  let dir = '';
  let child: ChildProcess | null = null;
  let api = 0;
  const file = () => join(dir, 'gobgpd.toml');
  const base = `[global.config]\n  as = 65012\n  router-id = "127.0.12.30"\n  port = -1\n`;
  // Passive and on loopback: gobgpd never opens a connection.
  const neighbour = (ip: string, asn: number) =>
    `\n[[neighbors]]\n  [neighbors.config]\n    neighbor-address = "${ip}"\n    peer-as = ${asn}\n  [neighbors.transport.config]\n    passive-mode = true\n`;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pd-gobgp-ssh-'));
    chmodSync(dir, 0o711);
    writeFileSync(file(), base + neighbour('127.0.12.31', 65031), { mode: 0o644 });
    api = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const port = (srv.address() as { port: number }).port;
        srv.close(() => resolve(port));
      });
    });
    const runAs =
      process.getuid?.() === 0 ? ['setpriv', '--reuid', 'nobody', '--regid', 'nogroup', '--clear-groups'] : [];
    const [cmd, ...args] = [
      ...runAs,
      'gobgpd',
      '-f',
      file(),
      '--api-hosts',
      `127.0.0.1:${api}`,
      '--pprof-disable',
      '-p',
      '-l',
      'warn',
    ];
    child = spawn(cmd!, args, { stdio: 'ignore' });
  }, 60_000);
  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the file over SSH, confirms, and a commit nobody confirms is reverted by the timer on the host', async () => {
    const sshd = await shared.sshd();
    const target = {
      id: 99,
      name: 'ssh-gobgp',
      hostname: `grpc://127.0.0.1:${api}`,
      driver: 'gobgp',
      local_asn: 65012,
      credentials: {
        username: sshd.user,
        ssh_private_key: sshd.privateKey,
        ssh_host_key: sshd.hostKeyFingerprint,
        port: sshd.port,
        config_file: file(),
      },
    };
    const logs: string[] = [];
    const open = () => gobgpDriver.open(target, { signal: AbortSignal.timeout(90_000), log: (m) => void logs.push(m) });
    const peers = async () => {
      const s = await open();
      try {
        return (await s.listNeighbors())
          .map((n) => [n.peer_ip, n.remote_asn])
          .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
      } finally {
        await s.close();
      }
    };
    await expect
      .poll(() => peers().catch(() => null), { timeout: 30_000, interval: 500 })
      .toEqual([['127.0.12.31', 65031]]);
    const first = readFileSync(file(), 'utf8');
    const s = await open();
    try {
      expect(await s.getRunningConfig!()).toBe(first);
      const second = base + neighbour('127.0.12.31', 65031) + neighbour('127.0.12.32', 65032);
      expect((await s.loadCandidate!(second, 'replace')).diff).toContain('+    neighbor-address = "127.0.12.32"');
      await s.commitConfirmed!(60);
      expect(await s.pendingConfirm!()).toBe(true);
      await s.confirm!();
      expect(await s.pendingConfirm!()).toBe(false);
      expect(readFileSync(file(), 'utf8')).toBe(second);
      expect((await s.listNeighbors()).map((n) => n.peer_ip).sort()).toEqual(['127.0.12.31', '127.0.12.32']);
      expect(logs.some((l) => l.includes('write ') && l.includes('SIGHUP gobgpd'))).toBe(true);

      // Back to one neighbour, unconfirmed: the connection goes away and the host's timer restores `second`.
      await s.loadCandidate!(first, 'replace');
      await s.commitConfirmed!(15);
      expect(readFileSync(file(), 'utf8')).toBe(first);
      expect((await s.listNeighbors()).map((n) => n.peer_ip)).toEqual(['127.0.12.31']);
    } finally {
      await s.close();
    }
    await expect.poll(() => readFileSync(file(), 'utf8'), { timeout: 60_000, interval: 500 }).toContain('127.0.12.32');
    await expect
      .poll(() => peers(), { timeout: 60_000, interval: 500 })
      .toEqual([
        ['127.0.12.31', 65031],
        ['127.0.12.32', 65032],
      ]);
  }, 180_000);
});
