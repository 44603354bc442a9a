// The FRR driver against a real bgpd in the FRR–BIRD–GoBGP triangle: locally through vtysh and over a
// real sshd; down reasons as FRR reports them after the other side shuts the session.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeDriverConformance } from '../../src/drivers/conformance.ts';
import { driverFor } from '../../src/drivers/registry.ts';
import type { DriverSessionOptions, PeerState, RouterTarget } from '../../src/drivers/driver.types.ts';
import { labSkipReason } from '../support/lab.ts';
import { daemonLabMissing } from '../support/lab/daemons.ts';
import { sshdMissing } from '../support/lab/sshd.ts';
import { sharedLab } from '../support/lab/shared.ts';

const skip =
  labSkipReason('bgpd', 'frr') ??
  labSkipReason('bird', 'bird2') ??
  labSkipReason('gobgpd', 'gobgpd') ??
  daemonLabMissing();
const skipSsh = skip ?? labSkipReason('sshd', 'openssh-server') ?? sshdMissing();
const shared = sharedLab(1);
afterAll(() => shared.stop(), 60_000);

const target = (hostname: string, credentials: RouterTarget['credentials'] = null): RouterTarget => ({
  id: 1,
  name: 'lab-frr',
  hostname,
  driver: 'frr',
  local_asn: 65001,
  credentials,
});
const opts = (dir: string): DriverSessionOptions => ({ signal: new AbortController().signal, socketDirs: [dir] });

describe.skipIf(skip)('FRR driver, local vtysh', () => {
  describeDriverConformance('frr', async () => {
    const lab = await shared.lab();
    return {
      router: target(lab.hostnames.frr),
      opts: { socketDirs: [lab.dir] },
      expected: [
        { peer_ip: lab.nodes.bird.ip, vrf: null, remote_asn: 65002, state: 'established' },
        { peer_ip: lab.nodes.gobgp.ip, vrf: null, remote_asn: 65003, state: 'established' },
      ],
      toggle: { vrf: null, peer_ip: lab.nodes.bird.ip },
      observe: (_p, up) => lab.waitSession('bird', 'frr', up),
      teardown: async () => {},
    };
  });

  it('reports the counts, description and the peer that announced its prefixes', async () => {
    const lab = await shared.lab();
    await lab.waitAllEstablished();
    const s = await (await driverFor('frr'))!.open(target(lab.hostnames.frr), opts(lab.dir));
    try {
      const list = await s.listNeighbors();
      expect(list.find((n) => n.peer_ip === lab.nodes.gobgp.ip)).toMatchObject({
        remote_asn: 65003,
        local_asn: 65001,
        local_ip: lab.nodes.frr.ip,
        description: 'lab gobgp',
        prefixes_received: 3,
        prefixes_accepted: 3,
        prefixes_advertised: 2,
        families: [{ afi_safi: 'ipv4-unicast', received: 3, accepted: 3, advertised: 2 }],
      });
      const cfg = await s.getRunningConfig!();
      expect(cfg).toContain('router bgp 65001');
      expect(cfg).toContain(`neighbor ${lab.nodes.bird.ip} remote-as 65002`);
    } finally {
      await s.close();
    }
  }, 180_000);

  it('shows why a session went down when BIRD shuts it with an RFC 8203 message, and a persistent shutdown of its own', async () => {
    const lab = await shared.lab();
    await lab.waitAllEstablished();
    const bird = lab.nodes.bird.ip;
    const s = await (await driverFor('frr'))!.open(target(lab.hostnames.frr), opts(lab.dir));
    try {
      await lab.birdc('disable frr "maintenance window 42"');
      await expect
        .poll(async () => (await s.listNeighbors()).find((n) => n.peer_ip === bird), { timeout: 30_000 })
        .toMatchObject({
          admin_down: false,
          last_error: 'Cease/Administrative Shutdown (received): "maintenance window 42"',
        });
      const down = (await s.listNeighbors()).find((n) => n.peer_ip === bird) as PeerState;
      expect(['idle', 'connect', 'active']).toContain(down.state);
      await lab.birdc('enable frr');
      await lab.waitSession('frr', 'bird', true);

      // Our own shutdown is in the running configuration, with its message, and saved to the file bgpd
      // starts from (bgpd -f), not to the host's integrated /etc/frr/frr.conf; BIRD hears the message.
      const hostConf = () =>
        existsSync('/etc/frr/frr.conf')
          ? createHash('sha256').update(readFileSync('/etc/frr/frr.conf')).digest('hex')
          : 'none';
      const hostBefore = hostConf();
      const saved = () => readFileSync(join(lab.frrVtyDir, 'bgpd.conf'), 'utf8');
      await s.setAdminState!({ vrf: null, peer_ip: bird }, false, 'peerdesk: planned work');
      expect(await s.getRunningConfig!()).toContain(`neighbor ${bird} shutdown message peerdesk: planned work`);
      expect(saved()).toContain(`neighbor ${bird} shutdown message peerdesk: planned work`);
      expect(hostConf()).toBe(hostBefore);
      await lab.waitSession('bird', 'frr', false);
      await expect
        .poll(async () => (await s.listNeighbors()).find((n) => n.peer_ip === bird), { timeout: 30_000 })
        .toMatchObject({ state: 'admin-down', admin_down: true, last_error: 'Administrative shutdown' });
      await s.setAdminState!({ vrf: null, peer_ip: bird }, true);
      expect(await s.getRunningConfig!()).not.toContain(`neighbor ${bird} shutdown`);
      expect(saved()).not.toContain(`neighbor ${bird} shutdown`);
      expect(saved()).toContain(`neighbor ${bird} remote-as 65002`);
      await lab.waitSession('bird', 'frr', true);
      await expect(s.setAdminState!({ vrf: null, peer_ip: '192.0.2.99' }, false)).rejects.toMatchObject({
        code: 'router_error',
      });
    } finally {
      await lab.birdc('enable frr').catch(() => {});
      await s.setAdminState!({ vrf: null, peer_ip: bird }, true).catch(() => {});
      await s.close();
    }
  }, 180_000);

  it("lists a neighbour added through frr's own CLI behind Peerdesk's back, and drops it once removed", async () => {
    const lab = await shared.lab();
    const ip = `127.0.${lab.net}.9`;
    await lab.addNeighbor('frr', { ip, asn: 65009, description: 'added by hand' });
    const s = await (await driverFor('frr'))!.open(target(lab.hostnames.frr), opts(lab.dir));
    try {
      await expect
        .poll(async () => (await s.listNeighbors()).find((n) => n.peer_ip === ip), { timeout: 30_000 })
        .toMatchObject({ vrf: null, remote_asn: 65009, description: 'added by hand' });
      const added = (await s.listNeighbors()).find((n) => n.peer_ip === ip)!;
      expect(['idle', 'connect', 'active']).toContain(added.state);
      await lab.removeNeighbor('frr', ip);
      await expect
        .poll(async () => (await s.listNeighbors()).map((n) => n.peer_ip).sort(), { timeout: 30_000 })
        .toEqual([lab.nodes.bird.ip, lab.nodes.gobgp.ip].sort());
    } finally {
      await lab.removeNeighbor('frr', ip).catch(() => {});
      await s.close();
    }
  }, 180_000);
});

