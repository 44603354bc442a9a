// Euro-IX IX-F member exports (schema 0.6 to 1.0): parse, import for a fabric, compare with PeeringDB.
import type { z } from 'zod';
import { dialectOf, now, withTx, type Db, type Executor } from '../platform/db.ts';
import { NotFoundError, UpstreamError, ValidationError } from '../platform/errors.ts';
import { parseIp } from '../platform/ip.ts';
import { USER_AGENT } from './peeringdb.client.ts';
import { guardedFetch, readBody } from '../platform/fetch-guard.ts';
import type { Cidr } from '../platform/net-guard.ts';
import { bindBool, toBool } from './peeringdb.table.ts';
import type { Actor } from '../changes/changes.service.ts';
import { fabricPeeringDbMembers, type FabricRow } from './peeringdb.lans.ts';
import type { ixfComparison, ixfImportOut } from './peeringdb.schema.ts';

export interface IxfVlan {
  id: number | null;
  name: string | null;
  ipv4: string | null;
  ipv6: string | null;
}

export interface IxfIxp {
  ixp_id: number | null;
  ixf_id: number | null;
  shortname: string | null;
  name: string | null;
  peeringdb_id: number | null;
  vlans: IxfVlan[];
}

/** One member address on one VLAN of one IXP. */
export interface IxfMemberAddress {
  asn: number;
  name: string | null;
  member_type: string | null;
  peering_policy: string | null;
  ixp_id: number | null;
  vlan_id: number | null;
  family: 4 | 6;
  address: string;
  address_key: string;
  routeserver: boolean | null;
  max_prefix: number | null;
  as_macro: string | null;
  if_speed: number | null;
}

/** A member the export lists without any address. */
export interface IxfMemberOnly {
  asn: number;
  name: string | null;
  member_type: string | null;
  ixp_ids: (number | null)[];
}

export interface IxfDocument {
  version: string;
  timestamp: string | null;
  ixps: IxfIxp[];
  addresses: IxfMemberAddress[];
  members: IxfMemberOnly[];
  warnings: string[];
}

const SUPPORTED = /^(0\.[4-9]|1\.0)(\.\d+)?$/;

function int(v: unknown): number | null {
  const n = typeof v === 'string' && v.trim() ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) ? n : null;
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v.trim() ? v.trim() : null;
}

