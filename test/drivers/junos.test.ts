// Junos driver against the test suite's NETCONF-over-SSH router (test/support/netconf-server.ts).
import { describe, expect, it } from 'vitest';
import { junosDriver } from '../../src/drivers/junos/junos.driver.ts';
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
      group: 'TRANSIT',
      state: 'Established',
      elapsed_s: 5400,
      flap_count: 1,
      families: [{ afi_safi: 'ipv4-unicast', received: 12, accepted: 10, advertised: 5 }],
    },
    {
      vrf: null,
      peer_ip: '2001:db8::2',
      remote_asn: 64502,
      description: 'IX peer B',
      group: 'IX-V6',
      state: 'Active',
      elapsed_s: 125,
      last_error: 'Hold Timer Expired Error',
      flap_count: 3,
    },
    {
      vrf: 'CUST-A',
      peer_ip: '198.51.100.7',
      remote_asn: 64503,
      group: 'CUSTOMERS',
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
    id: 1,
    name: 'mx1',
    hostname: server.hostname,
    driver: 'junos',
    local_asn: 64500,
    credentials: {
      username: server.username,
      password: server.password,
      ssh_host_key: server.hostKeyFingerprint,
      ...creds,
    },
  };
}

describe('junos driver over NETCONF', () => {
  const rig = driverRig({
    driver: junosDriver,
    target,
    start: () => startNetconfServer({ flavor: 'junos', neighbors: neighbors(), minuteMs: 150 }),
  });

  it('polls state, counts, down reason and routing instances in one session', async () => {
    const session = await rig.open();
    const peers = await session.listNeighbors();
    const byIp = Object.fromEntries(peers.map((p) => [p.peer_ip, p]));
    expect(peers).toHaveLength(3);
    expect(byIp['192.0.2.2']).toMatchObject({
      vrf: null,
      remote_asn: 64501,
      local_asn: 64500,
      local_ip: '192.0.2.1',
      description: 'Transit A',
      state: 'established',
      admin_down: false,
      prefixes_received: 12,
      prefixes_accepted: 10,
      prefixes_advertised: 5,
      last_error: null,
    });
    expect(byIp['192.0.2.2'].families).toEqual([
      { afi_safi: 'ipv4-unicast', received: 12, accepted: 10, advertised: 5 },
    ]);
    expect(Date.now() - Date.parse(byIp['192.0.2.2'].since!)).toBeGreaterThanOrEqual(5400_000);
    expect(byIp['2001:db8::2']).toMatchObject({
      state: 'active',
      remote_asn: 64502,
      last_error: 'Hold Timer Expired',
      prefixes_received: null,
      families: [],
    });
    expect(byIp['198.51.100.7']).toMatchObject({
      vrf: 'CUST-A',
      state: 'established',
      prefixes_received: 5,
      prefixes_accepted: 5,
      prefixes_advertised: 3,
    });
    expect(byIp['198.51.100.7'].families.map((f) => f.afi_safi)).toEqual(['ipv4-unicast', 'ipv6-unicast']);
    // Two RPCs per poll over one connection; the job log names them and never holds the password.
    expect(rig.server.rpcs.slice(-2)).toEqual(['get-bgp-neighbor-information', 'get-configuration']);
    expect(rig.server.connections).toBe(1);
    expect(rig.logs.some((l) => l.includes('get-bgp-neighbor-information'))).toBe(true);
    expect(rig.logs.join('\n')).not.toContain(rig.server.password);
  });

  it('reads the running configuration as text', async () => {
    const session = await rig.open();
    const text = await session.getRunningConfig!();
    expect(text).toContain('group TRANSIT {');
    expect(text).toContain('neighbor 192.0.2.2 {');
  });

  it('admin down deactivates the neighbour with lock/load/commit/unlock; the next poll says admin-down; admin up restores', async () => {
    const session = await rig.open();
    const before = rig.server.rpcs.length;
    await session.setAdminState!({ vrf: null, peer_ip: '192.0.2.2' }, false, 'maintenance');
    expect(rig.server.rpcs.slice(before)).toEqual([
      'get-configuration',
      'lock',
      'load-configuration',
      'commit-configuration',
      'unlock',
    ]);
    expect(rig.server.rpcXml.find((x) => x.includes('<configuration-set>'))).toContain(
      'deactivate protocols bgp group TRANSIT neighbor 192.0.2.2',
    );
    expect(rig.server.isDisabled(null, '192.0.2.2')).toBe(true);
    expect(rig.server.runningText()).toContain('inactive: neighbor 192.0.2.2 {');
    const down = (await session.listNeighbors()).find((p) => p.peer_ip === '192.0.2.2');
    expect(down).toMatchObject({ state: 'admin-down', admin_down: true, remote_asn: 64501, description: 'Transit A' });

    await session.setAdminState!({ vrf: 'CUST-A', peer_ip: '198.51.100.7' }, false);
    expect(rig.server.isDisabled('CUST-A', '198.51.100.7')).toBe(true);
    expect(rig.server.rpcXml.at(-3)).toContain(
      'deactivate routing-instances CUST-A protocols bgp group CUSTOMERS neighbor 198.51.100.7',
    );

    await session.setAdminState!({ vrf: null, peer_ip: '192.0.2.2' }, true);
    await session.setAdminState!({ vrf: 'CUST-A', peer_ip: '198.51.100.7' }, true);
    expect(rig.server.isDisabled(null, '192.0.2.2')).toBe(false);
    const up = (await session.listNeighbors()).find((p) => p.peer_ip === '192.0.2.2');
    expect(up).toMatchObject({ state: 'established', admin_down: false });
  });

  it('refuses admin state for a neighbour the router does not have', async () => {
    const session = await rig.open();
    await expect(session.setAdminState!({ vrf: null, peer_ip: '203.0.113.99' }, false)).rejects.toThrow(
      /203\.0\.113\.99 is not in the BGP configuration/,
    );
  });

  it('an <rpc-error> answer is a router_error naming tag, message and path', async () => {
    const session = await rig.open();
    rig.server.setFault({
      rpc: 'get-bgp-neighbor-information',
      mode: 'error',
      tag: 'operation-failed',
      message: 'routing protocol daemon is not running',
      path: '/bgp-information',
    });
    const err = await session.listNeighbors().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as UpstreamError).code).toBe('router_error');
    expect((err as Error).message).toBe(
      'mx1: <get-bgp-neighbor-information> failed: operation-failed: routing protocol daemon is not running (at /bgp-information)',
    );
  });

  it('a router that stops answering gives router_unreachable after the per-call timeout', async () => {
    const session = await rig.open({}, 800);
    rig.server.setFault({ rpc: 'get-bgp-neighbor-information', mode: 'stall' });
    const err = await session.listNeighbors().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as UpstreamError).code).toBe('router_unreachable');
    expect((err as Error).message).toMatch(/no answer to <get-bgp-neighbor-information> within 1 s/);
  });

  it('a cancelled job aborts the call in flight', async () => {
    const ac = new AbortController();
    const session = rig.track(await junosDriver.open(target(rig.server), { signal: ac.signal, timeoutMs: 30_000 }));
    rig.server.setFault({ rpc: 'get-bgp-neighbor-information', mode: 'stall' });
    const p = session.listNeighbors();
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'router_unreachable', message: expect.stringMatching(/cancelled/) });
  });

  it('deploy: lock, load, diff, commit confirmed (minutes), confirm', async () => {
    const session = await rig.open();
    const before = rig.server.rpcs.length;
    const cand = await session.loadCandidate!(
      'policy-options {\n    prefix-list PEERDESK-AS64501 {\n        192.0.2.0/24;\n    }\n}\n',
      'merge',
    );
    expect(cand.diff).toContain('+ prefix-list PEERDESK-AS64501 {');
    expect(cand.diff).not.toMatch(/^- /m);
    await session.commitConfirmed!(90, 'deployment 7');
    expect(await session.pendingConfirm!()).toBe(true);
    await session.confirm!();
    expect(await session.pendingConfirm!()).toBe(false);
    expect(rig.server.rpcs.slice(before)).toEqual([
      'lock',
      'load-configuration',
      'get-configuration',
      'commit-configuration',
      'get-commit-information',
      'commit-configuration',
      'unlock',
      'get-commit-information',
    ]);
    const commitXml = rig.server.rpcXml.find((x) => x.includes('<confirmed/>'))!;
    expect(commitXml).toContain('<confirm-timeout>2</confirm-timeout>');
    expect(commitXml).toContain('<log>deployment 7</log>');
    expect(rig.server.runningText()).toContain('prefix-list PEERDESK-AS64501');
    // A second load of the same text changes nothing: the diff is empty.
    const again = await session.loadCandidate!(
      'policy-options {\n    prefix-list PEERDESK-AS64501 {\n        192.0.2.0/24;\n    }\n}\n',
      'merge',
    );
    expect(again.diff).toBe('');
    await session.discardCandidate!();
  });

  it('a broken candidate is refused and discarded: the router stays exactly as it was', async () => {
    const session = await rig.open();
    const running = rig.server.runningText();
    const before = rig.server.rpcs.length;
    const err = await session.loadCandidate!('protocols { bgp { group X {\n', 'merge').catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'router_error',
      message: expect.stringMatching(/<load-configuration> failed: operation-failed: syntax error/),
    });
    expect(rig.server.rpcs.slice(before)).toEqual(['lock', 'load-configuration', 'discard-changes', 'unlock']);
    expect(rig.server.candidateText()).toBe(running);
    expect(rig.server.runningText()).toBe(running);
  });

  it('rollback undoes a confirmed commit at once (rollback 1 + commit)', async () => {
    const session = await rig.open();
    const running = rig.server.runningText();
    await session.loadCandidate!('snmp {\n    location "rack 7";\n}\n', 'merge');
    await session.commitConfirmed!(600);
    expect(rig.server.runningText()).toContain('rack 7');
    const before = rig.server.rpcs.length;
    await session.rollback!();
    expect(rig.server.rpcs.slice(before)).toEqual(['load-configuration', 'commit-configuration', 'unlock']);
    expect(rig.server.rpcXml.at(-3)).toContain('rollback="1"');
    expect(rig.server.runningText()).toBe(running);
    expect(rig.server.pendingConfirm()).toBe(false);
  });

  it("an unconfirmed commit reverts by itself when the router's timer runs out", async () => {
    const session = await rig.open();
    const running = rig.server.runningText();
    await session.loadCandidate!('snmp {\n    contact "noc";\n}\n', 'merge');
    await session.commitConfirmed!(30); // one Junos minute: 150 ms on this server
    expect(rig.server.runningText()).toContain('contact "noc"');
    await rig.closeSession();
    await expect.poll(() => rig.server.pendingConfirm(), { timeout: 30_000 }).toBe(false);
    expect(rig.server.runningText()).toBe(running);
  });

  it('accepts an SSH key instead of a password', async () => {
    const session = await rig.open({ password: undefined, ssh_private_key: rig.server.clientPrivateKey });
    expect(await session.listNeighbors()).toHaveLength(3);
  });

  it('wrong credentials: a clear authentication error', async () => {
    const err = await rig.open({ password: 'wrong' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({
      code: 'router_unreachable',
      message: expect.stringMatching(/SSH authentication failed for user "peerdesk"/),
    });
    expect((err as Error).message).not.toContain('wrong');
  });

  it('refuses a host key that does not match, and one that is not configured', async () => {
    const mismatch = await rig
      .open({ ssh_host_key: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' })
      .catch((e: unknown) => e);
    expect(mismatch).toMatchObject({
      code: 'router_unreachable',
      message: expect.stringContaining(`SSH host key mismatch: the router presented ${rig.server.hostKeyFingerprint}`),
    });
    const missing = await rig.open({ ssh_host_key: undefined }).catch((e: unknown) => e);
    expect(missing).toMatchObject({
      code: 'router_unreachable',
      message: expect.stringMatching(/no SSH host key is configured/),
    });
    const session = await rig.open({ ssh_host_key: undefined, insecure_skip_host_key: true });
    expect(await session.listNeighbors()).toHaveLength(3);
  });

  it('an unreachable router fails at open with router_unreachable', async () => {
    const err = await junosDriver
      .open(
        { ...target(rig.server), hostname: 'netconf://127.0.0.1:1' },
        { signal: new AbortController().signal, timeoutMs: 5000 },
      )
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'router_unreachable' });
  });
});

describe('junos driver with NETCONF 1.1 chunked framing', () => {
  it('negotiates base:1.1 and polls the same answers', async () => {
    const server = await startNetconfServer({ flavor: 'junos', neighbors: neighbors(), base11: true });
    try {
      const s = await junosDriver.open(target(server), { signal: new AbortController().signal });
      try {
        const peers = await s.listNeighbors();
        expect(peers.map((p) => `${p.peer_ip} ${p.state}`).sort()).toEqual([
          '192.0.2.2 established',
          '198.51.100.7 established',
          '2001:db8::2 active',
        ]);
      } finally {
        await s.close();
      }
    } finally {
      await server.close();
    }
  });
});
