// Peer communications: who to write to (PeeringDB contacts by role + local contacts), the render
// context, the outbox (queue, deliver once, retry), peering requests and their history, bulk mail.
import { randomUUID } from 'node:crypto';
import { sql, type InferResult, type Selectable, type Updateable } from 'kysely';
import type { Db, Executor } from '../platform/db.ts';
import { dialectOf, now, storedEnum } from '../platform/db.ts';
import { bool, json } from '../platform/crud.ts';
import type {
  FabricsTable,
  OutboxTable,
  PdbNetTable,
  PeerAsnsTable,
  PeeringRequestsTable,
  PeeringSessionsTable,
  RoutersTable,
} from '../platform/db.types.ts';
import { ConflictError, DomainError, NotFoundError, ValidationError } from '../platform/errors.ts';
import { recordChange, type Actor } from '../changes/changes.service.ts';
import { enqueueJob } from '../jobs/jobs.service.ts';
import { mailConfig, type MailConfig } from './email.config.ts';
import { cleanHeader, domainOf, hasHeaderBreak, isValidEmail, safeContact, type MailAddress } from './headers.ts';
import { CONTACT_ROLES, loadEmailTemplate, renderEmailTemplate, type ContactRole } from './email-templates.ts';
import { sendSmtp, SmtpError } from './smtp.ts';

export const REQUEST_STATUSES = [
  'none',
  'sent',
  'replied',
  'accepted',
  'rejected',
  'existing',
  'not_qualified',
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];
export const OUTBOX_STATUSES = ['queued', 'sending', 'sent', 'failed', 'test'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];
/** Why a message was written: by hand, as a peering request, bulk or maintenance mail, or a reminder follow-up. */
export const OUTBOX_KINDS = ['manual', 'request', 'bulk', 'maintenance', 'reminder'] as const;
export type OutboxKind = (typeof OUTBOX_KINDS)[number];

/** A stored peering request. */
export type RequestRow = Selectable<PeeringRequestsTable>;

/** Mail is not set up: no SMTP URL or From address, and not in test mode (HTTP 409). */
export class MailNotConfiguredError extends DomainError {
  constructor(what: string) {
    super(
      'mail_not_configured',
      409,
      `${what}; set it in the environment (or PEERDESK_MAIL_TEST_MODE=1 to store mail without sending)`,
    );
  }
}

// ---------- who and what a message is about ---------------------------------------------------

/** What a message is about: a peer (by peer ASN, ASN or PeeringDB network), optionally a fabric, session, router. */
export interface TargetInput {
  peer_asn?: number;
  asn?: number;
  peeringdb_net?: number;
  fabric?: number;
  session?: number;
  router?: number;
}

export interface Target {
  asn: number;
  peerAsn: Selectable<PeerAsnsTable> | null;
  net: Selectable<PdbNetTable> | null;
  fabric: Selectable<FabricsTable> | null;
  session: Selectable<PeeringSessionsTable> | null;
  router: Selectable<RoutersTable> | null;
}

/** Resolves the links of a message, naming the input field of anything that does not exist. */
export async function resolveTarget(db: Executor, input: TargetInput, prefix = ''): Promise<Target> {
  const f = (name: string) => `${prefix}${name}`;
  let session: Target['session'] = null;
  let peerAsn: Target['peerAsn'] = null;
  let net: Target['net'] = null;
  let fabric: Target['fabric'] = null;
  let router: Target['router'] = null;
  if (input.session !== undefined) {
    session =
      (await db.selectFrom('peering_sessions').selectAll().where('id', '=', input.session).executeTakeFirst()) ?? null;
    if (!session) throw new ValidationError(f('session'), `no peering session with id ${input.session}`);
  }
  const peerAsnId = input.peer_asn ?? (session ? Number(session.peer_asn_id) : undefined);
  if (peerAsnId !== undefined) {
    peerAsn = (await db.selectFrom('peer_asns').selectAll().where('id', '=', peerAsnId).executeTakeFirst()) ?? null;
    if (!peerAsn) throw new ValidationError(f('peer_asn'), `no peer ASN with id ${peerAsnId}`);
  }
  if (input.peeringdb_net !== undefined) {
    net =
      (await db
        .selectFrom('pdb_net')
        .selectAll()
        .where('id', '=', input.peeringdb_net)
        .where('status', '!=', 'deleted')
        .executeTakeFirst()) ?? null;
    if (!net)
      throw new ValidationError(
        f('peeringdb_net'),
        `no PeeringDB network with id ${input.peeringdb_net} in the mirror (sync or import PeeringDB first)`,
      );
  }
  const asn = peerAsn ? Number(peerAsn.asn) : net ? Number(net.asn) : input.asn;
  if (asn === undefined)
    throw new ValidationError(f('peer_asn'), 'give a peer_asn, an asn, a peeringdb_net or a session');
  if (input.asn !== undefined && input.asn !== asn)
    throw new ValidationError(f('asn'), `AS${input.asn} does not match AS${asn} of the other links`);
  if (net && peerAsn && Number(net.asn) !== Number(peerAsn.asn))
    throw new ValidationError(f('peeringdb_net'), `PeeringDB network ${net.id} is AS${net.asn}, not AS${peerAsn.asn}`);
  if (!peerAsn)
    peerAsn = (await db.selectFrom('peer_asns').selectAll().where('asn', '=', asn).executeTakeFirst()) ?? null;
  if (!net) {
    const byId = peerAsn?.peeringdb_id
      ? await db
          .selectFrom('pdb_net')
          .selectAll()
          .where('id', '=', Number(peerAsn.peeringdb_id))
          .where('status', '!=', 'deleted')
          .executeTakeFirst()
      : undefined;
    net =
      byId ??
      (await db
        .selectFrom('pdb_net')
        .selectAll()
        .where('asn', '=', asn)
        .where('status', '!=', 'deleted')
        .executeTakeFirst()) ??
      null;
  }
  let fabricId = input.fabric;
  if (fabricId === undefined && session?.network_id) {
    const n = await db
      .selectFrom('peering_networks')
      .select('fabric_id')
      .where('id', '=', session.network_id)
      .executeTakeFirst();
    if (n) fabricId = Number(n.fabric_id);
  }
  if (fabricId !== undefined) {
    fabric = (await db.selectFrom('fabrics').selectAll().where('id', '=', fabricId).executeTakeFirst()) ?? null;
    if (!fabric) throw new ValidationError(f('fabric'), `no fabric with id ${fabricId}`);
  }
  if (input.router !== undefined) {
    router = (await db.selectFrom('routers').selectAll().where('id', '=', input.router).executeTakeFirst()) ?? null;
    if (!router) throw new ValidationError(f('router'), `no router with id ${input.router}`);
  }
  return { asn: Number(asn), peerAsn, net, fabric, session, router };
}