/** A JSON object of the export, or an empty one for anything else (absent fields read as undefined). */
type Obj = Record<string, unknown>;
function obj(v: unknown): Obj {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {};
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

// IXP Manager once wrapped vlan_list entries in an extra array; accept both shapes.
function flatten(list: unknown): unknown[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((x) => (Array.isArray(x) ? flatten(x) : [x]));
}

/** Parses and validates an IX-F member export (0.6–1.0; 0.4/0.5 accepted with a warning). */
export function parseIxf(input: unknown): IxfDocument {
  if (!input || typeof input !== 'object' || Array.isArray(input))
    throw new ValidationError('data', 'is not an IX-F member export (expected a JSON object)');
  const doc = obj(input);
  const version = typeof doc.version === 'number' ? String(doc.version) : str(doc.version);
  if (!version)
    throw new ValidationError('data.version', 'is missing (IX-F exports carry a schema version such as "1.0")');
  if (!SUPPORTED.test(version))
    throw new ValidationError('data.version', `schema ${version} is not supported (0.6 to 1.0)`);
  if (!Array.isArray(doc.ixp_list)) throw new ValidationError('data.ixp_list', 'must be a list');
  if (!Array.isArray(doc.member_list)) throw new ValidationError('data.member_list', 'must be a list');
  const warnings: string[] = [];
  if (/^0\.[45]/.test(version)) warnings.push(`schema ${version} predates 0.6; read on a best-effort basis`);

  const subnet = (side: Obj) => (side.prefix ? `${String(side.prefix)}/${String(side.mask_length ?? '')}` : null);
  const ixps: IxfIxp[] = list(doc.ixp_list)
    .map(obj)
    .map((x) => ({
      ixp_id: int(x.ixp_id),
      ixf_id: int(x.ixf_id),
      shortname: str(x.shortname),
      name: str(x.name),
      peeringdb_id: int(x.peeringdb_id),
      vlans: flatten(x.vlan)
        .map(obj)
        .map((v) => ({
          id: int(v.id),
          name: str(v.name),
          ipv4: subnet(obj(v.ipv4)),
          ipv6: subnet(obj(v.ipv6)),
        })),
    }));

  const addresses: IxfMemberAddress[] = [];
  const members: IxfMemberOnly[] = [];
  list(doc.member_list)
    .map(obj)
    .forEach((m, i) => {
      const asn = int(m.asnum);
      if (asn === null || asn < 0 || asn > 4294967295) {
        warnings.push(`member_list.${i}: no valid asnum; skipped`);
        return;
      }
      const before = addresses.length;
      const conns = list(m.connection_list).map(obj);
      for (const conn of conns) {
        const speed = list(conn.if_list).reduce((s: number, f) => s + (int(obj(f).if_speed) ?? 0), 0) || null;
        for (const vlan of flatten(conn.vlan_list).map(obj)) {
          for (const family of [4, 6] as const) {
            const side = obj(vlan[`ipv${family}`]);
            if (!side.address) continue;
            const ip = parseIp(String(side.address));
            if (!ip || ip.family !== family) {
              warnings.push(`AS${asn}: "${String(side.address)}" is not a valid IPv${family} address; skipped`);
              continue;
            }
            addresses.push({
              asn,
              name: str(m.name),
              member_type: str(m.member_type),
              peering_policy: str(m.peering_policy),
              ixp_id: int(conn.ixp_id),
              vlan_id: int(vlan.vlan_id),
              family,
              address: ip.text,
              address_key: ip.key,
              routeserver: typeof side.routeserver === 'boolean' ? side.routeserver : null,
              max_prefix: int(side.max_prefix),
              as_macro: str(side.as_macro),
              if_speed: speed,
            });
          }
        }
      }
      // Members listed without addresses (the 0.6 basic example) still count as members.
      if (addresses.length === before) {
        const ixpIds = conns.map((c) => int(c.ixp_id));
        members.push({
          asn,
          name: str(m.name),
          member_type: str(m.member_type),
          ixp_ids: ixpIds.length ? ixpIds : [null],
        });
      }
    });
  return { version, timestamp: str(doc.timestamp), ixps, addresses, members, warnings };
}

/**
 * Downloads an IX-F export through the outbound guard: http/https to public addresses only (checked
 * after DNS and on every redirect; PEERDESK_FETCH_ALLOW opens ranges), bounded in time and size.
 * Errors name the host and the status, never what the remote end answered.
 */
export async function fetchIxf(
  url: string,
  opts: { timeoutMs?: number; maxBytes?: number; allow?: Cidr[] } = {},
): Promise<unknown> {
  const max = opts.maxBytes ?? 50 * 1024 * 1024;
  const res = await guardedFetch(
    url,
    { headers: { accept: 'application/json', 'user-agent': USER_AGENT } },
    { timeoutMs: opts.timeoutMs ?? 30_000, allow: opts.allow, field: 'url' },
  );
  const host = new URL(res.url || url).host;
  if (!res.ok) {
    await res.body?.cancel().catch(() => {});
    throw new UpstreamError(`${host} answered HTTP ${res.status} for the IX-F export`, 'ixf_unavailable');
  }
  const body = await readBody(res, max, 'the IX-F export');
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new ValidationError('url', 'did not return JSON');
  }
}

function pickIxp(doc: IxfDocument, fabric: FabricRow, ixpId: number | null | undefined): IxfIxp | null {
  if (ixpId !== undefined && ixpId !== null) {
    const x = doc.ixps.find((i) => i.ixp_id === ixpId);
    if (!x)
      throw new ValidationError(
        'ixp_id',
        `the export has no IXP ${ixpId} (it has ${doc.ixps.map((i) => i.ixp_id).join(', ')})`,
      );
    return x;
  }
  if (fabric.peeringdb_ix_id) {
    const x = doc.ixps.find((i) => i.peeringdb_id === Number(fabric.peeringdb_ix_id));
    if (x) return x;
  }
  if (doc.ixps.length <= 1) {
    const only = doc.ixps[0] ?? null;
    // An export for another exchange would silently replace this fabric's member list.
    if (only?.peeringdb_id && fabric.peeringdb_ix_id && only.peeringdb_id !== Number(fabric.peeringdb_ix_id))
      throw new ValidationError(
        'ixp_id',
        `the export is for ${only.shortname ?? only.name ?? 'another IXP'} (PeeringDB ix ${only.peeringdb_id}), not this fabric (PeeringDB ix ${fabric.peeringdb_ix_id}); pass its ixp_id to import it anyway`,
      );
    return only;
  }
  throw new ValidationError(
    'ixp_id',
    `the export describes several IXPs (${doc.ixps.map((i) => `${i.ixp_id} ${i.shortname ?? ''}`.trim()).join(', ')}); say which one is this fabric`,
  );
}

