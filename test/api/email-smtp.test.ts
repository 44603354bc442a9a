// Peer communications over a real SMTP server on loopback: recipients by PeeringDB role from the real
// poc pages, CC to our mailbox, our Message-ID, the outbox and its failures (5xx, connection refused),
// retry exactly once, header injection through every field, requests and their history, bulk mail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { engines } from '../support/db.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { sharedData } from '../support/shared-data.ts';
import { closedPort, startSmtpLab, type SmtpLab } from '../support/mail-lab.ts';
import { importPeeringDb } from '../../src/peeringdb/peeringdb.import.ts';
import { startWorker, type WorkerHandle } from '../../src/jobs/worker.ts';
import { enqueueJob } from '../../src/jobs/jobs.service.ts';
import { mailConfig } from '../../src/email/email.config.ts';

const FROM = 'Example Peering <peering@peerdesk.example>';
const CC = 'peering-team@peerdesk.example';
const ENV_KEYS = [
  'PEERDESK_SMTP_URL',
  'PEERDESK_MAIL_FROM',
  'PEERDESK_MAIL_CC',
  'PEERDESK_MAIL_TEST_MODE',
  'PEERDESK_MAIL_RATE_PER_DOMAIN',
  'PEERDESK_MAIL_RESEND_WARNING_DAYS',
  'PEERDESK_MAIL_TIMEOUT_MS',
];
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));

let smtp: SmtpLab;
beforeAll(async () => {
  smtp = await startSmtpLab({ user: 'relay-user', pass: 'relay-secret-pw' });
});
afterAll(async () => {
  await smtp?.close();
  for (const k of ENV_KEYS)
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
});

function mailEnv(extra: Record<string, string> = {}) {
  Object.assign(
    process.env,
    {
      PEERDESK_SMTP_URL: smtp.url,
      PEERDESK_MAIL_FROM: FROM,
      PEERDESK_MAIL_CC: CC,
      PEERDESK_MAIL_TEST_MODE: '0',
      PEERDESK_MAIL_RATE_PER_DOMAIN: '0',
      PEERDESK_MAIL_RESEND_WARNING_DAYS: '14',
      PEERDESK_MAIL_TIMEOUT_MS: '5000',
    },
    extra,
  );
}

