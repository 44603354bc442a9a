// Fabrics from PeeringDB exchanges: create one (a network per ixlan prefix, IPv4 and IPv6) and keep
// its networks in line with the mirror.
import type { Selectable, Updateable } from 'kysely';
import { now, withTx, type Db, type Executor } from '../platform/db.ts';
import type { PdbIxlanTable, PdbIxpfxTable, PdbIxTable, PeeringNetworksTable } from '../platform/db.types.ts';
import { ConflictError, NotFoundError, ValidationError } from '../platform/errors.ts';
import { parsePrefix, type ParsedPrefix } from '../platform/ip.ts';
import { recordChange, type Actor } from '../changes/changes.service.ts';
import { num, SYSTEM, type FabricRow } from './peeringdb.lans.ts';
import type { FabricCreated, FabricOut, FabricResync, PeeringNetworkOut } from './peeringdb.schema.ts';

type NetworkRow = Selectable<PeeringNetworksTable>;
type IxRow = Selectable<PdbIxTable>;

function slugify(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 100) || 'x'
  );
}

function presentNetwork(n: NetworkRow): PeeringNetworkOut {
  return {
    id: Number(n.id),
    fabric_id: Number(n.fabric_id),
    name: n.name,
    prefix: n.prefix,
    family: Number(n.family),
    vlan: num(n.vlan),
    mtu: num(n.mtu),
    route_server_asn: num(n.route_server_asn),
    status: n.status,
    peeringdb_ixlan_id: num(n.peeringdb_ixlan_id),
    peeringdb_ixpfx_id: num(n.peeringdb_ixpfx_id),
  };
}

function presentFabric(f: FabricRow): FabricOut {
  return {
    id: Number(f.id),
    name: f.name,
    slug: f.slug,
    type: f.type,
    status: f.status,
    peeringdb_ix_id: num(f.peeringdb_ix_id),
    description: f.description ?? null,
  };
}

/** One network to have: an ixlan prefix, with the LAN's VLAN, MTU and route-server ASN. */
interface LanPlan {
  ixlan: Selectable<PdbIxlanTable>;
  ixpfx: Selectable<PdbIxpfxTable>;
  prefix: ParsedPrefix;
  vlan: number | null;
  mtu: number | null;
  rsAsn: number | null;
}

async function planLans(db: Executor, ixId: number): Promise<LanPlan[]> {
  const ixlans = await db.selectFrom('pdb_ixlan').selectAll().where('ix_id', '=', ixId).orderBy('id').execute();
  if (!ixlans.length) return [];
  const pfx = await db
    .selectFrom('pdb_ixpfx')
    .selectAll()
    .where(
      'ixlan_id',
      'in',
      ixlans.map((l) => l.id),
    )
    .orderBy('id')
    .execute();
  const out: LanPlan[] = [];
  for (const p of pfx) {
    const parsed = parsePrefix(p.prefix ?? '');
    if ('error' in parsed) continue;
    const ixlan = ixlans.find((l) => Number(l.id) === Number(p.ixlan_id))!;
    const data = JSON.parse(ixlan.data ?? '{}') as { vlan?: unknown };
    // PeeringDB's API has no VLAN on ixlan today; keep one if a dump carries it.
    const vlan =
      typeof data.vlan === 'number' && Number.isInteger(data.vlan) && data.vlan >= 1 && data.vlan <= 4094
        ? data.vlan
        : null;
    out.push({
      ixlan,
      ixpfx: p,
      prefix: parsed,
      vlan,
      mtu: num(ixlan.mtu),
      rsAsn: ixlan.rs_asn ? Number(ixlan.rs_asn) : null,
    });
  }
  return out;
}

function lanName(ix: IxRow, plan: LanPlan, taken: Set<string>): string {
  const base = (plan.ixlan.name || ix.name || `ixlan ${plan.ixlan.id}`).trim();
  for (const candidate of [
    `${base} IPv${plan.prefix.family}`,
    `${base} ${plan.prefix.text}`,
    `${base} ${plan.prefix.text} (${plan.ixpfx.id})`,
  ]) {
    if (!taken.has(candidate.toLowerCase())) {
      taken.add(candidate.toLowerCase());
      return candidate.slice(0, 200);
    }
  }
  return `${base} ${plan.ixpfx.id}`;
}

