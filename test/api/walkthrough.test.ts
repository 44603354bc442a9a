// The first seed's walkthrough ("Your first peering session") through the REST API, on both engines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { connection, create, fabric, network, peerAsn, router } from '../support/factories.ts';

describe.each(engines())('first peering session walkthrough on %s', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(engine);
  });
  afterAll(async () => t?.close());

  it('builds relationship → peer ASN → fabric → network → router → connection → BGP peer → session, and reads it back', async () => {
    // Step 1: the relationship taxonomy, once.
    const rels: Record<string, any> = {};
    for (const [slug, name, color] of [
      ['transit', 'Transit', 'red'],
      ['customer', 'Customer', 'blue'],
      ['peer', 'Peer', 'green'],
      ['ixp-rs', 'IX Route Server', 'yellow'],
    ]) {
      const r = await t.api('POST', '/api/relationships/', { slug, name, color });
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ slug, name, color });
      rels[slug] = r.body;
    }
    // Step 2: the peer-side metadata.
    const asn = await t.api('POST', '/api/peer-asns/', {
      asn: 64512,
      name: 'Example Peer',
      irr_as_set: 'RIPE::AS-EXAMPLE',
      ipv4_max_prefixes: 500,
      ipv6_max_prefixes: 100,
    });
    expect(asn.status).toBe(201);
    expect(asn.body).toMatchObject({
      asn: 64512,
      irr_as_set: 'RIPE::AS-EXAMPLE',
      ipv4_max_prefixes: 500,
      ipv6_max_prefixes: 100,
      affiliated: false,
    });
    // Prerequisites: fabric, network, router, connection.
    const fabric = await t.api('POST', '/api/fabrics/', { name: 'LINX LON1', type: 'ixp' });
    expect(fabric.status).toBe(201);
    expect(fabric.body.slug).toBe('linx-lon1');
    const network = await t.api('POST', '/api/peering-networks/', {
      fabric: fabric.body.id,
      name: 'LINX LON1 peering LAN',
      prefix: '198.51.100.0/24',
      vlan: 10,
    });
    expect(network.status).toBe(201);
    const router = await t.api('POST', '/api/routers/', { name: 'rt1.mtl', local_asn: 64500, router_id: '192.0.2.1' });
    expect(router.status).toBe(201);
    const conn = await t.api('POST', '/api/peering-connections/', {
      network: network.body.id,
      router: router.body.id,
      interface: 'et-0/0/1',
      ipv4_address: '198.51.100.1',
    });
    expect(conn.status).toBe(201);
    // Step 3: the BGP peer.
    const peer = await t.api('POST', '/api/bgp-peers/', {
      router: router.body.id,
      peer_ip: '198.51.100.42',
      source_ip: '198.51.100.1',
      local_asn: 64500,
      remote_asn: 64512,
      name: 'AS64512 - Example Peer (LINX)',
      enabled: true,
    });
    expect(peer.status).toBe(201);
    expect(peer.body.address_families).toEqual([expect.objectContaining({ afi_safi: 'ipv4-unicast' })]);
    // Step 4: wrap it with a peering session.
    const session = await t.api('POST', '/api/peering-sessions/', {
      bgp_peer: peer.body.id,
      relationship: rels.peer.id,
      network: network.body.id,
      service_reference: 'NOC-12345',
    });
    expect(session.status).toBe(201);
    expect(session.body).toMatchObject({
      peer_ip: '198.51.100.42',
      local_ip: '198.51.100.1',
      local_asn: 64500,
      peer_asn: { asn: 64512, name: 'Example Peer' },
      relationship: { slug: 'peer', color: 'green' },
      network: { id: network.body.id },
      fabric: { name: 'LINX LON1' },
      service_reference: 'NOC-12345',
      max_prefixes: 500,
    });
    // Pitfall: the same BGP peer cannot get a second session.
    const again = await t.api('POST', '/api/peering-sessions/', {
      bgp_peer: peer.body.id,
      relationship: rels.transit.id,
    });
    expect(again.status).toBe(409);
    expect(again.body.errors[0].field).toBe('bgp_peer');
    // What you should see: the session in lists filtered by relationship, ASN, fabric and network.
    for (const q of [
      'relationship=peer',
      'asn=64512',
      `fabric=${fabric.body.id}`,
      `network=${network.body.id}`,
      'family=4',
      `router=${router.body.id}`,
      'q=NOC-12345',
    ]) {
      const list = await t.api('GET', `/api/peering-sessions/?${q}`);
      expect(list.status, q).toBe(200);
      expect(list.body.count, q).toBe(1);
      expect(list.body.results[0].id).toBe(session.body.id);
    }
    expect((await t.api('GET', '/api/peering-sessions/?relationship=transit')).body.count).toBe(0);
    expect((await t.api('GET', '/api/peering-sessions/?family=6')).body.count).toBe(0);
    expect((await t.api('GET', `/api/peer-asns/${asn.body.id}/`)).body.session_count).toBe(1);
    expect((await t.api('GET', `/api/peering-networks/${network.body.id}/`)).body.session_count).toBe(1);
    // A wrapped BGP peer is protected.
    const del = await t.api('DELETE', `/api/bgp-peers/${peer.body.id}/`);
    expect(del.status).toBe(409);
    // A relationship in use is protected too (409 with the count); the session keeps its type.
    const relDel = await t.api('DELETE', `/api/relationships/${rels.peer.id}/`);
    expect(relDel.status).toBe(409);
    expect(relDel.body.detail).toContain('is used by 1 peering session;');
    expect((await t.api('GET', `/api/peering-sessions/${session.body.id}/`)).body.relationship).toMatchObject({
      slug: 'peer',
    });
    // An unused one goes.
    expect((await t.api('DELETE', `/api/relationships/${rels.customer.id}/`)).status).toBe(204);
  });

  it('enforces the session invariants', async () => {
    const rt = await router(t, { name: 'rt2', local_asn: 64500 });
    const fab = await fabric(t, { name: 'DE-CIX Frankfurt' });
    const net = await network(t, { fabric: fab.id, name: 'v4', prefix: '80.81.192.0/21' });
    await peerAsn(t, { asn: 65010, name: 'Ten' });
    // Source and peer must be of one family; local and peer IP must differ.
    const mixed = await t.api('POST', '/api/bgp-peers/', {
      router: rt.id,
      peer_ip: '80.81.192.10',
      source_ip: '2001:db8::1',
      remote_asn: 65010,
    });
    expect(mixed.status).toBe(400);
    expect(mixed.body.errors[0].field).toBe('source_ip');
    const same = await t.api('POST', '/api/bgp-peers/', {
      router: rt.id,
      peer_ip: '80.81.192.10',
      source_ip: '80.81.192.10',
      remote_asn: 65010,
    });
    expect(same.body.errors[0].field).toBe('source_ip');
    // Unique (router, VRF, peer IP).
    const p1 = await t.api('POST', '/api/bgp-peers/', { router: rt.id, peer_ip: '80.81.192.10', remote_asn: 65010 });
    expect(p1.status).toBe(201);
    const dup = await t.api('POST', '/api/bgp-peers/', { router: rt.id, peer_ip: '80.81.192.10', remote_asn: 65010 });
    expect(dup.status).toBe(409);
    const inVrf = await t.api('POST', '/api/bgp-peers/', {
      router: rt.id,
      vrf: 'CUST',
      peer_ip: '80.81.192.10',
      remote_asn: 65010,
    });
    expect(inVrf.status).toBe(201);
    // Peer IP inside the network's prefix.
    const outside = await t.api('POST', '/api/bgp-peers/', { router: rt.id, peer_ip: '192.0.2.77', remote_asn: 65010 });
    const bad = await t.api('POST', '/api/peering-sessions/', { bgp_peer: outside.body.id, network: net.id });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('network');
    // Remote AS must equal the session's peer ASN, also on later edits of the BGP peer.
    const s = await t.api('POST', '/api/peering-sessions/', { bgp_peer: p1.body.id, network: net.id });
    expect(s.status).toBe(201);
    const change = await t.api('PATCH', `/api/bgp-peers/${p1.body.id}/`, { remote_asn: 65011 });
    expect(change.status).toBe(400);
    expect(change.body.errors[0].field).toBe('remote_asn');
    const move = await t.api('PATCH', `/api/bgp-peers/${p1.body.id}/`, { peer_ip: '192.0.2.1' });
    expect(move.body.errors[0].field).toBe('peer_ip');
    // Shrinking the network away from its sessions is refused.
    const shrink = await t.api('PATCH', `/api/peering-networks/${net.id}/`, { prefix: '80.81.200.0/24' });
    expect(shrink.status).toBe(400);
    // Slugs unique.
    expect((await t.api('POST', '/api/fabrics/', { name: 'Other', slug: 'de-cix-frankfurt' })).status).toBe(409);
  });

  it('creates v4 and v6 sessions with the wizard in one transaction, and rolls back on error', async () => {
    const rt = await router(t, { name: 'rt-wiz', local_asn: 64500 });
    const group = await create(t, 'peer-groups', { router: rt.id, name: 'IXP-PEERS', ipv4_max_prefixes: 1000 });
    const ams = await fabric(t, { name: 'AMS-IX' });
    const v4 = await network(t, { fabric: ams.id, name: 'lan4', prefix: '80.249.208.0/21' });
    const v6 = await network(t, { fabric: ams.id, name: 'lan6', prefix: '2001:7f8:1::/64' });
    await connection(t, { network: v4.id, router: rt.id, interface: 'ae0', ipv4_address: '80.249.208.1' });
    await connection(t, { network: v6.id, router: rt.id, interface: 'ae0', ipv6_address: '2001:7f8:1::a506:4500:1' });
    const res = await t.api('POST', '/api/peering-sessions/wizard/', {
      networks: [v4.id, v6.id],
      notes: 'via wizard',
      router: rt.id,
      peer_group: group.id,
      md5: 'secret',
      peer: { asn: 'AS1.10', name: 'Dotted Peer', ipv4: '80.249.209.50', ipv6: '2001:7F8:1::A506:5546:1' },
      irr_as_set: 'AS-DOTTED',
    });
    expect(res.status).toBe(201);
    expect(res.body).toHaveLength(2);
    expect(res.body[0]).toMatchObject({
      peer_asn: { asn: 65546, name: 'Dotted Peer', irr_as_set: 'AS-DOTTED' },
      local_ip: '80.249.208.1',
      network: { id: v4.id },
      peer_group: { name: 'IXP-PEERS' },
      notes: 'via wizard',
      max_prefixes: 1000,
    });
    expect(res.body[1]).toMatchObject({
      peer_ip: '2001:7f8:1::a506:5546:1',
      local_ip: '2001:7f8:1::a506:4500:1',
      family: 6,
    });
    const peer = await t.api('GET', `/api/bgp-peers/${res.body[0].bgp_peer.id}/?include_secrets=1`);
    expect(peer.body.password).toBe('secret');
    // The second address is outside the LAN: nothing at all is created.
    const before = (await t.api('GET', '/api/peer-asns/?asn=65099')).body.count;
    const bad = await t.api('POST', '/api/peering-sessions/wizard/', {
      networks: [v4.id, v6.id],
      router: rt.id,
      peer: { asn: 65099, name: 'Half', ipv4: '80.249.209.99', ipv6: '2001:db8::1' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('peer.ipv6');
    expect((await t.api('GET', '/api/peer-asns/?asn=65099')).body.count).toBe(before);
    expect((await t.api('GET', '/api/bgp-peers/?peer_ip=80.249.209.99')).body.count).toBe(0);
    // "No Exchange": a local peer without a network.
    const local = await t.api('POST', '/api/peering-sessions/wizard/', {
      network: null,
      router: rt.id,
      peer: { asn: 65099, name: 'Local', ipv4: '10.0.0.2', source_ipv4: '10.0.0.1' },
    });
    expect(local.status).toBe(201);
    expect(local.body[0].network).toBeNull();
    // Admin down / up and bulk.
    const down = await t.api('POST', '/api/peering-sessions/bulk-admin/', {
      ids: res.body.map((s: any) => s.id),
      enabled: false,
    });
    expect(down.status).toBe(200);
    expect(down.body.sessions.map((s: any) => s.state)).toEqual(['admin-down', 'admin-down']);
    expect((await t.api('GET', '/api/peering-sessions/?state=admin-down')).body.count).toBe(2);
    const up = await t.api('POST', `/api/peering-sessions/${res.body[0].id}/admin-up/`);
    expect(up.body.sessions[0].enabled).toBe(true);
    // Delete with the BGP peers.
    expect(
      (await t.api('POST', '/api/peering-sessions/bulk-delete/', { ids: [local.body[0].id], delete_bgp_peers: true }))
        .status,
    ).toBe(204);
    expect((await t.api('GET', `/api/bgp-peers/${local.body[0].bgp_peer.id}/`)).status).toBe(404);
  });
});