describe.each(engines())('e-mail over SMTP on %s', (engine) => {
  let t: TestApp;
  let worker: WorkerHandle;
  let fabricId: number;
  const received = (messageId: string) => smtp.received.filter((m) => m.parsed.messageId === messageId);
  // Waits for an outbox message to reach a state; jobs waiting for their backoff are made due at once
  // (the waits are the job runner's, tested elsewhere; here only the outcome matters).
  const waitFor = async (id: number, statuses: string[]) => {
    await expect
      .poll(
        async () => {
          await t.tdb.db
            .updateTable('jobs')
            .set({ run_after: new Date(0).toISOString() })
            .where('status', '=', 'queued')
            .where('kind', '=', 'email.send')
            .execute();
          return (await t.api('GET', `/api/outbox/${id}/`)).body.status;
        },
        { timeout: 60_000, interval: 100 },
      )
      .toSatisfy((s: string) => statuses.includes(s));
    return (await t.api('GET', `/api/outbox/${id}/`)).body;
  };

  beforeAll(async () => {
    mailEnv();
    t = await startTestApp(engine);
    await importPeeringDb(t.tdb.db, sharedData('peeringdb', 'api'));
    expect((await t.api('POST', '/api/peer-asns/', { asn: 64500, name: 'Example Net', affiliated: true })).status).toBe(
      201,
    );
    const f = await t.api('POST', '/api/fabrics/', { name: 'Equinix Chicago', peeringdb_ix_id: 2 });
    fabricId = f.body.id;
    worker = startWorker({ db: t.tdb.db, logger: pino({ level: 'silent' }), pollMs: 50 });
  }, 120_000);
  afterAll(async () => {
    await worker?.stop();
    await t?.close();
  });

  it('lists a PeeringDB network’s contacts by role from the real poc pages', async () => {
    const r = await t.api('GET', '/api/email/contacts/?peeringdb_net=694', undefined, { role: 'viewer' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ asn: 8075, name: 'Microsoft', peer_asn: null, peeringdb_net: 694 });
    expect(r.body.contacts).toEqual([
      { name: 'NOC', email: 'ioc@microsoft.com', phone: '+14257052686', role: 'NOC', source: 'peeringdb' },
      { name: 'Peering Requests', email: 'peering@microsoft.com', phone: null, role: 'Policy', source: 'peeringdb' },
    ]);
  });

  it('renders a peering request for a network not imported yet: Policy contact, our CC, fabric addresses', async () => {
    const r = await t.api(
      'POST',
      '/api/email/render/',
      { template: 'peering-request', peeringdb_net: 694, fabric: fabricId },
      { role: 'operator' },
    );
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.to).toEqual([{ name: 'Peering Requests', address: 'peering@microsoft.com' }]);
    expect(r.body.to_role).toBe('Policy');
    expect(r.body.cc).toEqual([{ name: '', address: CC }]);
    expect(r.body.subject).toBe('Peering request: AS64500 and AS8075 at Equinix Chicago');
    expect(r.body.body).toContain('Hello Microsoft peering team,');
    expect(r.body.body).toContain(
      'Your addresses there, according to PeeringDB:\n  208.115.136.27 2001:504:0:4::8075:1\n',
    );
    expect(r.body.request).toBeNull();
    expect(r.body.warnings).toEqual([]);
    // Viewers read, operators compose.
    expect(
      (
        await t.api(
          'POST',
          '/api/email/render/',
          { template: 'peering-request', peeringdb_net: 694 },
          { role: 'viewer' },
        )
      ).status,
    ).toBe(403);
  });

  it('falls back Policy → Technical → NOC and puts local contacts first', async () => {
    // Altecom (AS16030) has Technical, Sales and NOC contacts, no Policy: the request goes to Technical.
    const r = await t.api(
      'POST',
      '/api/email/render/',
      { template: 'peering-request', peeringdb_net: 834 },
      { role: 'operator' },
    );
    expect(r.body.to).toEqual([{ name: 'Peering', address: 'peering@altecom.net' }]);
    expect(r.body.to_role).toBe('Technical');
    const noc = await t.api(
      'POST',
      '/api/email/render/',
      { template: 'noc', peeringdb_net: 834 },
      { role: 'operator' },
    );
    expect(noc.body.to).toEqual([{ name: 'NOC', address: 'noc@altecom.net' }]);
    // A local Policy contact on the imported peer ASN now takes the request.
    const pa = await t.api('POST', '/api/peer-asns/', { asn: 16030, name: 'Altecom', peeringdb_id: 834 });
    const c = await t.api(
      'POST',
      '/api/contacts/',
      { peer_asn: pa.body.id, name: 'Ana Peering', role: 'Policy', email: 'ana@altecom.net' },
      { role: 'operator' },
    );
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    const again = await t.api(
      'POST',
      '/api/email/render/',
      { template: 'peering-request', peer_asn: pa.body.id },
      { role: 'operator' },
    );
    expect(again.body.to).toEqual([{ name: 'Ana Peering', address: 'ana@altecom.net' }]);
    expect(again.body.contacts.map((x: any) => `${x.source}:${x.role}:${x.email}`)).toEqual([
      'local:Policy:ana@altecom.net',
      'peeringdb:Technical:peering@altecom.net',
      'peeringdb:Sales:comercial@altecom.net',
      'peeringdb:NOC:noc@altecom.net',
    ]);
  });

  let requestId: number;
  let firstMessageId: string;
  it('sends a request through the outbox: headers, recipients, Message-ID, body; the request becomes sent', async () => {
    const before = smtp.received.length;
    const r = await t.api(
      'POST',
      '/api/email/render/',
      { template: 'peering-request', peeringdb_net: 694, fabric: fabricId },
      { role: 'operator' },
    );
    const body = `${r.body.body}\n-- edited by hand\n`;
    const s = await t.api(
      'POST',
      '/api/email/send/',
      {
        to: r.body.to,
        cc: r.body.cc,
        subject: r.body.subject,
        body,
        template: 'peering-request',
        peeringdb_net: 694,
        fabric: fabricId,
        as_request: true,
      },
      { role: 'operator' },
    );
    expect(s.status, JSON.stringify(s.body)).toBe(202);
    expect(s.body).toMatchObject({
      status: 'queued',
      asn: 8075,
      peeringdb_net: 694,
      fabric: { id: fabricId, name: 'Equinix Chicago' },
      created_by: 'operator',
      kind: 'request',
    });
    expect(s.body.message_id).toMatch(/^<[0-9a-f-]{36}@peerdesk\.example>$/);
    const sent = await waitFor(s.body.id, ['sent', 'failed']);
    expect(sent.status, sent.error).toBe('sent');
    expect(sent.attempts).toBe(1);
    expect(sent.sent_at).not.toBeNull();
    expect(smtp.received.length).toBe(before + 1);
    const [m] = received(s.body.message_id);
    expect(m.envelopeFrom).toBe('peering@peerdesk.example');
    expect(m.envelopeTo.sort()).toEqual(['peering-team@peerdesk.example', 'peering@microsoft.com']);
    expect(m.parsed.from?.value).toEqual([{ name: 'Example Peering', address: 'peering@peerdesk.example' }]);
    expect((m.parsed.to as any).value).toEqual([{ name: 'Peering Requests', address: 'peering@microsoft.com' }]);
    expect((m.parsed.cc as any).value).toEqual([{ name: '', address: CC }]);
    expect(m.parsed.subject).toBe('Peering request: AS64500 and AS8075 at Equinix Chicago');
    expect(m.parsed.text).toBe(body);
    expect(m.parsed.headers.has('bcc')).toBe(false);
    requestId = s.body.request;
    firstMessageId = s.body.message_id;
    const req = await t.api('GET', `/api/peering-requests/${requestId}/`, undefined, { role: 'viewer' });
    expect(req.body).toMatchObject({
      asn: 8075,
      status: 'sent',
      sent_count: 1,
      fabric: { id: fabricId },
      peeringdb_net: 694,
      network_name: 'Microsoft',
    });
    expect(req.body.history.map((h: any) => [h.action, h.from_status, h.to_status, h.username])).toEqual([
      ['sent', 'none', 'sent', 'operator'],
    ]);
    expect(req.body.messages.map((x: any) => x.message_id)).toEqual([firstMessageId]);
    const changes = await t.api('GET', `/api/changes/?object_type=peering-request&object_id=${requestId}`);
    expect(changes.body.results.map((c: any) => c.action).sort()).toEqual(['create', 'request.sent']);
    // The request's status is listed per ASN and fabric (candidates, peer ASN and fabric pages).
    const list = await t.api('GET', `/api/peering-requests/?asn=8075,16030&fabric=${fabricId}`, undefined, {
      role: 'viewer',
    });
    expect(list.body.results.map((x: any) => [x.asn, x.status])).toEqual([[8075, 'sent']]);
  });

  it('warns before resending within the configured days; a forced resend continues the thread', async () => {
    const r = await t.api(
      'POST',
      '/api/email/render/',
      { template: 'peering-request', peeringdb_net: 694, fabric: fabricId },
      { role: 'operator' },
    );
    expect(r.body.warnings[0]).toMatch(/^a request was already sent on \d{4}-\d{2}-\d{2} \(less than 14 days ago\)$/);
    expect(r.body.body).toContain('have not heard back yet');
    const msg = {
      to: r.body.to,
      subject: r.body.subject,
      body: r.body.body,
      peeringdb_net: 694,
      fabric: fabricId,
      as_request: true,
    };
    const refused = await t.api('POST', '/api/email/send/', msg, { role: 'operator' });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('resend_warning');
    const forced = await t.api('POST', '/api/email/send/', { ...msg, force: true }, { role: 'operator' });
    expect(forced.status).toBe(202);
    expect(forced.body.in_reply_to).toBe(firstMessageId);
    await waitFor(forced.body.id, ['sent']);
    const [m] = received(forced.body.message_id);
    expect(m.parsed.inReplyTo).toBe(firstMessageId);
    const req = await t.api('GET', `/api/peering-requests/${requestId}/`);
    expect(req.body.sent_count).toBe(2);
    expect(req.body.history.map((h: any) => h.action)).toEqual(['sent', 'resent']);
    expect(req.body.history[1].note).toBe('resent within the warning period');
  });

  it('marks, refuses to send to a closed request, and resets with who and when', async () => {
    const acc = await t.api(
      'POST',
      `/api/peering-requests/${requestId}/accept/`,
      { note: 'session agreed' },
      { role: 'operator' },
    );
    expect(acc.status, JSON.stringify(acc.body)).toBe(200);
    expect(acc.body.status).toBe('accepted');
    expect(acc.body.decided_at).not.toBeNull();
    const closed = await t.api(
      'POST',
      '/api/email/send/',
      {
        to: [{ address: 'peering@microsoft.com' }],
        subject: 'again',
        body: 'x',
        peeringdb_net: 694,
        fabric: fabricId,
        as_request: true,
        force: true,
      },
      { role: 'operator' },
    );
    expect(closed.status).toBe(409);
    expect(closed.body.code).toBe('request_closed');
    expect((await t.api('POST', `/api/peering-requests/${requestId}/accept/`, {}, { role: 'operator' })).status).toBe(
      409,
    );
    expect((await t.api('POST', `/api/peering-requests/${requestId}/reset/`, {}, { role: 'viewer' })).status).toBe(403);
    const reset = await t.api('POST', `/api/peering-requests/${requestId}/reset/`, {}, { role: 'operator' });
    expect(reset.body).toMatchObject({ status: 'none', sent_count: 0, last_sent_at: null });
    expect(reset.body.history.map((h: any) => [h.action, h.to_status, h.username, h.note])).toEqual([
      ['sent', 'sent', 'operator', null],
      ['resent', 'sent', 'operator', 'resent within the warning period'],
      ['accept', 'accepted', 'operator', 'session agreed'],
      ['reset', 'none', 'operator', null],
    ]);
    // Marking without mail: an existing session found on the candidates page.
    const ex = await t.api(
      'POST',
      '/api/peering-requests/',
      { peeringdb_net: 834, status: 'existing' },
      { role: 'operator' },
    );
    expect(ex.status, JSON.stringify(ex.body)).toBe(200);
    expect(ex.body).toMatchObject({ asn: 16030, status: 'existing', fabric: null, peer_asn: { asn: 16030 } });
    expect(
      (await t.api('POST', '/api/peering-requests/', { peeringdb_net: 834, status: 'replied' }, { role: 'operator' }))
        .body.errors[0].field,
    ).toBe('status');
  });

  it('neutralises header injection through every field', async () => {
    const base = {
      to: [{ name: 'Peering', address: 'peering@microsoft.com' }],
      subject: 'Hello',
      body: 'Body\r\nBcc: body-is-fine@evil.example\r\n',
      peeringdb_net: 694,
    };
    const attempts: [string, unknown, string][] = [
      ['subject', { ...base, subject: 'Hi\r\nBcc: victim@evil.example' }, 'subject'],
      ['subject LF', { ...base, subject: 'Hi\nBcc: victim@evil.example' }, 'subject'],
      ['subject NUL', { ...base, subject: 'Hi\u0000there' }, 'subject'],
      [
        'to name',
        { ...base, to: [{ name: 'X\r\nBcc: victim@evil.example', address: 'peering@microsoft.com' }] },
        'to.0.name',
      ],
      [
        'to address',
        { ...base, to: [{ address: 'peering@microsoft.com\r\nBcc: victim@evil.example' }] },
        'to.0.address',
      ],
      ['to address list', { ...base, to: [{ address: 'a@b.example, victim@evil.example' }] }, 'to.0.address'],
      ['to address brackets', { ...base, to: [{ address: 'X <victim@evil.example>' }] }, 'to.0.address'],
      ['cc name', { ...base, cc: [{ name: 'Y\nBcc: victim@evil.example', address: 'noc@example.net' }] }, 'cc.0.name'],
      ['cc address', { ...base, cc: [{ address: 'noc@example.net\nBcc: victim@evil.example' }] }, 'cc.0.address'],
    ];
    for (const [what, body, field] of attempts) {
      const r = await t.api('POST', '/api/email/send/', body, { role: 'operator' });
      expect(r.status, what).toBe(400);
      expect(
        r.body.errors.map((e: any) => e.field),
        what,
      ).toContain(field);
    }
    const pa = (await t.api('GET', '/api/peer-asns/?asn=16030')).body.results[0];
    for (const [field, value] of [
      ['name', 'Eve\r\nBcc: victim@evil.example'],
      ['email', 'eve@altecom.net\r\nBcc: victim@evil.example'],
      ['phone', '+1\nBcc: victim@evil.example'],
    ] as const) {
      const c = await t.api(
        'POST',
        '/api/contacts/',
        { peer_asn: pa.id, name: 'Eve', role: 'NOC', email: 'eve@altecom.net', [field]: value },
        { role: 'operator' },
      );
      expect(c.status, field).toBe(400);
      expect(c.body.errors[0].field).toBe(field);
    }
    // Data we did not type: a PeeringDB contact whose name carries a header, another whose address does,
    // and a template variable with line breaks that ends up in the subject.
    const now = new Date().toISOString();
    await t.tdb.db
      .insertInto('pdb_poc')
      .values([
        {
          id: 990001,
          net_id: 694,
          role: 'Policy',
          visible: 'Public',
          name: 'Mallory\r\nBcc: victim@evil.example',
          phone: '',
          email: 'mallory@microsoft.com',
          url: '',
          created: now,
          updated: now,
          status: 'ok',
          data: '{}',
        },
        {
          id: 990002,
          net_id: 694,
          role: 'Policy',
          visible: 'Public',
          name: 'Trudy',
          phone: '',
          email: 'trudy@microsoft.com\r\nBcc: victim@evil.example',
          url: '',
          created: now,
          updated: now,
          status: 'ok',
          data: '{}',
        },
      ])
      .execute();
    const r = await t.api(
      'POST',
      '/api/email/render/',
      { template: 'noc', peeringdb_net: 694, vars: { topic: 'Check\r\nBcc: victim@evil.example' } },
      { role: 'operator' },
    );
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.subject).toBe('AS8075: Check Bcc: victim@evil.example');
    const pol = await t.api(
      'POST',
      '/api/email/render/',
      { template: 'policy', peeringdb_net: 694 },
      { role: 'operator' },
    );
    expect(pol.body.to).toEqual([
      { name: 'Peering Requests', address: 'peering@microsoft.com' },
      { name: 'Mallory Bcc: victim@evil.example', address: 'mallory@microsoft.com' },
    ]);
    const s = await t.api(
      'POST',
      '/api/email/send/',
      { to: pol.body.to, subject: r.body.subject, body: base.body, peeringdb_net: 694 },
      { role: 'operator' },
    );
    expect(s.status, JSON.stringify(s.body)).toBe(202);
    await waitFor(s.body.id, ['sent']);
    const [m] = received(s.body.message_id);
    // Exactly the recipients shown: no CC was given, and nothing smuggled in.
    expect(m.envelopeTo.sort()).toEqual(['mallory@microsoft.com', 'peering@microsoft.com']);
    expect(m.parsed.headers.has('bcc')).toBe(false);
    const headerBlock = m.raw.slice(0, m.raw.indexOf('\r\n\r\n'));
    expect(headerBlock).not.toMatch(/^Bcc:/im);
    expect(m.parsed.subject).toBe('AS8075: Check Bcc: victim@evil.example');
    expect((m.parsed.to as any).value.map((v: any) => v.address)).toEqual([
      'peering@microsoft.com',
      'mallory@microsoft.com',
    ]);
    expect(m.parsed.text).toBe('Body\nBcc: body-is-fine@evil.example\n');
    await t.tdb.db.deleteFrom('pdb_poc').where('id', 'in', [990001, 990002]).execute();
  });

  it('an SMTP 5xx fails the message with the reason at once; a retry sends it exactly once', async () => {
    smtp.rejectWith(554, '5.7.1 Message rejected as spam');
    const s = await t.api(
      'POST',
      '/api/email/send/',
      { to: [{ name: 'NOC', address: 'noc@he.net' }], subject: 'Session check', body: 'Hello HE', asn: 6939 },
      { role: 'operator' },
    );
    expect(s.status).toBe(202);
    const failed = await waitFor(s.body.id, ['failed', 'sent']);
    expect(failed.status).toBe('failed');
    expect(failed.error).toBe('EMESSAGE: 554 5.7.1 Message rejected as spam');
    expect(failed.attempts).toBe(1);
    expect(failed.error).not.toContain('relay-secret-pw');
    expect(received(s.body.message_id)).toHaveLength(0);
    smtp.rejectWith(null);
    const retry = await t.api('POST', `/api/outbox/${s.body.id}/retry/`, undefined, { role: 'operator' });
    expect(retry.status, JSON.stringify(retry.body)).toBe(202);
    expect((await t.api('POST', `/api/outbox/${s.body.id}/retry/`, undefined, { role: 'operator' })).status).toBe(409);
    // A duplicate send job for the same message changes nothing.
    await enqueueJob(t.tdb.db, 'email.send', { outbox_id: s.body.id });
    const sent = await waitFor(s.body.id, ['sent']);
    expect(sent.attempts).toBe(2);
    await expect
      .poll(
        async () =>
          Number(
            (
              await t.tdb.db
                .selectFrom('jobs')
                .select((eb) => eb.fn.countAll().as('c'))
                .where('kind', '=', 'email.send')
                .where('status', 'in', ['queued', 'running'])
                .executeTakeFirstOrThrow()
            ).c,
          ),
        { timeout: 30_000 },
      )
      .toBe(0);
    expect(received(s.body.message_id)).toHaveLength(1);
    expect((await t.api('POST', `/api/outbox/${s.body.id}/retry/`, undefined, { role: 'operator' })).body.code).toBe(
      'not_failed',
    );
  });

  it('connection refused is retried with backoff, then fails with the reason; a retry sends once', async () => {
    mailEnv({ PEERDESK_SMTP_URL: `smtp://127.0.0.1:${await closedPort()}` });
    try {
      const s = await t.api(
        'POST',
        '/api/email/send/',
        { to: [{ address: 'noc@he.net' }], subject: 'Refused', body: 'x', asn: 6939 },
        { role: 'operator' },
      );
      const failed = await waitFor(s.body.id, ['failed', 'sent']);
      expect(failed.status).toBe('failed');
      expect(failed.error).toMatch(/ECONNREFUSED/);
      expect(failed.attempts).toBe(4);
      mailEnv();
      expect((await t.api('POST', `/api/outbox/${s.body.id}/retry/`, undefined, { role: 'operator' })).status).toBe(
        202,
      );
      expect((await waitFor(s.body.id, ['sent', 'failed'])).status).toBe('sent');
      expect(received(s.body.message_id)).toHaveLength(1);
    } finally {
      mailEnv();
    }
  });

  it('test mode stores without sending; no From refuses to queue', async () => {
    mailEnv({ PEERDESK_MAIL_TEST_MODE: '1', PEERDESK_SMTP_URL: '' });
    try {
      const before = smtp.received.length;
      const s = await t.api(
        'POST',
        '/api/email/send/',
        { to: [{ address: 'noc@he.net' }], subject: 'Test mode', body: 'x' },
        { role: 'operator' },
      );
      expect(s.status).toBe(202);
      const done = await waitFor(s.body.id, ['test', 'sent', 'failed']);
      expect(done.status).toBe('test');
      expect(smtp.received.length).toBe(before);
      delete process.env.PEERDESK_MAIL_FROM;
      const no = await t.api(
        'POST',
        '/api/email/send/',
        { to: [{ address: 'noc@he.net' }], subject: 'x', body: 'x' },
        { role: 'operator' },
      );
      expect(no.status).toBe(409);
      expect(no.body.code).toBe('mail_not_configured');
    } finally {
      mailEnv();
    }
    expect((await t.api('GET', '/api/email/settings/', undefined, { role: 'viewer' })).body).toMatchObject({
      smtp_url: smtp.url.replace('relay-secret-pw', '***'),
      from: FROM,
      cc: CC,
      test_mode: false,
      ready: true,
    });
  });

  it('holds mail beyond the per-domain rate for the next minute', async () => {
    mailEnv({ PEERDESK_MAIL_RATE_PER_DOMAIN: '1' });
    try {
      // Messages to altecom.net within the last minute: none yet. The first goes, the second waits.
      const a = await t.api(
        'POST',
        '/api/email/send/',
        { to: [{ address: 'noc@altecom.net' }], subject: 'one', body: 'x' },
        { role: 'operator' },
      );
      const first = await waitFor(a.body.id, ['sent']);
      const b = await t.api(
        'POST',
        '/api/email/send/',
        { to: [{ address: 'peering@altecom.net' }], subject: 'two', body: 'x' },
        { role: 'operator' },
      );
      await expect
        .poll(
          async () =>
            (await t.tdb.db.selectFrom('jobs').select('status').where('id', '=', b.body.job).executeTakeFirstOrThrow())
              .status,
          { timeout: 30_000 },
        )
        .toBe('succeeded');
      const held = (await t.api('GET', `/api/outbox/${b.body.id}/`)).body;
      expect(held.status).toBe('queued');
      expect(held.job).not.toBe(b.body.job);
      const job = await t.tdb.db.selectFrom('jobs').selectAll().where('id', '=', held.job).executeTakeFirstOrThrow();
      expect(Date.parse(job.run_after)).toBeGreaterThanOrEqual(Date.parse(first.sent_at) + 60_000);
      expect(received(b.body.message_id)).toHaveLength(0);
      await t.tdb.db.updateTable('jobs').set({ status: 'cancelled' }).where('id', '=', held.job).execute();
    } finally {
      mailEnv();
    }
  });

  it('bulk maintenance mail: one message per peer of the router’s sessions', async () => {
    const router = (await t.api('POST', '/api/routers/', { name: 'chi-edge-1', local_asn: 64500 })).body;
    await t.api('POST', '/api/peer-asns/', { asn: 6939, name: 'Hurricane Electric', peeringdb_id: 291 });
    const ms = (await t.api('POST', '/api/peer-asns/', { asn: 8075, name: 'Microsoft', peeringdb_id: 694 })).body;
    for (const [ip, asn] of [
      ['208.115.136.37', 6939],
      ['2001:504:0:4::6939:1', 6939],
      ['208.115.136.27', 8075],
    ] as const) {
      const p = await t.api('POST', '/api/bgp-peers/', { router: router.id, peer_ip: ip, remote_asn: asn });
      expect(p.status, JSON.stringify(p.body)).toBe(201);
      expect((await t.api('POST', '/api/peering-sessions/', { bgp_peer: p.body.id })).status).toBe(201);
    }
    expect(
      (await t.api('POST', '/api/email/bulk/', { template: 'maintenance', router: router.id }, { role: 'viewer' }))
        .status,
    ).toBe(403);
    const b = await t.api(
      'POST',
      '/api/email/bulk/',
      {
        template: 'maintenance',
        router: router.id,
        vars: { start: '2026-12-01 02:00 UTC', end: '2026-12-01 04:00 UTC' },
      },
      { role: 'operator' },
    );
    expect(b.status, JSON.stringify(b.body)).toBe(202);
    expect(b.body.skipped).toEqual([]);
    expect(b.body.queued.map((q: any) => [q.asn, q.to])).toEqual([
      [6939, ['noc@he.net']],
      [8075, ['ioc@microsoft.com']],
    ]);
    for (const q of b.body.queued) await waitFor(q.outbox_id, ['sent']);
    const he = (await t.api('GET', `/api/outbox/${b.body.queued[0].outbox_id}/`)).body;
    expect(he).toMatchObject({
      kind: 'maintenance',
      subject: 'Planned maintenance 2026-12-01 02:00 UTC: chi-edge-1 (AS6939)',
      peer_asn: { asn: 6939 },
    });
    expect(he.body).toContain('  chi-edge-1 -> 208.115.136.37\n  chi-edge-1 -> 2001:504:0:4::6939:1\n');
    const [m] = received(he.message_id);
    expect(m.envelopeTo.sort()).toEqual(['noc@he.net', 'peering-team@peerdesk.example']);
    // Bulk request to selected candidates (PeeringDB networks) at a fabric; peers without contacts are skipped.
    const c = await t.api(
      'POST',
      '/api/email/bulk/',
      { template: 'peering-request', peeringdb_nets: [291, 700], fabric: fabricId, as_request: true },
      { role: 'operator' },
    );
    expect(c.status, JSON.stringify(c.body)).toBe(202);
    expect(c.body.queued.map((q: any) => [q.asn, q.to])).toEqual([
      [6939, ['peering@he.net']],
      [34305, ['peering@as34305.net']],
    ]);
    const st = await t.api('GET', `/api/peering-requests/?asn=6939,34305&fabric=${fabricId}&ordering=asn`);
    expect(st.body.results.map((x: any) => [x.asn, x.status])).toEqual([
      [6939, 'sent'],
      [34305, 'sent'],
    ]);
    expect(
      (
        await t.api(
          'POST',
          '/api/email/bulk/',
          { template: 'peering-request', peeringdb_nets: [999999] },
          { role: 'operator' },
        )
      ).body.errors[0].field,
    ).toBe('peeringdb_nets.0');
    expect(ms.id).toBeGreaterThan(0);
  });

  it('flags requests without a reply after the reminder delay (job)', async () => {
    const st = (await t.api('GET', `/api/peering-requests/?asn=34305&fabric=${fabricId}`)).body.results[0];
    const old = new Date(Date.now() - 10 * 86400_000).toISOString();
    await t.tdb.db.updateTable('peering_requests').set({ last_sent_at: old }).where('id', '=', st.id).execute();
    const job = await t.api('POST', '/api/jobs/', { kind: 'email.reminders', payload: {} });
    expect(job.status, JSON.stringify(job.body)).toBe(202);
    await expect
      .poll(async () => (await t.api('GET', `/api/jobs/${job.body.id}/`)).body.status, { timeout: 30_000 })
      .toBe('succeeded');
    const due = await t.api('GET', '/api/peering-requests/?reminder_due=1');
    expect(due.body.results.map((x: any) => x.asn)).toEqual([34305]);
    const detail = await t.api('GET', `/api/peering-requests/${st.id}/`);
    expect(detail.body.history.at(-1)).toMatchObject({
      action: 'reminder_due',
      username: 'reminders',
      to_status: 'sent',
    });
    // With PEERDESK_MAIL_REMINDER_AUTOSEND the job also queues the follow-up, in the same thread.
    const he = (await t.api('GET', `/api/peering-requests/?asn=6939&fabric=${fabricId}`)).body.results[0];
    await t.tdb.db.updateTable('peering_requests').set({ last_sent_at: old }).where('id', '=', he.id).execute();
    process.env.PEERDESK_MAIL_REMINDER_AUTOSEND = '1';
    try {
      const auto = await t.api('POST', '/api/jobs/', { kind: 'email.reminders', payload: {} });
      await expect
        .poll(async () => (await t.api('GET', `/api/jobs/${auto.body.id}/`)).body.status, { timeout: 30_000 })
        .toBe('succeeded');
      expect((await t.api('GET', `/api/jobs/${auto.body.id}/`)).body.result).toEqual({ due: 1, sent: 1, ids: [he.id] });
    } finally {
      delete process.env.PEERDESK_MAIL_REMINDER_AUTOSEND;
    }
    const heDetail = (await t.api('GET', `/api/peering-requests/${he.id}/`)).body;
    expect(heDetail.history.map((h: any) => [h.action, h.username])).toEqual([
      ['sent', 'operator'],
      ['reminder_due', 'reminders'],
      ['resent', 'reminders'],
    ]);
    expect(heDetail.sent_count).toBe(2);
    const [first, followUp] = heDetail.messages;
    expect(followUp).toMatchObject({
      kind: 'reminder',
      in_reply_to: first.message_id,
      to: [{ name: 'Peering', address: 'peering@he.net' }],
    });
    expect(followUp.body).toContain('have not heard back yet');
    expect((await waitFor(followUp.id, ['sent'])).status).toBe('sent');
  });

  it('versions e-mail templates and refuses syntax errors with line and column', async () => {
    const bad = await t.api(
      'POST',
      '/api/email-templates/',
      { name: 'broken', subject: 'x', body: 'Hello {% if %}' },
      { role: 'admin' },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('body');
    expect(bad.body.errors[0].message).toMatch(/^line 1, column \d+/);
    const c = await t.api(
      'POST',
      '/api/email-templates/',
      {
        name: 'peering-request',
        purpose: 'request',
        subject: 'Peering AS{{ peer.asn }}',
        body: 'Hi {{ peer.name }}\n',
      },
      { role: 'admin' },
    );
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    expect(c.body.recipient_roles).toEqual(['Policy', 'Technical', 'NOC']);
    await t.api(
      'PATCH',
      `/api/email-templates/${c.body.id}/`,
      { subject: 'Peering with AS{{ peer.asn }}' },
      { role: 'admin' },
    );
    const v = await t.api('GET', `/api/email-templates/${c.body.id}/versions/`, undefined, { role: 'viewer' });
    expect(v.body.map((x: any) => x.version)).toEqual([2, 1]);
    expect(v.body[0].diff).toContain('-Subject: Peering AS{{ peer.asn }}\n+Subject: Peering with AS{{ peer.asn }}');
    // The stored template overrides the shipped one of the same name.
    const shipped = await t.api('GET', '/api/email-templates/shipped/');
    expect(shipped.body.map((x: any) => x.name)).toEqual([
      'maintenance',
      'noc',
      'peering-request',
      'policy',
      'session-down',
      'technical',
    ]);
    expect(shipped.body.find((x: any) => x.name === 'peering-request').overridden).toBe(true);
    const r = await t.api(
      'POST',
      '/api/email/render/',
      { template: 'peering-request', asn: 6939 },
      { role: 'operator' },
    );
    expect(r.body).toMatchObject({
      subject: 'Peering with AS6939',
      body: 'Hi Hurricane Electric\n',
      template: { name: 'peering-request', version: 2, shipped: false },
    });
    expect(
      (await t.api('POST', '/api/email/render/', { template: 'nope', asn: 6939 }, { role: 'operator' })).body.errors[0]
        .field,
    ).toBe('template');
    expect(
      (await t.api('POST', '/api/email/render/', { template: 'noc', peer_asn: 2147483647 }, { role: 'operator' })).body
        .errors[0].field,
    ).toBe('peer_asn');
  });

  it('answers bad input with 400/404 naming the field, never 500', async () => {
    const cases: [string, string, unknown, number, string | null][] = [
      ['POST', '/api/email/render/', { template: 'noc', asn: 2 ** 40 }, 400, 'asn'],
      ['POST', '/api/email/render/', { template: 'noc', peeringdb_net: 2 ** 31 }, 400, 'peeringdb_net'],
      ['POST', '/api/email/render/', { template: 'noc', peeringdb_net: 123456 }, 400, 'peeringdb_net'],
      ['POST', '/api/email/render/', { template: 'noc', asn: 6939, vars: { '1bad': 'x' } }, 400, 'vars.1bad'],
      ['POST', '/api/email/render/', { template: 'noc', asn: 6939, fabric: 999999 }, 400, 'fabric'],
      ['POST', '/api/email/render/', { template: 'noc', asn: 6939, peeringdb_net: 694 }, 400, 'asn'],
      ['POST', '/api/email/render/', { template: '../../etc/passwd', asn: 6939 }, 400, 'template'],
      ['POST', '/api/email/render/', { template: 'noc' }, 400, 'peer_asn'],
      ['POST', '/api/email/send/', { to: [], subject: 'x', body: 'x' }, 400, 'to'],
      [
        'POST',
        '/api/email/send/',
        { to: [{ address: 'a@b.example' }], subject: 'x', body: 'x', fabric: fabricId },
        400,
        'fabric',
      ],
      ['POST', '/api/email/send/', { to: [{ address: 'a@b.example' }], subject: 'x', body: 'x\u0000' }, 400, 'body'],
      [
        'POST',
        '/api/email/send/',
        { to: [{ address: 'a@b.example' }], subject: 'x', body: 'x', as_request: true },
        400,
        'as_request',
      ],
      ['POST', '/api/email/bulk/', { template: 'noc', router: 999999 }, 400, 'router'],
      ['POST', '/api/email/bulk/', { template: 'noc' }, 400, 'peer_asns'],
      ['POST', '/api/outbox/999999/retry/', undefined, 404, null],
      ['POST', '/api/peering-requests/999999/accept/', {}, 404, null],
      ['GET', '/api/peering-requests/999999/', undefined, 404, null],
      ['GET', '/api/outbox/?fabric=abc', undefined, 400, 'fabric'],
      ['GET', '/api/peering-requests/?asn=-1', undefined, 400, 'asn'],
      ['GET', '/api/email/contacts/?asn=x', undefined, 400, 'querystring.asn'],
      ['POST', '/api/contacts/', { peer_asn: 999999, name: 'X', role: 'NOC', email: 'x@y.example' }, 400, 'peer_asn'],
      ['POST', '/api/contacts/', { peer_asn: 1, name: 'X', role: 'Boss', email: 'x@y.example' }, 400, 'role'],
      ['POST', '/api/email-templates/', { name: 'x', subject: '{{', body: '' }, 400, 'subject'],
    ];
    for (const [method, url, body, status, field] of cases) {
      // E-mail templates are admin-written (like config templates); everything else here is an operator's.
      const r = await t.api(method, url, body, {
        role: url.startsWith('/api/email-templates/') ? 'admin' : 'operator',
      });
      expect(r.status, `${method} ${url} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`).toBe(status);
      if (field)
        expect(
          r.body.errors.map((e: any) => e.field),
          url,
        ).toContain(field);
    }
  });

  it('refuses a From or CC setting that could carry a header', () => {
    expect(() =>
      mailConfig({ PEERDESK_MAIL_FROM: 'Peering\r\nBcc: victim@evil.example <peering@peerdesk.example>' }),
    ).toThrow(/PEERDESK_MAIL_FROM/);
    expect(() => mailConfig({ PEERDESK_MAIL_CC: 'team@peerdesk.example\nBcc: victim@evil.example' })).toThrow(
      /PEERDESK_MAIL_CC/,
    );
    expect(() => mailConfig({ PEERDESK_SMTP_URL: 'http://relay.example' })).toThrow(/PEERDESK_SMTP_URL/);
    expect(mailConfig({ PEERDESK_MAIL_FROM: '"Example Peering" <peering@peerdesk.example>' }).from).toEqual({
      name: 'Example Peering',
      address: 'peering@peerdesk.example',
    });
  });
});
