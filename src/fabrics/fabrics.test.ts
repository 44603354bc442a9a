// Fabrics, their networks (LANs) and our connections through the API: defaults, slugs, prefixes and
// families, addresses inside the LAN (or a sibling LAN of the other family), and what deletes refuse.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../../test/support/db.ts';
import { startTestApp, type TestApp } from '../../test/support/app.ts';
import { connection, fabric, network, router, session } from '../../test/support/factories.ts';

describe.each(engines())('fabrics on %s', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(engine);
  });
  afterAll(async () => t?.close());

  it('derives the slug from the name, defaults to an active IXP, and keeps names and slugs unique', async () => {
    const f = await fabric(t, { name: 'DE-CIX Frankfurt' });
    expect(f).toMatchObject({
      name: 'DE-CIX Frankfurt',
      slug: 'de-cix-frankfurt',
      type: 'ixp',
      status: 'active',
      peeringdb_ix_id: null,
      description: null,
      version: 1,
    });
    expect((await fabric(t, { name: 'PNI Cogent', type: 'private' })).type).toBe('private');
    const sameSlug = await t.api('POST', '/api/fabrics/', { name: 'Other', slug: 'de-cix-frankfurt' });
    expect(sameSlug.status).toBe(409);
    expect(sameSlug.body.errors[0].field).toBe('slug');
    const sameName = await t.api('POST', '/api/fabrics/', { name: 'DE-CIX Frankfurt', slug: 'other' });
    expect(sameName.status).toBe(409);
    expect(sameName.body.errors[0].field).toBe('name');
    for (const [body, field] of [
      [{ name: 'Bad type', type: 'exchange' }, 'type'],
      [{ name: 'Bad slug', slug: 'Has Spaces' }, 'slug'],
      [{ name: 'Bad status', status: 'gone' }, 'status'],
    ] as const) {
      const r = await t.api('POST', '/api/fabrics/', body);
      expect(r.status, field).toBe(400);
      expect(r.body.errors[0].field).toBe(field);
    }
  });

  it('stores network prefixes canonically with their family and refuses host bits and duplicate names', async () => {
    const f = await fabric(t);
    const v4 = await network(t, { fabric: f.id, name: 'v4', prefix: '80.81.192.0/21', vlan: 100 });
    expect(v4).toMatchObject({
      fabric: { id: f.id, name: f.name, slug: f.slug, type: 'ixp' },
      prefix: '80.81.192.0/21',
      family: 4,
      vlan: 100,
      session_count: 0,
      sessions_without_source: 0,
      warnings: [],
    });
    const v6 = await network(t, { fabric: f.id, name: 'v6', prefix: '2001:7F8:0::/64' });
    expect([v6.prefix, v6.family]).toEqual(['2001:7f8::/64', 6]);
    const hostBits = await t.api('POST', '/api/peering-networks/', {
      fabric: f.id,
      name: 'host bits',
      prefix: '80.81.192.1/21',
    });
    expect(hostBits.status).toBe(400);
    expect(hostBits.body.errors[0]).toMatchObject({ field: 'prefix' });
    expect(hostBits.body.errors[0].message).toContain('80.81.192.0/21');
    const dupName = await t.api('POST', '/api/peering-networks/', { fabric: f.id, name: 'v4', prefix: '192.0.2.0/24' });
    expect(dupName.status).toBe(409);
    expect(dupName.body.errors).toEqual([{ field: 'name', message: 'already used in this fabric' }]);
    // The same name on another fabric is fine; a fabric that does not exist is named.
    expect((await network(t, { name: 'v4', prefix: '192.0.2.0/24' })).name).toBe('v4');
    const noFabric = await t.api('POST', '/api/peering-networks/', {
      fabric: 999999,
      name: 'x',
      prefix: '192.0.2.0/24',
    });
    expect(noFabric.status).toBe(400);
    expect(noFabric.body.errors[0].field).toBe('fabric');
    // A rename is checked against the fabric's other networks only.
    const renamed = await t.api('PATCH', `/api/peering-networks/${v6.id}/`, { name: 'v6', vlan: 600 });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'v6', vlan: 600, prefix: '2001:7f8::/64' });
    const taken = await t.api('PATCH', `/api/peering-networks/${v6.id}/`, { name: 'v4' });
    expect(taken.status).toBe(409);
    expect(taken.body.errors).toEqual([{ field: 'name', message: 'already used in this fabric' }]);
    expect(
      (
        await t.api('POST', '/api/peering-networks/', {
          fabric: f.id,
          name: 'bad vlan',
          prefix: '198.51.100.0/24',
          vlan: 4095,
        })
      ).body.errors[0].field,
    ).toBe('vlan');
  });

  it('puts connection addresses inside the LAN, or a sibling LAN of the same fabric for the other family', async () => {
    const f = await fabric(t);
    const v4 = await network(t, { fabric: f.id, prefix: '185.1.0.0/24' });
    const rt = await router(t);
    const c = await connection(t, { router: rt.id, network: v4.id });
    expect(c).toMatchObject({
      network: { id: v4.id, prefix: '185.1.0.0/24' },
      fabric: { id: f.id },
      router: { id: rt.id, name: rt.name },
      ipv4_address: '185.1.0.1',
      ipv6_address: null,
      status: 'active',
    });
    const post = (body: Record<string, unknown>) =>
      t.api('POST', '/api/peering-connections/', { router: rt.id, network: v4.id, interface: 'ae9', ...body });
    expect((await post({ ipv4_address: '185.1.1.1' })).body.errors).toEqual([
      { field: 'ipv4_address', message: '185.1.1.1 is outside the network 185.1.0.0/24' },
    ]);
    expect((await post({ ipv6_address: '2001:db8::1' })).body.errors).toEqual([
      {
        field: 'ipv6_address',
        message:
          '2001:db8::1 is an IPv6 address but the network 185.1.0.0/24 is IPv4 and its fabric has no IPv6 network; add one first',
      },
    ]);
    await network(t, { fabric: f.id, prefix: '2001:7f8:99::/64' });
    expect((await post({ ipv6_address: '2001:db8::1' })).body.errors).toEqual([
      { field: 'ipv6_address', message: '2001:db8::1 is outside every IPv6 network of this fabric (2001:7f8:99::/64)' },
    ]);
    const dual = await post({ ipv4_address: '185.1.0.2', ipv6_address: '2001:7f8:99::2' });
    expect(dual.status).toBe(201);
    expect([dual.body.ipv4_address, dual.body.ipv6_address]).toEqual(['185.1.0.2', '2001:7f8:99::2']);
    expect((await post({ interface: '', ipv4_address: '185.1.0.3' })).body.errors[0].field).toBe('interface');
    const noNetwork = await post({ network: 999999 });
    expect(noNetwork.status).toBe(400);
    expect(noNetwork.body.errors).toEqual([{ field: 'network', message: 'no peering network with id 999999' }]);
    // An update without a network checks the addresses against the stored one.
    const moved = await t.api('PATCH', `/api/peering-connections/${c.id}/`, { ipv4_address: '185.1.2.1' });
    expect(moved.body.errors).toEqual([
      { field: 'ipv4_address', message: '185.1.2.1 is outside the network 185.1.0.0/24' },
    ]);
    const renamed = await t.api('PATCH', `/api/peering-connections/${c.id}/`, { interface: 'ae10' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ interface: 'ae10', ipv4_address: '185.1.0.1', network: { id: v4.id } });
  });

  it('refuses to delete a fabric or a network that sessions use, naming the count', async () => {
    const f = await fabric(t, { name: 'Busy IX' });
    const lan = await network(t, { fabric: f.id, name: 'busy lan', prefix: '203.0.113.0/24' });
    const rt = await router(t);
    await session(t, { router: rt.id, network: lan.id, peer_ip: '203.0.113.10' });
    await session(t, { router: rt.id, network: lan.id, peer_ip: '203.0.113.11' });
    const delFabric = await t.api('DELETE', `/api/fabrics/${f.id}/`);
    expect(delFabric.status).toBe(409);
    expect(delFabric.body.detail).toBe(
      'fabric Busy IX is used by 2 peering sessions on its networks; move or delete them first',
    );
    const delNet = await t.api('DELETE', `/api/peering-networks/${lan.id}/`);
    expect(delNet.status).toBe(409);
    expect(delNet.body.detail).toBe('network busy lan is used by 2 peering sessions; move or delete them first');
    expect((await t.api('GET', `/api/peering-networks/${lan.id}/`)).body.session_count).toBe(2);
    // Shrinking the LAN away from its sessions is refused too.
    const shrink = await t.api('PATCH', `/api/peering-networks/${lan.id}/`, { prefix: '203.0.113.0/29' });
    expect(shrink.body.errors).toEqual([
      { field: 'prefix', message: 'sessions on this network use 203.0.113.10, 203.0.113.11, outside 203.0.113.0/29' },
    ]);
    // An unused fabric goes.
    expect((await t.api('DELETE', `/api/fabrics/${(await fabric(t)).id}/`)).status).toBe(204);
  });
});
