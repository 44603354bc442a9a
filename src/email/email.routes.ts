// Mail endpoints: templates (+ versions, shipped), contacts, outbox (+ retry), peering requests
// (+ actions), render, send, bulk/maintenance mail, the mail settings and "poll replies now".
import { withTx } from '../platform/db.ts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { json, listRows, loadRow, pageLinks, pageQuery, registerResource, type Resource } from '../platform/crud.ts';
import { id as idField, text } from '../platform/fields.ts';
import { ASN_MAX } from '../platform/ip.ts';
import { NotFoundError } from '../platform/errors.ts';
import type { Db, Executor } from '../platform/db.ts';
import { enqueueJob } from '../jobs/jobs.service.ts';
import {
  contacts,
  emailTemplates,
  outbox,
  outboxOutput,
  presentOutbox,
  peeringRequests,
  presentReply,
  presentRequest,
  replyOutput,
  requestOutput,
} from './email.resource.ts';
import { CONTACT_ROLES, TEMPLATE_PURPOSES, shippedEmailTemplates, type ContactRole } from './email-templates.ts';
import { headerText, recipient } from './headers.ts';
import { mailConfig, redactUrl } from './email.config.ts';
import {
  applyRequestAction,
  bulkSend,
  contactsOf,
  queueMessage,
  renderForPeer,
  requestHistory,
  resolveTarget,
  REQUEST_ACTIONS,
  REQUEST_STATUSES,
  resendWarning,
  upsertRequest,
  retryMessage,
  type RequestAction,
} from './email.service.ts';

const roleEnum = z.enum(CONTACT_ROLES);
const requestStatusEnum = z.enum(REQUEST_STATUSES);

const asnField = z.number().int().min(1).max(ASN_MAX);
const links = {
  peer_asn: idField.optional().describe('peer ASN id'),
  asn: asnField.optional().describe('an ASN (when neither a peer ASN nor a PeeringDB network is known)'),
  peeringdb_net: idField.optional().describe('PeeringDB network id (a network not imported as a peer ASN yet)'),
  fabric: idField.optional(),
  session: idField.optional().describe('peering session id (implies its peer ASN and fabric)'),
};
const vars = z
  .record(
    z
      .string()
      .max(100)
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'variable names are identifiers'),
    z.string().max(10_000),
  )
  .optional()
  .describe('extra template variables (vars.NAME), e.g. start/end/description of a maintenance');
const template = z
  .union([idField, z.string().trim().min(1).max(100)])
  .describe(
    'stored template id or name, or a shipped template name (peering-request, noc, policy, technical, maintenance, session-down)',
  );
const contactOut = z.object({
  name: z.string(),
  email: z.string(),
  phone: z.string().nullable(),
  role: roleEnum,
  source: z.enum(['local', 'peeringdb']),
});
const page = (item: z.ZodType) =>
  z.object({
    count: z.number().int(),
    next: z.string().nullable(),
    previous: z.string().nullable(),
    results: z.array(item),
  });

// One row through the resource's base query, or 404: loadRow's lookup, with the row typed as the
// resource reads it (loadRow answers untyped rows; neither resource has an enrich step).

