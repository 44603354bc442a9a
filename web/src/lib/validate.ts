// The UI's field checks, with the server's rules and words: ASN, IP address, prefix, AS-SET, slug and
// colour. The parsing is the server's own module (src/platform/ip.ts, bundled into the UI), and each
// message is the one the API's Zod field (src/platform/fields.ts) answers, so the browser refuses
// exactly what the API refuses (test/unit/web-validate.test.ts compares both on the same inputs).
import { ASN_MAX, isIrrSetName, parseAsn as parseAsnText, parseIp, parsePrefix } from '../../../src/platform/ip.ts';

/** A checked input: its normalised value (what the API stores), or the reason it is refused. */
export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const fail = <T>(error: string): Checked<T> => ({ ok: false, error });
/** Zod's own words for a string over its maximum length (the API checks the length first). */
const tooLong = (max: number) => `Too big: expected string to have <=${max} characters`;

/** A BGP speaker's ASN: asplain, `AS65000` or asdot `1.10`, 1..4294967295 (AS 0 is reserved, RFC 7607). */
export function checkAsn(input: string | number): Checked<number> {
  const n = parseAsnText(input);
  if (n === null) return fail(`must be an ASN between 1 and ${ASN_MAX} (asdot like 1.10 accepted)`);
  if (n === 0) return fail('AS 0 is reserved and cannot be used by a BGP speaker (RFC 7607)');
  return ok(n);
}

/** An IPv4 or IPv6 address without length; its value is the canonical text. */
export function checkIp(input: string): Checked<string> {
  if (input.length > 64) return fail(tooLong(64));
  const ip = parseIp(input);
  return ip ? ok(ip.text) : fail(`"${input.slice(0, 64)}" is not a valid IPv4 or IPv6 address`);
}

/** A network prefix with its host bits zero; its value is the canonical text. */
export function checkPrefix(input: string): Checked<string> {
  if (input.length > 64) return fail(tooLong(64));
  const p = parsePrefix(input, { strict: true });
  return 'error' in p ? fail(`"${input.slice(0, 64)}" ${p.error}`) : ok(p.text);
}

/** An IRR AS-SET or ASN reference, optionally with a `SOURCE::` prefix; its value is trimmed. */
export function checkAsSet(input: string): Checked<string> {
  const s = input.trim();
  if (s.length > 200) return fail(tooLong(200));
  return isIrrSetName(s)
    ? ok(s)
    : fail('must be an AS-SET like AS-EXAMPLE, AS64500:AS-CUSTOMERS or RIPE::AS-EXAMPLE, or an ASN like AS64500');
}

/** A slug: lower-case letters, digits, - and _, starting with a letter or digit, at most 100 characters. */
export function checkSlug(input: string): Checked<string> {
  if (input.length > 100) return fail(tooLong(100));
  return /^[a-z0-9][a-z0-9_-]*$/.test(input) ? ok(input) : fail('use lower-case letters, digits, - and _');
}

/** A colour as six hex digits (a leading # is dropped) or a colour name; its value is lower-case. */
export function checkColour(input: string): Checked<string> {
  const v = input.trim().replace(/^#/, '').toLowerCase();
  return /^[0-9a-f]{6}$/.test(v) || /^[a-z]{3,20}$/.test(v)
    ? ok(v)
    : fail('must be six hex digits (e.g. 4caf50) or a colour name');
}

/** The family of a valid IP address, or null. */
export function ipFamily(input: string): 4 | 6 | null {
  return parseIp(input)?.family ?? null;
}

/** The ASN typed (asplain, `AS…` or asdot) as a number, or null when the API would refuse it. */
export function asnValue(input: string | number): number | null {
  const r = checkAsn(input);
  return r.ok ? r.value : null;
}
