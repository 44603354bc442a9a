// Safe identifiers and descriptions from real-world names, the policy resolution behind RFC 8212
// defaults and warnings, and the per-template dialects.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createPeerdeskEnvironment } from '../environment.ts';
import { safeDescription, safeIdentifier } from './naming.ts';
import { resolveFamilyFilters, resolveSessionFamilies } from './policy.ts';
import { sessionFilterWarnings } from '../warnings.ts';
import type { RenderContext, SessionCtx } from '../context.ts';

const ctx = JSON.parse(
  readFileSync(new URL('../../../test/fixtures/render-context.json', import.meta.url), 'utf8'),
) as RenderContext;
const env = createPeerdeskEnvironment({ undefined: 'strict' });
const r = (tpl: string, extra: Record<string, unknown> = {}): string =>
  env.fromString(tpl).render({ ...ctx, ...extra });

/** A session like the context's, with another peer name, family and address. */
function peer(base: SessionCtx, over: Partial<SessionCtx>): SessionCtx {
  return {
    ...base,
    ...over,
    remote_ip: over.peer_ip ?? base.peer_ip,
    ip_version: over.family ?? base.family,
  } as SessionCtx;
}

describe('identifier', () => {
  it('makes PeeringDB names safe for each platform', () => {
    const name = 'AS6667 _ ELISA (DE_CIX FRA)';
    expect(safeIdentifier(name, 'bird')).toBe('AS6667_ELISA_DE_CIX_FRA');
    expect(safeIdentifier(name, 'frr')).toBe('AS6667-ELISA-DE_CIX-FRA');
    expect(safeIdentifier(name, 'junos')).toBe('AS6667-ELISA-DE_CIX-FRA');
    expect(safeIdentifier('Société "Télé" d.o.o.', 'junos')).toBe('Societe-Tele-d-o-o');
    expect(safeIdentifier('Société "Télé" d.o.o.', 'frr')).toBe('Societe-Tele-d.o.o');
    expect(safeIdentifier('日本ネット', 'bird')).toBe('X');
    expect(safeIdentifier('3 Stars', 'bird')).toBe('X_3_Stars');
    // BIRD's keywords are lowercase: a capital letter keeps a symbol clear of them.
    expect(safeIdentifier('router', 'bird')).toBe('Router');
    expect(safeIdentifier('x'.repeat(300), 'bird')).toHaveLength(64);
    expect(safeIdentifier('x'.repeat(300), 'frr')).toHaveLength(63);
    expect(
      r(
        '{{ "IXP PEERS (v4)" | identifier("eos") }} {{ "a b" | identifier("iosxr") }} {{ "a.b" | identifier("sros") }}',
      ),
    ).toBe('IXP-PEERS-v4 a-b a.b');
    expect(() => r('{{ "a" | identifier("vyos") }}')).toThrow(/unknown platform "vyos"/);
  });

  it('gives every session of a render its own identifier; v4 and v6 of one peer differ', () => {
    const [a] = ctx.sessions;
    const sessions = [
      peer(a, { id: 1, peer_asn: 6667, peer_name: 'ELISA (DE_CIX FRA)', peer_ip: '80.81.192.10', family: 4 }),
      peer(a, { id: 2, peer_asn: 6667, peer_name: 'ELISA (DE_CIX FRA)', peer_ip: '2001:7f8::1a0b:0:1', family: 6 }),
      peer(a, { id: 3, peer_asn: 6667, peer_name: 'ELISA (DE_CIX FRA)', peer_ip: '80.81.192.11', family: 4 }),
      peer(a, {
        id: 4,
        peer_asn: 3356,
        peer_name: 'Lumen "Level 3" Ünïcode ' + 'very long name '.repeat(10),
        peer_ip: '80.81.192.12',
        family: 4,
      }),
    ];
    const out = r(
      '{% for s in sessions %}{{ s | session_identifier("bird") }}|{{ s | session_identifier("junos") }}\n{% endfor %}',
      { sessions },
    );
    expect(out.split('\n').slice(0, 3)).toEqual([
      'AS6667_ELISA_DE_CIX_FRA_v4|AS6667-ELISA-DE_CIX-FRA-v4',
      'AS6667_ELISA_DE_CIX_FRA_v6|AS6667-ELISA-DE_CIX-FRA-v6',
      'AS6667_ELISA_DE_CIX_FRA_v4_2|AS6667-ELISA-DE_CIX-FRA-v4-2',
    ]);
    const long = out.split('\n')[3].split('|');
    expect(long[0]).toMatch(/^AS3356_Lumen_Level_3_Unicode_very_long_name[A-Za-z_]*_v4$/);
    expect(long[0].length).toBeLessThanOrEqual(64);
  });
});

