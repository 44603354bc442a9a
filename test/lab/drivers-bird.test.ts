// The BIRD 2 driver against a real BIRD in the FRR–BIRD–GoBGP triangle: through its control socket and
// through birdc over a real sshd; down reasons as BIRD reports them after the other side shuts down.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeDriverConformance } from '../../src/drivers/conformance.ts';
import { driverFor } from '../../src/drivers/registry.ts';
import type { RouterTarget } from '../../src/drivers/driver.types.ts';
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
const shared = sharedLab(2);
afterAll(() => shared.stop(), 60_000);

const target = (hostname: string, credentials: RouterTarget['credentials'] = null): RouterTarget => ({
  id: 2,
  name: 'lab-bird',
  hostname,
  driver: 'bird2',
  local_asn: 65002,
  credentials,
});

describe.skipIf(skip)('BIRD driver, control socket', () => {
  describeDriverConformance('bird2', async () => {
    const lab = await shared.lab();
    return {
      router: target(lab.hostnames.bird),
      opts: { socketDirs: [lab.dir] },
      expected: [
        { peer_ip: lab.nodes.frr.ip, vrf: null, remote_asn: 65001, state: 'established' },
        { peer_ip: lab.nodes.gobgp.ip, vrf: null, remote_asn: 65003, state: 'established' },
      ],
      toggle: { vrf: null, peer_ip: lab.nodes.frr.ip },
      observe: (_p, up) => lab.waitSession('frr', 'bird', up),
      teardown: async () => {},
    };
  });

  it('reads counts, description, local side and down reasons; the socket session serves several commands', async () => {
    const lab = await shared.lab();
    await lab.waitAllEstablished();
    const s = await (await driverFor('bird2'))!.open(target(lab.hostnames.bird), {
      signal: new AbortController().signal,
      socketDirs: [lab.dir],
    });
    try {
      const up = await s.listNeighbors();
      expect(up.find((n) => n.peer_ip === lab.nodes.gobgp.ip)).toMatchObject({
        remote_asn: 65003,
        local_asn: 65002,
        local_ip: lab.nodes.bird.ip,
        description: 'lab gobgp',
        state: 'established',
        prefixes_received: 3,
        prefixes_accepted: 3,
        prefixes_advertised: 1,
        families: [{ afi_safi: 'ipv4-unicast', received: 3, accepted: 3, advertised: 1 }],
      });
      // FRR shuts its side: BIRD reports the Cease it received.
      await lab.vtysh(
        'configure terminal',
        'router bgp 65001',
        `neighbor ${lab.nodes.bird.ip} shutdown message frr maintenance`,
      );
      await expect
        .poll(async () => (await s.listNeighbors()).find((n) => n.peer_ip === lab.nodes.frr.ip), { timeout: 30_000 })
        .toMatchObject({ admin_down: false, last_error: 'Cease/Administrative Shutdown (received)' });
      await lab.vtysh('configure terminal', 'router bgp 65001', `no neighbor ${lab.nodes.bird.ip} shutdown`);
      await lab.waitSession('bird', 'frr', true);
      // A neighbour BIRD has no protocol for is a router error, not a silent success.
      await expect(s.setAdminState!({ vrf: null, peer_ip: '192.0.2.99' }, false)).rejects.toMatchObject({
        code: 'router_error',
      });
    } finally {
      await lab
        .vtysh('configure terminal', 'router bgp 65001', `no neighbor ${lab.nodes.bird.ip} shutdown`)
        .catch(() => {});
      await s.close();
    }
  }, 180_000);

  it("lists a neighbour added through bird's own CLI behind Peerdesk's back, and drops it once removed", async () => {
    const lab = await shared.lab();
    const ip = `127.0.${lab.net}.9`;
    await lab.addNeighbor('bird', { ip, asn: 65009, description: 'added by hand' });
    const s = await (await driverFor('bird2'))!.open(target(lab.hostnames.bird), {
      signal: new AbortController().signal,
      socketDirs: [lab.dir],
    });
    try {
      await expect
        .poll(async () => (await s.listNeighbors()).find((n) => n.peer_ip === ip), { timeout: 30_000 })
        .toMatchObject({ vrf: null, remote_asn: 65009, description: 'added by hand' });
      const added = (await s.listNeighbors()).find((n) => n.peer_ip === ip)!;
      expect(['idle', 'connect', 'active']).toContain(added.state);
      await lab.removeNeighbor('bird', ip);
      await expect
        .poll(async () => (await s.listNeighbors()).map((n) => n.peer_ip).sort(), { timeout: 30_000 })
        .toEqual([lab.nodes.frr.ip, lab.nodes.gobgp.ip].sort());
    } finally {
      await lab.removeNeighbor('bird', ip).catch(() => {});
      await s.close();
    }
  }, 180_000);

  it('makes an admin down persistent with PEERDESK_BIRD_STATE_DIR: the protocol stays down across a BIRD restart', async () => {
    const lab = await shared.lab();
    await lab.waitAllEstablished();
    const bird = (await driverFor('bird2'))!;
    const open = () =>
      bird.open(target(lab.hostnames.bird), { signal: new AbortController().signal, socketDirs: [lab.dir] });
    const frr = { vrf: null, peer_ip: lab.nodes.frr.ip };
    const file = join(lab.birdStateDir, 'frr.disabled');
    process.env.PEERDESK_BIRD_STATE_DIR = lab.birdStateDir;
    try {
      let s = await open();
      await s.setAdminState!(frr, false, 'persist me');
      await s.close();
      expect(readFileSync(file, 'utf8')).toBe('disabled yes;\n');
      await lab.waitSession('frr', 'bird', false);
      await lab.restartBird();
      s = await open();
      try {
        expect((await s.listNeighbors()).find((n) => n.peer_ip === frr.peer_ip)).toMatchObject({
          state: 'admin-down',
          admin_down: true,
        });
        await s.setAdminState!(frr, true);
      } finally {
        await s.close();
      }
      expect(existsSync(file)).toBe(false);
      await lab.waitSession('frr', 'bird', true);
      await lab.restartBird();
      await lab.waitAllEstablished(120_000);
    } finally {
      delete process.env.PEERDESK_BIRD_STATE_DIR;
    }
  }, 300_000);
});

