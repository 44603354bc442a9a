// PeeringDB: a local mirror of ten object types (PeeringDB ids and field names), sync runs and
// per-type sync state, hidden peering candidates, IX-F member lists, and the daily sync schedule.
// Frozen in time: typed Kysely<any>, no application imports. Every mirror row keeps the whole
// PeeringDB object as JSON in `data`, so fields Peerdesk does not use as columns are never lost.
import { sql, type CreateTableBuilder, type Kysely } from 'kysely';

type Db = Kysely<any>;

function isPg(db: Db): boolean {
  return (db.getExecutor().adapter as object).constructor.name.toLowerCase().includes('postgres');
}

function serial(db: Db, name: string): CreateTableBuilder<string, 'id'> {
  return db.schema
    .createTable(name)
    .addColumn('id', isPg(db) ? 'bigserial' : 'integer', (c) =>
      isPg(db) ? c.primaryKey() : c.primaryKey().autoIncrement(),
    ) as any;
}

type Kind = 'int' | 'bigint' | 'text' | 'bool' | 'real';

// Column lists are copied here (not imported) so this migration never changes with the app.
const MIRROR: Record<string, Record<string, Kind>> = {
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

const INDEXES: [string, string[]][] = [
  ['fac', ['org_id']],
  ['ix', ['org_id']],
  ['ixlan', ['ix_id']],
  ['ixpfx', ['ixlan_id']],
  ['net', ['asn']],
  ['net', ['org_id']],
  ['poc', ['net_id']],
  ['netfac', ['net_id']],
  ['netfac', ['fac_id']],
  ['ixfac', ['ix_id']],
  ['ixfac', ['fac_id']],
  ['netixlan', ['ixlan_id']],
  ['netixlan', ['net_id']],
  ['netixlan', ['asn']],
];

export async function up(db: Db): Promise<void> {
  const pg = isPg(db);
  const fk = pg ? 'bigint' : 'integer';
  const types: Record<Kind, string> = {
    int: 'integer',
    bigint: 'bigint',
    text: 'text',
    bool: 'boolean',
    real: pg ? 'double precision' : 'real',
  };

  for (const [type, columns] of Object.entries(MIRROR)) {
    // PeeringDB's own ids are the keys: re-syncs upsert by id and references stay PeeringDB's.
    let t = db.schema
      .createTable(`pdb_${type}`)
      .addColumn('id', 'integer', (c) => c.primaryKey()) as CreateTableBuilder<any, any>;
    for (const [name, kind] of Object.entries(columns)) t = t.addColumn(name, types[kind] as any);
    await t
      .addColumn('created', 'text')
      .addColumn('updated', 'text')
      .addColumn('status', 'text', (c) => c.notNull().defaultTo('ok'))
      .addColumn('data', 'text', (c) => c.notNull())
      .execute();
  }
  for (const [type, cols] of INDEXES) {
    await db.schema
      .createIndex(`pdb_${type}_${cols.join('_')}`)
      .on(`pdb_${type}`)
      .columns(cols)
      .execute();
  }

  await serial(db, 'pdb_sync_runs')
    .addColumn('mode', 'text', (c) => c.notNull().check(sql`mode in ('full','incremental','import')`))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('running','succeeded','failed')`))
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addColumn('counts', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('source', 'text')
    .addColumn('requests', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'text')
    .addColumn('job_id', fk)
    .addColumn('created_by', fk, (c) => c.references('users.id').onDelete('set null'))
    // Which process runs it: a later run can tell a crashed one from one still in progress.
    .addColumn('host', 'text')
    .addColumn('pid', 'integer')
    .execute();
  await db.schema.createIndex('pdb_sync_runs_started').on('pdb_sync_runs').column('started_at').execute();

  await db.schema
    .createTable('pdb_state')
    .addColumn('type', 'text', (c) => c.primaryKey())
    .addColumn('last_updated', 'text')
    .addColumn('last_sync_at', 'text', (c) => c.notNull())
    .addColumn('last_run_id', fk)
    .execute();

  await serial(db, 'pdb_hidden_candidates')
    .addColumn('fabric_id', fk, (c) => c.notNull().references('fabrics.id').onDelete('cascade'))
    .addColumn('asn', 'bigint', (c) => c.notNull())
    .addColumn('until', 'text')
    .addColumn('reason', 'text')
    .addColumn('created_by', fk, (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('pdb_hidden_candidates_fabric_asn', ['fabric_id', 'asn'])
    .execute();

  // One IX-F member list per fabric (the latest import), flattened to one row per member address.
  await serial(db, 'ixf_imports')
    .addColumn('fabric_id', fk, (c) => c.notNull().unique().references('fabrics.id').onDelete('cascade'))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('timestamp', 'text')
    .addColumn('ixp_id', 'integer')
    .addColumn('ixp_name', 'text')
    .addColumn('member_count', 'integer', (c) => c.notNull())
    .addColumn('warnings', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('imported_at', 'text', (c) => c.notNull())
    .addColumn('imported_by', fk, (c) => c.references('users.id').onDelete('set null'))
    .execute();

  await serial(db, 'ixf_members')
    .addColumn('fabric_id', fk, (c) => c.notNull().references('fabrics.id').onDelete('cascade'))
    .addColumn('asn', 'bigint', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('member_type', 'text')
    .addColumn('peering_policy', 'text')
    .addColumn('vlan_id', 'integer')
    .addColumn('family', 'integer', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('address_key', 'text', (c) => c.notNull())
    .addColumn('routeserver', 'boolean')
    .addColumn('max_prefix', 'integer')
    .addColumn('as_macro', 'text')
    .addColumn('if_speed', 'bigint')
    .execute();
  await db.schema.createIndex('ixf_members_fabric').on('ixf_members').columns(['fabric_id', 'asn']).execute();

  // "Daily by default": the job runner turns this row into a queued peeringdb.sync every day.
  const stamp = new Date().toISOString();
  const next = new Date();
  next.setUTCHours(4, 30, 0, 0);
  if (next.getTime() <= Date.now()) next.setUTCDate(next.getUTCDate() + 1);
  await db
    .insertInto('schedules')
    .values({
      name: 'peeringdb-sync',
      kind: 'peeringdb.sync',
      payload: '{}',
      cron: '30 4 * * *',
      enabled: pg ? true : 1,
      next_run_at: next.toISOString(),
      description: 'Daily incremental PeeringDB sync',
      created_at: stamp,
      updated_at: stamp,
      version: 1,
    })
    .execute();
}

export async function down(db: Db): Promise<void> {
  await db.deleteFrom('schedules').where('name', '=', 'peeringdb-sync').execute();
  for (const t of ['ixf_members', 'ixf_imports', 'pdb_hidden_candidates', 'pdb_state', 'pdb_sync_runs']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
  for (const type of Object.keys(MIRROR)) await db.schema.dropTable(`pdb_${type}`).ifExists().execute();
}
