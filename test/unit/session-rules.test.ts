// The session rules shared by the session list, the render context, search and polling.
import { describe, expect, it } from 'vitest';
import {
  ADMIN_DOWN,
  effectiveMaxPrefixes,
  effectiveState,
  maxPrefixUsage,
  MAX_PREFIX_WARN_RATIO,
} from '../../src/sessions/session-rules.ts';

describe('effectiveState', () => {
  it('shows a disabled session as admin-down whatever the router said, on both engines’ boolean forms', () => {
    expect(effectiveState(false, 'established')).toBe('admin-down');
    expect(effectiveState(0, 'established')).toBe('admin-down');
    expect(effectiveState(0, null)).toBe('admin-down');
    expect(ADMIN_DOWN).toBe('admin-down');
  });
  it('shows an enabled session in its polled state, unknown before the first poll', () => {
    expect(effectiveState(true, 'established')).toBe('established');
    expect(effectiveState(1, 'idle')).toBe('idle');
    expect(effectiveState(true, null)).toBe('unknown');
    expect(effectiveState(1, undefined)).toBe('unknown');
  });
});

describe('effectiveMaxPrefixes', () => {
  const asn = { ipv4_max_prefixes: 1000, ipv6_max_prefixes: 200 };
  const group = { ipv4_max_prefixes: 50, ipv6_max_prefixes: 20 };
  it('takes the address family’s own limit first', () => {
    expect(effectiveMaxPrefixes(4, 7, asn, group)).toBe(7);
    expect(effectiveMaxPrefixes(6, '9', asn, group)).toBe(9);
  });
  it('falls back to the peer ASN’s limit of the same family, then the peer group’s', () => {
    expect(effectiveMaxPrefixes(4, null, asn, group)).toBe(1000);
    expect(effectiveMaxPrefixes(6, null, asn, group)).toBe(200);
    expect(effectiveMaxPrefixes(4, null, { ipv4_max_prefixes: null, ipv6_max_prefixes: 200 }, group)).toBe(50);
    expect(effectiveMaxPrefixes(6, undefined, null, group)).toBe(20);
  });
  it('keeps 0 as a set value and answers null when nothing sets a limit', () => {
    expect(effectiveMaxPrefixes(4, 0, asn, group)).toBe(0);
    expect(effectiveMaxPrefixes(4, null, { ipv4_max_prefixes: 0 }, group)).toBe(0);
    expect(effectiveMaxPrefixes(4, null, null, null)).toBeNull();
    expect(effectiveMaxPrefixes(6, null, { ipv4_max_prefixes: 5 }, { ipv4_max_prefixes: 6 })).toBeNull();
  });
});

describe('maxPrefixUsage', () => {
  it('reports the share of the limit and warns from 90%', () => {
    expect(MAX_PREFIX_WARN_RATIO).toBe(0.9);
    expect(maxPrefixUsage(1000, 899)).toEqual({ limit: 1000, received: 899, percent: 89.9, warning: false });
    expect(maxPrefixUsage(1000, 900)).toEqual({ limit: 1000, received: 900, percent: 90, warning: true });
    expect(maxPrefixUsage(3, '4')).toEqual({ limit: 3, received: 4, percent: 133.3, warning: true });
  });
  it('uses the accepted count when no received count is known', () => {
    expect(maxPrefixUsage(200, null, 50)).toEqual({ limit: 200, received: 50, percent: 25, warning: false });
  });
  it('has nothing to say without a positive limit or a count', () => {
    expect(maxPrefixUsage(null, 10)).toBeNull();
    expect(maxPrefixUsage(0, 10)).toBeNull();
    expect(maxPrefixUsage(100, null, null)).toBeNull();
  });
});
