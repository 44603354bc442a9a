// The mail objects: e-mail templates (versioned) and local contacts are full resources; the outbox,
// peering requests and replies are read through the same machinery but change only through workflows.
import { z } from 'zod';
import type { Selectable } from 'kysely';
import { createTwoFilesPatch } from 'diff';
import { baseOutput, id as idField, optText } from '../platform/fields.ts';
import { ValidationError } from '../platform/errors.ts';
import {
  assertExists,
  assertUnique,
  idFilter,
  json,
  nullableIdFilter,
  textFilter,
  enumFilter,
  containsFilter,
  resourceQuery,
  type Resource,
  type Row,
  type RowOf,
} from '../platform/crud.ts';
import { now, storedEnum, type Executor } from '../platform/db.ts';
import type { EmailRepliesTable } from '../platform/db.types.ts';
import { CONTACT_ROLES, TEMPLATE_PURPOSES, checkEmailTemplate, type ContactRole } from './email-templates.ts';
import { emailAddress, headerText, type MailAddress } from './headers.ts';
import { OUTBOX_KINDS, OUTBOX_STATUSES, REQUEST_STATUSES } from './email.service.ts';

const roleEnum = z.enum(CONTACT_ROLES);
const purposeEnum = z.enum(TEMPLATE_PURPOSES);
const requestStatusEnum = z.enum(REQUEST_STATUSES);
const addressOut = z.object({ name: z.string(), address: z.string() });
const peerRef = z.object({ id: z.number().int(), asn: z.number().int(), name: z.string() }).nullable();
const fabricRef = z.object({ id: z.number().int(), name: z.string() }).nullable();
// The joined peer ASN and fabric columns (left joins: all null together when there is none).
const peerRefOf = (r: { pa_id: number | null; pa_asn: number | null; pa_name: string | null }) =>
  r.pa_id === null || r.pa_asn === null || r.pa_name === null
    ? null
    : { id: Number(r.pa_id), asn: Number(r.pa_asn), name: r.pa_name };
const fabricRefOf = (r: { f_id: number | null; f_name: string | null }) =>
  r.f_id === null || r.f_name === null ? null : { id: Number(r.f_id), name: r.f_name };

// ---------- e-mail templates -------------------------------------------------------------------

const templateInput = z
  .object({
    name: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .regex(/^[A-Za-z0-9_.\- ]+$/, 'use letters, digits, space, _ . -'),
    purpose: z.enum(TEMPLATE_PURPOSES).optional(),
    subject: z.string().min(1).max(2000),
    body: z.string().max(200_000),
    recipient_roles: z
      .array(roleEnum)
      .max(7)
      .optional()
      .describe('PeeringDB roles tried in order: the first one with contacts fills To'),
    description: optText,
  })
  .strict();

/** Records a new version of an e-mail template with the diff of its subject and body. */
async function recordVersion(db: Executor, id: number, username: string | null): Promise<void> {
  const t = await db.selectFrom('email_templates').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const prev = await db
    .selectFrom('email_template_versions')
    .selectAll()
    .where('template_id', '=', id)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (prev && prev.body === t.body && prev.subject === t.subject && prev.recipient_roles === t.recipient_roles) return;
  const version = prev ? Number(prev.version) + 1 : 1;
  const text = (s: string, b: string, r: string) => `Subject: ${s}\nRoles: ${json<string[]>(r, []).join(', ')}\n\n${b}`;
  const diff = prev
    ? createTwoFilesPatch(
        `${t.name} v${prev.version}`,
        `${t.name} v${version}`,
        text(prev.subject, prev.body, prev.recipient_roles),
        text(t.subject, t.body, t.recipient_roles),
        '',
        '',
        { context: 3 },
      )
    : null;
  await db
    .insertInto('email_template_versions')
    .values({
      template_id: id,
      version,
      subject: t.subject,
      body: t.body,
      recipient_roles: t.recipient_roles,
      diff,
      created_at: now(),
      created_by: username,
    })
    .execute();
}