export interface Contact {
  name: string;
  email: string;
  phone: string | null;
  role: ContactRole;
  source: 'local' | 'peeringdb';
}

const roleKey = (r: string) => r.toLowerCase().replace(/ /g, '_');

/** Every usable contact of a peer: local ones first, then PeeringDB's (invalid addresses dropped, fields cleaned). */
export async function contactsOf(db: Executor, target: Pick<Target, 'peerAsn' | 'net'>): Promise<Contact[]> {
  const out: Contact[] = [];
  if (target.peerAsn) {
    const local = await db
      .selectFrom('contacts')
      .selectAll()
      .where('peer_asn_id', '=', target.peerAsn.id)
      .orderBy('id')
      .execute();
    for (const c of local) {
      const a = safeContact(c.name, c.email);
      if (a)
        out.push({
          name: a.name,
          email: a.address,
          phone: c.phone ? cleanHeader(c.phone, 50) : null,
          role: storedEnum(CONTACT_ROLES, c.role, 'contact role'),
          source: 'local',
        });
    }
  }
  if (target.net) {
    const pocs = await db
      .selectFrom('pdb_poc')
      .selectAll()
      .where('net_id', '=', target.net.id)
      .where('status', '!=', 'deleted')
      .orderBy('id')
      .execute();
    for (const p of pocs) {
      const a = safeContact(p.name, p.email);
      const role = CONTACT_ROLES.find((r) => r === p.role);
      if (!a || !role) continue;
      out.push({
        name: a.name,
        email: a.address,
        phone: p.phone ? cleanHeader(p.phone, 50) : null,
        role,
        source: 'peeringdb',
      });
    }
  }
  return out;
}

/** The To list for a role chain: every contact of the first role that has any (e.g. Policy, else Technical, else NOC). */
export function recipientsFor(
  contacts: Contact[],
  roles: readonly ContactRole[],
): { to: MailAddress[]; role: ContactRole | null } {
  for (const role of roles) {
    const seen = new Set<string>();
    const to: MailAddress[] = [];
    for (const c of contacts) {
      if (c.role !== role || seen.has(c.email.toLowerCase())) continue;
      seen.add(c.email.toLowerCase());
      to.push({ name: c.name, address: c.email });
    }
    if (to.length) return { to, role };
  }
  return { to: [], role: null };
}

// ---------- the render context ----------------------------------------------------------------------

async function fabricContext(db: Executor, fabric: Selectable<FabricsTable>, asn: number) {
  const ours = await db
    .selectFrom('peering_connections as c')
    .innerJoin('peering_networks as n', 'n.id', 'c.network_id')
    .innerJoin('routers as r', 'r.id', 'c.router_id')
    .select(['r.name as router', 'c.ipv4_address', 'c.ipv6_address'])
    .where('n.fabric_id', '=', fabric.id)
    .orderBy('r.name')
    .orderBy('c.id')
    .execute();
  const theirs = fabric.peeringdb_ix_id
    ? await db
        .selectFrom('pdb_netixlan')
        .select(['ipaddr4', 'ipaddr6', 'speed', 'is_rs_peer'])
        .where('ix_id', '=', fabric.peeringdb_ix_id)
        .where('asn', '=', asn)
        .where('status', '!=', 'deleted')
        .orderBy('id')
        .execute()
    : [];
  return {
    id: Number(fabric.id),
    name: fabric.name,
    slug: fabric.slug,
    type: fabric.type,
    peeringdb_ix_id: fabric.peeringdb_ix_id === null ? null : Number(fabric.peeringdb_ix_id),
    our_addresses: ours.map((o) => ({
      router: o.router,
      ipv4: o.ipv4_address ? String(o.ipv4_address).split('/')[0] : null,
      ipv6: o.ipv6_address ? String(o.ipv6_address).split('/')[0] : null,
    })),
    their_addresses: theirs.map((t) => ({
      ipv4: t.ipaddr4 ?? null,
      ipv6: t.ipaddr6 ?? null,
      speed: t.speed === null ? null : Number(t.speed),
      is_rs_peer: bool(t.is_rs_peer),
    })),
  };
}

function sessionQuery(db: Executor) {
  return db
    .selectFrom('peering_sessions as s')
    .innerJoin('bgp_peers as b', 'b.id', 's.bgp_peer_id')
    .innerJoin('routers as r', 'r.id', 'b.router_id')
    .leftJoin('peering_networks as n', 'n.id', 's.network_id')
    .leftJoin('fabrics as f', 'f.id', 'n.fabric_id')
    .select([
      's.id',
      's.peer_asn_id',
      'b.router_id',
      'r.name as router',
      'b.peer_ip',
      'b.local_asn',
      'b.remote_asn',
      'b.state',
      'b.state_since',
      'b.last_error',
      'b.enabled',
      'f.id as fabric_id',
      'f.name as fabric',
    ]);
}

/** A session row of sessionQuery. */
type SessionRow = InferResult<ReturnType<typeof sessionQuery>>[number];

const sessionCtx = (s: SessionRow) => ({
  id: Number(s.id),
  router: s.router,
  peer_ip: s.peer_ip,
  local_asn: Number(s.local_asn),
  remote_asn: Number(s.remote_asn),
  state: s.state,
  state_since: s.state_since ?? null,
  last_error: s.last_error ?? null,
  enabled: bool(s.enabled),
  fabric: s.fabric ?? null,
});

/** One entry of a request's history. */
export interface RequestEvent {
  id: number;
  time: string;
  username: string | null;
  action: string;
  from_status: RequestStatus | null;
  to_status: RequestStatus | null;
  outbox_id: number | null;
  reply_id: number | null;
  note: string | null;
}

const requestStatusOrNull = (v: string | null): RequestStatus | null =>
  v === null ? null : storedEnum(REQUEST_STATUSES, v, 'request status');

