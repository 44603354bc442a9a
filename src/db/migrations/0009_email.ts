// Peer communications: e-mail templates (versioned), local contacts, the outbox, replies read from
// IMAP, peering requests per (ASN, fabric) with their history, and the two mail schedules.
// Frozen in time: typed Kysely<any>, no application imports.
import type { Kysely } from 'kysely';
import { sql } from 'kysely';

type Db = Kysely<any>;

function isPg(db: Db): boolean {
  return (db.getExecutor().adapter as object).constructor.name.toLowerCase().includes('postgres');
}

export async function up(db: Db): Promise<void> {
  const pg = isPg(db);
  const idCol = (t: any) =>
    t.addColumn('id', pg ? 'bigserial' : 'integer', (c: any) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()));
  const ref = pg ? 'bigint' : 'integer';
  const stamped = (t: any) =>
    t
      .addColumn('created_at', 'text', (c: any) => c.notNull())
      .addColumn('updated_at', 'text', (c: any) => c.notNull())
      .addColumn('version', 'integer', (c: any) => c.notNull().defaultTo(1));

  // Subject and body are both templates; recipient_roles is the PeeringDB role fallback chain (JSON).
  await stamped(idCol(db.schema.createTable('email_templates')))
    .addColumn('name', 'text', (c: any) => c.notNull().unique())
    .addColumn('purpose', 'text', (c: any) => c.notNull().defaultTo('other'))
    .addColumn('subject', 'text', (c: any) => c.notNull())
    .addColumn('body', 'text', (c: any) => c.notNull())
    .addColumn('recipient_roles', 'text', (c: any) => c.notNull().defaultTo('[]'))
    .addColumn('description', 'text')
    .execute();

  await idCol(db.schema.createTable('email_template_versions'))
    .addColumn('template_id', ref, (c: any) => c.notNull().references('email_templates.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c: any) => c.notNull())
    .addColumn('subject', 'text', (c: any) => c.notNull())
    .addColumn('body', 'text', (c: any) => c.notNull())
    .addColumn('recipient_roles', 'text', (c: any) => c.notNull())
    .addColumn('diff', 'text')
    .addColumn('created_at', 'text', (c: any) => c.notNull())
    .addColumn('created_by', 'text')
    .addUniqueConstraint('email_template_versions_unique', ['template_id', 'version'])
    .execute();

  await stamped(idCol(db.schema.createTable('contacts')))
    .addColumn('peer_asn_id', ref, (c: any) => c.notNull().references('peer_asns.id').onDelete('cascade'))
    .addColumn('name', 'text', (c: any) => c.notNull())
    .addColumn('role', 'text', (c: any) =>
      c.notNull().check(sql`role in ('Policy','NOC','Technical','Maintenance','Abuse','Sales','Public Relations')`),
    )
    .addColumn('email', 'text', (c: any) => c.notNull())
    .addColumn('phone', 'text')
    .addColumn('comments', 'text')
    .execute();
  await db.schema.createIndex('contacts_peer_asn').on('contacts').column('peer_asn_id').execute();

  // One request per (ASN, fabric): fabric_key is the fabric id or 0 for "no fabric", so the unique
  // constraint holds on both engines (NULLs are distinct in unique constraints).
  await stamped(idCol(db.schema.createTable('peering_requests')))
    .addColumn('asn', 'bigint', (c: any) => c.notNull())
    .addColumn('peeringdb_net_id', 'integer')
    .addColumn('fabric_id', ref, (c: any) => c.references('fabrics.id').onDelete('cascade'))
    .addColumn('fabric_key', ref, (c: any) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c: any) =>
      c
        .notNull()
        .defaultTo('none')
        .check(sql`status in ('none','sent','replied','accepted','rejected','existing','not_qualified')`),
    )
    .addColumn('sent_count', 'integer', (c: any) => c.notNull().defaultTo(0))
    .addColumn('first_sent_at', 'text')
    .addColumn('last_sent_at', 'text')
    .addColumn('replied_at', 'text')
    .addColumn('decided_at', 'text')
    .addColumn('reminder_due_at', 'text')
    .addColumn('notes', 'text')
    .addUniqueConstraint('peering_requests_scope', ['asn', 'fabric_key'])
    .execute();
  await db.schema
    .createIndex('peering_requests_status')
    .on('peering_requests')
    .columns(['status', 'last_sent_at'])
    .execute();

  await stamped(idCol(db.schema.createTable('outbox')))
    .addColumn('message_id', 'text', (c: any) => c.notNull().unique())
    .addColumn('kind', 'text', (c: any) => c.notNull().defaultTo('manual'))
    .addColumn('from_addr', 'text', (c: any) => c.notNull())
    .addColumn('to_addrs', 'text', (c: any) => c.notNull())
    .addColumn('cc_addrs', 'text', (c: any) => c.notNull().defaultTo('[]'))
    .addColumn('subject', 'text', (c: any) => c.notNull())
    .addColumn('body', 'text', (c: any) => c.notNull())
    .addColumn('in_reply_to', 'text')
    .addColumn('status', 'text', (c: any) =>
      c.notNull().check(sql`status in ('queued','sending','sent','failed','test')`),
    )
    .addColumn('error', 'text')
    .addColumn('attempts', 'integer', (c: any) => c.notNull().defaultTo(0))
    .addColumn('smtp_response', 'text')
    .addColumn('rate_domain', 'text')
    .addColumn('sent_at', 'text')
    .addColumn('created_by', ref, (c: any) => c.references('users.id').onDelete('set null'))
    .addColumn('created_by_name', 'text')
    .addColumn('asn', 'bigint')
    .addColumn('peer_asn_id', ref, (c: any) => c.references('peer_asns.id').onDelete('set null'))
    .addColumn('peeringdb_net_id', 'integer')
    .addColumn('fabric_id', ref, (c: any) => c.references('fabrics.id').onDelete('set null'))
    .addColumn('session_id', ref, (c: any) => c.references('peering_sessions.id').onDelete('set null'))
    .addColumn('request_id', ref, (c: any) => c.references('peering_requests.id').onDelete('set null'))
    .addColumn('template_name', 'text')
    .addColumn('job_id', ref)
    .execute();
  await db.schema.createIndex('outbox_status').on('outbox').columns(['status', 'created_at']).execute();
  await db.schema.createIndex('outbox_rate').on('outbox').columns(['rate_domain', 'sent_at']).execute();
  await db.schema.createIndex('outbox_request').on('outbox').column('request_id').execute();

  await idCol(db.schema.createTable('email_replies'))
    .addColumn('message_id', 'text', (c: any) => c.notNull().unique())
    .addColumn('outbox_id', ref, (c: any) => c.references('outbox.id').onDelete('set null'))
    .addColumn('request_id', ref, (c: any) => c.references('peering_requests.id').onDelete('set null'))
    .addColumn('in_reply_to', 'text')
    .addColumn('references_hdr', 'text')
    .addColumn('from_addr', 'text', (c: any) => c.notNull())
    .addColumn('subject', 'text', (c: any) => c.notNull())
    .addColumn('body', 'text', (c: any) => c.notNull())
    .addColumn('date', 'text')
    .addColumn('mailbox', 'text')
    .addColumn('uid', 'bigint')
    .addColumn('received_at', 'text', (c: any) => c.notNull())
    .execute();
  await db.schema.createIndex('email_replies_request').on('email_replies').column('request_id').execute();

  await idCol(db.schema.createTable('peering_request_events'))
    .addColumn('request_id', ref, (c: any) => c.notNull().references('peering_requests.id').onDelete('cascade'))
    .addColumn('time', 'text', (c: any) => c.notNull())
    .addColumn('user_id', ref)
    .addColumn('username', 'text')
    .addColumn('action', 'text', (c: any) => c.notNull())
    .addColumn('from_status', 'text')
    .addColumn('to_status', 'text')
    .addColumn('outbox_id', ref, (c: any) => c.references('outbox.id').onDelete('set null'))
    .addColumn('reply_id', ref, (c: any) => c.references('email_replies.id').onDelete('set null'))
    .addColumn('note', 'text')
    .execute();
  await db.schema
    .createIndex('peering_request_events_request')
    .on('peering_request_events')
    .columns(['request_id', 'time'])
    .execute();

  // Where the IMAP poll stopped, per mailbox (UIDs are only meaningful with their UIDVALIDITY).
  await db.schema
    .createTable('email_imap_state')
    .addColumn('mailbox', 'text', (c: any) => c.primaryKey())
    .addColumn('uidvalidity', 'text')
    .addColumn('last_uid', 'bigint', (c: any) => c.notNull().defaultTo(0))
    .addColumn('polled_at', 'text')
    .execute();

  const stamp = new Date().toISOString();
  const inFive = new Date(Date.now() + 5 * 60_000).toISOString();
  const next = new Date();
  next.setUTCHours(6, 0, 0, 0);
  if (next.getTime() <= Date.now()) next.setUTCDate(next.getUTCDate() + 1);
  await db
    .insertInto('schedules')
    .values([
      {
        name: 'email-imap-poll',
        kind: 'email.poll_replies',
        payload: '{}',
        cron: '*/5 * * * *',
        enabled: pg ? true : 1,
        next_run_at: inFive,
        description: 'Reads replies from the IMAP mailbox (PEERDESK_IMAP_URL) and attaches them to their requests',
        created_at: stamp,
        updated_at: stamp,
        version: 1,
      },
      {
        name: 'email-reminders',
        kind: 'email.reminders',
        payload: '{}',
        cron: '0 6 * * *',
        enabled: pg ? true : 1,
        next_run_at: next.toISOString(),
        description:
          'Marks peering requests without a reply after the reminder delay (and sends follow-ups when configured)',
        created_at: stamp,
        updated_at: stamp,
        version: 1,
      },
    ])
    .execute();
}

export async function down(db: Db): Promise<void> {
  await db.deleteFrom('schedules').where('name', 'in', ['email-imap-poll', 'email-reminders']).execute();
  for (const t of [
    'email_imap_state',
    'peering_request_events',
    'email_replies',
    'outbox',
    'peering_requests',
    'contacts',
    'email_template_versions',
    'email_templates',
  ]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