const templateQuery = (db: Executor) => resourceQuery(db.selectFrom('email_templates as t').selectAll('t'));
type TemplateInput = z.infer<typeof templateInput>;
const TEMPLATE_KEYS = [
  'name',
  'purpose',
  'subject',
  'body',
  'description',
] as const satisfies readonly (keyof TemplateInput)[];

export const emailTemplates: Resource<RowOf<typeof templateQuery>, TemplateInput> = {
  path: 'email-templates',
  objectType: 'email-template',
  table: 'email_templates',
  tag: 'email',
  // Like config templates: what Peerdesk says in our name is an admin's to change; operators compose and send.
  writeRole: 'admin',
  input: templateInput,
  output: z
    .object({
      name: z.string(),
      purpose: purposeEnum,
      subject: z.string(),
      body: z.string(),
      recipient_roles: z.array(roleEnum),
      description: z.string().nullable(),
      ...baseOutput,
    })
    .meta({ id: 'EmailTemplate' }),
  briefOutput: z.object({ id: z.number().int(), name: z.string(), purpose: purposeEnum }),
  query: templateQuery,
  present: (r) => ({
    id: Number(r.id),
    name: r.name,
    purpose: storedEnum(TEMPLATE_PURPOSES, r.purpose, 'template purpose'),
    subject: r.subject,
    body: r.body,
    recipient_roles: json<ContactRole[]>(r.recipient_roles, []),
    description: r.description ?? null,
    created_at: r.created_at,
    updated_at: r.updated_at,
    version: Number(r.version),
  }),
  brief: (r) => ({
    id: Number(r.id),
    name: r.name,
    purpose: storedEnum(TEMPLATE_PURPOSES, r.purpose, 'template purpose'),
  }),
  filters: { id: idFilter('t.id'), name: textFilter('t.name'), purpose: textFilter('t.purpose') },
  search: ['t.name', 't.subject', 't.description'],
  ordering: { name: 't.name', purpose: 't.purpose', updated_at: 't.updated_at', id: 't.id' },
  defaultOrdering: 'name',
  async prepare(inp, ctx, existing) {
    if ('name' in inp)
      await assertUnique(ctx.db, 'email_templates', 'name', inp.name, existing ? Number(existing.id) : null);
    const subject = inp.subject ?? existing?.subject;
    const body = inp.body ?? existing?.body;
    // A create always has both (the input requires them), an update has the stored ones.
    if (subject === undefined) throw new ValidationError('subject', 'is required');
    if (body === undefined) throw new ValidationError('body', 'is required');
    checkEmailTemplate(subject, body);
    const values: Row = {};
    for (const k of TEMPLATE_KEYS) if (k in inp) values[k] = inp[k];
    if ('recipient_roles' in inp) values.recipient_roles = JSON.stringify(inp.recipient_roles ?? []);
    else if (!existing)
      values.recipient_roles = JSON.stringify(
        inp.purpose === 'noc' || inp.purpose === 'session_down' ? ['NOC', 'Technical'] : ['Policy', 'Technical', 'NOC'],
      );
    if (!existing && !('purpose' in inp)) values.purpose = 'other';
    return values;
  },
  async afterWrite(id, _inp, ctx) {
    await recordVersion(ctx.db, id, ctx.principal?.username ?? null);
  },
  repr: (r) => r.name,
};

// ---------- local contacts ---------------------------------------------------------------------------

const contactInput = z
  .object({
    peer_asn: idField,
    name: headerText(200, 'name').pipe(z.string().trim().min(1, 'must not be empty')),
    role: roleEnum,
    email: emailAddress,
    phone: headerText(50, 'phone').nullable().optional(),
    comments: optText,
  })
  .strict();
type ContactInput = z.infer<typeof contactInput>;
const CONTACT_KEYS = ['name', 'role', 'email', 'phone', 'comments'] as const satisfies readonly (keyof ContactInput)[];

const contactQuery = (db: Executor) =>
  resourceQuery(
    db
      .selectFrom('contacts as t')
      .leftJoin('peer_asns as pa', 'pa.id', 't.peer_asn_id')
      .selectAll('t')
      .select(['pa.id as pa_id', 'pa.asn as pa_asn', 'pa.name as pa_name']),
  );

