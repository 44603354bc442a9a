// Replies: reads new messages from the IMAP mailbox (imapflow), parses their headers (mailparser) and
// attaches those answering one of our messages (In-Reply-To / References) to the outbox and request.
import { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';
import type { Db } from '../platform/db.ts';
import { now } from '../platform/db.ts';
import { attachReply } from './email.service.ts';

export interface PollResult {
  mailbox: string;
  seen: number;
  attached: number;
  requests: number[];
}

/** Most messages read per poll (the rest are read by the next one). */
const BATCH = 500;

/** Reads messages after the last UID seen and attaches replies; returns what it found. */
export async function pollReplies(
  db: Db,
  imapUrl: string,
  log: (m: string, level?: 'info' | 'warn' | 'error') => Promise<void>,
  opts: { timeoutMs?: number } = {},
): Promise<PollResult> {
  const u = new URL(imapUrl);
  const mailbox = decodeURIComponent(u.pathname.replace(/^\//, '')) || 'INBOX';
  const secure = u.protocol === 'imaps:';
  const local = ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname) || u.hostname.startsWith('127.');
  const client = new ImapFlow({
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : secure ? 993 : 143,
    secure,
    auth: { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) },
    logger: false,
    // Plain imap:// is for loopback relays only: refuse to send the password unencrypted elsewhere.
    doSTARTTLS: secure ? undefined : local ? undefined : true,
    tls: { rejectUnauthorized: !local },
    connectionTimeout: opts.timeoutMs ?? 30_000,
    greetingTimeout: opts.timeoutMs ?? 30_000,
    socketTimeout: (opts.timeoutMs ?? 30_000) * 2,
  });
  const result: PollResult = { mailbox, seen: 0, attached: 0, requests: [] };
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `IMAP connection to ${u.hostname}:${u.port || (secure ? 993 : 143)} failed: ${redact((err as Error).message, u.password)}`,
    );
  }
  try {
    const box = await client.mailboxOpen(mailbox, { readOnly: true });
    const validity = String(box.uidValidity);
    const state = await db.selectFrom('email_imap_state').selectAll().where('mailbox', '=', mailbox).executeTakeFirst();
    // A new UIDVALIDITY means the UIDs were renumbered: read the mailbox from the start again.
    const lastUid = state && state.uidvalidity === validity ? Number(state.last_uid) : 0;
    let maxUid = lastUid;
    if (box.exists > 0) {
      const uids: number[] = (await client.search({ uid: `${lastUid + 1}:*` }, { uid: true })) || [];
      const wanted = uids
        .filter((x) => x > lastUid)
        .sort((a, b) => a - b)
        .slice(0, BATCH);
      if (wanted.length) {
        for await (const msg of client.fetch(wanted.join(','), { uid: true, source: true }, { uid: true })) {
          result.seen++;
          maxUid = Math.max(maxUid, msg.uid);
          if (!msg.source) continue;
          const parsed = await simpleParser(msg.source, { skipHtmlToText: false, skipImageLinks: true });
          const messageId = parsed.messageId ?? `<imap-${validity}-${msg.uid}@${u.hostname}>`;
          const refs = Array.isArray(parsed.references)
            ? parsed.references
            : parsed.references
              ? String(parsed.references).split(/\s+/)
              : [];
          const att = await db.transaction().execute((tx) =>
            attachReply(tx, {
              messageId,
              inReplyTo: parsed.inReplyTo ?? null,
              references: refs.filter(Boolean),
              from: parsed.from?.text ?? '',
              subject: parsed.subject ?? '',
              body: parsed.text ?? '',
              date: parsed.date ? parsed.date.toISOString() : null,
              mailbox,
              uid: msg.uid,
            }),
          );
          if (att) {
            result.attached++;
            if (att.requestId !== null) result.requests.push(att.requestId);
            await log(
              `UID ${msg.uid}: reply ${messageId} attached${att.requestId !== null ? ` to request ${att.requestId}` : ''}`,
            );
          }
        }
      }
    }
    const t = now();
    if (state)
      await db
        .updateTable('email_imap_state')
        .set({ uidvalidity: validity, last_uid: maxUid, polled_at: t })
        .where('mailbox', '=', mailbox)
        .execute();
    else
      await db
        .insertInto('email_imap_state')
        .values({ mailbox, uidvalidity: validity, last_uid: maxUid, polled_at: t })
        .execute();
  } finally {
    await client.logout().catch(() => client.close());
  }
  return result;
}

function redact(message: string, password: string): string {
  return password ? message.split(decodeURIComponent(password)).join('***') : message;
}
