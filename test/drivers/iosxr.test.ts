// IOS-XR driver against the test suite's NETCONF-over-SSH router in its IOS-XR personality (base:1.1 framing).
import { describe, expect, it } from 'vitest';
import { iosxrDriver } from '../../src/drivers/iosxr/iosxr.driver.ts';
import type { RouterCredentials, RouterTarget } from '../../src/drivers/driver.types.ts';
import { UpstreamError } from '../../src/platform/errors.ts';
import { startNetconfServer, type NetconfTestServer, type SimNeighbor } from '../support/netconf-server.ts';
import { driverRig } from './driver-rig.ts';

function neighbors(): SimNeighbor[] {
  return [
    {
      vrf: null,
      peer_ip: '192.0.2.2',
      remote_asn: 64501,
      local_ip: '192.0.2.1',
      description: 'Transit A',
      state: 'Established',
      elapsed_s: 5400,
      families: [{ afi_safi: 'ipv4-unicast', received: 12, accepted: 10, advertised: 5 }],
    },
    {
      vrf: null,
      peer_ip: '2001:db8::2',
      remote_asn: 64502,
      description: 'IX peer B',
      state: 'Active',
      elapsed_s: 125,
      notification: [4, 0],
      flap_count: 3,
    },
    {
      vrf: null,
      peer_ip: '192.0.2.10',
      remote_asn: 64510,
      state: 'Idle',
      max_prefix_shutdown: true,
      notification: [6, 1],
    },
    {
      vrf: 'CUST-A',
      peer_ip: '198.51.100.7',
      remote_asn: 64503,
      state: 'Established',
      elapsed_s: 60,
      families: [
        { afi_safi: 'ipv4-unicast', received: 4, accepted: 4, advertised: 2 },
        { afi_safi: 'ipv6-unicast', received: 1, accepted: 1, advertised: 1 },
      ],
    },
  ];
}

function target(server: NetconfTestServer, creds: Partial<RouterCredentials> = {}): RouterTarget {
  return {
    id: 3,
    name: 'xr1',
    hostname: server.hostname,
    driver: 'iosxr',
    local_asn: 64500,
    credentials: {
      username: server.username,
      password: server.password,
      ssh_host_key: server.hostKeyFingerprint,
      ...creds,
    },
  };
}

const CONFIG =
  '<config><prefix-sets xmlns="http://cisco.com/ns/yang/Cisco-IOS-XR-policy-repository-cfg"><prefix-set><set-name>PEERDESK-AS64501</set-name><rpl-prefix-set>prefix-set PEERDESK-AS64501 192.0.2.0/24 end-set</rpl-prefix-set></prefix-set></prefix-sets></config>';

