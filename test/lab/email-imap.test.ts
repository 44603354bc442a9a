// Replies from a real IMAP server: Debian's dovecot on loopback. A request goes out over SMTP, the
// peer's answer is delivered into the mailbox (IMAP APPEND), and the poll job attaches it by
// In-Reply-To / References: the request becomes "replied" and shows the reply; other mail is left alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { ImapFlow } from 'imapflow';
import { engines } from '../support/db.ts';
import { labSkipReason } from '../support/lab.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { sharedData } from '../support/shared-data.ts';
import { startDovecot, startSmtpLab, type DovecotLab, type SmtpLab } from '../support/mail-lab.ts';
import { importPeeringDb } from '../../src/peeringdb/peeringdb.import.ts';
import { startWorker, type WorkerHandle } from '../../src/jobs/worker.ts';

const skip = labSkipReason('dovecot', 'dovecot-imapd');
const ENV_KEYS = [
  'PEERDESK_SMTP_URL',
  'PEERDESK_MAIL_FROM',
  'PEERDESK_MAIL_CC',
  'PEERDESK_IMAP_URL',
  'PEERDESK_MAIL_TEST_MODE',
  'PEERDESK_MAIL_RATE_PER_DOMAIN',
];
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));

/** A reply as a peer's mail client would write it. */
function replyMessage(o: {
  from: string;
  subject: string;
  messageId: string;
  inReplyTo?: string;
  references?: string;
  body: string;
}): string {
  return [
    `From: ${o.from}`,
    'To: Example Peering <peering@peerdesk.example>',
    `Subject: ${o.subject}`,
    `Message-ID: ${o.messageId}`,
    ...(o.inReplyTo ? [`In-Reply-To: ${o.inReplyTo}`] : []),
    ...(o.references ? [`References: ${o.references}`] : []),
    'Date: Mon, 30 Nov 2026 10:00:00 +0000',
    'Content-Type: text/plain; charset=utf-8',
    '',
    o.body,
    '',
  ].join('\r\n');
}