describe.skipIf(skipSsh)('BIRD driver, birdc over SSH (real sshd)', () => {
  describeDriverConformance('bird2', async () => {
    const [lab, sshd] = await Promise.all([shared.lab(), shared.sshd()]);
    return {
      router: target(`ssh://${sshd.user}@127.0.0.1:${sshd.port}${lab.birdSocket}`, {
        ssh_private_key: sshd.privateKey,
        ssh_host_key: sshd.hostKeyFingerprint,
      }),
      expected: [
        { peer_ip: lab.nodes.frr.ip, vrf: null, remote_asn: 65001, state: 'established' },
        { peer_ip: lab.nodes.gobgp.ip, vrf: null, remote_asn: 65003, state: 'established' },
      ],
      toggle: { vrf: null, peer_ip: lab.nodes.frr.ip },
      observe: (_p, up) => lab.waitSession('frr', 'bird', up),
      teardown: async () => {},
    };
  });

  it('keeps the persistent admin state on the router over SSH', async () => {
    const [lab, sshd] = await Promise.all([shared.lab(), shared.sshd()]);
    const file = join(lab.birdStateDir, 'gobgp.disabled');
    process.env.PEERDESK_BIRD_STATE_DIR = lab.birdStateDir;
    const s = await (await driverFor('bird2'))!.open(
      target(`ssh://${sshd.user}@127.0.0.1:${sshd.port}${lab.birdSocket}`, {
        ssh_private_key: sshd.privateKey,
        ssh_host_key: sshd.hostKeyFingerprint,
      }),
      { signal: new AbortController().signal },
    );
    const gobgp = { vrf: null, peer_ip: lab.nodes.gobgp.ip };
    try {
      await s.setAdminState!(gobgp, false, "it's maintenance");
      expect(readFileSync(file, 'utf8')).toBe('disabled yes;\n');
      expect((await s.listNeighbors()).find((n) => n.peer_ip === gobgp.peer_ip)).toMatchObject({
        state: 'admin-down',
        last_error: `Administrative shutdown: "it's maintenance"`,
      });
      await s.setAdminState!(gobgp, true);
      expect(existsSync(file)).toBe(false);
      await lab.waitSession('gobgp', 'bird', true);
    } finally {
      delete process.env.PEERDESK_BIRD_STATE_DIR;
      await s.setAdminState!(gobgp, true).catch(() => {});
      await s.close();
    }
  }, 180_000);
});
