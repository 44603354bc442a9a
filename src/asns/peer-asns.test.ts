// Peer ASNs through the API: the ASN forms accepted, what is refused (and on which field), uniqueness,
// the session count, and the protection of an ASN that sessions use.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../../test/support/db.ts';
import { startTestApp, type TestApp } from '../../test/support/app.ts';
import { peerAsn, session } from '../../test/support/factories.ts';

describe.each(engines())('peer ASNs on %s', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(engine);
  });
  afterAll(async () => t?.close());

  it('stores asplain, AS-prefixed and asdot ASNs as numbers, with the documented defaults', async () => {
    const a = await peerAsn(t, { asn: 'AS1.10', name: ' Dotted ' });
    expect(a).toEqual({
      id: expect.any(Number),
      asn: 65546,
      name: 'Dotted',
      affiliated: false,
      irr_as_set: null,
      irr_sources: null,
      ipv4_max_prefixes: null,
      ipv6_max_prefixes: null,
      peeringdb_id: null,
      peeringdb_synced_at: null,
      follow_peeringdb_name: true,
      follow_peeringdb_irr_as_set: true,
      follow_peeringdb_max_prefixes: true,
      comments: null,
      session_count: 0,
      created_at: expect.any(String),
      updated_at: expect.any(String),
      version: 1,
    });
    expect((await peerAsn(t, { asn: 'AS64496', name: 'Prefixed' })).asn).toBe(64496);
    expect((await peerAsn(t, { asn: '4294967294', name: 'Top' })).asn).toBe(4294967294);
  });

  it('refuses bad ASNs, AS-SETs, IRR sources and max-prefixes on the field concerned', async () => {
    for (const [body, field] of [
      [{ asn: 0, name: 'Zero' }, 'asn'],
      [{ asn: 4294967296, name: 'Too big' }, 'asn'],
      [{ asn: 'AS-FOO', name: 'Set as ASN' }, 'asn'],
      [{ asn: 64497, name: '' }, 'name'],
      [{ asn: 64497, name: 'Bad set', irr_as_set: 'EXAMPLE' }, 'irr_as_set'],
      [{ asn: 64497, name: 'Bad sources', irr_sources: 'RIPE;ARIN' }, 'irr_sources'],
      [{ asn: 64497, name: 'Negative', ipv4_max_prefixes: -1 }, 'ipv4_max_prefixes'],
      [{ asn: 64497, name: 'Unknown field', colour: 'red' }, ''],
    ] as const) {
      const r = await t.api('POST', '/api/peer-asns/', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      if (field)
        expect(
          r.body.errors.map((e: any) => e.field),
          JSON.stringify(body),
        ).toEqual([field]);
    }
    expect((await t.api('GET', '/api/peer-asns/?asn=64497')).body.count).toBe(0);
    expect(
      (
        await peerAsn(t, {
          asn: 64497,
          name: 'Good',
          irr_as_set: 'RIPE::AS-GOOD',
          irr_sources: 'RIPE,ARIN',
          ipv4_max_prefixes: 0,
        })
      ).irr_sources,
    ).toBe('RIPE,ARIN');
  });

  it('keeps ASNs unique and protects an ASN its sessions use', async () => {
    const a = await peerAsn(t, { asn: 64498, name: 'Used' });
    const dup = await t.api('POST', '/api/peer-asns/', { asn: 'AS64498', name: 'Again' });
    expect(dup.status).toBe(409);
    expect(dup.body.errors[0].field).toBe('asn');
    await session(t, { asn: 64498 });
    await session(t, { asn: 64498 });
    expect((await t.api('GET', `/api/peer-asns/${a.id}/`)).body.session_count).toBe(2);
    const renumber = await t.api('PATCH', `/api/peer-asns/${a.id}/`, { asn: 64499 });
    expect(renumber.status).toBe(409);
    expect(renumber.body.errors).toEqual([{ field: 'asn', message: 'in use by sessions' }]);
    // The name may change; the ASN may not while sessions use it.
    expect((await t.api('PATCH', `/api/peer-asns/${a.id}/`, { name: 'Renamed' })).body).toMatchObject({
      asn: 64498,
      name: 'Renamed',
      version: 2,
    });
    const del = await t.api('DELETE', `/api/peer-asns/${a.id}/`);
    expect(del.status).toBe(409);
    expect(del.body.detail).toBe('AS64498 still has peering sessions; delete them first');
    // Without sessions both work.
    const free = await peerAsn(t, { asn: 64510, name: 'Free' });
    expect((await t.api('PATCH', `/api/peer-asns/${free.id}/`, { asn: 64511 })).body.asn).toBe(64511);
    expect((await t.api('DELETE', `/api/peer-asns/${free.id}/`)).status).toBe(204);
  });
});
