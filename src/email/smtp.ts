// SMTP delivery over nodemailer: one message from address objects and a fixed Message-ID, with
// errors classified as permanent (5xx: do not retry) or transient (connection, 4xx: retry later).
import nodemailer from 'nodemailer';
import { cleanHeader, type MailAddress } from './headers.ts';

export interface OutgoingMessage {
  from: MailAddress;
  to: MailAddress[];
  cc: MailAddress[];
  subject: string;
  body: string;
  messageId: string;
  inReplyTo?: string | null;
  references?: string[];
}

export interface SendResult {
  accepted: string[];
  rejected: string[];
  response: string;
}

/** A delivery failure: permanent ones (SMTP 5xx) are not retried. */
export class SmtpError extends Error {
  readonly permanent: boolean;
  readonly responseCode: number | null;
  constructor(message: string, permanent: boolean, responseCode: number | null) {
    super(message);
    this.name = 'SmtpError';
    this.permanent = permanent;
    this.responseCode = responseCode;
  }
}

// Only what we set: address objects (nodemailer encodes names itself) and values cleaned once more,
// so even a value that slipped past validation cannot start a new header line.
const addr = (a: MailAddress) => ({ name: cleanHeader(a.name, 200), address: a.address });

/** Sends one message over the SMTP URL (smtp:// or smtps://, optional user:pass). */
export async function sendSmtp(
  smtpUrl: string,
  msg: OutgoingMessage,
  opts: { timeoutMs?: number } = {},
): Promise<SendResult> {
  const u = new URL(smtpUrl);
  const secure = u.protocol === 'smtps:';
  const timeout = opts.timeoutMs ?? 30_000;
  const transport = nodemailer.createTransport({
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : secure ? 465 : 25,
    secure,
    auth: u.username ? { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } : undefined,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    // Local relays on loopback commonly have self-signed certificates; elsewhere verify them.
    tls: {
      rejectUnauthorized:
        !['127.0.0.1', 'localhost', '::1', '[::1]'].includes(u.hostname) && !u.hostname.startsWith('127.'),
    },
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  try {
    const info = await transport.sendMail({
      from: addr(msg.from),
      to: msg.to.map(addr),
      cc: msg.cc.map(addr),
      subject: cleanHeader(msg.subject),
      text: msg.body,
      messageId: msg.messageId,
      inReplyTo: msg.inReplyTo ?? undefined,
      references: msg.references?.length ? msg.references : undefined,
      headers: { 'Auto-Submitted': 'no' },
    });
    return {
      accepted: (info.accepted ?? []).map(String),
      rejected: (info.rejected ?? []).map(String),
      response: String(info.response ?? ''),
    };
  } catch (err) {
    throw classify(err, u.password ? decodeURIComponent(u.password) : null);
  } finally {
    transport.close();
  }
}

/** Turns a nodemailer error into an SmtpError with the server's reason and no secret in it. */
function classify(err: unknown, password: string | null): SmtpError {
  const e = err as { message?: string; responseCode?: number; response?: string; code?: string };
  const code = typeof e.responseCode === 'number' ? e.responseCode : null;
  let message = e.response ? `${e.code ? `${e.code}: ` : ''}${e.response}` : (e.message ?? String(err));
  if (password) message = message.split(password).join('***');
  message = cleanHeader(message, 1000);
  return new SmtpError(message, code !== null && code >= 500 && code < 600, code);
}
