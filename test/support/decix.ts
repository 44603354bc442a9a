// A router at DE-CIX Frankfurt built from the real PeeringDB data (imported into the app's database
// first): an export policy, a peer group, the fabric from the exchange, the router's two connections, and
// a session for every member network (139), created through the candidates path as a user would.
import { expect } from 'vitest';
import type { TestApp } from './app.ts';
import { createFabricFromExchange, createSessionsFromCandidates } from '../../src/peeringdb/peeringdb.service.ts';

export const DECIX_IX = 31;
const actor = { userId: null, username: 'lab' };

export async function decixRouter(t: TestApp, router: { name: string; hostname: string; localAsn: number }) {
  const db = t.tdb.db;
  const routerId: number = (
    await t.api('POST', '/api/routers/', {
      name: router.name,
      hostname: router.hostname,
      local_asn: router.localAsn,
      router_id: '192.0.2.10',
    })
  ).body.id;
  const out = (await t.api('POST', '/api/routing-policies/', { name: 'OUR-ROUTES-OUT', direction: 'export' })).body;
  const group = (
    await t.api('POST', '/api/peer-groups/', {
      router: routerId,
      name: 'DE-CIX.FRA:peers',
      description: 'Bilateral peers at "DE-CIX" Frankfurt',
      export_policy: out.id,
    })
  ).body;
  expect(group.id, JSON.stringify(group)).toBeGreaterThan(0);
  const { fabric, networks } = await createFabricFromExchange(db, DECIX_IX, actor);
  const v4net = networks.find((n) => !String(n.prefix).includes(':'));
  const v6net = networks.find((n) => String(n.prefix).includes(':'));
  await t.api('POST', '/api/peering-connections/', {
    network: v4net!.id,
    router: routerId,
    interface: 'et-0/0/0',
    ipv4_address: '80.81.199.250',
  });
  await t.api('POST', '/api/peering-connections/', {
    network: v6net!.id,
    router: routerId,
    interface: 'et-0/0/0',
    ipv6_address: '2001:7f8::fa:0:1',
  });
  // Members: every address PeeringDB lists, in the peer group.
  const members = await db.selectFrom('pdb_netixlan').select('asn').where('ixlan_id', '=', DECIX_IX).execute();
  const memberAsns = [...new Set(members.map((m) => Number(m.asn)))].filter((a) => a !== router.localAsn);
  const made = await createSessionsFromCandidates(
    db,
    Number(fabric.id),
    { router_id: routerId, peer_group_id: group.id, candidates: memberAsns.map((asn) => ({ asn })) },
    actor,
  );
  expect(made.created.length).toBe(139);
  return { routerId, v4net, v6net, memberAsns, made };
}