/** The request's state and history for templates and the UI. */
export async function requestHistory(db: Executor, requestId: number): Promise<RequestEvent[]> {
  const events = await db
    .selectFrom('peering_request_events')
    .selectAll()
    .where('request_id', '=', requestId)
    .orderBy('time')
    .orderBy('id')
    .execute();
  return events.map((e) => ({
    id: Number(e.id),
    time: e.time,
    username: e.username ?? null,
    action: e.action,
    from_status: requestStatusOrNull(e.from_status),
    to_status: requestStatusOrNull(e.to_status),
    outbox_id: e.outbox_id === null ? null : Number(e.outbox_id),
    reply_id: e.reply_id === null ? null : Number(e.reply_id),
    note: e.note ?? null,
  }));
}

/** The request row for (ASN, fabric), or undefined. */
export async function findRequest(db: Executor, asn: number, fabricId: number | null): Promise<RequestRow | undefined> {
  return db
    .selectFrom('peering_requests')
    .selectAll()
    .where('asn', '=', asn)
    .where('fabric_key', '=', fabricId ?? 0)
    .executeTakeFirst();
}

/** Builds the context every e-mail template sees (documented in docs/email.md). */
export async function buildEmailContext(
  db: Executor,
  target: Target,
  cfg: MailConfig,
  opts: {
    to?: MailAddress[];
    vars?: Record<string, string>;
    sessionScope?: { routerId?: number; fabricId?: number };
  } = {},
) {
  const contacts = await contactsOf(db, target);
  const byRole: Record<string, Contact[]> = Object.fromEntries(CONTACT_ROLES.map((r) => [roleKey(r), []]));
  for (const c of contacts)
    byRole[roleKey(c.role)].push({ name: c.name, email: c.email, phone: c.phone, role: c.role, source: c.source });
  const affiliated = await db
    .selectFrom('peer_asns')
    .select(['asn', 'name'])
    .where('affiliated', '=', dialectOf(db) === 'sqlite' ? 1 : true)
    .orderBy('asn')
    .execute();
  let sessions: SessionRow[] = [];
  if (target.peerAsn) {
    let q = sessionQuery(db).where('s.peer_asn_id', '=', target.peerAsn.id);
    if (opts.sessionScope?.routerId) q = q.where('b.router_id', '=', opts.sessionScope.routerId);
    if (opts.sessionScope?.fabricId) q = q.where('f.id', '=', opts.sessionScope.fabricId);
    sessions = await q.orderBy('r.name').orderBy('b.peer_ip_key').execute();
  }
  // Exchanges where both are present: our fabrics (with a PeeringDB ix) where PeeringDB lists them.
  const common = await db
    .selectFrom('fabrics as f')
    .select(['f.id', 'f.name'])
    .where(
      'f.peeringdb_ix_id',
      'in',
      db.selectFrom('pdb_netixlan').select('ix_id').where('asn', '=', target.asn).where('status', '!=', 'deleted'),
    )
    .orderBy('f.name')
    .execute();
  const request = await findRequest(db, target.asn, target.fabric ? Number(target.fabric.id) : null);
  const net = target.net;
  const pa = target.peerAsn;
  const session = target.session;
  return {
    peer: {
      asn: target.asn,
      name: pa?.name ?? net?.name ?? null,
      irr_as_set: pa?.irr_as_set ?? net?.irr_as_set ?? null,
      peer_asn_id: pa ? Number(pa.id) : null,
      peeringdb_net_id: net ? Number(net.id) : null,
      website: net?.website ?? null,
      policy_general: net?.policy_general ?? null,
      policy_url: net?.policy_url ?? null,
      info_type: net?.info_type ?? null,
      info_prefixes4:
        net?.info_prefixes4 === null || net?.info_prefixes4 === undefined ? null : Number(net.info_prefixes4),
      info_prefixes6:
        net?.info_prefixes6 === null || net?.info_prefixes6 === undefined ? null : Number(net.info_prefixes6),
      ipv4_max_prefixes: pa?.ipv4_max_prefixes ?? null,
      ipv6_max_prefixes: pa?.ipv6_max_prefixes ?? null,
    },
    contacts: byRole,
    to: opts.to ?? [],
    us: {
      name: cfg.from?.name || affiliated[0]?.name || 'Peerdesk',
      email: cfg.from?.address ?? null,
      peering_email: cfg.cc?.address ?? null,
      asn: affiliated[0] ? Number(affiliated[0].asn) : null,
      asns: affiliated.map((a) => ({ asn: Number(a.asn), name: a.name })),
    },
    fabric: target.fabric ? await fabricContext(db, target.fabric, target.asn) : null,
    fabrics: await Promise.all(
      common.map(async (f) =>
        fabricContext(
          db,
          await db.selectFrom('fabrics').selectAll().where('id', '=', f.id).executeTakeFirstOrThrow(),
          target.asn,
        ),
      ),
    ),
    router: target.router ? { id: Number(target.router.id), name: target.router.name } : null,
    sessions: sessions.map(sessionCtx),
    session: session
      ? (sessions.map(sessionCtx).find((s) => s.id === Number(session.id)) ??
        sessionCtx(await sessionQuery(db).where('s.id', '=', session.id).executeTakeFirstOrThrow()))
      : null,
    request: request
      ? {
          id: Number(request.id),
          status: storedEnum(REQUEST_STATUSES, request.status, 'request status'),
          sent_count: Number(request.sent_count),
          first_sent_at: request.first_sent_at ?? null,
          last_sent_at: request.last_sent_at ?? null,
          replied_at: request.replied_at ?? null,
          history: await requestHistory(db, Number(request.id)),
        }
      : null,
    vars: opts.vars ?? {},
    now: now(),
  };
}

export interface RenderInput extends TargetInput {
  template: number | string;
  vars?: Record<string, string>;
}

