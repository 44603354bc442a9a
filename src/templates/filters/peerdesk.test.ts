// Peerdesk filters over the fixture render context (Peering Manager names and meanings).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createPeerdeskEnvironment } from '../environment.ts';
import type { RenderContext } from '../context.ts';

const ctx = JSON.parse(
  readFileSync(new URL('../../../test/fixtures/render-context.json', import.meta.url), 'utf8'),
) as RenderContext;
// These are Peering Manager's filters: render with its dialect (its `indent`).
const env = createPeerdeskEnvironment({ dialect: 'peering-manager' });
const r = (tpl: string, extra: Record<string, unknown> = {}): string =>
  env.fromString(tpl).render({ ...ctx, ...extra });

describe('Peering Manager filters', () => {
  it('ipv4 / ipv6 / ip / ip_version', () => {
    expect(r('{{ "192.0.2.1" | ipv4 }}|{{ "192.0.2.1" | ipv6 }}|{{ "2001:DB8::1" | ipv6 }}|{{ "10.1" | ipv4 }}')).toBe(
      '192.0.2.1|None|2001:db8::1|None',
    );
    expect(r('{{ "192.0.2.1/24" | ip }} {{ "2001:db8::1/64" | ip }} {{ "nope" | ip }}')).toBe(
      '192.0.2.1 2001:db8::1 None',
    );
    expect(r('{{ sessions[0] | ip_version }} {{ sessions[1] | ip_version }} {{ "2001:db8::1" | ip_version }}')).toBe(
      '4 6 6',
    );
    expect(r('{% if sessions[1].remote_ip | ipv6 %}v6{% endif %}')).toBe('v6');
  });

  it('ip_network and mac', () => {
    expect(
      r('{{ "192.0.2.77/24" | ip_network }} {{ "2001:db8::1/64" | ip_network }} {{ "192.0.2.1" | ip_network }}'),
    ).toBe('192.0.2.0/24 2001:db8::/64 192.0.2.1/32');
    expect(r('{{ "00-1A-2b-3c-4D-5e" | mac }} {{ "001a.2b3c.4d5e" | mac("cisco") }} {{ "x" | mac }}')).toBe(
      '00:1a:2b:3c:4d:5e 001a.2b3c.4d5e None',
    );
  });

  it('max_prefix prefers the address family, then the peer AS', () => {
    expect(
      r(
        '{{ sessions[2] | max_prefix }} {{ sessions[3] | max_prefix }} {{ sessions[4] | max_prefix }} {{ sessions[4] | max_prefix(4) }}',
      ),
    ).toBe('60 200 45 200');
  });

  it('prefix_list reads the stored IRR lists', () => {
    expect(
      r('{% for p in sessions[3] | prefix_list(4) %}{{ p.prefix }}{% if p.le %}<={{ p.le }}{% endif %} {% endfor %}'),
    ).toBe('100.80.0.0/16<=24 100.81.0.0/18<=24 100.82.0.0/24 ');
    expect(
      r(
        '{{ 64510 | prefix_list | length }} {{ 64510 | prefix_list(6) | map(attribute="prefix") | list }} {{ 64999 | prefix_list }}',
      ),
    ).toBe("4 ['2001:db8:8000::/33'] []");
    expect(r('{{ ("PL-OURS-V4" | prefix_list)[1].exact }} {{ ("PL-OURS-V4" | prefix_list)[0].exact }}')).toBe(
      'False True',
    );
  });

  it('as_list and strip_irr_sources', () => {
    expect(r('{{ sessions[3] | as_list }} {{ "AS-CONTENT" | as_list }} {{ 64999 | as_list }}')).toBe(
      '[64510, 64511, 64512] [64501, 64502] [64999]',
    );
    expect(
      r(
        '{{ "RIPE::AS-FOO" | strip_irr_sources }} {{ "RADB::AS-A, RIPE::AS-B" | strip_irr_sources }} {{ "AS-PLAIN" | strip_irr_sources }}',
      ),
    ).toBe('AS-FOO AS-A, AS-B AS-PLAIN');
  });

  it('sessions / direct_sessions / ixp_sessions / route_server / local_ips', () => {
    expect(r('{{ autonomous_systems[1] | sessions | iterate("remote_ip") }}')).toBe("['192.0.2.1', '2001:db8::1']");
    expect(
      r(
        '{{ 64510 | sessions(6) | iterate("id") }} {{ router | sessions | length }} {{ peer_groups[2] | sessions | length }}',
      ),
    ).toBe('[5] 7 2');
    expect(r('{{ router | direct_sessions | iterate("id") }} {{ router | ixp_sessions(4) | iterate("id") }}')).toBe(
      '[1, 2] [3, 4, 6]',
    );
    expect(r('{{ internet_exchange_points[0] | route_server | iterate("remote_ip") }}')).toBe(
      "['198.51.100.250', '2001:db8:100::250']",
    );
    expect(r('{{ internet_exchange_points[0] | local_ips }} {{ internet_exchange_points[0] | local_ips(6) }}')).toBe(
      "['198.51.100.1', '2001:db8:100::1'] ['2001:db8:100::1']",
    );
  });

  it('iterate and unique_items', () => {
    expect(
      r(
        '{{ sessions | iterate("peer_asn") | unique_items }} {{ sessions | unique_items("peer_group") | iterate("peer_group") }}',
      ),
    ).toBe("[64500, 64501, 64510, 64520] ['TRANSIT', 'PNI', 'IXP-PEERS', 'IXP-RS']");
  });

  it('indent follows Peering Manager (every line), and Jinja2 when called with booleans', () => {
    expect(r('{{ "a\\nb" | indent(2) }}')).toBe('  a\n  b');
    expect(r('{{ " a\\n   b" | indent(1, "\\t", true) }}')).toBe('\ta\n\tb');
    expect(r('{{ "a\\nb" | indent(2, true) }}')).toBe('  a\n  b');
    expect(r('{{ "a\\nb" | indent(2, false) }}')).toBe('a\n  b');
  });

  it('as_json / as_yaml / safe_string / quote', () => {
    expect(r('{{ {"b": 1, "a": [true, none]} | as_json }}')).toBe('{"b": 1, "a": [true, null]}');
    expect(r('{{ {"b": 1, "a": ["x", "yes"], "c": {}} | as_yaml }}')).toBe("a:\n- x\n- 'yes'\nb: 1\nc: {}\n");
    expect(r('{{ "Réseau Ünïcode™ ☃" | safe_string }}')).toBe('Reseau UnicodeTM ');
    expect(r('{{ "x" | quote }} {{ "x" | quote("\'") }}')).toBe('"x" \'x\'');
  });

  it('cisco_password / arista_password strip the type marker', () => {
    expect(
      r(
        '{{ sessions[0].encrypted_password | cisco_password }} {{ "7 ABC" | arista_password }} {{ "plain" | cisco_password }}',
      ),
    ).toBe('070C285F4D06 ABC plain');
  });

  it('communities and merge_communities', () => {
    expect(r('{{ sessions[3] | communities | iterate("value") }}')).toBe("['64496:1:64510']");
    expect(
      r(
        '{{ sessions[3] | merge_communities | iterate("value") }} {{ sessions[0] | merge_communities | iterate("name") }}',
      ),
    ).toBe("['64496:1:64510', '64496:300'] ['learned-transit']");
  });

  it('iter and merge import/export policies', () => {
    expect(
      r(
        '{{ sessions[0] | iter_import_policies("slug") }} {{ peer_groups[0] | iter_export_policies | iterate("name") }}',
      ),
    ).toBe("['session-in'] ['TRANSIT-OUT']");
    expect(
      r(
        '{{ sessions[0] | merge_import_policies | iterate("name") }} {{ sessions[3] | merge_export_policies | iterate("name") }}',
      ),
    ).toBe("['SESSION-IN', 'TRANSIT-IN'] ['IXP-OUT']");
    expect(r('{{ sessions[2] | merge_import_policies("reverse") | iterate("name") }}')).toBe("['PEER-IN']");
  });

  it('contact and config context keys', () => {
    expect(
      r(
        '{{ autonomous_systems[1] | contact("noc", "email") }} {{ sessions[2] | contact("policy", "name") }} {{ sessions[3] | contact("noc") }}',
      ),
    ).toBe('noc@transit.example Peering Team None');
    expect(
      r(
        '{{ router | context_has_key("syslog") }} {{ router | context_get_key("syslog") }} {{ router | context_get_key("nope", "dflt") }}',
      ),
    ).toBe('True 203.0.113.50 dflt');
  });

  it('NetBox plugin filters: as_path_regex, ip_network, group_by, to_community_list, to_prefix_set', () => {
    expect(
      r(
        '{{ sessions[0] | as_path_regex }} {{ [64500, 64501] | as_path_regex }} {{ 64500 | as_path_regex("junos") }} {{ 64500 | as_path_regex("bird") }}',
      ),
    ).toBe('^64500(_[0-9]+)*$ ^(64500|64501)(_[0-9]+)*$ 64500 .* [= 64500 * =]');
    expect(
      r('{% for g, ss in (sessions | group_by("peer_group")).items() %}{{ g }}={{ ss | length }} {% endfor %}'),
    ).toBe('TRANSIT=2 PNI=1 IXP-PEERS=2 IXP-RS=2 ');
    expect(r('{{ ["learned-ixp", "64496:999"] | to_community_list }}')).toBe("['64496:300', '64496:999']");
    expect(r('{{ "PL-AS64510-V4" | to_prefix_set }}')).toBe(
      "['100.80.0.0/16 le 24', '100.81.0.0/18 ge 20 le 24', '100.82.0.0/24']",
    );
  });
});