/**
 * Imports an IX-F export (JSON given inline or fetched from a URL through the outbound guard) as the
 * fabric's member list. `fetchOpts.allow` overrides PEERDESK_FETCH_ALLOW (tests with loopback servers).
 */
export async function importIxf(
  db: Db,
  fabricId: number,
  input: { data?: unknown; url?: string; ixp_id?: number | null },
  actor: Actor = { userId: null, username: null },
  fetchOpts: { allow?: Cidr[] } = {},
): Promise<z.infer<typeof ixfImportOut>> {
  const fabric = await db.selectFrom('fabrics').selectAll().where('id', '=', fabricId).executeTakeFirst();
  if (!fabric) throw new NotFoundError('fabric', fabricId);
  if (!input.data && !input.url) throw new ValidationError('url', 'give the export as data or a url');
  const raw = input.data ?? (await fetchIxf(input.url!, { allow: fetchOpts.allow }));
  const doc = parseIxf(raw);
  const ixp = pickIxp(doc, fabric, input.ixp_id);
  const single = doc.ixps.length <= 1;
  const mine = (id: number | null) => !ixp || id === ixp.ixp_id || (single && id === null);
  // Family 0: a member without addresses (see below).
  const rows: (Omit<IxfMemberAddress, 'ixp_id' | 'family'> & { family: IxfMemberAddress['family'] | 0 })[] =
    doc.addresses.filter((a) => mine(a.ixp_id));
  // Address-less members are stored as family-0 rows so the comparison still sees them.
  for (const m of doc.members) {
    if (!m.ixp_ids.some(mine)) continue;
    rows.push({
      asn: m.asn,
      name: m.name,
      member_type: m.member_type,
      peering_policy: null,
      vlan_id: null,
      family: 0,
      address: '',
      address_key: '',
      routeserver: null,
      max_prefix: null,
      as_macro: null,
      if_speed: null,
    });
  }
  const dialect = dialectOf(db);
  const stamp = now();
  await withTx(db, async (trx) => {
    await trx.deleteFrom('ixf_members').where('fabric_id', '=', fabricId).execute();
    await trx.deleteFrom('ixf_imports').where('fabric_id', '=', fabricId).execute();
    await trx
      .insertInto('ixf_imports')
      .values({
        fabric_id: fabricId,
        source: input.url ?? 'upload',
        version: doc.version,
        timestamp: doc.timestamp,
        ixp_id: ixp?.ixp_id ?? null,
        ixp_name: ixp?.name ?? ixp?.shortname ?? null,
        member_count: new Set(rows.map((r) => r.asn)).size,
        warnings: JSON.stringify(doc.warnings),
        imported_at: stamp,
        imported_by: actor.userId,
      })
      .execute();
    for (let i = 0; i < rows.length; i += 500) {
      await trx
        .insertInto('ixf_members')
        .values(
          rows.slice(i, i + 500).map((r) => ({
            fabric_id: fabricId,
            asn: r.asn,
            name: r.name,
            member_type: r.member_type,
            peering_policy: r.peering_policy,
            vlan_id: r.vlan_id,
            family: r.family,
            address: r.address,
            address_key: r.address_key,
            routeserver: r.routeserver === null ? null : bindBool(dialect, r.routeserver),
            max_prefix: r.max_prefix,
            as_macro: r.as_macro,
            if_speed: r.if_speed,
          })),
        )
        .execute();
    }
  });
  return {
    fabric_id: fabricId,
    source: input.url ?? 'upload',
    version: doc.version,
    timestamp: doc.timestamp,
    ixp: ixp ? { ixp_id: ixp.ixp_id, shortname: ixp.shortname, name: ixp.name, peeringdb_id: ixp.peeringdb_id } : null,
    member_count: new Set(rows.map((r) => r.asn)).size,
    address_count: rows.filter((r) => r.address).length,
    warnings: doc.warnings,
  };
}

