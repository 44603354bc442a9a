// The GoBGP driver against a real gobgpd (gRPC API) in the FRR–BIRD–GoBGP triangle; its RFC 8203
// shutdown communication arrives at FRR.
import { afterAll, describe, expect, it } from 'vitest';
import { describeDriverConformance } from '../../src/drivers/conformance.ts';
import { driverFor } from '../../src/drivers/registry.ts';
import type { RouterTarget } from '../../src/drivers/driver.types.ts';
import { labSkipReason } from '../support/lab.ts';
import { daemonLabMissing } from '../support/lab/daemons.ts';
import { sharedLab } from '../support/lab/shared.ts';

const skip =
  labSkipReason('bgpd', 'frr') ??
  labSkipReason('bird', 'bird2') ??
  labSkipReason('gobgpd', 'gobgpd') ??
  daemonLabMissing();
const shared = sharedLab(3);
afterAll(() => shared.stop(), 60_000);

const target = (hostname: string): RouterTarget => ({
  id: 3,
  name: 'lab-gobgp',
  hostname,
  driver: 'gobgp',
  local_asn: 65003,
  credentials: null,
});

describe.skipIf(skip)('GoBGP driver, gRPC', () => {
  describeDriverConformance('gobgp', async () => {
    const lab = await shared.lab();
    return {
      router: target(lab.hostnames.gobgp),
      expected: [
        { peer_ip: lab.nodes.frr.ip, vrf: null, remote_asn: 65001, state: 'established' },
        { peer_ip: lab.nodes.bird.ip, vrf: null, remote_asn: 65002, state: 'established' },
      ],
      toggle: { vrf: null, peer_ip: lab.nodes.bird.ip },
      observe: (_p, up) => lab.waitSession('bird', 'gobgp', up),
      teardown: async () => {},
    };
  });

  it('reads counts and uptime, and its shutdown communication reaches FRR (RFC 8203)', async () => {
    const lab = await shared.lab();
    await lab.waitAllEstablished();
    const s = await (await driverFor('gobgp'))!.open(target(lab.hostnames.gobgp), {
      signal: new AbortController().signal,
    });
    const frr = { vrf: null, peer_ip: lab.nodes.frr.ip };
    try {
      const list = await s.listNeighbors();
      const n = list.find((p) => p.peer_ip === lab.nodes.frr.ip)!;
      expect(n).toMatchObject({
        remote_asn: 65001,
        local_asn: 65003,
        local_ip: lab.nodes.gobgp.ip,
        description: 'lab frr',
        state: 'established',
        prefixes_received: 2,
        prefixes_accepted: 2,
        prefixes_advertised: 3,
        families: [{ afi_safi: 'ipv4-unicast', received: 2, accepted: 2, advertised: 3 }],
      });
      expect(Date.parse(n.since!)).toBeLessThanOrEqual(Date.now() + 1000);

      await s.setAdminState!(frr, false, 'gobgp maintenance 7');
      await lab.waitSession('frr', 'gobgp', false);
      const seen = JSON.parse(await lab.vtysh(`show bgp neighbors ${lab.nodes.gobgp.ip} json`))[lab.nodes.gobgp.ip];
      expect(seen).toMatchObject({
        lastNotificationReason: 'Cease/Administrative Shutdown',
        lastShutdownDescription: 'gobgp maintenance 7',
      });
      expect((await s.listNeighbors()).find((p) => p.peer_ip === lab.nodes.frr.ip)).toMatchObject({
        state: 'admin-down',
        admin_down: true,
      });
      await s.setAdminState!(frr, true);
      await lab.waitSession('frr', 'gobgp', true);
      await expect(s.setAdminState!({ vrf: null, peer_ip: '192.0.2.99' }, false)).rejects.toMatchObject({
        code: 'router_error',
      });
    } finally {
      await s.setAdminState!(frr, true).catch(() => {});
      await s.close();
    }
  }, 180_000);

  it("lists a neighbour added through gobgp's own CLI behind Peerdesk's back, and drops it once removed", async () => {
    const lab = await shared.lab();
    const ip = `127.0.${lab.net}.9`;
    await lab.addNeighbor('gobgp', { ip, asn: 65009, description: 'added by hand' });
    const s = await (await driverFor('gobgp'))!.open(target(lab.hostnames.gobgp), {
      signal: new AbortController().signal,
    });
    try {
      await expect
        .poll(async () => (await s.listNeighbors()).find((n) => n.peer_ip === ip), { timeout: 30_000 })
        .toMatchObject({ vrf: null, remote_asn: 65009, description: null });
      const added = (await s.listNeighbors()).find((n) => n.peer_ip === ip)!;
      expect(['idle', 'connect', 'active']).toContain(added.state);
      await lab.removeNeighbor('gobgp', ip);
      await expect
        .poll(async () => (await s.listNeighbors()).map((n) => n.peer_ip).sort(), { timeout: 30_000 })
        .toEqual([lab.nodes.frr.ip, lab.nodes.bird.ip].sort());
    } finally {
      await lab.removeNeighbor('gobgp', ip).catch(() => {});
      await s.close();
    }
  }, 180_000);
});