describe('description', () => {
  it('quotes for BIRD, Junos and SR OS, rest-of-line for FRR, EOS and IOS XR; empty when nothing to say', () => {
    const text = 'Liberty "Global" (DE-CIX) ! # ; Ärger\n\tnext';
    expect(safeDescription(text, 'bird')).toBe("Liberty 'Global' (DE-CIX) ! # ; Arger next");
    expect(safeDescription(text, 'frr')).toBe("Liberty 'Global' (DE-CIX) Arger next");
    expect(safeDescription('x'.repeat(200), 'frr')).toHaveLength(80);
    expect(
      r(
        '[{{ "a \\"b\\"" | description("junos") }}] [{{ "a" | description("eos") }}] [{{ "   " | description("junos") }}] [{{ none | description("bird") }}]',
      ),
    ).toBe(`["a 'b'"] [a] [] []`);
    // A session without its own description is described by its peer.
    const s = { ...ctx.sessions[3], description: '' };
    expect(r('{{ s | description("sros") }}|{{ sessions[3] | description("frr") }}', { s })).toBe(
      '"AS64510 Eyeball ISP"|Eyeball ISP (AS64510)',
    );
  });
});

describe('session filters (RFC 8212 defaults)', () => {
  it('resolves the prefix lists, policies and limits every template uses', () => {
    const eyeball6 = ctx.sessions[4];
    expect(resolveFamilyFilters(ctx as never, eyeball6 as never)).toEqual({
      family: 6,
      afi: 'ipv6',
      import_prefix_list: 'PL-AS64510-V6',
      import_prefix_count: 1,
      import_policies: ['IXP-IN'],
      export_prefix_list: 'PL-OURS-V6',
      export_prefix_count: 1,
      export_policies: ['IXP-OUT'],
      max_prefixes: 45,
      import_filtered: true,
      export_filtered: true,
    });
    // Without its own list the peer AS's IRR list is used; without any, nothing filters.
    const bare = {
      ...ctx.sessions[3],
      address_families: [
        {
          ...ctx.sessions[3].address_families[0],
          prefix_list_in: null,
          prefix_list_out: null,
          route_map_in: null,
          route_map_out: null,
        },
      ],
      import_routing_policies: [],
      export_routing_policies: [],
      peer_group: null,
    };
    const plain = {
      ...ctx,
      autonomous_systems: ctx.autonomous_systems.map((a) => ({
        ...a,
        import_routing_policies: [],
        export_routing_policies: [],
      })),
      internet_exchange_points: ctx.internet_exchange_points.map((x) => ({
        ...x,
        import_routing_policies: [],
        export_routing_policies: [],
      })),
    };
    const f = resolveSessionFamilies(plain as never, bare as never)[0];
    expect([f.import_prefix_list, f.import_policies, f.export_prefix_list, f.export_policies]).toEqual([
      'PL-AS64510-V4',
      [],
      null,
      [],
    ]);
    expect(f.export_filtered).toBe(false);
    const none = { ...bare, peer_asn: 65999 };
    expect(resolveSessionFamilies(plain as never, none as never)[0].import_filtered).toBe(false);
    expect(sessionFilterWarnings(none as never, plain as never)).toEqual([
      'AS65999 Eyeball ISP 198.51.100.10 (session 4): no import filter for IPv4 (no prefix list or IRR prefix list with entries, no import policy): the shipped templates import nothing from it',
      'AS65999 Eyeball ISP 198.51.100.10 (session 4): no export policy or prefix list with entries for IPv4: the shipped templates export nothing to it',
    ]);
    expect(sessionFilterWarnings(ctx.sessions[4], ctx as never)).toEqual([]);
    expect(r('{% set p = sessions[0] | session_filters %}{{ p.import_policies }} {{ p.max_prefixes }}')).toBe(
      "['TRANSIT-IN', 'SESSION-IN'] 1000000",
    );
  });
});