/** Creates a fabric from a mirrored exchange, one network per ixlan prefix (IPv4 and IPv6). */
export async function createFabricFromExchange(
  db: Db,
  ixId: number,
  actor: Actor = SYSTEM,
  opts: { name?: string } = {},
): Promise<FabricCreated> {
  return withTx(db, async (trx) => {
    const ix = await trx.selectFrom('pdb_ix').selectAll().where('id', '=', ixId).executeTakeFirst();
    if (!ix) throw new NotFoundError('PeeringDB exchange', ixId);
    const existing = await trx
      .selectFrom('fabrics')
      .select(['id', 'name'])
      .where('peeringdb_ix_id', '=', ixId)
      .executeTakeFirst();
    if (existing)
      throw new ConflictError(
        `fabric ${existing.name} (id ${existing.id}) is already linked to PeeringDB exchange ${ixId}; re-sync it instead`,
        [{ field: 'ix_id', message: 'already has a fabric' }],
        'duplicate',
      );
    const name = (opts.name ?? ix.name ?? '').trim().slice(0, 200);
    const slug = slugify(name);
    const clash = await trx
      .selectFrom('fabrics')
      .select(['name', 'slug'])
      .where((eb) => eb.or([eb('name', '=', name), eb('slug', '=', slug)]))
      .executeTakeFirst();
    if (clash)
      throw new ConflictError(
        `a fabric named ${clash.name} exists already; give the new one another name`,
        [{ field: 'name', message: 'is already used by another fabric' }],
        'duplicate',
      );
    const stamp = now();
    const fabricValues = {
      name,
      slug,
      type: 'ixp',
      status: 'active',
      peeringdb_ix_id: ixId,
      description: ix.name_long || null,
      created_at: stamp,
      updated_at: stamp,
      version: 1,
    };
    const f = await trx.insertInto('fabrics').values(fabricValues).returning('id').executeTakeFirstOrThrow();
    const fabricId = Number(f.id);
    await recordChange(trx, actor, {
      action: 'create',
      objectType: 'fabric',
      objectId: fabricId,
      repr: name,
      after: fabricValues,
    });
    const taken = new Set<string>();
    for (const plan of await planLans(trx, ixId)) await insertNetwork(trx, fabricId, ix, plan, taken, actor);
    const fabric = await trx.selectFrom('fabrics').selectAll().where('id', '=', fabricId).executeTakeFirstOrThrow();
    const networks = await trx
      .selectFrom('peering_networks')
      .selectAll()
      .where('fabric_id', '=', fabricId)
      .orderBy('id')
      .execute();
    return { fabric: presentFabric(fabric), networks: networks.map(presentNetwork) };
  });
}

async function insertNetwork(
  trx: Executor,
  fabricId: number,
  ix: IxRow,
  plan: LanPlan,
  taken: Set<string>,
  actor: Actor,
): Promise<void> {
  const stamp = now();
  const values = {
    fabric_id: fabricId,
    name: lanName(ix, plan, taken),
    prefix: plan.prefix.text,
    prefix_key: plan.prefix.key,
    family: plan.prefix.family,
    vlan: plan.vlan,
    status: 'active',
    peeringdb_ixlan_id: Number(plan.ixlan.id),
    peeringdb_ixpfx_id: Number(plan.ixpfx.id),
    route_server_asn: plan.rsAsn,
    mtu: plan.mtu,
    description: plan.ixlan.descr || null,
    created_at: stamp,
    updated_at: stamp,
    version: 1,
  };
  const n = await trx.insertInto('peering_networks').values(values).returning('id').executeTakeFirstOrThrow();
  await recordChange(trx, actor, {
    action: 'create',
    objectType: 'peering-network',
    objectId: Number(n.id),
    repr: values.name,
    after: values,
  });
}

/** The columns a re-sync may change on a network, with PeeringDB's values. */
type SyncedNetworkFields = Pick<
  Updateable<PeeringNetworksTable>,
  | 'prefix'
  | 'prefix_key'
  | 'family'
  | 'mtu'
  | 'route_server_asn'
  | 'peeringdb_ixlan_id'
  | 'peeringdb_ixpfx_id'
  | 'vlan'
  | 'status'
