// Foundation schema: auth, change log, jobs, the peering layer and the BGP layer.
// Frozen in time: typed Kysely<any>, no application imports. Timestamps are ISO-8601 UTC text,
// booleans are integers 0/1 on SQLite and booleans on PostgreSQL, IPs are canonical text plus
// a fixed-width hex "key" column that sorts numerically on both engines.
import { sql, type CreateTableBuilder, type Kysely } from 'kysely';

type Db = Kysely<any>;

function isPg(db: Db): boolean {
  return (db.getExecutor().adapter as object).constructor.name.toLowerCase().includes('postgres');
}

function table(db: Db, name: string): CreateTableBuilder<string, 'id'> {
  return db.schema
    .createTable(name)
    .addColumn('id', isPg(db) ? 'bigserial' : 'integer', (c) =>
      isPg(db) ? c.primaryKey() : c.primaryKey().autoIncrement(),
    ) as any;
}

function stamped(t: CreateTableBuilder<any, any>) {
  return t
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1));
}

function fk(db: Db) {
  return isPg(db) ? 'bigint' : 'integer';
}

export async function up(db: Db): Promise<void> {
  const id = fk(db);
  const bool = 'boolean';

  // --- auth -------------------------------------------------------------------------------
  await stamped(table(db, 'users'))
    .addColumn('username', 'text', (c) => c.notNull().unique())
    .addColumn('email', 'text')
    .addColumn('display_name', 'text')
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('viewer','operator','admin')`))
    .addColumn('is_active', bool, (c) => c.notNull().defaultTo(true))
    .addColumn('must_change_password', bool, (c) => c.notNull().defaultTo(false))
    .addColumn('last_login_at', 'text')
    .execute();

  await table(db, 'api_tokens')
    .addColumn('user_id', id, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('key_prefix', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('write_enabled', bool, (c) => c.notNull().defaultTo(true))
    .addColumn('expires_at', 'text')
    .addColumn('last_used_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('ui_sessions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', id, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();

  // --- change log --------------------------------------------------------------------------
  await table(db, 'changes')
    .addColumn('time', 'text', (c) => c.notNull())
    .addColumn('user_id', id)
    .addColumn('username', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('object_type', 'text', (c) => c.notNull())
    .addColumn('object_id', id)
    .addColumn('object_repr', 'text')
    .addColumn('before', 'text')
    .addColumn('after', 'text')
    .addColumn('request_id', 'text')
    .execute();
  await db.schema.createIndex('changes_object').on('changes').columns(['object_type', 'object_id']).execute();
  await db.schema.createIndex('changes_time').on('changes').column('time').execute();

  // --- jobs ------------------------------------------------------------------------------
  await stamped(table(db, 'schedules'))
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('cron', 'text', (c) => c.notNull())
    .addColumn('enabled', bool, (c) => c.notNull().defaultTo(true))
    .addColumn('next_run_at', 'text')
    .addColumn('last_run_at', 'text')
    .addColumn('last_job_id', id)
    .addColumn('description', 'text')
    .execute();

  await table(db, 'jobs')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('queued','running','succeeded','failed','cancelled')`),
    )
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull().defaultTo(3))
    .addColumn('run_after', 'text', (c) => c.notNull())
    .addColumn('lease_until', 'text')
    .addColumn('worker_id', 'text')
    .addColumn('progress', 'real')
    .addColumn('progress_message', 'text')
    .addColumn('result', 'text')
    .addColumn('error', 'text')
    .addColumn('cancel_requested', bool, (c) => c.notNull().defaultTo(false))
    .addColumn('schedule_id', id, (c) => c.references('schedules.id').onDelete('set null'))
    .addColumn('created_by', id, (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema.createIndex('jobs_claim').on('jobs').columns(['status', 'run_after']).execute();

  await table(db, 'job_logs')
    .addColumn('job_id', id, (c) => c.notNull().references('jobs.id').onDelete('cascade'))
    .addColumn('time', 'text', (c) => c.notNull())
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('job_logs_job').on('job_logs').columns(['job_id', 'id']).execute();

  await db.schema
    .createTable('workers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('hostname', 'text')
    .addColumn('pid', 'integer')
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('seen_at', 'text', (c) => c.notNull())
    .execute();

  // --- templates (store details come with the templates capability) ----------------------
  await stamped(table(db, 'config_templates'))
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) =>
      c
        .notNull()
        .defaultTo('router')
        .check(sql`kind in ('router','email')`),
    )
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('options', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('description', 'text')
    .execute();

  // --- BGP layer -------------------------------------------------------------------------
  await stamped(table(db, 'platforms'))
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('slug', 'text', (c) => c.notNull().unique())
    .addColumn('driver', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .execute();

  await stamped(table(db, 'bfd_profiles'))
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('min_rx_ms', 'integer', (c) => c.notNull().defaultTo(300))
    .addColumn('min_tx_ms', 'integer', (c) => c.notNull().defaultTo(300))
    .addColumn('multiplier', 'integer', (c) => c.notNull().defaultTo(3))
    .addColumn('description', 'text')
    .execute();

  await stamped(table(db, 'routing_policies'))
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('slug', 'text', (c) => c.notNull().unique())
    .addColumn('direction', 'text', (c) => c.notNull().check(sql`direction in ('import','export','import-export')`))
    .addColumn('weight', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('address_family', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('description', 'text')
    .addColumn('config', 'text', (c) => c.notNull().defaultTo('{}'))
    .execute();

  await stamped(table(db, 'communities'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('slug', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('standard','extended','large')`))
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('role', 'text')
    .addColumn('description', 'text')
    .execute();

  await stamped(table(db, 'routers'))
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('hostname', 'text')
    .addColumn('platform_id', id, (c) => c.references('platforms.id').onDelete('restrict'))
    .addColumn('local_asn', 'bigint', (c) => c.notNull())
    .addColumn('router_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
    .addColumn('config_template_id', id, (c) => c.references('config_templates.id').onDelete('set null'))
    .addColumn('credentials_enc', 'text')
    .addColumn('polling_enabled', bool, (c) => c.notNull().defaultTo(false))
    .addColumn('last_polled_at', 'text')
    .addColumn('description', 'text')
    .execute();

  await stamped(table(db, 'peer_groups'))
    .addColumn('router_id', id, (c) => c.notNull().references('routers.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('remote_asn', 'bigint')
    .addColumn('local_asn', 'bigint')
    .addColumn('multihop', 'integer')
    .addColumn('ttl_security', bool, (c) => c.notNull().defaultTo(false))
    .addColumn('bfd_profile_id', id, (c) => c.references('bfd_profiles.id').onDelete('set null'))
    .addColumn('import_policy_id', id, (c) => c.references('routing_policies.id').onDelete('set null'))
    .addColumn('export_policy_id', id, (c) => c.references('routing_policies.id').onDelete('set null'))
    .addColumn('ipv4_max_prefixes', 'integer')
    .addColumn('ipv6_max_prefixes', 'integer')
    .addColumn('keepalive', 'integer')
    .addColumn('hold_time', 'integer')
    .addColumn('password_enc', 'text')
    .addUniqueConstraint('peer_groups_router_name', ['router_id', 'name'])
    .execute();

  await stamped(table(db, 'prefix_lists'))
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('family', 'integer', (c) => c.notNull().check(sql`family in (4, 6)`))
    .addColumn('source', 'text', (c) =>
      c
        .notNull()
        .defaultTo('manual')
        .check(sql`source in ('manual','irr')`),
    )
    .addColumn('peer_asn_id', id)
    .addColumn('irr_query', 'text')
    .addColumn('description', 'text')
    .execute();

  await table(db, 'prefix_list_entries')
    .addColumn('prefix_list_id', id, (c) => c.notNull().references('prefix_lists.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull().check(sql`action in ('permit','deny')`))
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('prefix_key', 'text', (c) => c.notNull())
    .addColumn('ge', 'integer')
    .addColumn('le', 'integer')
    .addUniqueConstraint('prefix_list_entries_seq', ['prefix_list_id', 'seq'])
    .execute();

  // --- peering layer -----------------------------------------------------------------------
  await stamped(table(db, 'relationships'))
    .addColumn('slug', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('color', 'text', (c) => c.notNull().defaultTo('9e9e9e'))
    .addColumn('description', 'text')
    .execute();

  await stamped(table(db, 'peer_asns'))
    .addColumn('asn', 'bigint', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('affiliated', bool, (c) => c.notNull().defaultTo(false))
    .addColumn('irr_as_set', 'text')
    .addColumn('irr_sources', 'text')
    .addColumn('ipv4_max_prefixes', 'integer')
    .addColumn('ipv6_max_prefixes', 'integer')
    .addColumn('peeringdb_id', 'integer')
    .addColumn('peeringdb_synced_at', 'text')
    .addColumn('follow_peeringdb_name', bool, (c) => c.notNull().defaultTo(true))
    .addColumn('follow_peeringdb_irr_as_set', bool, (c) => c.notNull().defaultTo(true))
    .addColumn('follow_peeringdb_max_prefixes', bool, (c) => c.notNull().defaultTo(true))
    .addColumn('comments', 'text')
    .execute();

  await stamped(table(db, 'fabrics'))
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('slug', 'text', (c) => c.notNull().unique())
    .addColumn('type', 'text', (c) => c.notNull().defaultTo('ixp'))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
    .addColumn('peeringdb_ix_id', 'integer')
    .addColumn('default_peer_group', 'text')
    .addColumn('description', 'text')
    .execute();

  await stamped(table(db, 'peering_networks'))
    .addColumn('fabric_id', id, (c) => c.notNull().references('fabrics.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('prefix_key', 'text', (c) => c.notNull())
    .addColumn('family', 'integer', (c) => c.notNull())
    .addColumn('vlan', 'integer')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
    .addColumn('peeringdb_ixlan_id', 'integer')
    .addColumn('peeringdb_ixpfx_id', 'integer')
    .addColumn('route_server_asn', 'bigint')
    .addColumn('mtu', 'integer')
    .addColumn('description', 'text')
    .addUniqueConstraint('peering_networks_fabric_name', ['fabric_id', 'name'])
    .execute();

  await stamped(table(db, 'peering_connections'))
    .addColumn('network_id', id, (c) => c.notNull().references('peering_networks.id').onDelete('cascade'))
    .addColumn('router_id', id, (c) => c.notNull().references('routers.id').onDelete('cascade'))
    .addColumn('interface', 'text', (c) => c.notNull())
    .addColumn('ipv4_address', 'text')
    .addColumn('ipv6_address', 'text')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
    .addColumn('description', 'text')
    .execute();

  await stamped(table(db, 'bgp_peers'))
    .addColumn('router_id', id, (c) => c.notNull().references('routers.id').onDelete('restrict'))
    .addColumn('vrf', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('name', 'text')
    .addColumn('peer_ip', 'text', (c) => c.notNull())
    .addColumn('peer_ip_key', 'text', (c) => c.notNull())
    .addColumn('source_ip', 'text')
    .addColumn('family', 'integer', (c) => c.notNull())
    .addColumn('local_asn', 'bigint', (c) => c.notNull())
    .addColumn('remote_asn', 'bigint', (c) => c.notNull())
    .addColumn('peer_group_id', id, (c) => c.references('peer_groups.id').onDelete('set null'))
    .addColumn('enabled', bool, (c) => c.notNull().defaultTo(true))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
    .addColumn('bfd_profile_id', id, (c) => c.references('bfd_profiles.id').onDelete('set null'))
    .addColumn('multihop', 'integer')
    .addColumn('ttl_security', bool, (c) => c.notNull().defaultTo(false))
    .addColumn('password_enc', 'text')
    .addColumn('description', 'text')
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('unknown'))
    .addColumn('state_since', 'text')
    .addColumn('prefixes_received', 'integer')
    .addColumn('prefixes_accepted', 'integer')
    .addColumn('prefixes_advertised', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('polled_at', 'text')
    .addUniqueConstraint('bgp_peers_router_vrf_ip', ['router_id', 'vrf', 'peer_ip'])
    .execute();
  await db.schema.createIndex('bgp_peers_remote_asn').on('bgp_peers').column('remote_asn').execute();
  await db.schema.createIndex('bgp_peers_peer_ip_key').on('bgp_peers').column('peer_ip_key').execute();
  await db.schema.createIndex('bgp_peers_router_ip').on('bgp_peers').columns(['router_id', 'peer_ip_key']).execute();
  await db.schema.createIndex('bgp_peers_state').on('bgp_peers').column('state').execute();

  await table(db, 'bgp_peer_address_families')
    .addColumn('bgp_peer_id', id, (c) => c.notNull().references('bgp_peers.id').onDelete('cascade'))
    .addColumn('afi_safi', 'text', (c) => c.notNull())
    .addColumn('enabled', bool, (c) => c.notNull().defaultTo(true))
    .addColumn('import_policy_id', id, (c) => c.references('routing_policies.id').onDelete('set null'))
    .addColumn('export_policy_id', id, (c) => c.references('routing_policies.id').onDelete('set null'))
    .addColumn('prefix_list_in_id', id, (c) => c.references('prefix_lists.id').onDelete('set null'))
    .addColumn('prefix_list_out_id', id, (c) => c.references('prefix_lists.id').onDelete('set null'))
    .addColumn('max_prefixes', 'integer')
    .addUniqueConstraint('bgp_peer_af_unique', ['bgp_peer_id', 'afi_safi'])
    .execute();

  await stamped(table(db, 'peering_sessions'))
    .addColumn('bgp_peer_id', id, (c) => c.notNull().unique().references('bgp_peers.id').onDelete('restrict'))
    .addColumn('peer_asn_id', id, (c) => c.notNull().references('peer_asns.id').onDelete('restrict'))
    .addColumn('relationship_id', id, (c) => c.references('relationships.id').onDelete('set null'))
    .addColumn('network_id', id, (c) => c.references('peering_networks.id').onDelete('restrict'))
    .addColumn('service_reference', 'text')
    .addColumn('notes', 'text')
    .execute();
  await db.schema.createIndex('peering_sessions_network').on('peering_sessions').column('network_id').execute();
  await db.schema.createIndex('peering_sessions_peer_asn').on('peering_sessions').column('peer_asn_id').execute();
  await db.schema
    .createIndex('peering_sessions_relationship')
    .on('peering_sessions')
    .column('relationship_id')
    .execute();

  await table(db, 'session_state_events')
    .addColumn('bgp_peer_id', id, (c) => c.notNull().references('bgp_peers.id').onDelete('cascade'))
    .addColumn('time', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('previous_state', 'text')
    .addColumn('reason', 'text')
    .addColumn('prefixes_received', 'integer')
    .addColumn('prefixes_accepted', 'integer')
    .addColumn('prefixes_advertised', 'integer')
    .execute();
  await db.schema
    .createIndex('session_state_events_peer')
    .on('session_state_events')
    .columns(['bgp_peer_id', 'time'])
    .execute();
}

export async function down(db: Db): Promise<void> {
  for (const t of [
    'session_state_events',
    'peering_sessions',
    'bgp_peer_address_families',
    'bgp_peers',
    'peering_connections',
    'peering_networks',
    'fabrics',
    'peer_asns',
    'relationships',
    'prefix_list_entries',
    'prefix_lists',
    'peer_groups',
    'routers',
    'communities',
    'routing_policies',
    'bfd_profiles',
    'platforms',
    'config_templates',
    'workers',
    'job_logs',
    'jobs',
    'schedules',
    'changes',
    'ui_sessions',
    'api_tokens',
    'users',
  ]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