describe('dialects', () => {
  const tpl = '{{ "a\\nb" | indent(2) }}';
  it('jinja2 (the default) and netbox use Jinja2 indent; peering-manager indents the first line', () => {
    expect(createPeerdeskEnvironment().fromString(tpl).render({})).toBe('a\n  b');
    expect(createPeerdeskEnvironment({ dialect: 'netbox' }).fromString(tpl).render({})).toBe('a\n  b');
    expect(createPeerdeskEnvironment({ dialect: 'peering-manager' }).fromString(tpl).render({})).toBe('  a\n  b');
  });
  it("netbox has the plugin's filters but not Peering Manager's", () => {
    const nb = createPeerdeskEnvironment({ dialect: 'netbox' });
    expect(nb.fromString('{{ "192.0.2.7/24" | ip_network }} {{ 64500 | as_path_regex }}').render({})).toBe(
      '192.0.2.0/24 ^64500(_[0-9]+)*$',
    );
    expect(() => nb.fromString('{{ "192.0.2.1" | ipv4 }}').render({})).toThrow(/ipv4/);
    expect(createPeerdeskEnvironment().fromString('{{ "192.0.2.1" | ipv4 }}').render({})).toBe('192.0.2.1');
  });
});

describe('withContextAliases', () => {
  it("renders every shipped template strictly from the NetBox plugin's context names", async () => {
    const { withContextAliases } = await import('../context.ts');
    const plugin = {
      device: { id: 1, name: 'rt1', platform: 'frr', site: 'MTL' },
      local_as: { asn: 64500 },
      sessions: [
        {
          id: 7,
          name: 'peer',
          description: '',
          status: 'active',
          enabled: true,
          ttl: null,
          local_asn: 64500,
          peer_asn: 64512,
          peer_name: 'Péer (one)',
          irr_as_set: null,
          ipv4_max_prefixes: 100,
          ipv6_max_prefixes: null,
          local_ip: '198.51.100.1',
          remote_ip: '198.51.100.10',
          password: null,
          relationship: null,
          service_reference: null,
          bfd_profile: null,
          peer_group: null,
          peering_network: null,
          address_families: [
            {
              afi: 'ipv4',
              safi: 'unicast',
              route_map_in: null,
              route_map_out: null,
              prefix_list_in: null,
              prefix_list_out: null,
            },
          ],
          afi_safis: ['ipv4-unicast'],
        },
      ],
      peer_groups: [],
      route_maps: [],
      prefix_lists: [],
      communities: [],
    };
    const ctx2 = withContextAliases(plugin);
    const strict = createPeerdeskEnvironment({ undefined: 'strict' });
    for (const name of ['bird2.j2', 'frr.j2', 'junos.j2', 'eos.j2', 'iosxr.j2', 'sros.j2'])
      expect(strict.getTemplate(name).render(ctx2), name).toContain('198.51.100.10');
    expect(strict.getTemplate('frr.j2').render(ctx2)).toContain(
      '  neighbor 198.51.100.10 route-map PEERDESK-DENY in\n  neighbor 198.51.100.10 route-map PEERDESK-DENY out\n  neighbor 198.51.100.10 maximum-prefix 100 90\n',
    );
    expect((ctx2.sessions as Record<string, unknown>[])[0]).toMatchObject({
      peer_ip: '198.51.100.10',
      family: 4,
      remote_asn: 64512,
      network: null,
    });
    expect(plugin.sessions[0]).not.toHaveProperty('peer_ip');
  });
});
