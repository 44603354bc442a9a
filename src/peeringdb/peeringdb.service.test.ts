// Peer ASN sync, fabrics from exchanges, candidates and lookups over the real PeeringDB sample.
import type { Insertable } from 'kysely';
import type { PeerAsnsTable } from '../platform/db.types.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, engines, type TestDb } from '../../test/support/db.ts';
import { dialectOf, now } from '../platform/db.ts';
import { loadSample, makeRouter } from './peeringdb.fixtures.ts';
import {
  candidateScore,
  createFabricFromExchange,
  createSessionsFromCandidates,
  getExchange,
  hideCandidates,
  listCandidates,
  networkAddresses,
  peerAsnDivergence,
  peeringOpportunities,
  resyncFabric,
  searchExchanges,
  searchNetworks,
  syncAllPeerAsns,
  syncPeerAsn,
  unhideCandidates,
} from './peeringdb.service.ts';

describe.each(engines())('PeeringDB services on %s', (engine) => {
  let t: TestDb;
  let deCix: number;
  let luCix: number;
  let router: { routerId: number; peerGroupId: number };

  beforeAll(async () => {
    t = await createTestDb(engine);
    await loadSample(t.db);
    router = await makeRouter(t.db, 'edge1.fra', 6939);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('looks up networks by ASN and name, and exchanges', async () => {
    const byAsn = await searchNetworks(t.db, 'AS2602');
    expect(byAsn[0]).toMatchObject({ asn: 2602, name: 'Fondation RESTENA', irr_as_set: 'AS-RESTENA' });
    expect((await searchNetworks(t.db, 'restena')).map((n) => n.asn)).toContain(2602);
    expect((await searchExchanges(t.db, 'de-cix frank')).map((x) => x.id)).toContain(31);
    const ix = await getExchange(t.db, 31);
    expect(ix.ixlans).toHaveLength(1);
    expect(ix.ixlans[0]).toMatchObject({ id: 31, member_count: 70 });
    expect(ix.ixlans[0].prefixes.map((p: any) => p.prefix)).toEqual(['80.81.192.0/21', '2001:7f8::/64']);
  });

  it('creates a dual-stack fabric from an exchange, one network per ixlan prefix', async () => {
    const { fabric, networks } = await createFabricFromExchange(t.db, 31);
    deCix = fabric.id;
    expect(fabric).toMatchObject({
      name: 'DE-CIX Frankfurt',
      slug: 'de-cix-frankfurt',
      type: 'ixp',
      peeringdb_ix_id: 31,
    });
    expect(networks.map((n) => [n.prefix, n.family, n.peeringdb_ixlan_id, n.peeringdb_ixpfx_id, n.mtu])).toEqual([
      ['80.81.192.0/21', 4, 31, 54, 1500],
      ['2001:7f8::/64', 6, 31, 312, 1500],
    ]);
    expect(new Set(networks.map((n) => n.name)).size).toBe(2);
    await expect(createFabricFromExchange(t.db, 31)).rejects.toMatchObject({ status: 409 });
    await expect(createFabricFromExchange(t.db, 987654)).rejects.toMatchObject({ status: 404 });

    const lu = await createFabricFromExchange(t.db, 297);
    luCix = lu.fabric.id;
    expect(lu.networks.map((n) => n.prefix)).toEqual(['188.93.170.0/23', '2001:7f8:4c::/64']);
    expect((await searchExchanges(t.db, 'LU-CIX')).find((x) => x.id === 297)?.fabric_id).toBe(luCix);
  });

  it('re-sync updates MTU, adds new prefixes and decommissions vanished ones', async () => {
    const data = (await t.db.selectFrom('pdb_ixlan').select('data').where('id', '=', 31).executeTakeFirstOrThrow())
      .data;
    await t.db
      .updateTable('pdb_ixlan')
      .set({ mtu: 9000, rs_asn: 6695, data: JSON.stringify({ ...JSON.parse(data), mtu: 9000, rs_asn: 6695 }) })
      .where('id', '=', 31)
      .execute();
    const extra = {
      id: 990001,
      ixlan_id: 31,
      protocol: 'IPv6',
      prefix: '2001:7f8:0:1::/64',
      in_dfz: true,
      status: 'ok',
      updated: '2026-05-01T00:00:00Z',
    };
    await t.db
      .insertInto('pdb_ixpfx')
      .values({ ...extra, in_dfz: dialectOf(t.db) === 'sqlite' ? 1 : true, data: JSON.stringify(extra) })
      .execute();
    let r = await resyncFabric(t.db, deCix);
    expect(r).toMatchObject({ created: 1, updated: 2, decommissioned: 0 });
    expect(r.networks.every((n) => n.mtu === 9000 && n.route_server_asn === 6695)).toBe(true);
    await t.db.deleteFrom('pdb_ixpfx').where('id', '=', 990001).execute();
    r = await resyncFabric(t.db, deCix);
    expect(r).toMatchObject({ created: 0, updated: 0, decommissioned: 1, unchanged: 2 });
    expect(r.networks.find((n) => n.prefix === '2001:7f8:0:1::/64')?.status).toBe('decommissioned');
  });

  it('lists candidates on the fabric LANs, without our own ASN, ranked by score', async () => {
    const list = await listCandidates(t.db, deCix);
    // 60 ASNs on DE-CIX Frankfurt in the sample, minus our own AS6939.
    expect(list).toHaveLength(59);
    expect(list.some((c) => c.asn === 6939)).toBe(false);
    const swisscom = list.find((c) => c.asn === 3303)!;
    expect(swisscom).toMatchObject({
      name: 'Swisscom',
      policy: 'Selective',
      info_prefixes4: 10000,
      info_prefixes6: 1800,
      is_rs_peer: true,
      speed: 30000,
      ipv4: ['80.81.193.183'],
      ipv6: ['2001:7f8::ce7:0:2'],
      missing: 2,
    });
    expect(swisscom.shared_fabrics).toBe(1);
    expect(list.reduce((n, c) => n + c.ipv4.length, 0)).toBe(70 - 1);
    for (let i = 1; i < list.length; i++) expect(list[i - 1].score).toBeGreaterThanOrEqual(list[i].score);
    expect(swisscom.score).toBe(candidateScore(swisscom, true));
  });

  it('hides candidates (with an optional until-date) and unhides them', async () => {
    await hideCandidates(t.db, deCix, [3303], { reason: 'declined' });
    expect((await listCandidates(t.db, deCix)).some((c) => c.asn === 3303)).toBe(false);
    const all = await listCandidates(t.db, deCix, { includeHidden: true });
    expect(all.find((c) => c.asn === 3303)).toMatchObject({
      hidden: true,
      hidden_reason: 'declined',
      hidden_until: null,
    });
    await hideCandidates(t.db, deCix, [3303], { until: '2001-01-01' });
    expect((await listCandidates(t.db, deCix)).some((c) => c.asn === 3303)).toBe(true);
    await hideCandidates(t.db, deCix, [3303], { until: '2999-01-01' });
    expect((await listCandidates(t.db, deCix)).some((c) => c.asn === 3303)).toBe(false);
    await unhideCandidates(t.db, deCix, [3303]);
    expect((await listCandidates(t.db, deCix)).some((c) => c.asn === 3303)).toBe(true);
    await expect(hideCandidates(t.db, deCix, [1], { until: 'soon' })).rejects.toMatchObject({ status: 400 });
  });

  it('creates sessions in bulk from candidates in one transaction', async () => {
    const res = await createSessionsFromCandidates(t.db, deCix, {
      router_id: router.routerId,
      peer_group_id: router.peerGroupId,
      candidates: [{ asn: 3303 }, { asn: 10310, addresses: ['80.81.192.115'] }],
    });
    expect(res.created.map((c) => c.address).sort()).toEqual(['2001:7f8::ce7:0:2', '80.81.192.115', '80.81.193.183']);
    expect(res.peer_asns_created).toHaveLength(2);
    const peers: any[] = await t.db.selectFrom('bgp_peers').selectAll().orderBy('id').execute();
    expect(
      peers.map((p) => [p.peer_ip, p.peer_ip_key, Number(p.family), Number(p.local_asn), Number(p.remote_asn)]),
    ).toContainEqual(['2001:7f8::ce7:0:2', '6200107f80000000000000ce700000002', 6, 6939, 3303]);
    const swisscom: any = await t.db
      .selectFrom('peer_asns')
      .selectAll()
      .where('asn', '=', 3303)
      .executeTakeFirstOrThrow();
    expect(swisscom).toMatchObject({
      name: 'Swisscom',
      irr_as_set: 'RIPE::AS3303:AS-SWCMGLOBAL',
      ipv4_max_prefixes: 10000,
      ipv6_max_prefixes: 1800,
      peeringdb_id: 5,
    });
    const sessions: any[] = await t.db.selectFrom('peering_sessions').selectAll().execute();
    expect(sessions).toHaveLength(3);
    const afs: any[] = await t.db.selectFrom('bgp_peer_address_families').select(['bgp_peer_id', 'afi_safi']).execute();
    expect(afs.map((a) => a.afi_safi).sort()).toEqual(['ipv4-unicast', 'ipv4-unicast', 'ipv6-unicast']);
    expect(new Set(sessions.map((s) => Number(s.network_id))).size).toBe(2);

    const list = await listCandidates(t.db, deCix);
    expect(list.some((c) => c.asn === 3303)).toBe(false);
    expect(list.find((c) => c.asn === 10310)?.missing).toBe(3);

    // Bad selections fail as a whole: nothing half-created.
    await expect(
      createSessionsFromCandidates(t.db, deCix, {
        router_id: router.routerId,
        candidates: [{ asn: 15169 }, { asn: 10310, addresses: ['192.0.2.1'] }],
      }),
    ).rejects.toMatchObject({ status: 400, fields: [{ field: 'candidates.1.addresses.0' }] });
    expect(await t.db.selectFrom('peer_asns').select('id').where('asn', '=', 15169).executeTakeFirst()).toBeUndefined();
    await expect(
      createSessionsFromCandidates(t.db, deCix, { router_id: 999, candidates: [{ asn: 15169 }] }),
    ).rejects.toMatchObject({ fields: [{ field: 'router_id' }] });
  });

  it('finds every fabric where we could peer with one ASN, and its addresses for the wizard', async () => {
    await createFabricFromExchange(t.db, 18); // LINX LON1
    const opp = await peeringOpportunities(t.db, 3303);
    expect(opp.network).toMatchObject({ name: 'Swisscom' });
    const fra = opp.fabrics.find((f: any) => f.fabric.id === deCix);
    expect(fra).toMatchObject({ missing: 0 });
    expect(fra!.addresses.every((a) => a.has_session)).toBe(true);
    const lon = opp.fabrics.find((f: any) => f.fabric.name === 'LINX LON1');
    expect(lon!.missing).toBeGreaterThan(0);

    const addrs = await networkAddresses(t.db, 2602, luCix);
    expect(addrs.addresses.map((a: any) => [a.address, a.family, a.is_rs_peer, a.has_session])).toEqual([
      ['188.93.170.9', 4, true, false],
      ['2001:7f8:4c::a2a:1', 6, true, false],
    ]);
  });

  it('syncs peer ASNs from PeeringDB: followed fields only, empty values never overwrite', async () => {
    const stamp = now();
    const sqlite = dialectOf(t.db) === 'sqlite';
    const b = (v: boolean) => (sqlite ? (v ? 1 : 0) : v);
    const ins = async (v: Omit<Insertable<PeerAsnsTable>, 'created_at' | 'updated_at'>) =>
      Number(
        (
          await t.db
            .insertInto('peer_asns')
            .values({ affiliated: b(false), created_at: stamp, updated_at: stamp, version: 1, ...v })
            .returning('id')
            .executeTakeFirstOrThrow()
        ).id,
      );
    const restena = await ins({ asn: 2602, name: 'Old name', irr_as_set: 'AS-OLD', ipv4_max_prefixes: 100 });
    const att = await ins({
      asn: 7132,
      name: 'My AT&T',
      irr_as_set: 'AS-GOOD',
      ipv4_max_prefixes: 50,
      ipv6_max_prefixes: 20,
    });
    const pinned = await ins({ asn: 15169, name: 'Google (pinned)', follow_peeringdb_name: b(false) });
    const unknown = await ins({ asn: 64512, name: 'Private' });

    const div = await peerAsnDivergence(t.db, restena);
    expect(div.peeringdb).toMatchObject({ id: 4840, name: 'Fondation RESTENA' });
    expect(div.pending_updates).toEqual(['name', 'irr_as_set', 'ipv4_max_prefixes', 'ipv6_max_prefixes']);
    expect(div.fields.find((f: any) => f.field === 'ipv4_max_prefixes')).toMatchObject({
      local: 100,
      peeringdb: 10,
      differs: true,
      will_update: true,
    });

    const r = await syncPeerAsn(t.db, restena);
    expect(r.changed).toEqual(['name', 'irr_as_set', 'ipv4_max_prefixes', 'ipv6_max_prefixes', 'peeringdb_id']);
    const row: any = await t.db.selectFrom('peer_asns').selectAll().where('id', '=', restena).executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      name: 'Fondation RESTENA',
      irr_as_set: 'AS-RESTENA',
      ipv4_max_prefixes: 10,
      ipv6_max_prefixes: 5,
      peeringdb_id: 4840,
      version: 2,
    });
    expect(row.peeringdb_synced_at).toBeTruthy();
    expect((await peerAsnDivergence(t.db, restena)).in_sync).toBe(true);
    const change: any = await t.db
      .selectFrom('changes')
      .selectAll()
      .where('object_type', '=', 'peer-asn')
      .where('object_id', '=', restena)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(change.before).name).toBe('Old name');

    const attDiv = await peerAsnDivergence(t.db, att);
    expect(attDiv.fields.find((f: any) => f.field === 'irr_as_set')).toMatchObject({
      local: 'AS-GOOD',
      peeringdb: null,
      will_update: false,
    });

    const all = await syncAllPeerAsns(t.db, { ids: [att, pinned, unknown] });
    expect(all.checked).toBe(3);
    expect(all.not_found).toEqual([64512]);
    const attRow: any = await t.db.selectFrom('peer_asns').selectAll().where('id', '=', att).executeTakeFirstOrThrow();
    expect(attRow).toMatchObject({ irr_as_set: 'AS-GOOD', ipv4_max_prefixes: 50, ipv6_max_prefixes: 20 });
    const pinnedRow: any = await t.db
      .selectFrom('peer_asns')
      .selectAll()
      .where('id', '=', pinned)
      .executeTakeFirstOrThrow();
    expect(pinnedRow).toMatchObject({
      name: 'Google (pinned)',
      irr_as_set: 'RADB::AS-GOOGLE',
      ipv4_max_prefixes: 15000,
    });
  });
});
