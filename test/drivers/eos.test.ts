// EOS driver against the test suite's eAPI look-alike (test/support/eapi-server.ts) over real HTTPS.
import { describe, expect, it } from 'vitest';
import { eosDriver } from '../../src/drivers/eos/eos.driver.ts';
import type { RouterCredentials, RouterTarget } from '../../src/drivers/driver.types.ts';
import { UpstreamError } from '../../src/platform/errors.ts';
import { startEapiServer, type EapiTestServer, type EosSimNeighbor } from '../support/eapi-server.ts';
import { driverRig } from './driver-rig.ts';

const T0 = 1767261600; // 2026-01-01T10:00:00Z

function neighbors(): EosSimNeighbor[] {
  return [
    {
      vrf: null,
      peer_ip: '192.0.2.2',
      remote_asn: 64501,
      description: 'Transit A',
      state: 'Established',
      up_down_time: T0,
      families: [{ afi_safi: 'ipv4-unicast', received: 12, accepted: 10, advertised: 5 }],
    },
    {
      vrf: null,
      peer_ip: '192.0.2.10',
      remote_asn: 64510,
      state: 'Idle',
      idle_reason: 'MaxPath',
      up_down_time: T0 + 60,
    },
    {
      vrf: null,
      peer_ip: '2001:db8::2',
      remote_asn: 64502,
      description: 'IX peer B',
      state: 'Active',
      up_down_time: T0 + 120,
    },
    {
      vrf: 'CUST-A',
      peer_ip: '198.51.100.7',
      remote_asn: 64503,
      state: 'Established',
      up_down_time: T0,
      families: [
        { afi_safi: 'ipv4-unicast', received: 4, accepted: 4, advertised: 2 },
        { afi_safi: 'ipv6-unicast', received: 1, accepted: 1, advertised: 1 },
      ],
    },
  ];
}

function target(server: EapiTestServer, creds: Partial<RouterCredentials> = {}): RouterTarget {
  return {
    id: 2,
    name: 'eos1',
    hostname: server.hostname,
    driver: 'eos',
    local_asn: 64500,
    credentials: { username: server.username, password: server.password, ca_pem: server.certPem, ...creds },
  };
}