describe.skipIf(skipSsh)('FRR driver over SSH (real sshd)', () => {
  describeDriverConformance('frr', async () => {
    const [lab, sshd] = await Promise.all([shared.lab(), shared.sshd()]);
    return {
      router: target(`ssh://${sshd.user}@127.0.0.1:${sshd.port}${lab.frrVtyDir}`, {
        ssh_private_key: sshd.privateKey,
        ssh_host_key: sshd.hostKeyFingerprint,
      }),
      expected: [
        { peer_ip: lab.nodes.bird.ip, vrf: null, remote_asn: 65002, state: 'established' },
        { peer_ip: lab.nodes.gobgp.ip, vrf: null, remote_asn: 65003, state: 'established' },
      ],
      toggle: { vrf: null, peer_ip: lab.nodes.bird.ip },
      observe: (_p, up) => lab.waitSession('bird', 'frr', up),
      teardown: async () => {},
    };
  });

  it('checks the host key: a wrong pin or no pin is refused, the skip flag connects', async () => {
    const [lab, sshd] = await Promise.all([shared.lab(), shared.sshd()]);
    const frr = (await driverFor('frr'))!;
    const host = `ssh://${sshd.user}@127.0.0.1:${sshd.port}${lab.frrVtyDir}`;
    const o = { signal: new AbortController().signal, timeoutMs: 10_000 };
    await expect(
      frr.open(
        target(host, {
          ssh_private_key: sshd.privateKey,
          ssh_host_key: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
        }),
        o,
      ),
    ).rejects.toMatchObject({
      code: 'router_unreachable',
      message: expect.stringContaining('does not match the pinned ssh_host_key'),
    });
    await expect(frr.open(target(host, { ssh_private_key: sshd.privateKey }), o)).rejects.toMatchObject({
      message: expect.stringContaining(`host key ${sshd.hostKeyFingerprint} is not pinned`),
    });
    const s = await frr.open(target(host, { ssh_private_key: sshd.privateKey, insecure_skip_host_key: true }), o);
    try {
      expect((await s.listNeighbors()).length).toBe(2);
    } finally {
      await s.close();
    }
  }, 180_000);

  it('fails authentication with a key the server does not know, without echoing it', async () => {
    const [lab, sshd] = await Promise.all([shared.lab(), shared.sshd()]);
    const { generateKeyPairSync } = await import('node:crypto');
    const other = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const err = await (await driverFor('frr'))!
      .open(
        target(`ssh://${sshd.user}@127.0.0.1:${sshd.port}${lab.frrVtyDir}`, {
          ssh_private_key: other,
          ssh_host_key: sshd.hostKeyFingerprint,
        }),
        { signal: new AbortController().signal, timeoutMs: 10_000 },
      )
      .then(
        () => null,
        (e: Error & { code?: string }) => e,
      );
    expect(err).toMatchObject({ code: 'router_unreachable' });
    expect(err!.message).not.toContain(other.split('\n')[1].slice(0, 20));
  }, 180_000);

  it('logs in with a password too, and a wrong password fails without showing it', async () => {
    const [lab, sshd] = await Promise.all([shared.lab(), shared.sshd()]);
    const frr = (await driverFor('frr'))!;
    const { user, password } = sshd.passwordUser;
    const host = `ssh://${user}@127.0.0.1:${sshd.port}${lab.frrVtyDir}`;
    const logs: string[] = [];
    const o = { signal: new AbortController().signal, timeoutMs: 10_000, log: (m: string) => void logs.push(m) };
    const s = await frr.open(target(host, { password, ssh_host_key: sshd.hostKeyFingerprint }), o);
    await s.close();
    const wrong = `${password}x`;
    const err = await frr.open(target(host, { password: wrong, ssh_host_key: sshd.hostKeyFingerprint }), o).then(
      () => null,
      (e: Error & { code?: string }) => e,
    );
    expect(err).toMatchObject({
      code: 'router_unreachable',
      message: expect.stringContaining(`authentication as ${user} failed`),
    });
    expect(err!.message).not.toContain(password);
    expect(logs.some((l) => l.includes(`ssh ${user}@127.0.0.1:${sshd.port} → connected`))).toBe(true);
    expect(logs.join('\n')).not.toContain(password);
  }, 180_000);
});
