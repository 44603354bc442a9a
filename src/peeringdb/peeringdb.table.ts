// The PeeringDB mirror's shape: object types, the columns Peerdesk queries, and row conversion.
import type { Dialect } from '../platform/db.ts';

export type ColumnKind = 'int' | 'bigint' | 'text' | 'bool' | 'real';

/** The PeeringDB object types Peerdesk mirrors, in the order a run applies them. */
export const PDB_TYPES = ['org', 'fac', 'ix', 'ixlan', 'ixpfx', 'net', 'poc', 'netfac', 'ixfac', 'netixlan'] as const;
export type PdbType = (typeof PDB_TYPES)[number];

/** Columns per type besides id/created/updated/status/data (must match migration 0002). */
export const MIRROR_COLUMNS: Record<PdbType, Record<string, ColumnKind>> = {
  org: { name: 'text', aka: 'text', name_long: 'text', website: 'text', city: 'text', state: 'text', country: 'text' },
  fac: {
    org_id: 'int',
    campus_id: 'int',
    name: 'text',
    aka: 'text',
    name_long: 'text',
    website: 'text',
    clli: 'text',
    city: 'text',
    state: 'text',
    country: 'text',
    region_continent: 'text',
    latitude: 'real',
    longitude: 'real',
    net_count: 'int',
    ix_count: 'int',
  },
  ix: {
    org_id: 'int',
    name: 'text',
    aka: 'text',
    name_long: 'text',
    city: 'text',
    country: 'text',
    region_continent: 'text',
    media: 'text',
    proto_unicast: 'bool',
    proto_multicast: 'bool',
    proto_ipv6: 'bool',
    website: 'text',
    url_stats: 'text',
    tech_email: 'text',
    tech_phone: 'text',
    policy_email: 'text',
    policy_phone: 'text',
    net_count: 'int',
    fac_count: 'int',
    ixf_net_count: 'int',
    service_level: 'text',
    terms: 'text',
  },
  ixlan: {
    ix_id: 'int',
    name: 'text',
    descr: 'text',
    mtu: 'int',
    dot1q_support: 'bool',
    rs_asn: 'bigint',
    arp_sponge: 'text',
    ixf_ixp_member_list_url: 'text',
    ixf_ixp_member_list_url_visible: 'text',
    ixf_ixp_import_enabled: 'bool',
  },
  ixpfx: { ixlan_id: 'int', protocol: 'text', prefix: 'text', in_dfz: 'bool' },
  net: {
    org_id: 'int',
    name: 'text',
    aka: 'text',
    name_long: 'text',
    website: 'text',
    asn: 'bigint',
    looking_glass: 'text',
    route_server: 'text',
    irr_as_set: 'text',
    info_type: 'text',
    info_prefixes4: 'int',
    info_prefixes6: 'int',
    info_traffic: 'text',
    info_ratio: 'text',
    info_scope: 'text',
    info_unicast: 'bool',
    info_multicast: 'bool',
    info_ipv6: 'bool',
    info_never_via_route_servers: 'bool',
    ix_count: 'int',
    fac_count: 'int',
    policy_url: 'text',
    policy_general: 'text',
    policy_locations: 'text',
    policy_ratio: 'bool',
    policy_contracts: 'text',
    allow_ixp_update: 'bool',
    netixlan_updated: 'text',
    poc_updated: 'text',
    rir_status: 'text',
  },
  poc: { net_id: 'int', role: 'text', visible: 'text', name: 'text', phone: 'text', email: 'text', url: 'text' },
  netfac: { net_id: 'int', fac_id: 'int', local_asn: 'bigint', name: 'text', city: 'text', country: 'text' },
  ixfac: { ix_id: 'int', fac_id: 'int', name: 'text', city: 'text', country: 'text' },
  netixlan: {
    net_id: 'int',
    ix_id: 'int',
    ixlan_id: 'int',
    name: 'text',
    asn: 'bigint',
    ipaddr4: 'text',
    ipaddr6: 'text',
    is_rs_peer: 'bool',
    bfd_support: 'bool',
    operational: 'bool',
    speed: 'bigint',
    notes: 'text',
    net_side_id: 'int',
    ix_side_id: 'int',
  },
};

/** The mirror table of a type. */
export function tableOf(type: PdbType): string {
  return `pdb_${type}`;
}

/** Whether a string names a mirrored type. */
export function isPdbType(s: string): s is PdbType {
  return (PDB_TYPES as readonly string[]).includes(s);
}

/** A PeeringDB object as the API returns it (depth=0). */
export type PdbObject = { id: number; updated?: string; status?: string; [k: string]: unknown };

/** Every column of a type's table, in a stable order (id first, data last). */
export function columnsOf(type: PdbType): string[] {
  return ['id', ...Object.keys(MIRROR_COLUMNS[type]), 'created', 'updated', 'status', 'data'];
}

/** Reads a boolean the way both engines return it (0/1 on SQLite, true/false on PostgreSQL). */
export function toBool(v: unknown): boolean | null {
  if (v === null || v === undefined) return null;
  return v === true || v === 1 || v === '1' || v === 't' || v === 'true';
}

/** A boolean as the engine binds it (better-sqlite3 cannot bind JS booleans). */
export function bindBool(dialect: Dialect, v: boolean): boolean | number;
export function bindBool(dialect: Dialect, v: boolean | null): boolean | number | null;
export function bindBool(dialect: Dialect, v: boolean | null): boolean | number | null {
  if (v === null) return null;
  return dialect === 'sqlite' ? (v ? 1 : 0) : v;
}

function conv(kind: ColumnKind, v: unknown, dialect: Dialect): unknown {
  if (v === null || v === undefined) return null;
  switch (kind) {
    case 'int':
    case 'bigint':
    case 'real': {
      const n = typeof v === 'number' ? v : Number(v);
      return Number.isFinite(n) && v !== '' ? n : null;
    }
    case 'bool':
      return bindBool(dialect, typeof v === 'boolean' ? v : toBool(v));
    case 'text':
      return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
}

/**
 * Turns an object into the bound values of its row, in `columnsOf(type)` order. Addresses in
 * netixlan are stored canonically (lower-case, compressed IPv6) so they compare with bgp_peers.
 */
export function rowValues(
  type: PdbType,
  obj: PdbObject,
  dialect: Dialect,
  canonicalIp: (s: string) => string,
): unknown[] {
  const cols = MIRROR_COLUMNS[type];
  const out: unknown[] = [obj.id];
  for (const [name, kind] of Object.entries(cols)) {
    let v = conv(kind, obj[name], dialect);
    if (type === 'netixlan' && (name === 'ipaddr4' || name === 'ipaddr6') && typeof v === 'string')
      v = v.trim() ? canonicalIp(v) : null;
    out.push(v);
  }
  out.push(obj.created ?? null, obj.updated ?? null, obj.status ?? 'ok', JSON.stringify(obj));
  return out;
}