/** Renders a template for a peer: recipients by the template's role chain, our CC, subject and body. */
export async function renderForPeer(
  db: Executor,
  input: RenderInput,
  opts: { sessionScope?: { routerId?: number; fabricId?: number }; prefix?: string } = {},
) {
  const cfg = mailConfig();
  const tpl = await loadEmailTemplate(db, input.template, `${opts.prefix ?? ''}template`);
  const target = await resolveTarget(db, input, opts.prefix);
  const contacts = await contactsOf(db, target);
  const roles = tpl.recipientRoles.length
    ? tpl.recipientRoles
    : (['Policy', 'Technical', 'NOC'] satisfies ContactRole[]);
  const { to, role } = recipientsFor(contacts, roles);
  const context = await buildEmailContext(db, target, cfg, { to, vars: input.vars, sessionScope: opts.sessionScope });
  const { subject, body } = await renderEmailTemplate(tpl, context);
  const warnings: string[] = [];
  if (!to.length)
    warnings.push(
      `AS${target.asn} has no contact with role ${roles.join(', ')} (PeeringDB or local): add a local contact or type the address`,
    );
  const request = context.request;
  const resend = resendWarning(request, cfg);
  if (resend) warnings.push(resend);
  return { tpl, target, to, toRole: role, cc: cfg.cc ? [cfg.cc] : [], subject, body, contacts, request, warnings };
}

/** The warning shown when a request was sent less than PEERDESK_MAIL_RESEND_WARNING_DAYS ago, or null. */
export function resendWarning(request: { last_sent_at?: string | null } | null, cfg: MailConfig): string | null {
  if (!request?.last_sent_at || cfg.resendWarningDays === 0) return null;
  const age = (Date.now() - Date.parse(request.last_sent_at)) / 86400_000;
  if (age >= cfg.resendWarningDays) return null;
  return `a request was already sent on ${request.last_sent_at.slice(0, 10)} (less than ${cfg.resendWarningDays} days ago)`;
}

// ---------- the outbox --------------------------------------------------------------------------------

/** A new Message-ID in our own domain (the From address's). */
export function newMessageId(from: MailAddress): string {
  return `<${randomUUID()}@${domainOf(from.address)}>`;
}

export interface SendInput extends TargetInput {
  to: { name?: string; address: string }[];
  cc?: { name?: string; address: string }[];
  subject: string;
  body: string;
  template?: string | number;
  /** Track as a peering request for (peer, fabric): sent (or resent). */
  as_request?: boolean;
  /** Send even when the request was sent within the resend warning period. */
  force?: boolean;
  kind?: OutboxKind;
}

function checkRecipients(list: { name?: string; address: string }[], field: string): MailAddress[] {
  return list.map((r, i) => {
    if (!isValidEmail(r.address)) throw new ValidationError(`${field}.${i}.address`, 'must be a plain e-mail address');
    if (r.name !== undefined && hasHeaderBreak(r.name))
      throw new ValidationError(`${field}.${i}.name`, 'must not contain line breaks or NUL characters');
    return { name: cleanHeader(r.name ?? '', 200), address: r.address };
  });
}

const actorOf = (a: Actor): Actor => ({ userId: a.userId, username: a.username, requestId: a.requestId ?? null });