>;

/**
 * Brings a fabric's networks in line with PeeringDB: updates prefix, VLAN, MTU, route-server ASN
 * and ids; adds new ixlan prefixes; marks networks whose prefix left PeeringDB decommissioned
 * (never deletes: sessions may still point at them).
 */
export async function resyncFabric(db: Db, fabricId: number, actor: Actor = SYSTEM): Promise<FabricResync> {
  return withTx(db, async (trx) => {
    const fabric = await trx.selectFrom('fabrics').selectAll().where('id', '=', fabricId).executeTakeFirst();
    if (!fabric) throw new NotFoundError('fabric', fabricId);
    const ixId = fabric.peeringdb_ix_id;
    if (!ixId) throw new ValidationError('peeringdb_ix_id', 'this fabric is not linked to a PeeringDB exchange');
    const ix = await trx.selectFrom('pdb_ix').selectAll().where('id', '=', ixId).executeTakeFirst();
    if (!ix) throw new NotFoundError('PeeringDB exchange', ixId);
    const nets = await trx
      .selectFrom('peering_networks')
      .selectAll()
      .where('fabric_id', '=', fabricId)
      .orderBy('id')
      .execute();
    const taken = new Set(nets.map((n) => String(n.name).toLowerCase()));
    const plans = await planLans(trx, Number(ix.id));
    const matched = new Set<number>();
    const counts = { created: 0, updated: 0, decommissioned: 0, unchanged: 0 };
    for (const plan of plans) {
      const net =
        nets.find((n) => Number(n.peeringdb_ixpfx_id) === Number(plan.ixpfx.id)) ??
        nets.find((n) => !matched.has(Number(n.id)) && n.prefix_key === plan.prefix.key);
      if (!net) {
        await insertNetwork(trx, fabricId, ix, plan, taken, actor);
        counts.created++;
        continue;
      }
      matched.add(Number(net.id));
      const want: SyncedNetworkFields = {
        prefix: plan.prefix.text,
        prefix_key: plan.prefix.key,
        family: plan.prefix.family,
        mtu: plan.mtu,
        route_server_asn: plan.rsAsn,
        peeringdb_ixlan_id: Number(plan.ixlan.id),
        peeringdb_ixpfx_id: Number(plan.ixpfx.id),
      };
      if (plan.vlan !== null) want.vlan = plan.vlan;
      if (net.status === 'decommissioned') want.status = 'active';
      const before: Record<string, unknown> = {};
      const after: SyncedNetworkFields = {};
      for (const k of Object.keys(want) as (keyof SyncedNetworkFields)[]) {
        const v = want[k];
        const stored = net[k];
        const cur = stored === null || stored === undefined ? null : typeof v === 'number' ? Number(stored) : stored;
        if (cur !== v) {
          before[k] = stored ?? null;
          Object.assign(after, { [k]: v });
        }
      }
      if (!Object.keys(after).length) {
        counts.unchanged++;
        continue;
      }
      await trx
        .updateTable('peering_networks')
        .set({ ...after, updated_at: now(), version: Number(net.version) + 1 })
        .where('id', '=', net.id)
        .execute();
      await recordChange(trx, actor, {
        action: 'update',
        objectType: 'peering-network',
        objectId: Number(net.id),
        repr: net.name,
        before,
        after,
      });
      counts.updated++;
    }
    for (const net of nets) {
      if (matched.has(Number(net.id)) || net.peeringdb_ixpfx_id === null || net.status === 'decommissioned') continue;
      await trx
        .updateTable('peering_networks')
        .set({ status: 'decommissioned', updated_at: now(), version: Number(net.version) + 1 })
        .where('id', '=', net.id)
        .execute();
      await recordChange(trx, actor, {
        action: 'update',
        objectType: 'peering-network',
        objectId: Number(net.id),
        repr: net.name,
        before: { status: net.status },
        after: { status: 'decommissioned' },
      });
      counts.decommissioned++;
    }
    const networks = await trx
      .selectFrom('peering_networks')
      .selectAll()
      .where('fabric_id', '=', fabricId)
      .orderBy('id')
      .execute();
    return { fabric: presentFabric(fabric), ...counts, networks: networks.map(presentNetwork) };
  });
}
