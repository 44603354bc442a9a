// The shared driver conformance suite for Junos, EOS and IOS-XR against the test suite's NETCONF and eAPI routers.
import { expect } from 'vitest';
import { describeDriverConformance } from '../../src/drivers/conformance.ts';
import { startEapiServer } from '../support/eapi-server.ts';
import { startNetconfServer, type SimNeighbor } from '../support/netconf-server.ts';

const NETCONF_NEIGHBORS = (): SimNeighbor[] => [
  {
    vrf: null,
    peer_ip: '192.0.2.2',
    remote_asn: 64501,
    description: 'Transit A',
    group: 'TRANSIT',
    state: 'Established',
    elapsed_s: 100,
    families: [{ afi_safi: 'ipv4-unicast', received: 12, accepted: 10, advertised: 5 }],
  },
  {
    vrf: null,
    peer_ip: '2001:db8::2',
    remote_asn: 64502,
    group: 'IX-V6',
    state: 'Active',
    last_error: 'Hold Timer Expired Error',
    notification: [4, 0],
  },
  {
    vrf: 'CUST-A',
    peer_ip: '198.51.100.7',
    remote_asn: 64503,
    group: 'CUSTOMERS',
    state: 'Established',
    elapsed_s: 50,
    families: [{ afi_safi: 'ipv4-unicast', received: 4, accepted: 4, advertised: 2 }],
  },
];
const EXPECTED = [
  { vrf: null, peer_ip: '192.0.2.2', remote_asn: 64501, state: 'established' as const },
  { vrf: null, peer_ip: '2001:db8::2', remote_asn: 64502, state: 'active' as const },
  { vrf: 'CUST-A', peer_ip: '198.51.100.7', remote_asn: 64503, state: 'established' as const },
];

for (const flavor of ['junos', 'iosxr'] as const) {
  describeDriverConformance(flavor, async () => {
    const server = await startNetconfServer({ flavor, neighbors: NETCONF_NEIGHBORS() });
    return {
      router: {
        id: 11,
        name: `${flavor}-lab`,
        hostname: server.hostname,
        driver: flavor,
        local_asn: 64500,
        credentials: { username: server.username, password: server.password, ssh_host_key: server.hostKeyFingerprint },
      },
      opts: { timeoutMs: 10_000 },
      expected: EXPECTED,
      toggle: { vrf: null, peer_ip: '192.0.2.2' },
      observe: async (peer, up) => {
        await expect.poll(() => server.isDisabled(peer.vrf, peer.peer_ip), { timeout: 30_000 }).toBe(!up);
      },
      teardown: () => server.close(),
    };
  });
}

describeDriverConformance('eos', async () => {
  const server = await startEapiServer({
    neighbors: [
      {
        vrf: null,
        peer_ip: '192.0.2.2',
        remote_asn: 64501,
        state: 'Established',
        up_down_time: 1767261600,
        families: [{ afi_safi: 'ipv4-unicast', received: 12, accepted: 10, advertised: 5 }],
      },
      { vrf: null, peer_ip: '2001:db8::2', remote_asn: 64502, state: 'Active', up_down_time: 1767261600 },
      {
        vrf: 'CUST-A',
        peer_ip: '198.51.100.7',
        remote_asn: 64503,
        state: 'Established',
        up_down_time: 1767261600,
        families: [{ afi_safi: 'ipv4-unicast', received: 4, accepted: 4, advertised: 2 }],
      },
    ],
  });
  return {
    router: {
      id: 12,
      name: 'eos-lab',
      hostname: server.hostname,
      driver: 'eos',
      local_asn: 64500,
      credentials: { username: server.username, password: server.password, ca_pem: server.certPem },
    },
    opts: { timeoutMs: 10_000 },
    expected: EXPECTED,
    toggle: { vrf: 'CUST-A', peer_ip: '198.51.100.7' },
    observe: async (peer, up) => {
      await expect.poll(() => server.shutdownOf(peer.vrf, peer.peer_ip) === undefined, { timeout: 30_000 }).toBe(up);
    },
    teardown: () => server.close(),
  };
});