/** Queues one message: the outbox row (and the request's new state) in the caller's transaction, then its send job. */
export async function queueMessage(
  db: Executor,
  input: SendInput,
  actor: Actor,
): Promise<{ outboxId: number; jobId: number; requestId: number | null }> {
  const cfg = mailConfig();
  if (!cfg.from) throw new MailNotConfiguredError('PEERDESK_MAIL_FROM is not set');
  if (!cfg.smtpUrl && !cfg.testMode) throw new MailNotConfiguredError('PEERDESK_SMTP_URL is not set');
  const to = checkRecipients(input.to, 'to');
  const cc = checkRecipients(input.cc ?? [], 'cc');
  if (!to.length) throw new ValidationError('to', 'needs at least one recipient');
  if (hasHeaderBreak(input.subject))
    throw new ValidationError('subject', 'must not contain line breaks or NUL characters');
  const hasLink =
    input.peer_asn !== undefined ||
    input.asn !== undefined ||
    input.peeringdb_net !== undefined ||
    input.session !== undefined;
  const target = hasLink ? await resolveTarget(db, input) : null;
  if (input.fabric !== undefined && !target)
    throw new ValidationError('fabric', 'a fabric link needs a peer (peer_asn, asn, peeringdb_net or session)');
  if (input.as_request && !target)
    throw new ValidationError('as_request', 'a peering request needs a peer (peer_asn, asn, peeringdb_net or session)');
  let request: RequestRow | undefined;
  let inReplyTo: string | null = null;
  if (input.as_request && target) {
    const fabricId = target.fabric ? Number(target.fabric.id) : null;
    request = await lockRequest(db, target.asn, fabricId, target.net ? Number(target.net.id) : null, actor);
    if (['accepted', 'rejected', 'existing', 'not_qualified'].includes(request.status))
      throw new ConflictError(
        `the request to AS${target.asn} is ${request.status.replace('_', ' ')}; reset it before sending again`,
        [],
        'request_closed',
      );
    const warn = resendWarning(request, cfg);
    if (warn && !input.force)
      throw new ConflictError(
        `${warn}; send with force to resend anyway`,
        [{ field: 'force', message: warn }],
        'resend_warning',
      );
    // A resend continues the thread of the last message.
    const last = await db
      .selectFrom('outbox')
      .select('message_id')
      .where('request_id', '=', request.id)
      .where('status', 'in', ['sent', 'test', 'queued', 'sending'])
      .orderBy('id', 'desc')
      .executeTakeFirst();
    inReplyTo = last?.message_id ?? null;
  }
  const messageId = newMessageId(cfg.from);
  const t = now();
  const row = await db
    .insertInto('outbox')
    .values({
      message_id: messageId,
      kind: input.kind ?? (input.as_request ? 'request' : 'manual'),
      from_addr: JSON.stringify(cfg.from),
      to_addrs: JSON.stringify(to),
      cc_addrs: JSON.stringify(cc),
      subject: cleanHeader(input.subject),
      body: input.body,
      in_reply_to: inReplyTo,
      status: 'queued',
      attempts: 0,
      rate_domain: domainOf(to[0].address),
      created_by: actor.userId,
      created_by_name: actor.username,
      asn: target?.asn ?? null,
      peer_asn_id: target?.peerAsn ? Number(target.peerAsn.id) : null,
      peeringdb_net_id: target?.net ? Number(target.net.id) : null,
      fabric_id: target?.fabric ? Number(target.fabric.id) : null,
      session_id: target?.session ? Number(target.session.id) : null,
      request_id: request ? Number(request.id) : null,
      template_name: input.template === undefined ? null : String(input.template),
      created_at: t,
      updated_at: t,
      version: 1,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const outboxId = Number(row.id);
  if (request) {
    const resend = request.status !== 'none';
    await db
      .updateTable('peering_requests')
      .set({
        status: 'sent',
        sent_count: Number(request.sent_count) + 1,
        first_sent_at: request.first_sent_at ?? t,
        last_sent_at: t,
        reminder_due_at: null,
        updated_at: t,
        version: Number(request.version) + 1,
      })
      .where('id', '=', request.id)
      .execute();
    await logRequestEvent(db, request, resend ? 'resent' : 'sent', 'sent', actor, {
      outboxId,
      note: input.force && resendWarning(request, cfg) ? 'resent within the warning period' : null,
    });
  }
  const jobId = await enqueueJob(db, 'email.send', { outbox_id: outboxId }, { userId: actor.userId });
  await db.updateTable('outbox').set({ job_id: jobId }).where('id', '=', outboxId).execute();
  await recordChange(db, actorOf(actor), {
    action: 'create',
    objectType: 'outbox-message',
    objectId: outboxId,
    repr: cleanHeader(input.subject, 200),
    after: {
      to,
      cc,
      subject: cleanHeader(input.subject),
      message_id: messageId,
      request: request ? Number(request.id) : null,
    },
  });
  return { outboxId, jobId, requestId: request ? Number(request.id) : null };
}

/** The request for (ASN, fabric), created as `none` when missing; locked for the rest of the transaction. */
async function lockRequest(
  db: Executor,
  asn: number,
  fabricId: number | null,
  netId: number | null,
  actor: Actor,
): Promise<RequestRow> {
  let req = await findRequest(db, asn, fabricId);
  if (!req) {
    const t = now();
    const ins = await db
      .insertInto('peering_requests')
      .values({
        asn,
        peeringdb_net_id: netId,
        fabric_id: fabricId,
        fabric_key: fabricId ?? 0,
        status: 'none',
        sent_count: 0,
        created_at: t,
        updated_at: t,
        version: 1,
      })
      .onConflict((oc) => oc.columns(['asn', 'fabric_key']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (ins)
      await recordChange(db, actorOf(actor), {
        action: 'create',
        objectType: 'peering-request',
        objectId: Number(ins.id),
        repr: `AS${asn}${fabricId ? ` @ fabric ${fabricId}` : ''}`,
        after: { asn, fabric: fabricId, status: 'none' },
      });
  }
  if (dialectOf(db) === 'postgres')
    await db
      .selectFrom('peering_requests')
      .select('id')
      .where('asn', '=', asn)
      .where('fabric_key', '=', fabricId ?? 0)
      .forUpdate()
      .execute();
  req = await findRequest(db, asn, fabricId);
  if (!req) throw new Error('peering request vanished');
  if (netId !== null && req.peeringdb_net_id === null)
    await db.updateTable('peering_requests').set({ peeringdb_net_id: netId }).where('id', '=', req.id).execute();
  return req;
}

/** Appends to a request's history and the change log (who, when, from → to). */
async function logRequestEvent(
  db: Executor,
  req: RequestRow,
  action: string,
  to: RequestStatus,
  actor: Actor,
  extra: { outboxId?: number | null; replyId?: number | null; note?: string | null } = {},
): Promise<void> {
  await db
    .insertInto('peering_request_events')
    .values({
      request_id: req.id,
      time: now(),
      user_id: actor.userId,
      username: actor.username,
      action,
      from_status: req.status,
      to_status: to,
      outbox_id: extra.outboxId ?? null,
      reply_id: extra.replyId ?? null,
      note: extra.note ?? null,
    })
    .execute();
  await recordChange(db, actorOf(actor), {
    action: `request.${action}`,
    objectType: 'peering-request',
    objectId: Number(req.id),
    repr: `AS${req.asn}${req.fabric_id ? ` @ fabric ${req.fabric_id}` : ''}`,
    before: { status: req.status },
    after: { status: to, ...(extra.note ? { note: extra.note } : {}) },
  });
}

/** Why the outbox refuses a retry: only failed messages are retried. */
export async function retryMessage(db: Executor, id: number, actor: Actor): Promise<{ jobId: number }> {
  const row = await db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('outbox message', id);
  // Compare-and-set: of two concurrent retries only one re-queues the message.
  const res = await db
    .updateTable('outbox')
    .set({ status: 'queued', error: null, updated_at: now(), version: Number(row.version) + 1 })
    .where('id', '=', id)
    .where('status', '=', 'failed')
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0)
    throw new ConflictError(`message ${id} is ${row.status}; only failed messages can be retried`, [], 'not_failed');
  const jobId = await enqueueJob(db, 'email.send', { outbox_id: id }, { userId: actor.userId });
  await db.updateTable('outbox').set({ job_id: jobId }).where('id', '=', id).execute();
  await recordChange(db, actorOf(actor), {
    action: 'retry',
    objectType: 'outbox-message',
    objectId: id,
    repr: row.subject,
    before: { status: 'failed', error: row.error },
    after: { status: 'queued' },
  });
  return { jobId };
}

export interface DeliverOutcome {
  status: 'sent' | 'test' | 'failed' | 'skipped' | 'deferred';
  detail?: string;
}

/**
 * Delivers one outbox message (the email.send job). Claims it queued → sending first, so a message is
 * handed to SMTP at most once however many jobs point at it; a message found `sending` was interrupted
 * mid-delivery and is failed rather than risk a duplicate. Transient errors throw (the job retries with
 * backoff) until the last attempt; 5xx answers fail at once.
 */
export async function deliver(
  db: Db,
  outboxId: number,
  job: { jobId: number; log(m: string, level?: 'info' | 'warn' | 'error'): Promise<void> },
): Promise<DeliverOutcome> {
  const cfg = mailConfig();
  const row = await db.selectFrom('outbox').selectAll().where('id', '=', outboxId).executeTakeFirst();
  if (!row) return { status: 'skipped', detail: `message ${outboxId} no longer exists` };
  if (row.status === 'sending') {
    await db
      .updateTable('outbox')
      .set({
        status: 'failed',
        error: 'interrupted while being handed to the SMTP server; it may have been delivered: check before retrying',
        updated_at: now(),
      })
      .where('id', '=', outboxId)
      .where('status', '=', 'sending')
      .execute();
    return { status: 'failed', detail: 'interrupted' };
  }
  if (row.status !== 'queued') return { status: 'skipped', detail: `message ${outboxId} is ${row.status}` };
  // Per-domain rate limit: at most N messages a minute to one recipient domain; later ones wait. The
  // count and the claim happen in one transaction, serialised per domain (an advisory lock on
  // PostgreSQL; SQLite transactions are serial), so concurrent workers cannot both take the last slot.
  const limited = cfg.ratePerDomain > 0 && !!row.rate_domain && !cfg.testMode;
  const outcome = await db.transaction().execute(async (tx): Promise<DeliverOutcome | null> => {
    if (limited) {
      if (dialectOf(tx) === 'postgres')
        await sql`select pg_advisory_xact_lock(hashtext(${`peerdesk-mail:${row.rate_domain}`}))`.execute(tx);
      const since = new Date(Date.now() - 60_000).toISOString();
      const recent = await tx
        .selectFrom('outbox')
        .select(['sent_at', 'updated_at'])
        .where('rate_domain', '=', row.rate_domain)
        .where((eb) =>
          eb.or([eb.and([eb('status', '=', 'sent'), eb('sent_at', '>', since)]), eb('status', '=', 'sending')]),
        )
        .execute();
      if (recent.length >= cfg.ratePerDomain) {
        const times = recent.map((x) => Date.parse(x.sent_at ?? x.updated_at)).sort((a, b) => a - b);
        const at = new Date(Math.max(Date.now(), times[recent.length - cfg.ratePerDomain] + 60_000) + 100);
        const jobId = await enqueueJob(tx, 'email.send', { outbox_id: outboxId }, { runAfter: at });
        await tx.updateTable('outbox').set({ job_id: jobId }).where('id', '=', outboxId).execute();
        return {
          status: 'deferred',
          detail: `rate limit for ${row.rate_domain} (${cfg.ratePerDomain}/min): deferred to ${at.toISOString()} as job ${jobId}`,
        };
      }
    }
    const claimed = await tx
      .updateTable('outbox')
      .set({ status: 'sending', attempts: Number(row.attempts) + 1, updated_at: now() })
      .where('id', '=', outboxId)
      .where('status', '=', 'queued')
      .executeTakeFirst();
    return Number(claimed.numUpdatedRows) === 0 ? { status: 'skipped', detail: 'claimed by another job' } : null;
  });
  if (outcome) {
    // Logged after the transaction: the job log writes through the main handle (one connection on SQLite).
    if (outcome.detail) await job.log(outcome.detail);
    return outcome;
  }
  const attempts = Number(row.attempts) + 1;
  if (cfg.testMode) {
    await db
      .updateTable('outbox')
      .set({
        status: 'test',
        sent_at: now(),
        error: null,
        smtp_response: 'test mode: stored, not sent',
        updated_at: now(),
      })
      .where('id', '=', outboxId)
      .execute();
    await job.log(`test mode: message ${row.message_id} stored without sending`);
    return { status: 'test' };
  }
  const fail = async (message: string) =>
    db
      .updateTable('outbox')
      .set({ status: 'failed', error: message, updated_at: now() })
      .where('id', '=', outboxId)
      .execute();
  if (!cfg.smtpUrl) {
    await fail('PEERDESK_SMTP_URL is not set');
    return { status: 'failed', detail: 'PEERDESK_SMTP_URL is not set' };
  }
  const from = json<MailAddress>(row.from_addr, cfg.from ?? { name: '', address: '' });
  const references: string[] = [];
  if (row.in_reply_to) references.push(row.in_reply_to);
  try {
    const res = await sendSmtp(
      cfg.smtpUrl,
      {
        from,
        to: json<MailAddress[]>(row.to_addrs, []),
        cc: json<MailAddress[]>(row.cc_addrs, []),
        subject: row.subject,
        body: row.body,
        messageId: row.message_id,
        inReplyTo: row.in_reply_to,
        references,
      },
      { timeoutMs: cfg.timeoutMs },
    );
    const partial = res.rejected.length ? `; rejected: ${res.rejected.join(', ')}` : '';
    await db
      .updateTable('outbox')
      .set({
        status: 'sent',
        sent_at: now(),
        error: res.rejected.length ? `some recipients were rejected: ${res.rejected.join(', ')}` : null,
        smtp_response: cleanHeader(res.response + partial, 1000),
        updated_at: now(),
      })
      .where('id', '=', outboxId)
      .execute();
    await job.log(`sent ${row.message_id} to ${res.accepted.join(', ')}${partial}`);
    return { status: 'sent' };
  } catch (err) {
    const e = err instanceof SmtpError ? err : new SmtpError(String((err as Error)?.message ?? err), false, null);
    const jobRow = await db
      .selectFrom('jobs')
      .select(['attempts', 'max_attempts'])
      .where('id', '=', job.jobId)
      .executeTakeFirst();
    const last = !jobRow || Number(jobRow.attempts) >= Number(jobRow.max_attempts);
    if (e.permanent || last) {
      await fail(e.message);
      await job.log(`failed (${e.permanent ? 'permanent' : `after ${attempts} attempts`}): ${e.message}`, 'error');
      return { status: 'failed', detail: e.message };
    }
    // Back to queued for the job's next attempt (the job framework waits with exponential backoff).
    await db
      .updateTable('outbox')
      .set({ status: 'queued', error: e.message, updated_at: now() })
      .where('id', '=', outboxId)
      .execute();
    await job.log(`attempt ${attempts} failed, will retry: ${e.message}`, 'warn');
    throw new Error(`SMTP delivery failed, will retry: ${e.message}`);
  }
}

// ---------- peering requests ----------------------------------------------------------------------------

export const REQUEST_ACTIONS = {
  accept: 'accepted',
  reject: 'rejected',
  existing: 'existing',
  'not-qualified': 'not_qualified',
  reset: 'none',
} as const;
export type RequestAction = keyof typeof REQUEST_ACTIONS;

/** Applies an operator's decision (accept, reject, existing, not qualified) or a reset, logged with who/when. */
export async function applyRequestAction(
  db: Executor,
  id: number,
  action: RequestAction,
  actor: Actor,
  note: string | null,
): Promise<void> {
  if (dialectOf(db) === 'postgres')
    await db.selectFrom('peering_requests').select('id').where('id', '=', id).forUpdate().execute();
  const req = await db.selectFrom('peering_requests').selectAll().where('id', '=', id).executeTakeFirst();
  if (!req) throw new NotFoundError('peering request', id);
  const to = REQUEST_ACTIONS[action];
  if (req.status === to) throw new ConflictError(`the request is already ${to.replace('_', ' ')}`, [], 'no_change');
  const t = now();
  const values: Updateable<PeeringRequestsTable> = {
    status: to,
    updated_at: t,
    version: Number(req.version) + 1,
    reminder_due_at: null,
  };
  if (action === 'reset')
    Object.assign(values, {
      sent_count: 0,
      first_sent_at: null,
      last_sent_at: null,
      replied_at: null,
      decided_at: null,
    });
  else values.decided_at = t;
  await db.updateTable('peering_requests').set(values).where('id', '=', id).execute();
  await logRequestEvent(db, req, action === 'not-qualified' ? 'not_qualified' : action, to, actor, { note });
}

/** Creates or updates the request for (peer, fabric) without sending (e.g. marking an existing session). */
export async function upsertRequest(
  db: Executor,
  input: TargetInput & { status?: RequestStatus; notes?: string | null },
  actor: Actor,
): Promise<number> {
  const target = await resolveTarget(db, input);
  const req = await lockRequest(
    db,
    target.asn,
    target.fabric ? Number(target.fabric.id) : null,
    target.net ? Number(target.net.id) : null,
    actor,
  );
  if (input.notes !== undefined)
    await db
      .updateTable('peering_requests')
      .set({ notes: input.notes, updated_at: now() })
      .where('id', '=', req.id)
      .execute();
  if (input.status && input.status !== req.status) {
    if (input.status === 'sent' || input.status === 'replied')
      throw new ValidationError(
        'status',
        'sent and replied come from mail: send with POST /api/email/send/ (as_request) instead',
      );
    const action = (Object.entries(REQUEST_ACTIONS).find(([, s]) => s === input.status)?.[0] ??
      'reset') as RequestAction;
    await applyRequestAction(db, Number(req.id), action, actor, null);
  }
  return Number(req.id);
}

/** Attaches a reply found by In-Reply-To/References; a request waiting for an answer becomes `replied`. */
export async function attachReply(
  db: Executor,
  reply: {
    messageId: string;
    inReplyTo: string | null;
    references: string[];
    from: string;
    subject: string;
    body: string;
    date: string | null;
    mailbox: string;
    uid: number;
  },
): Promise<{ replyId: number; requestId: number | null } | null> {
  const ids = [...new Set([reply.inReplyTo, ...reply.references.slice().reverse()].filter((x): x is string => !!x))];
  if (!ids.length) return null;
  // Our own messages first, nearest in the thread first; then replies we stored (a reply to a reply).
  let outbox: Selectable<OutboxTable> | undefined;
  for (const mid of ids) {
    outbox = await db.selectFrom('outbox').selectAll().where('message_id', '=', mid).executeTakeFirst();
    if (outbox) break;
    const prior = await db
      .selectFrom('email_replies')
      .select('outbox_id')
      .where('message_id', '=', mid)
      .where('outbox_id', 'is not', null)
      .executeTakeFirst();
    if (prior && prior.outbox_id !== null) {
      outbox = await db.selectFrom('outbox').selectAll().where('id', '=', prior.outbox_id).executeTakeFirst();
      if (outbox) break;
    }
  }
  if (!outbox) return null;
  if (await db.selectFrom('email_replies').select('id').where('message_id', '=', reply.messageId).executeTakeFirst())
    return null;
  const ins = await db
    .insertInto('email_replies')
    .values({
      message_id: reply.messageId,
      outbox_id: outbox.id,
      request_id: outbox.request_id,
      in_reply_to: reply.inReplyTo,
      references_hdr: reply.references.join(' ').slice(0, 10_000),
      from_addr: cleanHeader(reply.from, 500),
      subject: cleanHeader(reply.subject, 998),
      body: reply.body.slice(0, 200_000),
      date: reply.date,
      mailbox: reply.mailbox,
      uid: reply.uid,
      received_at: now(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const replyId = Number(ins.id);
  const actor = { userId: null, username: 'imap', requestId: null };
  if (outbox.request_id !== null) {
    const req = await db
      .selectFrom('peering_requests')
      .selectAll()
      .where('id', '=', outbox.request_id)
      .executeTakeFirst();
    if (req) {
      if (req.status === 'sent') {
        await db
          .updateTable('peering_requests')
          .set({
            status: 'replied',
            replied_at: now(),
            reminder_due_at: null,
            updated_at: now(),
            version: Number(req.version) + 1,
          })
          .where('id', '=', req.id)
          .execute();
        await logRequestEvent(db, req, 'replied', 'replied', actor, {
          replyId,
          note: `reply from ${cleanHeader(reply.from, 200)}`,
        });
      } else {
        await logRequestEvent(db, req, 'reply', storedEnum(REQUEST_STATUSES, req.status, 'request status'), actor, {
          replyId,
          note: `reply from ${cleanHeader(reply.from, 200)}`,
        });
      }
    }
  }
  return { replyId, requestId: outbox.request_id === null ? null : Number(outbox.request_id) };
}

/** Marks requests sent more than PEERDESK_MAIL_REMINDER_DAYS ago without a reply; optionally queues follow-ups. */
export async function markReminders(
  db: Db,
  log: (m: string) => Promise<void>,
): Promise<{ due: number; sent: number; ids: number[] }> {
  const cfg = mailConfig();
  const cutoff = new Date(Date.now() - cfg.reminderDays * 86400_000).toISOString();
  const due = await db
    .selectFrom('peering_requests')
    .selectAll()
    .where('status', '=', 'sent')
    .where('last_sent_at', '<', cutoff)
    .where('reminder_due_at', 'is', null)
    .orderBy('last_sent_at')
    .execute();
  let sent = 0;
  const actor = { userId: null, username: 'reminders', requestId: null };
  for (const req of due) {
    await db.transaction().execute(async (tx) => {
      await tx.updateTable('peering_requests').set({ reminder_due_at: now() }).where('id', '=', req.id).execute();
      await logRequestEvent(tx, req, 'reminder_due', 'sent', actor, {
        note: `no reply ${cfg.reminderDays} days after ${String(req.last_sent_at).slice(0, 10)}`,
      });
    });
    if (cfg.reminderAutosend) {
      try {
        await db.transaction().execute(async (tx) => {
          const r = await renderForPeer(tx, {
            template: 'peering-request',
            asn: Number(req.asn),
            peeringdb_net: req.peeringdb_net_id ?? undefined,
            fabric: req.fabric_id === null ? undefined : Number(req.fabric_id),
          });
          if (!r.to.length) throw new Error('no recipient');
          await queueMessage(
            tx,
            {
              asn: Number(req.asn),
              fabric: req.fabric_id === null ? undefined : Number(req.fabric_id),
              to: r.to,
              cc: r.cc,
              subject: r.subject,
              body: r.body,
              template: 'peering-request',
              as_request: true,
              force: true,
              kind: 'reminder',
            },
            actor,
          );
        });
        sent++;
      } catch (err) {
        await log(`AS${req.asn}: follow-up not sent: ${(err as Error).message}`);
      }
    }
    await log(`AS${req.asn}${req.fabric_id ? ` (fabric ${req.fabric_id})` : ''}: no reply since ${req.last_sent_at}`);
  }
  return { due: due.length, sent, ids: due.map((d) => Number(d.id)) };
}

// ---------- bulk -----------------------------------------------------------------------------------------

export interface BulkInput {
  template: string | number;
  router?: number;
  fabric?: number;
  peer_asns?: number[];
  peeringdb_nets?: number[];
  vars?: Record<string, string>;
  as_request?: boolean;
  force?: boolean;
}

/**
 * One message per peer through the outbox: the peers of every session on a router or fabric, or the
 * given peer ASNs / PeeringDB networks (candidates). Peers without a contact for the template's roles
 * are skipped and reported. Each message commits on its own, so one bad peer never blocks the rest.
 */
export async function bulkSend(
  db: Db,
  input: BulkInput,
  actor: Actor,
): Promise<{ queued: { outbox_id: number; asn: number; to: string[] }[]; skipped: { asn: number; reason: string }[] }> {
  const targets: TargetInput[] = [];
  if (input.router !== undefined || input.fabric !== undefined) {
    if (
      input.router !== undefined &&
      !(await db.selectFrom('routers').select('id').where('id', '=', input.router).executeTakeFirst())
    )
      throw new ValidationError('router', `no router with id ${input.router}`);
    if (
      input.fabric !== undefined &&
      !(await db.selectFrom('fabrics').select('id').where('id', '=', input.fabric).executeTakeFirst())
    )
      throw new ValidationError('fabric', `no fabric with id ${input.fabric}`);
    let q = sessionQuery(db).innerJoin('peer_asns as pa', 'pa.id', 's.peer_asn_id').select('pa.asn as pasn');
    if (input.router !== undefined) q = q.where('b.router_id', '=', input.router);
    if (input.fabric !== undefined) q = q.where('f.id', '=', input.fabric);
    const rows = await q.orderBy('pa.asn').execute();
    const seen = new Set<number>();
    for (const r of rows) {
      if (seen.has(Number(r.peer_asn_id))) continue;
      seen.add(Number(r.peer_asn_id));
      targets.push({ peer_asn: Number(r.peer_asn_id), fabric: input.fabric, router: input.router });
    }
  }
  for (const [i, id] of (input.peer_asns ?? []).entries()) {
    if (!(await db.selectFrom('peer_asns').select('id').where('id', '=', id).executeTakeFirst()))
      throw new ValidationError(`peer_asns.${i}`, `no peer ASN with id ${id}`);
    targets.push({ peer_asn: id, fabric: input.fabric });
  }
  for (const [i, id] of (input.peeringdb_nets ?? []).entries()) {
    if (
      !(await db
        .selectFrom('pdb_net')
        .select('id')
        .where('id', '=', id)
        .where('status', '!=', 'deleted')
        .executeTakeFirst())
    )
      throw new ValidationError(`peeringdb_nets.${i}`, `no PeeringDB network with id ${id} in the mirror`);
    targets.push({ peeringdb_net: id, fabric: input.fabric });
  }
  if (!targets.length)
    throw new ValidationError(
      input.router !== undefined || input.fabric !== undefined
        ? input.router !== undefined
          ? 'router'
          : 'fabric'
        : 'peer_asns',
      'no peers: give a router or fabric with sessions, peer_asns or peeringdb_nets',
    );
  if (targets.length > 5000) throw new ValidationError('peer_asns', 'at most 5000 peers per bulk mail');
  const queued: { outbox_id: number; asn: number; to: string[] }[] = [];
  const skipped: { asn: number; reason: string }[] = [];
  for (const t of targets) {
    try {
      await db.transaction().execute(async (tx) => {
        const r = await renderForPeer(
          tx,
          { ...t, template: input.template, vars: input.vars },
          { sessionScope: { routerId: input.router, fabricId: input.fabric } },
        );
        if (!r.to.length) throw new ValidationError('to', r.warnings[0] ?? 'no recipient');
        const res = await queueMessage(
          tx,
          {
            ...t,
            router: undefined,
            to: r.to,
            cc: r.cc,
            subject: r.subject,
            body: r.body,
            template: r.tpl.name,
            as_request: input.as_request,
            force: input.force,
            kind: input.as_request ? 'request' : r.tpl.purpose === 'maintenance' ? 'maintenance' : 'bulk',
          },
          actor,
        );
        queued.push({ outbox_id: res.outboxId, asn: r.target.asn, to: r.to.map((x) => x.address) });
      });
    } catch (err) {
      // A broken template or missing configuration fails the whole call; a peer-specific problem skips the peer.
      if (
        !(err instanceof DomainError) ||
        err instanceof MailNotConfiguredError ||
        (err instanceof ValidationError && ['template', 'subject', 'body'].includes(err.fields[0]?.field ?? ''))
      )
        throw err;
      const row =
        t.peer_asn !== undefined
          ? await db.selectFrom('peer_asns').select('asn').where('id', '=', t.peer_asn).executeTakeFirst()
          : t.peeringdb_net !== undefined
            ? await db.selectFrom('pdb_net').select('asn').where('id', '=', t.peeringdb_net).executeTakeFirst()
            : undefined;
      skipped.push({ asn: Number(row?.asn ?? 0), reason: err.message });
    }
  }
  return { queued, skipped };
}