export const contacts: Resource<RowOf<typeof contactQuery>, ContactInput> = {
  path: 'contacts',
  objectType: 'contact',
  table: 'contacts',
  tag: 'email',
  writeRole: 'operator',
  input: contactInput,
  output: z
    .object({
      peer_asn: peerRef,
      name: z.string(),
      role: roleEnum,
      email: z.string(),
      phone: z.string().nullable(),
      comments: z.string().nullable(),
      ...baseOutput,
    })
    .meta({ id: 'Contact' }),
  briefOutput: z.object({ id: z.number().int(), name: z.string(), role: roleEnum, email: z.string() }),
  query: contactQuery,
  countQuery: (db) => db.selectFrom('contacts as t'),
  present: (r) => ({
    id: Number(r.id),
    peer_asn: peerRefOf(r),
    name: r.name,
    role: storedEnum(CONTACT_ROLES, r.role, 'contact role'),
    email: r.email,
    phone: r.phone ?? null,
    comments: r.comments ?? null,
    created_at: r.created_at,
    updated_at: r.updated_at,
    version: Number(r.version),
  }),
  brief: (r) => ({
    id: Number(r.id),
    name: r.name,
    role: storedEnum(CONTACT_ROLES, r.role, 'contact role'),
    email: r.email,
  }),
  filters: {
    id: idFilter('t.id'),
    peer_asn: idFilter('t.peer_asn_id'),
    role: textFilter('t.role'),
    email: containsFilter('t.email'),
  },
  search: ['t.name', 't.email', 't.comments'],
  ordering: { name: 't.name', role: 't.role', email: 't.email', id: 't.id' },
  defaultOrdering: 'name',
  async prepare(inp, ctx) {
    if ('peer_asn' in inp) await assertExists(ctx.db, 'peer_asns', inp.peer_asn, 'peer_asn');
    const values: Row = {};
    if ('peer_asn' in inp) values.peer_asn_id = inp.peer_asn;
    for (const k of CONTACT_KEYS) if (k in inp) values[k] = inp[k] ?? null;
    return values;
  },
  repr: (r) => `${r.name} <${r.email}>`,
};

// ---------- outbox (read through the machinery, written by the send workflow) ---------------------------

export const outboxOutput = z
  .object({
    id: z.number().int(),
    message_id: z.string(),
    kind: z.enum(OUTBOX_KINDS),
    from: addressOut,
    to: z.array(addressOut),
    cc: z.array(addressOut),
    subject: z.string(),
    body: z.string(),
    in_reply_to: z.string().nullable(),
    status: z.enum(OUTBOX_STATUSES),
    error: z.string().nullable(),
    attempts: z.number().int(),
    smtp_response: z.string().nullable(),
    sent_at: z.string().nullable(),
    created_by: z.string().nullable(),
    asn: z.number().int().nullable(),
    peer_asn: peerRef,
    peeringdb_net: z.number().int().nullable(),
    fabric: fabricRef,
    session: z.number().int().nullable(),
    request: z.number().int().nullable(),
    template: z.string().nullable(),
    job: z.number().int().nullable(),
    reply_count: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
    version: z.number().int(),
  })
  .meta({ id: 'OutboxMessage' });

/** An outbox message as the API shows it. */
export type OutboxView = z.infer<typeof outboxOutput>;

const outboxQuery = (db: Executor) =>
  resourceQuery(
    db
      .selectFrom('outbox as t')
      .leftJoin('peer_asns as pa', 'pa.id', 't.peer_asn_id')
      .leftJoin('fabrics as f', 'f.id', 't.fabric_id')
      .selectAll('t')
      .select(['pa.id as pa_id', 'pa.asn as pa_asn', 'pa.name as pa_name', 'f.id as f_id', 'f.name as f_name'])
      .select((eb) =>
        eb
          .selectFrom('email_replies as er')
          .select(eb.fn.countAll().as('c'))
          .whereRef('er.outbox_id', '=', 't.id')
          .as('reply_count'),
      ),
  );