/**
 * Compares a fabric's imported IX-F member list with PeeringDB's netixlan on its LANs: members only
 * in one, addresses only in one (per member in both), and route-server flags that disagree.
 */
export async function compareIxf(db: Executor, fabricId: number): Promise<z.infer<typeof ixfComparison>> {
  const imp = await db.selectFrom('ixf_imports').selectAll().where('fabric_id', '=', fabricId).executeTakeFirst();
  if (!imp) throw new NotFoundError('IX-F import for fabric', fabricId);
  const ixfRows = await db
    .selectFrom('ixf_members')
    .selectAll()
    .where('fabric_id', '=', fabricId)
    .orderBy('asn')
    .orderBy('address_key')
    .execute();
  const { members } = await fabricPeeringDbMembers(db, fabricId);
  type Side = Map<
    number,
    Map<
      string,
      { address: string; family: number; rs: boolean | null; name?: string | null; member_type?: string | null }
    >
  >;
  const ixf: Side = new Map();
  const pdb: Side = new Map();
  for (const r of ixfRows) {
    const m = ixf.get(Number(r.asn)) ?? new Map();
    ixf.set(Number(r.asn), m);
    if (!r.address) continue;
    m.set(r.address_key, {
      address: r.address,
      family: Number(r.family),
      rs: r.routeserver === null ? null : toBool(r.routeserver),
      name: r.name,
      member_type: r.member_type,
    });
  }
  for (const r of members) {
    const m = pdb.get(r.asn) ?? new Map();
    m.set(r.key, { address: r.address, family: r.family, rs: r.is_rs_peer });
    pdb.set(r.asn, m);
  }
  const asns = [...new Set([...ixf.keys(), ...pdb.keys()])].sort((a, b) => a - b);
  const names = new Map<number, string | null>();
  for (let i = 0; i < asns.length; i += 500) {
    const part = asns.slice(i, i + 500);
    if (part.length)
      for (const n of await db.selectFrom('pdb_net').select(['asn', 'name']).where('asn', 'in', part).execute())
        names.set(Number(n.asn), n.name);
  }
  const ixfName = new Map(ixfRows.map((r) => [Number(r.asn), { name: r.name, member_type: r.member_type }]));
  const nameOf = (asn: number) => names.get(asn) ?? ixfName.get(asn)?.name ?? `AS${asn}`;
  const list = (m: Map<string, { address: string }> | undefined) => [...(m?.values() ?? [])].map((a) => a.address);
  type Comparison = z.infer<typeof ixfComparison>;
  const out: Comparison = {
    fabric_id: fabricId,
    ixf: {
      source: imp.source,
      version: imp.version,
      timestamp: imp.timestamp ?? null,
      imported_at: imp.imported_at,
      member_count: ixf.size,
    },
    peeringdb: { member_count: pdb.size },
    only_in_ixf: [],
    only_in_peeringdb: [],
    address_differences: [],
    routeserver_differences: [],
    matching: 0,
  };
  for (const asn of asns) {
    const a = ixf.get(asn);
    const b = pdb.get(asn);
    if (!b) {
      out.only_in_ixf.push({
        asn,
        name: nameOf(asn),
        member_type: ixfName.get(asn)?.member_type ?? null,
        addresses: list(a),
      });
      continue;
    }
    if (!a) {
      out.only_in_peeringdb.push({ asn, name: nameOf(asn), addresses: list(b) });
      continue;
    }
    const ixfOnly = [...a.entries()].filter(([k]) => !b.has(k)).map(([, v]) => v.address);
    const pdbOnly = [...b.entries()].filter(([k]) => !a.has(k)).map(([, v]) => v.address);
    if (ixfOnly.length || pdbOnly.length)
      out.address_differences.push({ asn, name: nameOf(asn), ixf_only: ixfOnly, peeringdb_only: pdbOnly });
    let rsDiff = false;
    for (const [k, v] of a) {
      const p = b.get(k);
      if (p && v.rs !== null && v.rs !== p.rs) {
        out.routeserver_differences.push({
          asn,
          name: nameOf(asn),
          address: v.address,
          ixf: v.rs,
          peeringdb: p.rs === true,
        });
        rsDiff = true;
      }
    }
    if (!ixfOnly.length && !pdbOnly.length && !rsDiff) out.matching++;
  }
  return out;
}
