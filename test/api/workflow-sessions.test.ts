// The seeds' session workflows without dead ends (issue 13, items 7–14), over the API on both
// engines, with the real PeeringDB sample (DE-CIX Frankfurt: 70 netixlan rows of 60 networks).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { bgpPeer, create, fabric, network, relationship, router } from '../support/factories.ts';
import { loadSample } from '../../src/peeringdb/peeringdb.fixtures.ts';
import { deleteOne } from '../../src/platform/crud.ts';
import { relationships } from '../../src/relationships/relationships.resource.ts';
import type { DeleteContext } from '../../src/relationships/references.ts';
import { sessionPeerName } from '../../src/sessions/sessions.service.ts';

describe.each(engines())('session workflows on %s', (engine) => {
  let t: TestApp;
  let v4: any;
  let v6: any;
  let rt1: any;
  let rt2: any;
  let rt3: any;
  let peerRel: any;
  const ok = (r: { status: number; body: any }, status = 201) => {
    expect(r.status, JSON.stringify(r.body)).toBe(status);
    return r.body;
  };

  beforeAll(async () => {
    t = await startTestApp(engine);
    await loadSample(t.tdb.db);
    const made = ok(await t.api('POST', '/api/fabrics/from-peeringdb', { ix_id: 31 }));
    v4 = made.networks.find((n: any) => n.family === 4);
    v6 = made.networks.find((n: any) => n.family === 6);
    rt1 = await router(t, { name: 'rt1.fra', local_asn: 64500 });
    rt2 = await router(t, { name: 'rt2.fra', local_asn: 64500 });
    rt3 = await router(t, { name: 'rt3.fra', local_asn: 64500 });
    peerRel = await relationship(t, { name: 'Peer', color: 'green' });
  }, 120_000);
  afterAll(async () => t?.close());

  it('a connection carries both families: the IPv6 address must sit on a sibling IPv6 LAN of the fabric', async () => {
    // Dual-stack on the exchange's IPv4 network (PeeringDB made one network per prefix).
    const c1 = ok(
      await t.api('POST', '/api/peering-connections/', {
        network: v4.id,
        router: rt1.id,
        interface: 'ae1',
        ipv4_address: '80.81.192.1',
        ipv6_address: '2001:7f8::fa:1',
      }),
    );
    expect(c1).toMatchObject({ ipv4_address: '80.81.192.1', ipv6_address: '2001:7f8::fa:1' });
    ok(
      await t.api('POST', '/api/peering-connections/', {
        network: v4.id,
        router: rt2.id,
        interface: 'ae2',
        ipv4_address: '80.81.192.2',
        ipv6_address: '2001:7f8::fa:2',
      }),
    );
    // An IPv6 address outside every IPv6 LAN of the fabric is refused.
    const outside = await t.api('POST', '/api/peering-connections/', {
      network: v4.id,
      router: rt3.id,
      interface: 'ae3',
      ipv6_address: '2001:db8::1',
    });
    expect(outside.status).toBe(400);
    expect(outside.body.errors).toEqual([
      { field: 'ipv6_address', message: '2001:db8::1 is outside every IPv6 network of this fabric (2001:7f8::/64)' },
    ]);
    // A fabric without an IPv6 network takes no IPv6 address on its IPv4 network's connection.
    const f = await fabric(t, { name: 'Private v4 only', type: 'private' });
    const n = await network(t, { fabric: f.id, name: 'pni', prefix: '192.0.2.0/31' });
    const v6OnV4 = await t.api('POST', '/api/peering-connections/', {
      network: n.id,
      router: rt3.id,
      interface: 'xe0',
      ipv4_address: '192.0.2.0',
      ipv6_address: '2001:db8::1',
    });
    expect(v6OnV4.status).toBe(400);
    expect(v6OnV4.body.errors[0].field).toBe('ipv6_address');
  });

  it('the wizard finds the IPv6 source on the dual-stack connection; warnings name sessions without one', async () => {
    const res = ok(
      await t.api('POST', '/api/peering-sessions/wizard/', {
        networks: [v4.id, v6.id],
        router: rt1.id,
        relationship: peerRel.id,
        peer: { asn: 15598, name: 'NorthC Germany', ipv4: '80.81.192.32', ipv6: '2001:7f8::3cee:0:1' },
      }),
    );
    expect(res.map((s: any) => [s.peer_ip, s.local_ip, s.network.id, s.warnings])).toEqual([
      ['80.81.192.32', '80.81.192.1', v4.id, []],
      ['2001:7f8::3cee:0:1', '2001:7f8::fa:1', v6.id, []],
    ]);
    // rt3 has no connection on this exchange: both the session and the network page say so.
    const bare = ok(
      await t.api('POST', '/api/peering-sessions/wizard/', {
        networks: [v6.id],
        router: rt3.id,
        peer: { asn: 15598, name: 'NorthC Germany', ipv6: '2001:7f8::3cee:0:2' },
      }),
    );
    expect(bare[0].local_ip).toBeNull();
    expect(bare[0].warnings).toEqual([
      `rt3.fra has no connection with an IPv6 address on ${v6.name} (2001:7f8::/64): add one (or add the IPv6 address to its connection on DE-CIX Frankfurt) so the session has a source.`,
      'No source address: the BGP peer has no local IP, so the rendered config has no update-source.',
    ]);
    const detail = ok(await t.api('GET', `/api/peering-sessions/${bare[0].id}/`), 200);
    expect(detail.warnings).toEqual(bare[0].warnings);
    // The session page's warnings add what a rendered config would lack (no filters yet: RFC 8212).
    const all = ok(await t.api('GET', `/api/peering-sessions/${bare[0].id}/warnings/`), 200);
    expect(all.session_id).toBe(bare[0].id);
    expect(all.warnings.slice(0, 2)).toEqual(bare[0].warnings);
    expect(all.warnings.slice(2).map((w: string) => /no import filter for IPv6/.test(w))).toContain(true);
    expect((await t.api('GET', '/api/peering-sessions/999999/warnings/')).status).toBe(404);
    const net = ok(await t.api('GET', `/api/peering-networks/${v6.id}/`), 200);
    expect(net).toMatchObject({
      session_count: 2,
      sessions_without_source: 1,
      warnings: [
        '1 session on this network has no source address.',
        'rt3.fra has sessions here but no connection with an IPv6 address on 2001:7f8::/64.',
      ],
    });
    const list = ok(await t.api('GET', '/api/peering-sessions/?has_source=false'), 200);
    expect(list.results.map((s: any) => s.id)).toEqual([bare[0].id]);
    expect(ok(await t.api('GET', '/api/peering-sessions/?has_source=true'), 200).count).toBe(2);
  });

  it('the wizard takes several addresses, wraps an unwrapped BGP peer, and syncs a new peer ASN from PeeringDB', async () => {
    // Mobile TeleSystems has two ports on DE-CIX: one session per chosen address.
    const res = ok(
      await t.api('POST', '/api/peering-sessions/wizard/', {
        networks: [v4.id, v6.id],
        router: rt1.id,
        peer: {
          asn: 8359,
          name: 'Mobile TeleSystems PJSC',
          ipv4: '80.81.192.78',
          addresses: ['80.81.193.78', '2001:7f8::20a7:0:1'],
          peeringdb_id: 983,
        },
      }),
    );
    expect(res.map((s: any) => [s.peer_ip, s.local_ip, s.bgp_peer.name])).toEqual([
      ['80.81.192.78', '80.81.192.1', 'AS8359 - Mobile TeleSystems PJSC (DE-CIX Frankfurt 80.81.192.78)'],
      ['80.81.193.78', '80.81.192.1', 'AS8359 - Mobile TeleSystems PJSC (DE-CIX Frankfurt 80.81.193.78)'],
      [
        '2001:7f8::20a7:0:1',
        '2001:7f8::fa:1',
        'AS8359 - Mobile TeleSystems PJSC (DE-CIX Frankfurt 2001:7f8::20a7:0:1)',
      ],
    ]);
    // The new peer ASN got PeeringDB's max-prefixes, like the candidates' bulk create gives them.
    const pa = ok(await t.api('GET', `/api/peer-asns/${res[0].peer_asn.id}/`), 200);
    expect(pa).toMatchObject({
      asn: 8359,
      ipv4_max_prefixes: 20000,
      ipv6_max_prefixes: 5000,
      peeringdb_id: 983,
      irr_as_set: 'RIPE::AS-MTU',
    });
    expect(pa.peeringdb_synced_at).toEqual(expect.any(String));
    expect(res[0].max_prefixes).toBe(20000);

    // Seed step 3 made a BGP peer by hand; the wizard wraps it instead of answering 409.
    const peer = await bgpPeer(t, { router: rt1.id, peer_ip: '80.81.192.191', remote_asn: 8551, name: 'hand-made' });
    const wrapped = ok(
      await t.api('POST', '/api/peering-sessions/wizard/', {
        networks: [v4.id],
        router: rt1.id,
        peer: { asn: 8551, name: 'Bezeq International', ipv4: '80.81.192.191' },
      }),
    );
    expect(wrapped[0]).toMatchObject({
      bgp_peer: { id: peer.id, name: 'hand-made' },
      local_ip: '80.81.192.1',
      network: { id: v4.id },
    });
    expect(ok(await t.api('GET', `/api/bgp-peers/?peer_ip=80.81.192.191`), 200).count).toBe(1);
    // Once wrapped, a second session on it is a 409 on the address field.
    const again = await t.api('POST', '/api/peering-sessions/wizard/', {
      networks: [v4.id],
      router: rt1.id,
      peer: { asn: 8551, name: 'Bezeq International', ipv4: '80.81.192.191' },
    });
    expect(again.status).toBe(409);
    expect(again.body.errors[0].field).toBe('peer.ipv4');
  });

  it('candidates are per router and address; both paths create sessions the same way', async () => {
    // rt1 peers with Swisscom from the candidates.
    const before = ok(await t.api('GET', `/api/fabrics/${v4.fabric_id}/candidates?router=${rt1.id}&q=swisscom`), 200);
    expect(before.results.map((c: any) => [c.asn, c.addresses.map((a: any) => a.has_session)])).toEqual([
      [3303, [false, false]],
    ]);
    const c1 = ok(
      await t.api('POST', `/api/fabrics/${v4.fabric_id}/candidates/create-sessions`, {
        router_id: rt1.id,
        relationship_id: peerRel.id,
        candidates: [{ asn: 3303 }],
      }),
    );
    expect(c1.created.map((c: any) => c.address)).toEqual(['80.81.193.183', '2001:7f8::ce7:0:2']);
    // A router that does not exist, or an id no database holds, is a 400 naming the parameter.
    for (const bad of ['99999999', '1e300']) {
      const r = await t.api('GET', `/api/fabrics/${v4.fabric_id}/candidates?router=${bad}`);
      expect(r.status, bad).toBe(400);
    }
    // rt1 has no Swisscom candidate any more, rt2 still has both addresses.
    expect(
      ok(await t.api('GET', `/api/fabrics/${v4.fabric_id}/candidates?router=${rt1.id}&q=swisscom`), 200).count,
    ).toBe(0);
    const rt2c = ok(await t.api('GET', `/api/fabrics/${v4.fabric_id}/candidates?router=${rt2.id}&q=swisscom`), 200);
    expect(rt2c.results[0].addresses.map((a: any) => [a.address, a.has_session])).toEqual([
      ['80.81.193.183', false],
      ['2001:7f8::ce7:0:2', false],
    ]);
    const c2 = ok(
      await t.api('POST', `/api/fabrics/${v4.fabric_id}/candidates/create-sessions`, {
        router_id: rt2.id,
        candidates: [{ asn: 3303 }],
      }),
    );
    expect(c2.created).toHaveLength(2);
    expect(c2.peer_asns_created).toEqual([]);
    const sessions = ok(await t.api('GET', '/api/peering-sessions/?asn=3303&ordering=id'), 200).results;
    expect(sessions.map((s: any) => [s.router.name, s.peer_ip, s.local_ip, s.bgp_peer.name])).toEqual([
      ['rt1.fra', '80.81.193.183', '80.81.192.1', 'AS3303 - Swisscom (DE-CIX Frankfurt 80.81.193.183)'],
      ['rt1.fra', '2001:7f8::ce7:0:2', '2001:7f8::fa:1', 'AS3303 - Swisscom (DE-CIX Frankfurt 2001:7f8::ce7:0:2)'],
      ['rt2.fra', '80.81.193.183', '80.81.192.2', 'AS3303 - Swisscom (DE-CIX Frankfurt 80.81.193.183)'],
      ['rt2.fra', '2001:7f8::ce7:0:2', '2001:7f8::fa:2', 'AS3303 - Swisscom (DE-CIX Frankfurt 2001:7f8::ce7:0:2)'],
    ]);
    expect(sessionPeerName(3303, 'Swisscom', 'DE-CIX Frankfurt', '80.81.193.183')).toBe(sessions[0].bgp_peer.name);
    // The shared write path records every object in the change log, with the caller as actor.
    const changes = ok(
      await t.api('GET', `/api/changes/?object_type=peering-session&object_id=${sessions[2].id}`),
      200,
    );
    expect(changes.results.map((c: any) => [c.action, c.user.username])).toEqual([['create', 'admin']]);
    // The BGP peer of a candidate session has its unicast family, as the BGP peer API creates it.
    const bp = ok(await t.api('GET', `/api/bgp-peers/${sessions[3].bgp_peer.id}/`), 200);
    expect(bp.address_families.map((a: any) => a.afi_safi)).toEqual(['ipv6-unicast']);
  });

  it('the PeeringDB exchange shows the mirror member count, not the global network count', async () => {
    const ix = ok(await t.api('GET', '/api/peeringdb/exchanges/31'), 200);
    expect([ix.net_count, ix.member_count]).toEqual([1017, 60]);
    const found = ok(await t.api('GET', '/api/peeringdb/exchanges?q=DE-CIX%20Frankfurt'), 200);
    expect(found.results.find((x: any) => x.id === 31).member_count).toBe(60);
  });

  it('refuses to delete referenced objects with the count, unless a replacement is named', async () => {
    const other = await relationship(t, { name: 'Private peer', color: 'blue' });
    const del = await t.api('DELETE', `/api/relationships/${peerRel.id}/`);
    expect(del.status).toBe(409);
    expect(del.body.detail).toBe(
      `relationship Peer is used by 4 peering sessions; name a replacement (replace_with=ID) to move them to another relationship, or change them first`,
    );
    expect(del.body.errors).toEqual([{ field: 'peering_sessions.relationship_id', message: '4 peering sessions' }]);
    expect(ok(await t.api('GET', `/api/peering-sessions/?relationship_id=${peerRel.id}`), 200).count).toBe(4);
    // With a replacement the sessions move first, then the relationship goes (the hook crud.ts calls).
    const secrets = (t.app as any).secrets;
    await expect(
      t.tdb.db
        .transaction()
        .execute((trx) =>
          deleteOne(
            relationships,
            { db: trx, principal: null, secrets, replaceWith: peerRel.id } as DeleteContext,
            peerRel.id,
            null,
          ),
        ),
    ).rejects.toMatchObject({ status: 400, fields: [{ field: 'replace_with' }] });
    await t.tdb.db
      .transaction()
      .execute((trx) =>
        deleteOne(
          relationships,
          { db: trx, principal: null, secrets, replaceWith: other.id } as DeleteContext,
          peerRel.id,
          null,
        ),
      );
    expect(ok(await t.api('GET', `/api/peering-sessions/?relationship_id=${other.id}`), 200).count).toBe(4);
    expect((await t.api('GET', `/api/relationships/${peerRel.id}/`)).status).toBe(404);

    // BFD profiles, routing policies and prefix lists are protected the same way.
    const bfd = await create(t, 'bfd-profiles', { name: 'fast' });
    const pol = await create(t, 'routing-policies', { name: 'IXP-IN', direction: 'import' });
    const pl = await create(t, 'prefix-lists', { name: 'AS-X-V4', family: 4 });
    await create(t, 'peer-groups', { router: rt3.id, name: 'grp', import_policy: pol.id, bfd_profile: bfd.id });
    await bgpPeer(t, {
      router: rt3.id,
      peer_ip: '198.51.100.9',
      remote_asn: 65009,
      address_families: [{ afi_safi: 'ipv4-unicast', prefix_list_in: pl.id, import_policy: pol.id }],
    });
    for (const [path, id, detail] of [
      ['bfd-profiles', bfd.id, 'BFD profile fast is used by 1 peer group;'],
      [
        'routing-policies',
        pol.id,
        'routing policy IXP-IN is used by 1 peer group (import), 1 BGP peer address family (import);',
      ],
      ['prefix-lists', pl.id, 'prefix list AS-X-V4 is used by 1 BGP peer address family (in);'],
    ] as const) {
      const r = await t.api('DELETE', `/api/${path}/${id}/`);
      expect(r.status, path).toBe(409);
      expect(r.body.detail).toContain(detail);
    }
    // Fabrics and networks name their session count too.
    const net = await t.api('DELETE', `/api/peering-networks/${v4.id}/`);
    expect(net.status).toBe(409);
    expect(net.body.detail).toBe(`network ${v4.name} is used by 6 peering sessions; move or delete them first`);
  });

  it('deleting sessions deletes their BGP peers unless asked to keep them', async () => {
    const [a, b] = ok(
      await t.api('POST', '/api/peering-sessions/wizard/', {
        network: null,
        router: rt3.id,
        peer: { asn: 65077, name: 'Local', ipv4: '10.7.7.2', ipv6: 'fd00::7:2' },
      }),
    );
    expect((await t.api('POST', '/api/peering-sessions/bulk-delete/', { ids: [a.id] })).status).toBe(204);
    expect((await t.api('GET', `/api/bgp-peers/${a.bgp_peer.id}/`)).status).toBe(404);
    expect(
      (await t.api('POST', '/api/peering-sessions/bulk-delete/', { ids: [b.id], delete_bgp_peers: false })).status,
    ).toBe(204);
    expect(ok(await t.api('GET', `/api/bgp-peers/${b.bgp_peer.id}/`), 200).peering_session).toBeNull();
  });
});
