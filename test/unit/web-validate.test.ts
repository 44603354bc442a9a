// The UI's field checks (web/src/lib/validate.ts) accept, normalise and refuse exactly as the API's
// Zod fields do: the same inputs go through both, and the expected answers are spelled out.
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { asn, color, ipAddress, irrAsSet, prefix, slug } from '../../src/platform/fields.ts';
import {
  asnValue,
  checkAsn,
  checkAsSet,
  checkColour,
  checkIp,
  checkPrefix,
  checkSlug,
  ipFamily,
  type Checked,
} from '../../web/src/lib/validate.ts';

/** The API's answer for one input, in the UI module's shape (the first issue's message). */
function server<T>(schema: z.ZodType<T>, input: unknown): Checked<T> {
  const r = schema.safeParse(input);
  return r.success ? { ok: true, value: r.data } : { ok: false, error: r.error.issues[0]!.message };
}

type Case<T> = [input: string, expected: Checked<T>];
const yes = <T>(value: T) => ({ ok: true as const, value });
const no = (error: string) => ({ ok: false as const, error });

const ASN_RANGE = 'must be an ASN between 1 and 4294967295 (asdot like 1.10 accepted)';
const asnCases: Case<number>[] = [
  ['64500', yes(64500)],
  ['AS64500', yes(64500)],
  ['as64500', yes(64500)],
  [' AS65000 ', yes(65000)],
  ['1.10', yes(65546)],
  ['AS1.0', yes(65536)],
  ['65535.65535', yes(4294967295)],
  ['4294967295', yes(4294967295)],
  ['1', yes(1)],
  ['0', no('AS 0 is reserved and cannot be used by a BGP speaker (RFC 7607)')],
  ['AS0', no('AS 0 is reserved and cannot be used by a BGP speaker (RFC 7607)')],
  ['4294967296', no(ASN_RANGE)],
  ['65536.0', no(ASN_RANGE)],
  ['1.65536', no(ASN_RANGE)],
  ['12345678901', no(ASN_RANGE)],
  ['-1', no(ASN_RANGE)],
  ['64500x', no(ASN_RANGE)],
  ['AS-FOO', no(ASN_RANGE)],
  ['1.2.3', no(ASN_RANGE)],
  ['', no(ASN_RANGE)],
];

const ipCases: Case<string>[] = [
  ['198.51.100.42', yes('198.51.100.42')],
  [' 192.0.2.1 ', yes('192.0.2.1')],
  ['2001:DB8:0:0::1', yes('2001:db8::1')],
  ['2001:0db8:0000:0000:0000:0000:0000:0001', yes('2001:db8::1')],
  ['::ffff:192.0.2.1', yes('::ffff:c000:201')],
  ['::', yes('::')],
  ['1.2.3', no('"1.2.3" is not a valid IPv4 or IPv6 address')],
  ['300.1.1.1', no('"300.1.1.1" is not a valid IPv4 or IPv6 address')],
  ['01.2.3.4', no('"01.2.3.4" is not a valid IPv4 or IPv6 address')],
  ['1.2.3.4/24', no('"1.2.3.4/24" is not a valid IPv4 or IPv6 address')],
  ['2001:db8:::1', no('"2001:db8:::1" is not a valid IPv4 or IPv6 address')],
  ['fe80::1%eth0', no('"fe80::1%eth0" is not a valid IPv4 or IPv6 address')],
  ['abc', no('"abc" is not a valid IPv4 or IPv6 address')],
  ['', no('"" is not a valid IPv4 or IPv6 address')],
  ['1'.repeat(65), no('Too big: expected string to have <=64 characters')],
];

const prefixCases: Case<string>[] = [
  ['198.51.100.0/24', yes('198.51.100.0/24')],
  ['2001:DB8::/32', yes('2001:db8::/32')],
  ['0.0.0.0/0', yes('0.0.0.0/0')],
  ['2001:7f8::/64', yes('2001:7f8::/64')],
  ['198.51.100.1/24', no('"198.51.100.1/24" has host bits set (did you mean 198.51.100.0/24?)')],
  ['198.51.100.0/33', no('"198.51.100.0/33" prefix length must be 0..32')],
  ['2001:db8::/129', no('"2001:db8::/129" prefix length must be 0..128')],
  ['198.51.100.0/', no('"198.51.100.0/" prefix length must be 0..32')],
  ['198.51.100.0', no('"198.51.100.0" must be a prefix like 192.0.2.0/24 or 2001:db8::/32')],
  ['300.0.0.0/8', no('"300.0.0.0/8" is not a valid IPv4 or IPv6 prefix')],
  ['1'.repeat(70), no('Too big: expected string to have <=64 characters')],
];

