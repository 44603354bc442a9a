// Test fixtures shared by the PeeringDB tests: the real sample in the mirror, routers in the core tables.
import { LUCIX_DATA_DIR, PDB_DATA_DIR, PeeringDbServer } from '../../test/support/peeringdb-server.ts';
import { dialectOf, now, type Db } from '../platform/db.ts';
import { importBatches } from './peeringdb.sync.ts';
import { PDB_TYPES } from './peeringdb.table.ts';

/** Loads the captured sample plus the LU-CIX set into the mirror (no HTTP needed here). */
export async function loadSample(db: Db): Promise<void> {
  const merged = new PeeringDbServer([PDB_DATA_DIR, LUCIX_DATA_DIR]);
  await importBatches(
    db,
    PDB_TYPES.map((type) => ({ type, objects: merged.ok(type), complete: true })),
    { source: 'test sample' },
  );
}

/** Inserts a router (and a peer group) straight into the 0001 tables. */
export async function makeRouter(
  db: Db,
  name: string,
  localAsn: number,
): Promise<{ routerId: number; peerGroupId: number }> {
  const stamp = now();
  const sqlite = dialectOf(db) === 'sqlite';
  const r = await db
    .insertInto('routers')
    .values({
      name,
      local_asn: localAsn,
      status: 'active',
      polling_enabled: sqlite ? 0 : false,
      created_at: stamp,
      updated_at: stamp,
      version: 1,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const g = await db
    .insertInto('peer_groups')
    .values({
      router_id: r.id,
      name: 'ixp-peers',
      ttl_security: sqlite ? 0 : false,
      created_at: stamp,
      updated_at: stamp,
      version: 1,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { routerId: Number(r.id), peerGroupId: Number(g.id) };
}
