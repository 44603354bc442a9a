// Mail settings from PEERDESK_* environment variables, validated with readable errors. Read on use
// (not cached) so a test or an operator changing the environment of a long-lived worker is seen.
import { z } from 'zod';
import { ValidationError } from '../platform/errors.ts';
import { parseAddress, type MailAddress } from './headers.ts';

const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['1', 'true', 'yes', 'on'].includes(v));

const url = (schemes: string[]) =>
  z
    .string()
    .trim()
    .refine(
      (v) => {
        try {
          const u = new URL(v);
          return schemes.includes(u.protocol) && u.hostname !== '';
        } catch {
          return false;
        }
      },
      `must be a URL like ${schemes.map((s) => `${s}//user:pass@host:port`).join(' or ')}`,
    );

const address = z
  .string()
  .trim()
  .refine(
    (v) => parseAddress(v) !== null,
    'must be an e-mail address, optionally with a name: "Peering <peering@example.net>"',
  );

const schema = z.object({
  PEERDESK_SMTP_URL: url(['smtp:', 'smtps:']).optional(),
  PEERDESK_MAIL_FROM: address.optional(),
  PEERDESK_MAIL_CC: address.optional(),
  PEERDESK_IMAP_URL: url(['imap:', 'imaps:']).optional(),
  PEERDESK_MAIL_TEST_MODE: bool.default(false),
  PEERDESK_MAIL_RATE_PER_DOMAIN: z.coerce.number().int().min(0).max(100_000).default(10),
  PEERDESK_MAIL_RESEND_WARNING_DAYS: z.coerce.number().int().min(0).max(3650).default(14),
  PEERDESK_MAIL_REMINDER_DAYS: z.coerce.number().int().min(1).max(3650).default(7),
  PEERDESK_MAIL_REMINDER_AUTOSEND: bool.default(false),
  PEERDESK_MAIL_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
});

export interface MailConfig {
  smtpUrl: string | null;
  from: MailAddress | null;
  cc: MailAddress | null;
  imapUrl: string | null;
  testMode: boolean;
  /** Messages per minute to one recipient domain (0 = no limit). */
  ratePerDomain: number;
  resendWarningDays: number;
  reminderDays: number;
  reminderAutosend: boolean;
  timeoutMs: number;
}

/** The mail settings from an environment (default process.env); a bad value is a 400 naming the variable. */
export function mailConfig(env: Record<string, string | undefined> = process.env): MailConfig {
  const picked = Object.fromEntries(Object.keys(schema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const parsed = schema.safeParse(picked);
  if (!parsed.success)
    throw new ValidationError(parsed.error.issues.map((i) => ({ field: String(i.path[0]), message: i.message })));
  const c = parsed.data;
  return {
    smtpUrl: c.PEERDESK_SMTP_URL ?? null,
    from: c.PEERDESK_MAIL_FROM ? parseAddress(c.PEERDESK_MAIL_FROM) : null,
    cc: c.PEERDESK_MAIL_CC ? parseAddress(c.PEERDESK_MAIL_CC) : null,
    imapUrl: c.PEERDESK_IMAP_URL ?? null,
    testMode: c.PEERDESK_MAIL_TEST_MODE,
    ratePerDomain: c.PEERDESK_MAIL_RATE_PER_DOMAIN,
    resendWarningDays: c.PEERDESK_MAIL_RESEND_WARNING_DAYS,
    reminderDays: c.PEERDESK_MAIL_REMINDER_DAYS,
    reminderAutosend: c.PEERDESK_MAIL_REMINDER_AUTOSEND,
    timeoutMs: c.PEERDESK_MAIL_TIMEOUT_MS,
  };
}

/** A URL with its password replaced, for logs and status output. */
export function redactUrl(u: string | null): string | null {
  if (!u) return null;
  try {
    const parsed = new URL(u);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(invalid URL)';
  }
}