const AS_SET_RULE =
  'must be an AS-SET like AS-EXAMPLE, AS64500:AS-CUSTOMERS or RIPE::AS-EXAMPLE, or an ASN like AS64500';
const asSetCases: Case<string>[] = [
  ['AS-EXAMPLE', yes('AS-EXAMPLE')],
  ['  as-example ', yes('as-example')],
  ['RIPE::AS-EXAMPLE', yes('RIPE::AS-EXAMPLE')],
  ['AS64500:AS-CUSTOMERS', yes('AS64500:AS-CUSTOMERS')],
  ['AS64500', yes('AS64500')],
  ['AS-FOO:AS-BAR', yes('AS-FOO:AS-BAR')],
  ['AS64500:AS64501', no(AS_SET_RULE)],
  ['EXAMPLE', no(AS_SET_RULE)],
  ['AS-', no(AS_SET_RULE)],
  ['AS-FOO BAR', no(AS_SET_RULE)],
  ['RIPE:AS-FOO', no(AS_SET_RULE)],
  ['', no(AS_SET_RULE)],
  [`AS-${'A'.repeat(200)}`, no('Too big: expected string to have <=200 characters')],
];

const slugCases: Case<string>[] = [
  ['transit', yes('transit')],
  ['ix_peer-2', yes('ix_peer-2')],
  ['0day', yes('0day')],
  ['Transit', no('use lower-case letters, digits, - and _')],
  ['-x', no('use lower-case letters, digits, - and _')],
  ['a b', no('use lower-case letters, digits, - and _')],
  ['x'.repeat(101), no('Too big: expected string to have <=100 characters')],
];

const colourCases: Case<string>[] = [
  ['4caf50', yes('4caf50')],
  ['#4CAF50', yes('4caf50')],
  [' Red ', yes('red')],
  ['4caf5', no('must be six hex digits (e.g. 4caf50) or a colour name')],
  ['#12345g', no('must be six hex digits (e.g. 4caf50) or a colour name')],
  ['re', no('must be six hex digits (e.g. 4caf50) or a colour name')],
];

describe('the UI refuses and normalises as the API does', () => {
  const groups = [
    ['ASN', asnCases, checkAsn, asn],
    ['IP address', ipCases, checkIp, ipAddress],
    ['prefix', prefixCases, checkPrefix, prefix],
    ['AS-SET', asSetCases, checkAsSet, irrAsSet],
    ['slug', slugCases, checkSlug, slug],
    ['colour', colourCases, checkColour, color],
  ] as const;
  for (const [what, cases, ui, api] of groups) {
    it(`${what}: ${cases.length} inputs give the expected answer in the UI and in the API`, () => {
      for (const [input, expected] of cases) {
        expect((ui as (s: string) => Checked<unknown>)(input), `UI ${what} ${JSON.stringify(input)}`).toEqual(expected);
        expect(server(api as z.ZodType<unknown>, input), `API ${what} ${JSON.stringify(input)}`).toEqual(expected);
      }
    });
  }

  it('ASNs given as numbers (the wizard keeps PeeringDB ASNs as numbers)', () => {
    for (const [input, expected] of [
      [64500, yes(64500)],
      [4294967295, yes(4294967295)],
      [0, no('AS 0 is reserved and cannot be used by a BGP speaker (RFC 7607)')],
      [4294967296, no(ASN_RANGE)],
      [1.5, no(ASN_RANGE)],
    ] as const) {
      expect(checkAsn(input), String(input)).toEqual(expected);
      expect(server(asn, input), String(input)).toEqual(expected);
    }
  });

  it('helpers: the family of an address and the value of an ASN', () => {
    expect(['192.0.2.1', '2001:db8::1', '10.1', 'x'].map(ipFamily)).toEqual([4, 6, null, null]);
    expect(['AS1.10', '0', '4294967296', '64500'].map(asnValue)).toEqual([65546, null, null, 64500]);
  });
});
