// Addresses, prefixes, ASNs and communities: what operators type, and what must be refused.
import { describe, expect, it } from 'vitest';
import { isIrrSetName, parseAsn, parseIp, parsePrefix, prefixContains } from '../../src/platform/ip.ts';
import { communityError } from '../../src/routers/catalogue.resource.ts';

describe('IP parsing', () => {
  it('canonicalises and keys addresses so keys sort numerically', () => {
    expect(parseIp('2001:DB8:0:0::1')!.text).toBe('2001:db8::1');
    expect(parseIp('198.51.100.42')!.key).toBe('4c633642a');
    const ips = ['10.0.0.9', '9.255.255.255', '10.0.0.10', '2001:db8::1', '::1'].map((s) => parseIp(s)!);
    expect([...ips].sort((a, b) => (a.key < b.key ? -1 : 1)).map((i) => i.text)).toEqual([
      '9.255.255.255',
      '10.0.0.9',
      '10.0.0.10',
      '::1',
      '2001:db8::1',
    ]);
  });
  it('refuses malformed addresses', () => {
    for (const bad of ['1.2.3', '300.1.1.1', '1.2.3.4/24', '2001:db8:::1', 'fe80::1%eth0', '', 'abc', '01.2.3.4x'])
      expect(parseIp(bad), bad).toBeNull();
  });
  it('parses prefixes, strict about host bits, and tests containment', () => {
    expect(parsePrefix('80.81.192.0/21')).toMatchObject({ text: '80.81.192.0/21', family: 4, length: 21 });
    expect(parsePrefix('80.81.192.1/21', { strict: true })).toEqual({
      error: 'has host bits set (did you mean 80.81.192.0/21?)',
    });
    expect((parsePrefix('2001:7f8::/64') as any).text).toBe('2001:7f8::/64');
    expect(parsePrefix('2001:db8::/129')).toEqual({ error: 'prefix length must be 0..128' });
    const p = parsePrefix('80.81.192.0/21') as any;
    expect(prefixContains(p, parseIp('80.81.199.255')!)).toBe(true);
    expect(prefixContains(p, parseIp('80.81.200.0')!)).toBe(false);
    expect(prefixContains(p, parseIp('2001:7f8::1')!)).toBe(false);
  });
});

describe('ASN parsing', () => {
  it('accepts asplain, AS-prefixed and asdot within 32 bits', () => {
    expect(parseAsn(64512)).toBe(64512);
    expect(parseAsn('AS64512')).toBe(64512);
    expect(parseAsn('1.10')).toBe(65546);
    expect(parseAsn('4294967295')).toBe(4294967295);
    expect(parseAsn('65535.65535')).toBe(4294967295);
  });
  it('refuses out-of-range and non-ASN input', () => {
    for (const bad of [4294967296, -1, 1.5, 'AS-FOO', '65536.0', '', '1.2.3', 'AS'])
      expect(parseAsn(bad as any), String(bad)).toBeNull();
  });
  it('knows IRR set names', () => {
    for (const ok of ['AS-EXAMPLE', 'RIPE::AS-EXAMPLE', 'AS64500:AS-CUSTOMERS', 'RIPE::AS1299:AS-TWELVE99', 'AS64500'])
      expect(isIrrSetName(ok), ok).toBe(true);
    for (const bad of ['EXAMPLE', 'AS-', '::AS-X', 'AS-X Y']) expect(isIrrSetName(bad), bad).toBe(false);
  });
});

describe('community validation', () => {
  it('accepts standard, extended and large communities', () => {
    expect(communityError('standard', '65000:100')).toBeNull();
    expect(communityError('standard', 'no-export')).toBeNull();
    expect(communityError('extended', 'rt:65000:100')).toBeNull();
    expect(communityError('extended', 'soo:192.0.2.1:7')).toBeNull();
    expect(communityError('large', '4200000000:1:2')).toBeNull();
  });
  it('refuses values out of range for their kind', () => {
    const standard =
      'a standard community is ASN:VALUE with both parts 0..65535 (or a well-known name such as no-export)';
    expect(communityError('standard', '65536:1')).toBe(standard);
    expect(communityError('standard', '1:2:3')).toBe(standard);
    expect(communityError('large', '4294967296:1:1')).toBe(
      'a large community is GLOBAL:LOCAL1:LOCAL2 with each part 0..4294967295',
    );
    expect(communityError('extended', 'rt:4200000000:70000')).toBe('value must be 0..65535 for a 4-byte ASN');
    expect(communityError('extended', 'xx:1:1')).toBe(
      'an extended community is TYPE:ADMIN:VALUE with TYPE rt or soo (e.g. rt:65000:100)',
    );
  });
});
