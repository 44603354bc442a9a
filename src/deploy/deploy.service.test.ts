import { describe, expect, it } from 'vitest';
import { gobgpDriver } from '../drivers/gobgp/gobgp.driver.ts';
import type { PeerState } from '../drivers/driver.types.ts';
import {
  guardViolation,
  ipsIn,
  prefixListSizes,
  redactSecrets,
  removalLines,
  touchedIps,
  withCommands,
} from './deploy.service.ts';

const peer = (peer_ip: string): PeerState => ({
  vrf: null,
  peer_ip,
  remote_asn: 65000,
  local_asn: 64500,
  local_ip: null,
  description: null,
  state: 'established',
  admin_down: false,
  since: null,
  prefixes_received: 0,
  prefixes_accepted: 0,
  prefixes_advertised: 0,
  families: [],
  last_error: null,
});
const limits = { maxSessionRemovals: 1, maxPrefixShrinkPct: 50 };

describe('deploy guards and helpers', () => {
  it('redacts secrets in FRR, Junos and BIRD syntax', () => {
    expect(
      redactSecrets(' neighbor 192.0.2.1 password s3cret\n authentication-key "$9$abc"; \n  password "bird pw";\n'),
    ).toBe(' neighbor 192.0.2.1 password <redacted>\n authentication-key "<redacted>"; \n  password "<redacted>";\n');
  });

  it('redacts TOML (GoBGP) passwords, quoted with escapes or single quotes', () => {
    expect(
      redactSecrets(
        '    auth-password = "p\\"w d"\n    auth-password=\'x y\'\n neighbor 192.0.2.1 password 7 0822455D0A16\n',
      ),
    ).toBe(
      '    auth-password = "<redacted>"\n    auth-password="<redacted>"\n neighbor 192.0.2.1 password 7 <redacted>\n',
    );
  });

  it('counts GoBGP prefix-set entries for the prefix-list shrink guard', () => {
    const toml =
      '[[defined-sets.prefix-sets]]\n  prefix-set-name = "PL-A"\n  [[defined-sets.prefix-sets.prefix-list]]\n    ip-prefix = "192.0.2.0/24"\n  [[defined-sets.prefix-sets.prefix-list]]\n    ip-prefix = "198.51.100.0/24"\n';
    expect([...gobgpDriver.prefixListSizes!(toml)]).toEqual([['PL-A', 2]]);
  });

  it('finds canonical addresses, not prefixes lengths or AS numbers', () => {
    expect([...ipsIn('neighbor 2001:DB8::0:1 remote-as 65001\nnetwork 203.0.113.0/26\n neighbor 192.0.2.1 x')]).toEqual(
      ['2001:db8::1', '203.0.113.0', '192.0.2.1'],
    );
    expect([
      ...touchedIps(
        '--- running\n+++ candidate\n@@ -1 +1 @@\n- neighbor 192.0.2.1 remote-as 1\n+ neighbor 192.0.2.9 remote-as 1\n  neighbor 192.0.2.5 x\n',
      ),
    ]).toEqual(['192.0.2.9', '192.0.2.1']);
  });

  it('refuses removing more than N sessions, unless they stay in the candidate', () => {
    const before = [peer('192.0.2.1'), peer('192.0.2.2'), peer('192.0.2.3')];
    const diff = '- neighbor 192.0.2.1 remote-as 1\n- neighbor 192.0.2.2 remote-as 1\n';
    expect(guardViolation(before, '', 'router bgp 1\n', diff, 'replace', limits)).toEqual({
      check: 'sessions_removed',
      reason: 'the change removes 2 BGP sessions (192.0.2.1, 192.0.2.2); at most 1 without force',
    });
    expect(guardViolation(before, '', 'neighbor 192.0.2.2 remote-as 2\n', diff, 'replace', limits)).toBeNull();
  });

  it('refuses shrinking a prefix list by more than P % (merge: only lists the candidate writes)', () => {
    const running = [
      'ip prefix-list A seq 5 permit 10.0.0.0/8',
      'ip prefix-list A seq 10 permit 11.0.0.0/8',
      'ip prefix-list A seq 15 permit 12.0.0.0/8',
      'ip prefix-list B seq 5 permit 13.0.0.0/8',
    ].join('\n');
    expect([...prefixListSizes(running)]).toEqual([
      ['A', 3],
      ['B', 1],
    ]);
    const cand = 'ip prefix-list A seq 5 permit 10.0.0.0/8\n';
    expect(guardViolation([], running, cand, '', 'merge', limits)).toEqual({
      check: 'prefix_list_shrink',
      reason: 'prefix list A shrinks from 3 to 1 entries (67%); at most 50% without force',
    });
    expect(
      guardViolation([], running, `${cand}ip prefix-list A seq 10 permit 11.0.0.0/8\n`, '', 'merge', limits),
    ).toBeNull();
    expect(
      guardViolation([], running, `${cand}ip prefix-list A seq 10 permit 11.0.0.0/8\n`, '', 'replace', limits),
    ).toEqual({
      check: 'prefix_list_shrink',
      reason: 'prefix list B shrinks from 1 to 0 entries (100%); at most 50% without force',
    });
  });

  it('merge-mode removal statements: EOS / IOS-XR `no neighbor`, Junos `delete:` in the group that holds it', () => {
    const junos =
      'protocols {\n    bgp {\n        group IX {\n            neighbor 192.0.2.6 {\n                peer-as 64502;\n            }\n        }\n        group T {\n            neighbor 2001:db8::1;\n        }\n    }\n}\n';
    expect(removalLines('junos', junos, '192.0.2.6', 64500)).toBe(
      'protocols {\n    bgp {\n        group IX {\n            delete: neighbor 192.0.2.6;\n        }\n    }\n}\n',
    );
    expect(removalLines('junos', junos, '2001:DB8::1', 64500)).toBe(
      'protocols {\n    bgp {\n        group T {\n            delete: neighbor 2001:db8::1;\n        }\n    }\n}\n',
    );
    expect(removalLines('junos', junos, '192.0.2.9', 64500)).toBe('');
    expect(
      removalLines('eos', 'router bgp 64500\n   neighbor 198.51.100.9 remote-as 64509\n', '198.51.100.9', 64500),
    ).toBe('router bgp 64500\n   no neighbor 198.51.100.9\n');
    expect(removalLines('iosxr', 'router bgp 64500\n', '198.51.100.9', 64500)).toBe('');
    expect(removalLines('sros', '', '198.51.100.9', 64500)).toBeNull();
  });

  it('one-time commands go before and after the candidate, one line each', () => {
    expect(withCommands('a\nb', ['x'], ['y', 'z'])).toBe('x\na\nb\ny\nz\n');
    expect(withCommands('a\n')).toBe('a\n');
  });
});