/** An outbox row as the resource query joins it. */
export type OutboxRow = RowOf<typeof outboxQuery>;

/** Shapes an outbox row (the resource query's joined row). */
export function presentOutbox(r: OutboxRow): OutboxView {
  return {
    id: Number(r.id),
    message_id: r.message_id,
    kind: storedEnum(OUTBOX_KINDS, r.kind, 'outbox kind'),
    from: json<MailAddress>(r.from_addr, { name: '', address: '' }),
    to: json<MailAddress[]>(r.to_addrs, []),
    cc: json<MailAddress[]>(r.cc_addrs, []),
    subject: r.subject,
    body: r.body,
    in_reply_to: r.in_reply_to ?? null,
    status: storedEnum(OUTBOX_STATUSES, r.status, 'outbox status'),
    error: r.error ?? null,
    attempts: Number(r.attempts),
    smtp_response: r.smtp_response ?? null,
    sent_at: r.sent_at ?? null,
    created_by: r.created_by_name ?? null,
    asn: r.asn === null ? null : Number(r.asn),
    peer_asn: peerRefOf(r),
    peeringdb_net: r.peeringdb_net_id === null ? null : Number(r.peeringdb_net_id),
    fabric: fabricRefOf(r),
    session: r.session_id === null ? null : Number(r.session_id),
    request: r.request_id === null ? null : Number(r.request_id),
    template: r.template_name ?? null,
    job: r.job_id === null ? null : Number(r.job_id),
    reply_count: Number(r.reply_count ?? 0),
    created_at: r.created_at,
    updated_at: r.updated_at,
    version: Number(r.version),
  };
}

const outboxInput = z.object({}).strict();

export const outbox: Resource<OutboxRow, z.infer<typeof outboxInput>> = {
  path: 'outbox',
  objectType: 'outbox-message',
  table: 'outbox',
  tag: 'email',
  input: outboxInput,
  output: outboxOutput,
  briefOutput: z.object({ id: z.number().int(), subject: z.string(), status: z.enum(OUTBOX_STATUSES) }),
  query: outboxQuery,
  countQuery: (db) => db.selectFrom('outbox as t'),
  present: presentOutbox,
  brief: (r) => ({
    id: Number(r.id),
    subject: r.subject,
    status: storedEnum(OUTBOX_STATUSES, r.status, 'outbox status'),
  }),
  filters: {
    id: idFilter('t.id'),
    status: enumFilter('t.status', OUTBOX_STATUSES),
    kind: enumFilter('t.kind', OUTBOX_KINDS),
    asn: idFilter('t.asn'),
    peer_asn: idFilter('t.peer_asn_id'),
    fabric: nullableIdFilter('t.fabric_id'),
    session: idFilter('t.session_id'),
    request: idFilter('t.request_id'),
    message_id: textFilter('t.message_id'),
  },
  search: ['t.subject', 't.to_addrs', 't.message_id'],
  ordering: { created_at: 't.created_at', sent_at: 't.sent_at', status: 't.status', id: 't.id' },
  defaultOrdering: '-id',
  async prepare() {
    return {};
  },
  repr: (r) => r.subject,
};

// ---------- peering requests ----------------------------------------------------------------------------

export const requestOutput = z
  .object({
    id: z.number().int(),
    asn: z.number().int(),
    peer_asn: peerRef,
    peeringdb_net: z.number().int().nullable(),
    network_name: z.string().nullable(),
    fabric: fabricRef,
    status: requestStatusEnum,
    sent_count: z.number().int(),
    first_sent_at: z.string().nullable(),
    last_sent_at: z.string().nullable(),
    replied_at: z.string().nullable(),
    decided_at: z.string().nullable(),
    reminder_due_at: z.string().nullable(),
    notes: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    version: z.number().int(),
  })
  .meta({ id: 'PeeringRequest' });