/** Mounts the mail API. */
export default async function emailRoutes(app: FastifyInstance): Promise<void> {
  registerResource(app, emailTemplates);
  registerResource(app, contacts);
  const r = app.withTypeProvider<ZodTypeProvider>();
  const a = app;
  const db = a.db as Db;
  const idParams = z.object({ id: z.coerce.number().int().min(1).max(2_147_483_647) });
  const actor = (req: FastifyRequest) => ({
    userId: req.principal?.userId ?? null,
    username: req.principal?.username ?? null,
    requestId: req.id,
  });
  const tx = <T>(fn: (t: Executor) => Promise<T>) => withTx(db, fn);

  // Read-only list/detail over the shared machinery (filters, paging, ordering) for workflow-written objects.
  const readOnly = (res: Resource, tag: string, noun: string) => {
    const filterShape: Record<string, z.ZodType> = {};
    // An enum filter (one value of a stored enum) is documented as that enum; the others take text.
    for (const [name, f] of Object.entries(res.filters))
      filterShape[name] = f.schema instanceof z.ZodEnum ? f.schema.optional() : z.string().optional();
    r.get(
      `/api/${res.path}/`,
      {
        schema: {
          tags: [tag],
          summary: `List ${noun}`,
          querystring: pageQuery.omit({ include_secrets: true, brief: true }).extend(filterShape).loose(),
          response: { 200: page(res.output) },
        },
        preValidation: a.requireRole('viewer'),
      },
      async (req) => {
        const { count, rows } = await listRows(res, db, req.query);
        // The filter fields widen the query's type; its paging fields are the validated pageQuery ones.
        const { limit, offset } = pageQuery.pick({ limit: true, offset: true }).parse(req.query);
        return {
          count,
          ...pageLinks(req, count, limit, offset),
          results: rows.map((row) => res.present(row, { includeSecrets: false, secrets: a.secrets })),
        };
      },
    );
  };

  // ---------- templates ----------
  const shippedOut = z.object({
    name: z.string(),
    purpose: z.enum(TEMPLATE_PURPOSES),
    subject: z.string(),
    body: z.string(),
    recipient_roles: z.array(roleEnum),
    overridden: z.boolean().describe('a stored template of the same name is used instead'),
  });
  r.get(
    '/api/email-templates/shipped/',
    {
      schema: {
        tags: ['email'],
        summary:
          'E-mail templates shipped with Peerdesk (usable by name; a stored template of the same name overrides one)',
        response: { 200: z.array(shippedOut) },
      },
      preValidation: a.requireRole('viewer'),
    },
    async () => {
      const stored = new Set((await db.selectFrom('email_templates').select('name').execute()).map((x) => x.name));
      return shippedEmailTemplates().map((t) => ({
        name: t.name,
        purpose: t.purpose,
        subject: t.subject,
        body: t.body,
        recipient_roles: t.recipientRoles,
        overridden: stored.has(t.name),
      }));
    },
  );
  const versionOut = z.object({
    version: z.number().int(),
    created_at: z.string(),
    created_by: z.string().nullable(),
    subject: z.string(),
    body: z.string(),
    recipient_roles: z.array(roleEnum),
    diff: z.string().nullable(),
  });
  r.get(
    '/api/email-templates/:id/versions/',
    {
      schema: {
        tags: ['email'],
        summary: 'Every saved version of an e-mail template, newest first, with the diff from the one before',
        params: idParams,
        response: { 200: z.array(versionOut) },
      },
      preValidation: a.requireRole('viewer'),
    },
    async (req) => {
      if (!(await db.selectFrom('email_templates').select('id').where('id', '=', req.params.id).executeTakeFirst()))
        throw new NotFoundError('email-template', req.params.id);
      const rows = await db
        .selectFrom('email_template_versions')
        .selectAll()
        .where('template_id', '=', req.params.id)
        .orderBy('version', 'desc')
        .execute();
      return rows.map((v) => ({
        version: Number(v.version),
        created_at: v.created_at,
        created_by: v.created_by ?? null,
        subject: v.subject,
        body: v.body,
        recipient_roles: json<ContactRole[]>(v.recipient_roles, []),
        diff: v.diff ?? null,
      }));
    },
  );

  // ---------- contacts of a peer (local + PeeringDB) ----------
  r.get(
    '/api/email/contacts/',
    {
      schema: {
        tags: ['email'],
        summary: 'Every contact of a peer by role: local contacts first, then PeeringDB’s (poc)',
        querystring: z
          .object({
            peer_asn: z.coerce.number().int().min(1).max(2_147_483_647).optional(),
            asn: z.coerce.number().int().min(1).max(ASN_MAX).optional(),
            peeringdb_net: z.coerce.number().int().min(1).max(2_147_483_647).optional(),
          })
          .strict(),
        response: {
          200: z.object({
            asn: z.number().int(),
            name: z.string().nullable(),
            peer_asn: z.number().int().nullable(),
            peeringdb_net: z.number().int().nullable(),
            roles: z.array(roleEnum),
            contacts: z.array(contactOut),
          }),
        },
      },
      preValidation: a.requireRole('viewer'),
    },
    async (req) => {
      const target = await resolveTarget(db, req.query);
      const list = await contactsOf(db, target);
      return {
        asn: target.asn,
        name: target.peerAsn?.name ?? target.net?.name ?? null,
        peer_asn: target.peerAsn ? Number(target.peerAsn.id) : null,
        peeringdb_net: target.net ? Number(target.net.id) : null,
        roles: [...CONTACT_ROLES],
        contacts: list,
      };
    },
  );

  // ---------- render / send / bulk ----------
  const renderOut = z.object({
    template: z.object({
      id: z.number().int().nullable(),
      name: z.string(),
      version: z.number().int(),
      shipped: z.boolean(),
    }),
    asn: z.number().int(),
    peer_asn: z.number().int().nullable(),
    peeringdb_net: z.number().int().nullable(),
    fabric: z.number().int().nullable(),
    session: z.number().int().nullable(),
    to: z.array(z.object({ name: z.string(), address: z.string() })),
    to_role: roleEnum.nullable(),
    cc: z.array(z.object({ name: z.string(), address: z.string() })),
    subject: z.string(),
    body: z.string(),
    contacts: z.array(contactOut),
    request: z
      .object({
        id: z.number().int(),
        status: requestStatusEnum,
        sent_count: z.number().int(),
        last_sent_at: z.string().nullable(),
      })
      .nullable(),
    warnings: z.array(z.string()),
  });
  r.post(
    '/api/email/render/',
    {
      schema: {
        tags: ['email'],
        summary:
          'Render an e-mail template for a peer (peer ASN, PeeringDB network or session, optional fabric): recipients by role, CC, subject and body to edit before sending',
        body: z.object({ template, ...links, router: idField.optional(), vars }).strict(),
        response: { 200: renderOut },
      },
      preValidation: a.requireRole('operator'),
    },
    async (req) => {
      const b = req.body;
      const res = await renderForPeer(db, b, { sessionScope: { routerId: b.router } });
      return {
        template: { id: res.tpl.id, name: res.tpl.name, version: res.tpl.version, shipped: res.tpl.shipped },
        asn: res.target.asn,
        peer_asn: res.target.peerAsn ? Number(res.target.peerAsn.id) : null,
        peeringdb_net: res.target.net ? Number(res.target.net.id) : null,
        fabric: res.target.fabric ? Number(res.target.fabric.id) : null,
        session: res.target.session ? Number(res.target.session.id) : null,
        to: res.to,
        to_role: res.toRole,
        cc: res.cc,
        subject: res.subject,
        body: res.body,
        contacts: res.contacts,
        request: res.request
          ? {
              id: res.request.id,
              status: res.request.status,
              sent_count: res.request.sent_count,
              last_sent_at: res.request.last_sent_at,
            }
          : null,
        warnings: res.warnings,
      };
    },
  );

  const sendBody = z
    .object({
      to: z.array(recipient).min(1).max(50),
      cc: z.array(recipient).max(50).optional(),
      subject: headerText(998, 'subject').pipe(z.string().trim().min(1, 'must not be empty')),
      body: z
        .string()
        .max(200_000)
        .refine((v) => !v.includes('\0'), 'must not contain NUL characters'),
      template: template.optional(),
      ...links,
      as_request: z.boolean().optional().describe('track as the peering request for (peer, fabric): it becomes "sent"'),
      force: z
        .boolean()
        .optional()
        .describe('resend although the request was sent within PEERDESK_MAIL_RESEND_WARNING_DAYS'),
    })
    .strict();
  r.post(
    '/api/email/send/',
    {
      schema: {
        tags: ['email'],
        summary:
          'Queue an (edited) message: an outbox row and its send job; with as_request the peering request becomes "sent" (409 resend_warning when sent recently, unless force)',
        body: sendBody,
        response: { 202: outboxOutput },
      },
      preValidation: a.requireRole('operator'),
    },
    async (req, reply) => {
      const { outboxId } = await tx((t) => queueMessage(t, req.body, actor(req)));
      return reply.code(202).send(presentOutbox(await loadRow(outbox, db, outboxId)));
    },
  );

  r.post(
    '/api/email/bulk/',
    {
      schema: {
        tags: ['email'],
        summary:
          'Bulk and maintenance mail: one message per peer, through the outbox — the peers of every session on a router or fabric, or the given peer ASNs / PeeringDB networks (e.g. selected candidates)',
        body: z
          .object({
            template,
            router: idField.optional(),
            fabric: idField.optional(),
            peer_asns: z.array(idField).max(5000).optional(),
            peeringdb_nets: z.array(idField).max(5000).optional(),
            vars,
            as_request: z.boolean().optional(),
            force: z.boolean().optional(),
          })
          .strict(),
        response: {
          202: z.object({
            queued: z.array(z.object({ outbox_id: z.number().int(), asn: z.number().int(), to: z.array(z.string()) })),
            skipped: z.array(z.object({ asn: z.number().int(), reason: z.string() })),
          }),
        },
      },
      preValidation: a.requireRole('operator'),
    },
    async (req, reply) => reply.code(202).send(await bulkSend(db, req.body, actor(req))),
  );

  r.get(
    '/api/email/settings/',
    {
      schema: {
        tags: ['email'],
        summary: 'Mail settings in effect (passwords hidden)',
        response: {
          200: z.object({
            smtp_url: z.string().nullable(),
            from: z.string().nullable(),
            cc: z.string().nullable(),
            imap_url: z.string().nullable(),
            test_mode: z.boolean(),
            rate_per_domain: z.number().int(),
            resend_warning_days: z.number().int(),
            reminder_days: z.number().int(),
            reminder_autosend: z.boolean(),
            ready: z.boolean(),
          }),
        },
      },
      preValidation: a.requireRole('viewer'),
    },
    async () => {
      const c = mailConfig();
      const fmt = (x: { name: string; address: string } | null) =>
        x ? (x.name ? `${x.name} <${x.address}>` : x.address) : null;
      return {
        smtp_url: redactUrl(c.smtpUrl),
        from: fmt(c.from),
        cc: fmt(c.cc),
        imap_url: redactUrl(c.imapUrl),
        test_mode: c.testMode,
        rate_per_domain: c.ratePerDomain,
        resend_warning_days: c.resendWarningDays,
        reminder_days: c.reminderDays,
        reminder_autosend: c.reminderAutosend,
        ready: !!c.from && (!!c.smtpUrl || c.testMode),
      };
    },
  );

  r.post(
    '/api/email/poll/',
    {
      schema: {
        tags: ['email'],
        summary: 'Queue a poll of the IMAP mailbox for replies now',
        response: { 202: z.object({ job: z.number().int() }) },
      },
      preValidation: a.requireRole('operator'),
    },
    async (req, reply) =>
      reply.code(202).send({ job: await enqueueJob(db, 'email.poll_replies', {}, { userId: actor(req).userId }) }),
  );

  // ---------- outbox ----------
  readOnly(outbox, 'email', 'outbox messages (newest first)');
  r.get(
    '/api/outbox/:id/',
    {
      schema: {
        tags: ['email'],
        summary: 'One outbox message with the replies it received',
        params: idParams,
        response: { 200: outboxOutput.extend({ replies: z.array(replyOutput) }) },
      },
      preValidation: a.requireRole('viewer'),
    },
    async (req) => {
      const row = await loadRow(outbox, db, req.params.id);
      const replies = await db
        .selectFrom('email_replies')
        .selectAll()
        .where('outbox_id', '=', req.params.id)
        .orderBy('id')
        .execute();
      return {
        ...presentOutbox(row),
        replies: replies.map(presentReply),
      };
    },
  );
  r.post(
    '/api/outbox/:id/retry/',
    {
      schema: {
        tags: ['email'],
        summary: 'Retry a failed message (once: 409 unless it is failed)',
        params: idParams,
        response: { 202: outboxOutput },
      },
      preValidation: a.requireRole('operator'),
    },
    async (req, reply) => {
      await tx((t) => retryMessage(t, req.params.id, actor(req)));
      return reply.code(202).send(presentOutbox(await loadRow(outbox, db, req.params.id)));
    },
  );

  // ---------- peering requests ----------
  readOnly(peeringRequests, 'email', 'peering requests (filter by asn=…, fabric=…|null, status=…)');
  const historyOut = z.object({
    id: z.number().int(),
    time: z.string(),
    username: z.string().nullable(),
    action: z.string(),
    from_status: requestStatusEnum.nullable(),
    to_status: requestStatusEnum.nullable(),
    outbox_id: z.number().int().nullable(),
    reply_id: z.number().int().nullable(),
    note: z.string().nullable(),
  });
  const requestDetail = requestOutput.extend({
    history: z.array(historyOut),
    messages: z.array(outboxOutput),
    replies: z.array(replyOutput),
    resend_warning: z.string().nullable(),
  });
  const detail = async (id: number): Promise<z.infer<typeof requestDetail>> => {
    const row = await loadRow(peeringRequests, db, id);
    const msgs = await outbox.query(db).where('t.request_id', '=', id).orderBy('t.id').execute();
    const replies = await db
      .selectFrom('email_replies')
      .selectAll()
      .where('request_id', '=', id)
      .orderBy('id')
      .execute();
    return {
      ...presentRequest(row),
      history: await requestHistory(db, id),
      messages: msgs.map((m) => presentOutbox(m)),
      replies: replies.map(presentReply),
      resend_warning: row.status === 'sent' || row.status === 'replied' ? resendWarning(row, mailConfig()) : null,
    };
  };
  r.get(
    '/api/peering-requests/:id/',
    {
      schema: {
        tags: ['email'],
        summary: 'One peering request with its history, messages and replies',
        params: idParams,
        response: { 200: requestDetail },
      },
      preValidation: a.requireRole('viewer'),
    },
    async (req) => detail(req.params.id),
  );
  r.post(
    '/api/peering-requests/',
    {
      schema: {
        tags: ['email'],
        summary:
          'Create (or find) the request for (peer, fabric) without sending, optionally marking it accepted / rejected / existing / not qualified',
        body: z
          .object({ ...links, status: z.enum(REQUEST_STATUSES).optional(), notes: text.nullable().optional() })
          .strict(),
        response: { 200: requestDetail },
      },
      preValidation: a.requireRole('operator'),
    },
    async (req) => detail(await tx((t) => upsertRequest(t, req.body, actor(req)))),
  );
  for (const action of Object.keys(REQUEST_ACTIONS) as RequestAction[]) {
    r.post(
      `/api/peering-requests/:id/${action}/`,
      {
        schema: {
          tags: ['email'],
          summary:
            action === 'reset'
              ? 'Reset a request to "none" (its history stays)'
              : `Mark a request ${REQUEST_ACTIONS[action].replace('_', ' ')}`,
          params: idParams,
          body: z.object({ note: text.nullable().optional() }).strict().optional(),
          response: { 200: requestDetail },
        },
        preValidation: a.requireRole('operator'),
      },
      async (req) => {
        await tx((t) => applyRequestAction(t, req.params.id, action, actor(req), req.body?.note ?? null));
        return detail(req.params.id);
      },
    );
  }
}