describe.skipIf(!!skip).each(engines())('replies from IMAP (dovecot) on %s', (engine) => {
  let dovecot: DovecotLab;
  let smtp: SmtpLab;
  let t: TestApp;
  let worker: WorkerHandle;
  const append = async (raw: string) => {
    const c = new ImapFlow({
      host: dovecot.host,
      port: dovecot.port,
      secure: false,
      auth: { user: dovecot.user, pass: dovecot.pass },
      logger: false,
    });
    await c.connect();
    try {
      await c.append('INBOX', raw);
    } finally {
      await c.logout();
    }
  };
  const poll = async () => {
    const j = await t.api('POST', '/api/email/poll/', undefined, { role: 'operator' });
    expect(j.status).toBe(202);
    await expect
      .poll(async () => (await t.api('GET', `/api/jobs/${j.body.job}/`)).body.status, { timeout: 60_000 })
      .toSatisfy((s: string) => s === 'succeeded' || s === 'failed');
    return (await t.api('GET', `/api/jobs/${j.body.job}/`)).body;
  };

  beforeAll(async () => {
    dovecot = await startDovecot();
    smtp = await startSmtpLab();
    Object.assign(process.env, {
      PEERDESK_SMTP_URL: smtp.url,
      PEERDESK_MAIL_FROM: 'Example Peering <peering@peerdesk.example>',
      PEERDESK_MAIL_CC: 'peering-team@peerdesk.example',
      PEERDESK_IMAP_URL: dovecot.url,
      PEERDESK_MAIL_TEST_MODE: '0',
      PEERDESK_MAIL_RATE_PER_DOMAIN: '0',
    });
    t = await startTestApp(engine);
    await importPeeringDb(t.tdb.db, sharedData('peeringdb', 'api'));
    await t.api('POST', '/api/peer-asns/', { asn: 64500, name: 'Example Net', affiliated: true });
    worker = startWorker({ db: t.tdb.db, logger: pino({ level: 'silent' }), pollMs: 50 });
  }, 120_000);
  afterAll(async () => {
    await worker?.stop();
    await t?.close();
    await smtp?.close();
    await dovecot?.stop();
    for (const k of ENV_KEYS)
      if (savedEnv[k] === undefined) delete process.env[k];
      else process.env[k] = savedEnv[k];
  });

  it('attaches a reply delivered into the mailbox to its request, once', async () => {
    const r = await t.api(
      'POST',
      '/api/email/render/',
      { template: 'peering-request', peeringdb_net: 291 },
      { role: 'operator' },
    );
    expect(r.body.to).toEqual([{ name: 'Peering', address: 'peering@he.net' }]);
    const s = await t.api(
      'POST',
      '/api/email/send/',
      {
        to: r.body.to,
        cc: r.body.cc,
        subject: r.body.subject,
        body: r.body.body,
        peeringdb_net: 291,
        as_request: true,
      },
      { role: 'operator' },
    );
    expect(s.status, JSON.stringify(s.body)).toBe(202);
    await expect
      .poll(async () => (await t.api('GET', `/api/outbox/${s.body.id}/`)).body.status, { timeout: 60_000 })
      .toBe('sent');
    const sentMail = smtp.received.find((m) => m.parsed.messageId === s.body.message_id)!;
    expect(sentMail).toBeDefined();

    // Unrelated mail and a reply to somebody else's message are left alone.
    await append(
      replyMessage({
        from: 'Spam <spam@example.org>',
        subject: 'Offer',
        messageId: '<offer-1@example.org>',
        body: 'Buy now',
      }),
    );
    await append(
      replyMessage({
        from: 'Other <x@example.org>',
        subject: 'Re: other',
        messageId: '<other-2@example.org>',
        inReplyTo: '<not-ours@example.org>',
        body: 'Not for you',
      }),
    );
    // The peer answers our message (In-Reply-To).
    await append(
      replyMessage({
        from: 'HE Peering <peering@he.net>',
        subject: `Re: ${sentMail.parsed.subject}`,
        messageId: '<he-reply-1@he.net>',
        inReplyTo: sentMail.parsed.messageId,
        references: sentMail.parsed.messageId,
        body: 'Hi, sessions are configured on our side.',
      }),
    );

    const job = await poll();
    expect(job.status, JSON.stringify(job)).toBe('succeeded');
    expect(job.result).toMatchObject({
      polled: true,
      mailbox: 'INBOX',
      seen: 3,
      attached: 1,
      requests: [s.body.request],
    });

    const req = await t.api('GET', `/api/peering-requests/${s.body.request}/`, undefined, { role: 'viewer' });
    expect(req.body.status).toBe('replied');
    expect(req.body.replied_at).not.toBeNull();
    expect(req.body.replies).toHaveLength(1);
    expect(req.body.replies[0]).toMatchObject({
      message_id: '<he-reply-1@he.net>',
      outbox: s.body.id,
      request: s.body.request,
      in_reply_to: s.body.message_id,
      from: '"HE Peering" <peering@he.net>',
      subject: `Re: ${sentMail.parsed.subject}`,
      date: '2026-11-30T10:00:00.000Z',
    });
    expect(req.body.replies[0].body.trim()).toBe('Hi, sessions are configured on our side.');
    expect(req.body.history.map((h: any) => [h.action, h.to_status, h.username])).toEqual([
      ['sent', 'sent', 'operator'],
      ['replied', 'replied', 'imap'],
    ]);
    expect((await t.api('GET', `/api/outbox/${s.body.id}/`)).body).toMatchObject({
      reply_count: 1,
      replies: [{ message_id: '<he-reply-1@he.net>' }],
    });

    // A later answer in the same thread carries only References; polling again reads only new mail.
    await append(
      replyMessage({
        from: 'HE NOC <noc@he.net>',
        subject: 'Re: Re: peering',
        messageId: '<he-reply-2@he.net>',
        references: `${sentMail.parsed.messageId} <he-reply-1@he.net>`,
        body: 'Sessions are up.',
      }),
    );
    const again = await poll();
    expect(again.result).toMatchObject({ seen: 1, attached: 1 });
    const req2 = await t.api('GET', `/api/peering-requests/${s.body.request}/`);
    expect(req2.body.replies.map((x: any) => x.message_id)).toEqual(['<he-reply-1@he.net>', '<he-reply-2@he.net>']);
    expect(req2.body.status).toBe('replied');
    expect(req2.body.history.at(-1)).toMatchObject({ action: 'reply', to_status: 'replied', username: 'imap' });
    expect((await poll()).result).toMatchObject({ seen: 0, attached: 0 });
  });

  it('a wrong IMAP password fails the poll without showing it', async () => {
    process.env.PEERDESK_IMAP_URL = dovecot.url.replace(dovecot.pass, 'wrong-imap-password');
    try {
      const job = await poll();
      expect(job.status).toBe('failed');
      expect(job.error).toMatch(/^IMAP connection to 127\.0\.6\.\d+:\d+ failed/);
      expect(JSON.stringify(job)).not.toContain('wrong-imap-password');
      const logs = await t.api('GET', `/api/jobs/${job.id}/log/`);
      expect(logs.status).toBe(200);
      expect(logs.body.lines.map((l: any) => l.message)).toContain(
        `polling imap://peering:***@${dovecot.host}:${dovecot.port}/INBOX`,
      );
      expect(JSON.stringify(logs.body)).not.toContain('wrong-imap-password');
    } finally {
      process.env.PEERDESK_IMAP_URL = dovecot.url;
    }
  });
});