const requestQuery = (db: Executor) =>
  resourceQuery(
    db
      .selectFrom('peering_requests as t')
      .leftJoin('peer_asns as pa', 'pa.asn', 't.asn')
      .leftJoin('fabrics as f', 'f.id', 't.fabric_id')
      .leftJoin('pdb_net as n', 'n.id', 't.peeringdb_net_id')
      .selectAll('t')
      .select([
        'pa.id as pa_id',
        'pa.asn as pa_asn',
        'pa.name as pa_name',
        'f.id as f_id',
        'f.name as f_name',
        'n.name as n_name',
      ]),
  );
/** A peering request row as the resource query joins it. */
export type PeeringRequestRow = RowOf<typeof requestQuery>;

/** Shapes a peering request row (the resource query's joined row). */
export function presentRequest(r: PeeringRequestRow): z.infer<typeof requestOutput> {
  return {
    id: Number(r.id),
    asn: Number(r.asn),
    peer_asn: peerRefOf(r),
    peeringdb_net: r.peeringdb_net_id === null ? null : Number(r.peeringdb_net_id),
    network_name: r.pa_name ?? r.n_name ?? null,
    fabric: fabricRefOf(r),
    status: storedEnum(REQUEST_STATUSES, r.status, 'request status'),
    sent_count: Number(r.sent_count),
    first_sent_at: r.first_sent_at ?? null,
    last_sent_at: r.last_sent_at ?? null,
    replied_at: r.replied_at ?? null,
    decided_at: r.decided_at ?? null,
    reminder_due_at: r.reminder_due_at ?? null,
    notes: r.notes ?? null,
    created_at: r.created_at,
    updated_at: r.updated_at,
    version: Number(r.version),
  };
}

const requestInput = z.object({}).strict();

export const peeringRequests: Resource<PeeringRequestRow, z.infer<typeof requestInput>> = {
  path: 'peering-requests',
  objectType: 'peering-request',
  table: 'peering_requests',
  tag: 'email',
  input: requestInput,
  output: requestOutput,
  briefOutput: z.object({ id: z.number().int(), asn: z.number().int(), status: requestStatusEnum }),
  query: requestQuery,
  countQuery: (db) => db.selectFrom('peering_requests as t'),
  present: presentRequest,
  brief: (r) => ({
    id: Number(r.id),
    asn: Number(r.asn),
    status: storedEnum(REQUEST_STATUSES, r.status, 'request status'),
  }),
  filters: {
    id: idFilter('t.id'),
    asn: idFilter('t.asn'),
    status: textFilter('t.status'),
    fabric: nullableIdFilter('t.fabric_id'),
    peeringdb_net: idFilter('t.peeringdb_net_id'),
    reminder_due: {
      schema: z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1'),
      apply: (q, v: boolean) => q.where('t.reminder_due_at', v ? 'is not' : 'is', null),
    },
  },
  search: ['t.notes'],
  ordering: {
    asn: 't.asn',
    status: 't.status',
    last_sent_at: 't.last_sent_at',
    updated_at: 't.updated_at',
    id: 't.id',
  },
  defaultOrdering: '-updated_at',
  async prepare() {
    return {};
  },
  repr: (r) => `AS${r.asn}`,
};

export const replyOutput = z
  .object({
    id: z.number().int(),
    message_id: z.string(),
    outbox: z.number().int().nullable(),
    request: z.number().int().nullable(),
    in_reply_to: z.string().nullable(),
    from: z.string(),
    subject: z.string(),
    body: z.string(),
    date: z.string().nullable(),
    received_at: z.string(),
  })
  .meta({ id: 'EmailReply' });

/** A stored reply as the API shows it. */
export function presentReply(r: Selectable<EmailRepliesTable>): z.infer<typeof replyOutput> {
  return {
    id: Number(r.id),
    message_id: r.message_id,
    outbox: r.outbox_id === null ? null : Number(r.outbox_id),
    request: r.request_id === null ? null : Number(r.request_id),
    in_reply_to: r.in_reply_to ?? null,
    from: r.from_addr,
    subject: r.subject,
    body: r.body,
    date: r.date ?? null,
    received_at: r.received_at,
  };
}
