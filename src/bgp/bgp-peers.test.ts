// BGP peers through the API: what a peer inherits from its router, its default address family,
// canonical addresses, the invariants (source family, uniqueness per router and VRF, peer group on the
// same router, families listed once) and the protection of a peer a session wraps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../../test/support/db.ts';
import { startTestApp, type TestApp } from '../../test/support/app.ts';
import { bgpPeer, create, router, session } from '../../test/support/factories.ts';

describe.each(engines())('BGP peers on %s', (engine) => {
  let t: TestApp;
  let rt: Record<string, any>;
  beforeAll(async () => {
    t = await startTestApp(engine);
    rt = await router(t, { name: 'rt-bgp', local_asn: 64500 });
  });
  afterAll(async () => t?.close());

  it('takes the router ASN, the unicast family of the address and the canonical address', async () => {
    const p = await bgpPeer(t, {
      router: rt.id,
      peer_ip: '2001:DB8:0::10',
      source_ip: '2001:db8::1',
      remote_asn: 'AS64511',
    });
    expect(p).toMatchObject({
      router: { id: rt.id, name: 'rt-bgp' },
      vrf: null,
      peer_ip: '2001:db8::10',
      source_ip: '2001:db8::1',
      family: 6,
      local_asn: 64500,
      remote_asn: 64511,
      enabled: true,
      password_set: false,
      state: 'unknown',
      prefixes_received: null,
      peering_session: null,
      address_families: [expect.objectContaining({ afi_safi: 'ipv6-unicast', enabled: true, max_prefixes: null })],
    });
    const own = await bgpPeer(t, {
      router: rt.id,
      peer_ip: '198.51.100.20',
      local_asn: 65000,
      address_families: [{ afi_safi: 'ipv4-unicast', max_prefixes: 100 }, { afi_safi: 'ipv6-unicast' }],
    });
    expect(own.local_asn).toBe(65000);
    expect(own.address_families.map((a: any) => [a.afi_safi, a.max_prefixes])).toEqual([
      ['ipv4-unicast', 100],
      ['ipv6-unicast', null],
    ]);
  });

  it('refuses a source of the other family, the peer itself, duplicates per router and VRF, and bad families', async () => {
    const post = (body: Record<string, unknown>) =>
      t.api('POST', '/api/bgp-peers/', { router: rt.id, remote_asn: 64512, ...body });
    expect((await post({ peer_ip: '198.51.100.30', source_ip: '2001:db8::1' })).body.errors).toEqual([
      { field: 'source_ip', message: 'source 2001:db8::1 and peer 198.51.100.30 must be of the same IP family' },
    ]);
    expect((await post({ peer_ip: '198.51.100.30', source_ip: '198.51.100.30' })).body.errors).toEqual([
      { field: 'source_ip', message: 'local and peer IP must differ' },
    ]);
    expect((await post({ peer_ip: '198.51.100.300' })).body.errors[0].field).toBe('peer_ip');
    expect((await post({ peer_ip: '198.51.100.30', remote_asn: 0 })).body.errors[0].field).toBe('remote_asn');
    expect((await post({ router: 999999, peer_ip: '198.51.100.30' })).body.errors[0].field).toBe('router');
    expect((await post({ peer_ip: '198.51.100.30' })).status).toBe(201);
    const dup = await post({ peer_ip: '198.51.100.30' });
    expect(dup.status).toBe(409);
    expect(dup.body.errors).toEqual([{ field: 'peer_ip', message: 'already a peer on this router and VRF' }]);
    expect(dup.body.detail).toBe('the router already has a BGP peer 198.51.100.30');
    expect((await post({ peer_ip: '198.51.100.30', vrf: 'CUST' })).status).toBe(201);
    expect((await post({ peer_ip: '198.51.100.30', vrf: 'CUST' })).body.detail).toBe(
      'the router already has a BGP peer 198.51.100.30 in VRF CUST',
    );
    // The same address on another router is another peer.
    expect((await bgpPeer(t, { peer_ip: '198.51.100.30' })).peer_ip).toBe('198.51.100.30');
    const twice = await post({
      peer_ip: '198.51.100.31',
      address_families: [{ afi_safi: 'ipv4-unicast' }, { afi_safi: 'ipv4-unicast' }],
    });
    expect(twice.body.errors).toEqual([
      { field: 'address_families.1.afi_safi', message: 'ipv4-unicast is listed twice' },
    ]);
    expect(
      (await post({ peer_ip: '198.51.100.31', address_families: [{ afi_safi: 'ipv4-anycast' }] })).body.errors[0].field,
    ).toBe('address_families.0.afi_safi');
    expect((await post({ peer_ip: '198.51.100.31', peer_group: 999999 })).body.errors).toEqual([
      { field: 'peer_group', message: 'no peer group with id 999999' },
    ]);
    expect((await t.api('GET', '/api/bgp-peers/?peer_ip=198.51.100.31')).body.count).toBe(0);
  });

  it('stores the MD5 password encrypted and shows it to admins only on request', async () => {
    const p = await bgpPeer(t, { router: rt.id, peer_ip: '198.51.100.40', password: 'md5-secret' });
    expect(p.password_set).toBe(true);
    expect(p).not.toHaveProperty('password');
    expect((await t.api('GET', `/api/bgp-peers/${p.id}/?include_secrets=1`)).body.password).toBe('md5-secret');
    expect(
      (await t.api('GET', `/api/bgp-peers/${p.id}/?include_secrets=1`, undefined, { role: 'operator' })).status,
    ).toBe(403);
  });

  it('joins a peer group of its router and protects a wrapped peer', async () => {
    const g = await create(t, 'peer-groups', { router: rt.id, name: 'RS' });
    const inGroup = await bgpPeer(t, { router: rt.id, peer_ip: '198.51.100.50', peer_group: g.id });
    expect(inGroup.peer_group).toEqual({ id: g.id, name: 'RS' });
    const s = await session(t, { router: rt.id, peer_ip: '198.51.100.60', asn: 64520 });
    const del = await t.api('DELETE', `/api/bgp-peers/${s.bgp_peer.id}/`);
    expect(del.status).toBe(409);
    expect(del.body.detail).toBe(
      `BGP peer 198.51.100.60 is wrapped by peering session ${s.id}; delete the session first`,
    );
    const asn = await t.api('PATCH', `/api/bgp-peers/${s.bgp_peer.id}/`, { remote_asn: 64521 });
    expect(asn.body.errors).toEqual([
      { field: 'remote_asn', message: "this peer's session is with AS64520; the remote AS must stay AS64520" },
    ]);
    expect((await t.api('DELETE', `/api/bgp-peers/${inGroup.id}/`)).status).toBe(204);
  });
});
