// Peering sessions through the API: what a session shows (peer ASN, addresses, family, effective state
// and max-prefixes), its links (one session per BGP peer, the peer ASN matching the remote AS, the
// peer IP inside the network), admin down/up, and deleting with or without the BGP peer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../../test/support/db.ts';
import { startTestApp, type TestApp } from '../../test/support/app.ts';
import {
  bgpPeer,
  connection,
  create,
  network,
  peerAsn,
  relationship,
  router,
  session,
} from '../../test/support/factories.ts';

describe.each(engines())('peering sessions on %s', (engine) => {
  let t: TestApp;
  let rt: Record<string, any>;
  let lan: Record<string, any>;
  beforeAll(async () => {
    t = await startTestApp(engine);
    rt = await router(t, { name: 'rt-sess', local_asn: 64500 });
    lan = await network(t, { name: 'lan', prefix: '185.0.0.0/24' });
    await connection(t, { router: rt.id, network: lan.id, ipv4_address: '185.0.0.1' });
  });
  afterAll(async () => t?.close());

  it('shows the peer ASN, addresses, family, fabric and the peer ASN max-prefixes', async () => {
    await peerAsn(t, { asn: 64601, name: 'Sixty-four', ipv4_max_prefixes: 500, ipv6_max_prefixes: 50 });
    const rel = await relationship(t, { name: 'Peer', color: 'green' });
    const s = await session(t, {
      router: rt.id,
      network: lan.id,
      asn: 64601,
      peer_ip: '185.0.0.42',
      source_ip: '185.0.0.1',
      relationship: rel.id,
      service_reference: 'NOC-1',
    });
    expect(s).toMatchObject({
      peer_ip: '185.0.0.42',
      local_ip: '185.0.0.1',
      local_asn: 64500,
      family: 4,
      peer_asn: { asn: 64601, name: 'Sixty-four' },
      relationship: { id: rel.id, slug: 'peer', color: 'green' },
      network: { id: lan.id },
      fabric: { id: lan.fabric.id, name: lan.fabric.name },
      router: { id: rt.id, name: 'rt-sess' },
      service_reference: 'NOC-1',
      enabled: true,
      state: 'unknown',
      max_prefixes: 500,
      warnings: [],
    });
    // The address family's own limit wins over the peer ASN's.
    const own = await bgpPeer(t, {
      router: rt.id,
      peer_ip: '185.0.0.43',
      remote_asn: 64601,
      address_families: [{ afi_safi: 'ipv4-unicast', max_prefixes: 7 }],
    });
    expect((await create(t, 'peering-sessions', { bgp_peer: own.id })).max_prefixes).toBe(7);
  });

  it('links a session to one BGP peer, the peer ASN of its remote AS and a network holding its address', async () => {
    const orphan = await bgpPeer(t, { router: rt.id, peer_ip: '185.0.0.50', remote_asn: 64602 });
    const noAsn = await t.api('POST', '/api/peering-sessions/', { bgp_peer: orphan.id });
    expect(noAsn.status).toBe(400);
    expect(noAsn.body.errors).toEqual([{ field: 'peer_asn', message: 'no peer ASN AS64602 exists; create it first' }]);
    const other = await peerAsn(t, { asn: 64603, name: 'Other' });
    const wrong = await t.api('POST', '/api/peering-sessions/', { bgp_peer: orphan.id, peer_asn: other.id });
    expect(wrong.body.errors).toEqual([
      { field: 'peer_asn', message: "the BGP peer's remote AS is AS64602, not AS64603" },
    ]);
    await peerAsn(t, { asn: 64602, name: 'Right' });
    const outside = await t.api('POST', '/api/peering-sessions/', {
      bgp_peer: (await bgpPeer(t, { router: rt.id, peer_ip: '192.0.2.50', remote_asn: 64602 })).id,
      network: lan.id,
    });
    expect(outside.body.errors).toEqual([
      { field: 'network', message: 'peer IP 192.0.2.50 is outside the network 185.0.0.0/24' },
    ]);
    const s = await create(t, 'peering-sessions', { bgp_peer: orphan.id, network: lan.id });
    const again = await t.api('POST', '/api/peering-sessions/', { bgp_peer: orphan.id });
    expect(again.status).toBe(409);
    expect(again.body.detail).toBe(
      `BGP peer 185.0.0.50 already has peering session ${s.id}; edit that session instead`,
    );
    expect(again.body.errors).toEqual([{ field: 'bgp_peer', message: 'already has a peering session' }]);
    expect((await t.api('POST', '/api/peering-sessions/', { bgp_peer: 999999 })).body.errors[0].field).toBe('bgp_peer');
  });

  it('shows a disabled session as admin-down and counts it in the state filter', async () => {
    const a = await session(t, { router: rt.id, network: lan.id, peer_ip: '185.0.0.60' });
    const b = await session(t, { router: rt.id, network: lan.id, peer_ip: '185.0.0.61' });
    const down = await t.api('POST', '/api/peering-sessions/bulk-admin/', { ids: [a.id, b.id], enabled: false });
    expect(down.status).toBe(200);
    expect(down.body.sessions.map((s: any) => [s.id, s.enabled, s.state])).toEqual([
      [a.id, false, 'admin-down'],
      [b.id, false, 'admin-down'],
    ]);
    expect(
      (await t.api('GET', '/api/peering-sessions/?state=admin-down')).body.results.map((s: any) => s.id).sort(),
    ).toEqual([a.id, b.id].sort());
    const up = await t.api('POST', `/api/peering-sessions/${a.id}/admin-up/`);
    expect(up.body.sessions.map((s: any) => [s.id, s.enabled, s.state])).toEqual([[a.id, true, 'unknown']]);
    expect((await t.api('GET', '/api/peering-sessions/?state=admin-down')).body.results.map((s: any) => s.id)).toEqual([
      b.id,
    ]);
  });

  it('deletes sessions with their BGP peers unless asked to keep them', async () => {
    const a = await session(t, { router: rt.id, peer_ip: '198.51.100.70' });
    const b = await session(t, { router: rt.id, peer_ip: '198.51.100.71' });
    expect((await t.api('POST', '/api/peering-sessions/bulk-delete/', { ids: [a.id] })).status).toBe(204);
    expect((await t.api('GET', `/api/bgp-peers/${a.bgp_peer.id}/`)).status).toBe(404);
    expect(
      (await t.api('POST', '/api/peering-sessions/bulk-delete/', { ids: [b.id], delete_bgp_peers: false })).status,
    ).toBe(204);
    expect((await t.api('GET', `/api/bgp-peers/${b.bgp_peer.id}/`)).body.peering_session).toBeNull();
    expect((await t.api('GET', `/api/peering-sessions/${b.id}/`)).status).toBe(404);
  });
});
