// GoBGP parser on ListPeer answers captured over gRPC from a real gobgpd 3.10 (lab triangle, net 127.0.9.0/24).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gobgpFamily, parseGobgpPeer, type GobgpPeer } from './gobgp.parser.ts';

const fixture = (name: string): GobgpPeer[] =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')).map(
    (i: { peer: GobgpPeer }) => i.peer,
  );

describe('parseGobgpPeer', () => {
  it('reads established peers with per-family counts and the uptime timestamp', () => {
    expect(fixture('listpeer-established.json').map(parseGobgpPeer)).toEqual([
      {
        vrf: null,
        peer_ip: '127.0.9.2',
        remote_asn: 65002,
        local_asn: 65003,
        local_ip: '127.0.9.3',
        description: 'lab bird',
        state: 'established',
        admin_down: false,
        since: '2026-11-30T03:30:45.000Z',
        prefixes_received: 1,
        prefixes_accepted: 1,
        prefixes_advertised: 3,
        families: [{ afi_safi: 'ipv4-unicast', received: 1, accepted: 1, advertised: 3 }],
        last_error: null,
      },
      {
        vrf: null,
        peer_ip: '127.0.9.1',
        remote_asn: 65001,
        local_asn: 65003,
        local_ip: '127.0.9.3',
        description: 'lab frr',
        state: 'established',
        admin_down: false,
        since: '2026-11-30T03:30:49.000Z',
        prefixes_received: 2,
        prefixes_accepted: 2,
        prefixes_advertised: 3,
        families: [{ afi_safi: 'ipv4-unicast', received: 2, accepted: 2, advertised: 3 }],
        last_error: null,
      },
    ]);
  });

  it('shows a disabled peer as admin-down advertising nothing', () => {
    const frr = fixture('listpeer-down.json')
      .map(parseGobgpPeer)
      .find((p) => p?.peer_ip === '127.0.9.1');
    expect(frr).toMatchObject({
      state: 'admin-down',
      admin_down: true,
      prefixes_received: 0,
      prefixes_advertised: 0,
      since: null,
    });
  });

  it('maps session states, the prefix-limit admin state and VRFs', () => {
    const base: GobgpPeer = { conf: { neighbor_address: '2001:DB8::1', peer_asn: 64512, vrf: 'blue' } };
    expect(parseGobgpPeer({ ...base, state: { session_state: 3 } })).toMatchObject({
      peer_ip: '2001:db8::1',
      vrf: 'blue',
      state: 'active',
      families: [],
      prefixes_received: null,
    });
    expect(parseGobgpPeer({ ...base, state: { session_state: 1, admin_state: 2 } })).toMatchObject({
      state: 'idle',
      admin_down: false,
      last_error: 'max-prefix exceeded',
    });
    expect(parseGobgpPeer({ ...base, state: {} })).toMatchObject({ state: 'unknown' });
    expect(parseGobgpPeer({ conf: { neighbor_address: 'eth0' } })).toBeNull();
  });

  it('names families', () => {
    expect([
      gobgpFamily(1, 1),
      gobgpFamily(2, 1),
      gobgpFamily(25, 70),
      gobgpFamily(1, 133),
      gobgpFamily(1, 128),
    ]).toEqual(['ipv4-unicast', 'ipv6-unicast', 'l2vpn-evpn', 'ipv4-flowspec', 'ipv4-vpn']);
  });
});