describe('eos driver over eAPI', () => {
  const rig = driverRig({
    driver: eosDriver,
    target,
    start: () => startEapiServer({ neighbors: neighbors(), secondMs: 100 }),
  });

  it('polls in one request: state, counts per family, down reason, VRFs', async () => {
    const session = await rig.open();
    const before = rig.server.requests.length;
    const peers = await session.listNeighbors();
    expect(rig.server.requests.slice(before)).toEqual([
      {
        cmds: ['show ip bgp summary vrf all', 'show ipv6 bgp summary vrf all', 'show ip bgp neighbors vrf all'],
        format: 'json',
      },
    ]);
    const byIp = Object.fromEntries(peers.map((p) => [p.peer_ip, p]));
    expect(peers).toHaveLength(4);
    expect(byIp['192.0.2.2']).toMatchObject({
      vrf: null,
      remote_asn: 64501,
      local_asn: 64500,
      description: 'Transit A',
      state: 'established',
      admin_down: false,
      since: '2026-01-01T10:00:00.000Z',
      prefixes_received: 12,
      prefixes_accepted: 10,
      prefixes_advertised: 5,
      last_error: null,
    });
    expect(byIp['192.0.2.10']).toMatchObject({ state: 'idle', last_error: 'max-prefix exceeded' });
    expect(byIp['2001:db8::2']).toMatchObject({
      state: 'active',
      families: [{ afi_safi: 'ipv6-unicast', received: 0, accepted: 0, advertised: 0 }],
    });
    expect(byIp['198.51.100.7']).toMatchObject({
      vrf: 'CUST-A',
      prefixes_received: 5,
      prefixes_accepted: 5,
      prefixes_advertised: 3,
    });
    expect(rig.logs.some((l) => l.includes('show ip bgp summary vrf all'))).toBe(true);
    expect(rig.logs.join('\n')).not.toContain(rig.server.password);
  });

  it('reuses one HTTPS connection for every call of a session', async () => {
    const before = rig.server.connections;
    const session = await rig.open();
    await session.listNeighbors();
    await session.getRunningConfig!();
    await session.listNeighbors();
    expect(rig.server.connections - before).toBe(1);
  });

  it('reads the running configuration as text', async () => {
    const session = await rig.open();
    const text = await session.getRunningConfig!();
    expect(text).toContain('router bgp 64500\n   neighbor 192.0.2.2 remote-as 64501\n');
  });

  it('admin down with an RFC 8203 reason shows in the config and the next poll; admin up restores', async () => {
    const session = await rig.open();
    const before = rig.server.requests.length;
    await session.setAdminState!({ vrf: null, peer_ip: '192.0.2.2' }, false, 'planned maintenance #42');
    expect(rig.server.requests[before].cmds).toEqual([
      'enable',
      'configure',
      'router bgp 64500',
      'neighbor 192.0.2.2 shutdown reason planned maintenance #42',
      'end',
      'write memory',
    ]);
    expect(rig.server.shutdownOf(null, '192.0.2.2')).toBe('planned maintenance #42');
    expect(rig.server.runningConfig()).toContain('neighbor 192.0.2.2 shutdown reason planned maintenance #42');
    const down = (await session.listNeighbors()).find((p) => p.peer_ip === '192.0.2.2');
    expect(down).toMatchObject({
      state: 'admin-down',
      admin_down: true,
      last_error: 'Cease/Administrative Shutdown',
      prefixes_received: 0,
    });

    await session.setAdminState!({ vrf: 'CUST-A', peer_ip: '198.51.100.7' }, false);
    expect(rig.server.requests.at(-1)!.cmds).toEqual([
      'enable',
      'configure',
      'router bgp 64500',
      'vrf CUST-A',
      'neighbor 198.51.100.7 shutdown',
      'end',
      'write memory',
    ]);
    expect(rig.server.shutdownOf('CUST-A', '198.51.100.7')).toBeNull();

    await session.setAdminState!({ vrf: null, peer_ip: '192.0.2.2' }, true);
    await session.setAdminState!({ vrf: 'CUST-A', peer_ip: '198.51.100.7' }, true);
    expect(rig.server.shutdownOf(null, '192.0.2.2')).toBeUndefined();
    expect((await session.listNeighbors()).find((p) => p.peer_ip === '192.0.2.2')).toMatchObject({
      state: 'established',
      admin_down: false,
    });
  });

  it('finds the AS from the switch when the router has none stored', async () => {
    const session = await rig.open({}, 10_000, { local_asn: null });
    await session.setAdminState!({ vrf: null, peer_ip: '192.0.2.10' }, false);
    expect(rig.server.requests.at(-2)!.cmds).toEqual(['show ip bgp summary vrf all']);
    expect(rig.server.shutdownOf(null, '192.0.2.10')).toBeNull();
    await session.setAdminState!({ vrf: null, peer_ip: '192.0.2.10' }, true);
  });

  it('a command the switch refuses is a router_error naming the command and its error', async () => {
    const session = await rig.open();
    const err = await session.setAdminState!({ vrf: null, peer_ip: '203.0.113.99' }, false).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({
      code: 'router_error',
      message:
        'eos1: eAPI error 1002: CLI command 4 of 6 \'neighbor 203.0.113.99 shutdown\' failed: invalid command ("neighbor 203.0.113.99 shutdown": % Neighbor 203.0.113.99 does not exist)',
    });
  });

  it('refuses a VRF name that is not one CLI word, without sending anything', async () => {
    const session = await rig.open();
    const before = rig.server.requests.length;
    await expect(session.setAdminState!({ vrf: 'A\nrouter bgp 1', peer_ip: '192.0.2.2' }, false)).rejects.toMatchObject(
      { code: 'router_error', message: expect.stringMatching(/is not a neighbour address EOS can name/) },
    );
    expect(rig.server.requests.length).toBe(before);
  });

  it('a cancelled job aborts the call in flight', async () => {
    const ac = new AbortController();
    const session = rig.track(await eosDriver.open(target(rig.server), { signal: ac.signal, timeoutMs: 30_000 }));
    rig.server.setFault({ mode: 'stall' });
    const p = session.listNeighbors();
    await expect.poll(() => rig.server.requests.at(-1)?.cmds[0]).toBe('show ip bgp summary vrf all');
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'router_unreachable', message: 'eos1: eAPI call cancelled' });
  });

  it('an injected JSON-RPC error answer is a router_error', async () => {
    const session = await rig.open();
    rig.server.setFault({
      command: 'show ip bgp neighbors vrf all',
      mode: 'error',
      message: 'BGP agent is not running',
    });
    await expect(session.listNeighbors()).rejects.toMatchObject({
      code: 'router_error',
      message: expect.stringContaining('"show ip bgp neighbors vrf all": BGP agent is not running'),
    });
  });

  it('a switch that stops answering gives router_unreachable after the per-call timeout', async () => {
    const session = await rig.open({}, 700);
    rig.server.setFault({ mode: 'stall' });
    await expect(session.listNeighbors()).rejects.toMatchObject({
      code: 'router_unreachable',
      message: expect.stringMatching(/no eAPI answer within 1 s/),
    });
  });

  it('deploy: config session load, diff, commit timer, confirm', async () => {
    const session = await rig.open();
    const before = rig.server.requests.length;
    const cand = await session.loadCandidate!(
      'ip prefix-list PEERDESK-AS64501 seq 10 permit 192.0.2.0/24\n!\n',
      'merge',
    );
    expect(cand.diff).toContain('+ip prefix-list PEERDESK-AS64501 seq 10 permit 192.0.2.0/24');
    expect(cand.diff).toMatch(/^--- system:\/running-config/m);
    await session.commitConfirmed!(90);
    expect(await session.pendingConfirm!()).toBe(true);
    await session.confirm!();
    expect(await session.pendingConfirm!()).toBe(false);
    const name = rig.server.requests[before].cmds[1].replace('configure session ', '');
    expect(name).toMatch(/^peerdesk-2-/);
    expect(rig.server.requests.slice(before).map((r) => r.cmds.filter((c) => c !== 'enable').join(' ; '))).toEqual([
      `configure session ${name} ; ip prefix-list PEERDESK-AS64501 seq 10 permit 192.0.2.0/24 ; show session-config diffs ; exit`,
      `configure session ${name} commit timer 00:01:30`,
      'show configuration sessions detail',
      `configure session ${name} commit ; write memory`,
      'show configuration sessions detail',
    ]);
    expect(rig.server.runningConfig()).toContain('ip prefix-list PEERDESK-AS64501 seq 10 permit 192.0.2.0/24');
  });

  it('an empty change gives an empty diff', async () => {
    const session = await rig.open();
    const cand = await session.loadCandidate!('ip prefix-list PEERDESK-AS64501 seq 10 permit 192.0.2.0/24\n', 'merge');
    expect(cand.diff).toBe('');
    await session.discardCandidate!();
  });

  it('a broken candidate is refused and the session aborted: the switch stays as it was', async () => {
    const session = await rig.open();
    const running = rig.server.runningConfig();
    const err = await session.loadCandidate!('router bgp 64500\n   invalid-command here\n', 'merge').catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      code: 'router_error',
      message: expect.stringContaining("'invalid-command here' failed"),
    });
    expect(rig.server.requests.at(-1)!.cmds[1]).toMatch(/^configure session peerdesk-2-\S+ abort$/);
    expect([...rig.server.sessions.values()].some((s) => s.state === 'pending')).toBe(false);
    expect(rig.server.runningConfig()).toBe(running);
  });

  it('rollback aborts a pending commit timer at once; an unconfirmed timer reverts by itself', async () => {
    let session = await rig.open();
    const running = rig.server.runningConfig();
    await session.loadCandidate!('ip community-list PEERDESK permit 64500:1\n', 'merge');
    await session.commitConfirmed!(600);
    expect(rig.server.runningConfig()).toContain('ip community-list PEERDESK');
    await session.rollback!();
    expect(rig.server.runningConfig()).toBe(running);
    await session.close();

    session = await rig.open();
    await session.loadCandidate!('ip community-list PEERDESK2 permit 64500:2\n', 'merge');
    await session.commitConfirmed!(2); // 2 s: 200 ms on this server
    expect(rig.server.runningConfig()).toContain('PEERDESK2');
    await expect.poll(() => rig.server.runningConfig(), { timeout: 30_000 }).toBe(running);
  });

  it('wrong credentials: a clear authentication error', async () => {
    const session = await rig.open({ password: 'nope' });
    const err = await session.listNeighbors().catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'router_unreachable',
      message:
        'eos1: eAPI authentication failed for user "admin" (HTTP 401; check the router\'s username and password)',
    });
  });

  it('refuses an untrusted certificate unless insecure_tls is set', async () => {
    let session = await rig.open({ ca_pem: undefined });
    await expect(session.listNeighbors()).rejects.toMatchObject({
      code: 'router_unreachable',
      message: expect.stringMatching(/TLS certificate is not trusted/),
    });
    await session.close();
    session = await rig.open({ ca_pem: undefined, insecure_tls: true });
    expect(await session.listNeighbors()).toHaveLength(4);
  });
});
