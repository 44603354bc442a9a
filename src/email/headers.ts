// Header safety: every value that reaches a mail header (names, subjects, addresses, contact fields)
// passes through here. Line breaks and NULs are refused in user input and stripped from data we did
// not write (PeeringDB contacts, rendered subjects); addresses must be plain dot-atom addresses.
// Messages are built from nodemailer address objects, never from header strings we concatenate.
import { z } from 'zod';

export interface MailAddress {
  name: string;
  address: string;
}

/** Characters that could end a header line or confuse a mail parser. */
const BREAKS = /[\r\n\0\u2028\u2029\u0085]/;
// Other C0 controls and DEL never belong in a header either.
const CONTROLS = /[\u0000-\u001f\u007f\u2028\u2029\u0085]+/g;

const LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/** Whether a string contains a line break or NUL (refused in user-typed header values). */
export function hasHeaderBreak(s: string): boolean {
  return BREAKS.test(s);
}

/** A header value with controls replaced by spaces, whitespace collapsed, bounded in length. */
export function cleanHeader(s: string, max = 998): string {
  return s.replace(CONTROLS, ' ').replace(/\s+/g, ' ').trim().slice(0, max);
}

/** Whether an address is a plain `local@domain.tld` (dot-atom local part, hostname domain, ≤ 254 chars). */
export function isValidEmail(addr: string): boolean {
  if (addr.length > 254 || hasHeaderBreak(addr)) return false;
  const at = addr.lastIndexOf('@');
  if (at <= 0 || at !== addr.indexOf('@')) return false;
  const local = addr.slice(0, at);
  const domain = addr.slice(at + 1);
  if (local.length > 64 || !LOCAL.test(local)) return false;
  const labels = domain.split('.');
  return (
    labels.length >= 2 &&
    labels.every((l) => LABEL.test(l)) &&
    /^[A-Za-z][A-Za-z0-9-]*$/.test(labels[labels.length - 1])
  );
}

/** The lower-cased domain of an address. */
export function domainOf(addr: string): string {
  return addr.slice(addr.lastIndexOf('@') + 1).toLowerCase();
}

/** Parses `addr` or `Name <addr>` (name optionally quoted); null when either part is unsafe or invalid. */
export function parseAddress(s: string): MailAddress | null {
  if (hasHeaderBreak(s)) return null;
  const t = s.trim();
  const m = /^(.*?)\s*<([^<>]+)>$/.exec(t);
  const address = (m ? m[2] : t).trim();
  let name = m ? m[1].trim() : '';
  if (/^".*"$/.test(name)) name = name.slice(1, -1);
  if (!isValidEmail(address)) return null;
  return { name: cleanHeader(name, 200), address };
}

/** A contact from data we did not type (PeeringDB, local contacts): cleaned, or null when unusable. */
export function safeContact(name: string | null | undefined, email: string | null | undefined): MailAddress | null {
  const address = (email ?? '').trim();
  if (!isValidEmail(address)) return null;
  return { name: cleanHeader(name ?? '', 200), address };
}

/** Zod schema of a user-typed header text (subject, display name): line breaks and NUL are refused. */
export const headerText = (max: number, what = 'a header value') =>
  z
    .string()
    .max(max)
    .refine(
      (v) => !hasHeaderBreak(v) && !/[\u0000-\u001f\u007f]/.test(v),
      `${what} must not contain line breaks, NUL or other control characters`,
    );

/** Zod schema of a user-typed address: a plain e-mail address (no name, no brackets). */
export const emailAddress = z
  .string()
  .trim()
  .max(254)
  .refine(
    (v) => isValidEmail(v),
    'must be a plain e-mail address like noc@example.net (no line breaks, brackets or commas)',
  );

/** Zod schema of a recipient as the API takes it. */
export const recipient = z.object({ name: headerText(200, 'name').optional(), address: emailAddress }).strict();