describe('iosxr driver over NETCONF', () => {
  const rig = driverRig({
    driver: iosxrDriver,
    target,
    start: () => startNetconfServer({ flavor: 'iosxr', neighbors: neighbors(), secondMs: 100 }),
  });

  it('polls with one <get> of the BGP oper model: state, counts, down reasons, VRFs', async () => {
    const session = await rig.open();
    const before = rig.server.rpcs.length;
    const peers = await session.listNeighbors();
    expect(rig.server.rpcs.slice(before)).toEqual(['get']);
    expect(rig.logs.some((l) => l.includes('framing 1.1 (chunked)'))).toBe(true);
    expect(rig.server.rpcXml.at(-1)).toContain('<bgp xmlns="http://cisco.com/ns/yang/Cisco-IOS-XR-ipv4-bgp-oper">');
    const byIp = Object.fromEntries(peers.map((p) => [p.peer_ip, p]));
    expect(peers).toHaveLength(4);
    expect(byIp['192.0.2.2']).toMatchObject({
      vrf: null,
      remote_asn: 64501,
      local_asn: 64500,
      local_ip: '192.0.2.1',
      description: 'Transit A',
      state: 'established',
      prefixes_received: 12,
      prefixes_accepted: 10,
      prefixes_advertised: 5,
      last_error: null,
    });
    expect(byIp['2001:db8::2']).toMatchObject({ state: 'active', last_error: 'Hold Timer Expired', families: [] });
    expect(byIp['192.0.2.10']).toMatchObject({ state: 'idle', last_error: 'max-prefix exceeded' });
    expect(byIp['198.51.100.7']).toMatchObject({
      vrf: 'CUST-A',
      prefixes_received: 5,
      prefixes_accepted: 5,
      prefixes_advertised: 3,
    });
  });

  it('reads the running configuration', async () => {
    const session = await rig.open();
    const text = await session.getRunningConfig!();
    expect(text).toContain('<neighbor-address>192.0.2.2</neighbor-address>');
  });

  it('admin down sets shutdown in the candidate and commits; the next poll says admin-down; admin up removes it', async () => {
    const session = await rig.open();
    const before = rig.server.rpcs.length;
    await session.setAdminState!({ vrf: null, peer_ip: '192.0.2.2' }, false, 'ignored on IOS-XR');
    expect(rig.server.rpcs.slice(before)).toEqual(['lock', 'edit-config', 'commit', 'unlock']);
    expect(rig.server.isDisabled(null, '192.0.2.2')).toBe(true);
    expect(rig.server.runningText()).toContain('<shutdown>true</shutdown>');
    expect((await session.listNeighbors()).find((p) => p.peer_ip === '192.0.2.2')).toMatchObject({
      state: 'admin-down',
      admin_down: true,
      last_error: 'Cease/Administrative Shutdown',
      prefixes_received: null,
    });
    await session.setAdminState!({ vrf: 'CUST-A', peer_ip: '198.51.100.7' }, false);
    expect(rig.server.isDisabled('CUST-A', '198.51.100.7')).toBe(true);
    await session.setAdminState!({ vrf: null, peer_ip: '192.0.2.2' }, true);
    await session.setAdminState!({ vrf: 'CUST-A', peer_ip: '198.51.100.7' }, true);
    expect(rig.server.isDisabled(null, '192.0.2.2')).toBe(false);
    expect(rig.server.isDisabled('CUST-A', '198.51.100.7')).toBe(false);
    expect((await session.listNeighbors()).find((p) => p.peer_ip === '192.0.2.2')).toMatchObject({
      state: 'established',
      admin_down: false,
    });
  });

  it('an edit the router refuses is a router_error and the candidate is discarded', async () => {
    const session = await rig.open();
    const before = rig.server.rpcs.length;
    const err = await session.setAdminState!({ vrf: null, peer_ip: '203.0.113.99' }, false).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as UpstreamError).code).toBe('router_error');
    expect((err as Error).message).toBe(
      "xr1: <edit-config> failed: invalid-value: 'BGP' detected the 'warning' condition 'The neighbor 203.0.113.99 does not exist' (at /bgp/instance/neighbor)",
    );
    expect(rig.server.rpcs.slice(before)).toEqual(['lock', 'edit-config', 'discard-changes', 'unlock']);
  });

  it('a stalled <get> gives router_unreachable after the per-call timeout', async () => {
    const session = await rig.open({}, 700);
    rig.server.setFault({ rpc: 'get', mode: 'stall' });
    await expect(session.listNeighbors()).rejects.toMatchObject({
      code: 'router_unreachable',
      message: expect.stringMatching(/no answer to <get> within 1 s/),
    });
  });

  it('deploy: lock, edit-config, diff, confirmed commit (seconds), confirm', async () => {
    const session = await rig.open();
    const before = rig.server.rpcs.length;
    const cand = await session.loadCandidate!(CONFIG, 'merge');
    expect(cand.diff).toMatch(/^--- running/m);
    expect(cand.diff).toContain('+<prefix-sets xmlns="http://cisco.com/ns/yang/Cisco-IOS-XR-policy-repository-cfg">');
    await session.commitConfirmed!(90);
    expect(await session.pendingConfirm!()).toBe(true);
    expect(rig.server.pendingConfirm()).toBe(true);
    await session.confirm!();
    expect(rig.server.pendingConfirm()).toBe(false);
    expect(rig.server.rpcs.slice(before)).toEqual([
      'lock',
      'edit-config',
      'get-config',
      'get-config',
      'commit',
      'commit',
      'unlock',
    ]);
    expect(rig.server.rpcXml.find((x) => x.includes('<confirmed/>'))).toContain(
      '<confirm-timeout>90</confirm-timeout>',
    );
    expect(rig.server.runningText()).toContain('PEERDESK-AS64501');
    const again = await session.loadCandidate!(CONFIG, 'merge');
    expect(again.diff).toBe('');
    await session.discardCandidate!();
  });

  it('a broken candidate is refused and discarded; rollback cancels a confirmed commit; an unconfirmed one reverts', async () => {
    const session = await rig.open();
    const running = rig.server.runningText();
    const err = await session.loadCandidate!('<config><syntax-error/></config>', 'merge').catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'router_error',
      message: expect.stringContaining(
        "<edit-config> failed: invalid-value: 'YANG framework' detected the 'fatal' condition",
      ),
    });
    expect(rig.server.rpcs.slice(-2)).toEqual(['discard-changes', 'unlock']);
    expect(rig.server.candidateText()).toBe(running);

    await session.loadCandidate!(
      '<config><hostname xmlns="http://cisco.com/ns/yang/Cisco-IOS-XR-shellutil-cfg">xr-new</hostname></config>',
      'merge',
    );
    await session.commitConfirmed!(600);
    expect(rig.server.runningText()).toContain('xr-new');
    await session.rollback!();
    expect(rig.server.rpcs.slice(-2)).toEqual(['cancel-commit', 'unlock']);
    expect(rig.server.runningText()).toBe(running);

    await session.loadCandidate!(
      '<config><hostname xmlns="http://cisco.com/ns/yang/Cisco-IOS-XR-shellutil-cfg">xr-lost</hostname></config>',
      'merge',
    );
    await session.commitConfirmed!(2); // 2 s: 200 ms on this server
    expect(rig.server.runningText()).toContain('xr-lost');
    await rig.closeSession();
    await expect.poll(() => rig.server.runningText(), { timeout: 30_000 }).toBe(running);
  });

  it('wrong credentials and a wrong host key are refused clearly', async () => {
    await expect(rig.open({ password: 'bad' })).rejects.toMatchObject({
      code: 'router_unreachable',
      message: expect.stringMatching(/SSH authentication failed/),
    });
    await expect(rig.open({ ssh_host_key: 'SHA256:Zm9vYmFy' })).rejects.toMatchObject({
      code: 'router_unreachable',
      message: expect.stringMatching(/SSH host key mismatch/),
    });
  });
});
