// Shipped templates render the fixture context; FRR and BIRD output is checked by the daemons' own parsers.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findTool, labSkipReason } from '../../test/support/lab.ts';
import {
  acceptsAll,
  birdChannels,
  checkEos,
  checkIosxr,
  checkJunos,
  checkSros,
  ciscoStylePolicies,
  junosPolicies,
} from '../../test/lab/config-grammar.ts';
import { createPeerdeskEnvironment } from './environment.ts';
import { engineOptions, SHIPPED_TEMPLATE_OPTIONS } from './templates.resource.ts';
import type { RenderContext } from './context.ts';

const ctx = JSON.parse(
  readFileSync(new URL('../../test/fixtures/render-context.json', import.meta.url), 'utf8'),
) as RenderContext;
// Shipped templates render strict: a name missing from the context is an error, never an empty line.
const renderWith = (name: string, c: RenderContext): string =>
  createPeerdeskEnvironment(engineOptions(SHIPPED_TEMPLATE_OPTIONS))
    .getTemplate(name)
    .render(c as never);
const render = (name: string): string => renderWith(name, ctx);

/** The fixture without any policy, prefix list or peer group: nothing filters any session. */
function bareContext(): RenderContext {
  const clear = <T extends object>(o: T) => ({ ...o, import_routing_policies: [], export_routing_policies: [] });
  return {
    ...ctx,
    route_maps: [],
    routing_policies: [],
    prefix_lists: [],
    peer_groups: [],
    bgp_groups: [],
    autonomous_systems: ctx.autonomous_systems.map(clear),
    internet_exchange_points: ctx.internet_exchange_points.map(clear),
    fabrics: ctx.fabrics.map(clear),
    sessions: ctx.sessions.map((s) => ({
      ...clear(s),
      peer_group: null,
      address_families: s.address_families.map((a) => ({
        ...a,
        route_map_in: null,
        route_map_out: null,
        prefix_list_in: null,
        prefix_list_out: null,
      })),
    })),
  };
}

/** Names as PeeringDB has them: quotes, parentheses, dots, non-ASCII, very long; empty descriptions. */
function hostileContext(): RenderContext {
  const names = ['AS6667 _ ELISA (DE_CIX FRA)', 'Société "Télé" d.o.o. {x}; !#', '日本ネット', 'x'.repeat(300)];
  return {
    ...ctx,
    router: { ...ctx.router, name: 'edge1 "main" (203.0.113.10)', hostname: '203.0.113.10' },
    sessions: ctx.sessions.map((s, i) => ({
      ...s,
      description: '',
      peer_name: names[i % names.length],
      name: names[i % names.length],
    })),
    peer_groups: ctx.peer_groups.map((g) => ({ ...g, description: '' })),
  };
}
const tmp = mkdtempSync(join(tmpdir(), 'peerdesk-tpl-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function parserCheck(cmd: string, args: (file: string) => string[], text: string, name: string): void {
  const file = join(tmp, name);
  writeFileSync(file, text);
  try {
    execFileSync(cmd, args(file), { stdio: 'pipe', timeout: 60_000 });
  } catch (err) {
    const e = err as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`${cmd} rejected ${name}:\n${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}`);
  }
}

/** Every shipped template must cover the same features; these are the fixture's markers of each. */
function expectCommonFeatures(out: string): void {
  for (const ip of ['192.0.2.1', '2001:db8::1', '203.0.113.129', '198.51.100.10', '2001:db8:100::250'])
    expect(out).toContain(ip);
  for (const group of ['TRANSIT', 'PNI', 'IXP[-_]PEERS', 'IXP[-_]RS']) expect(out).toMatch(new RegExp(group));
  expect(out).toMatch(/PL-AS64510-V4|PL_AS64510_V4/);
  expect(out).toContain('100.81.0.0/18');
  expect(out).toMatch(/TRANSIT-IN|TRANSIT_IN/);
  expect(out).toMatch(/\b250000\b/);
  expect(out).toMatch(/\b45\b/);
  expect(out).not.toMatch(/None|Undefined|\{\{|\{%/);
}

describe('shipped templates', () => {
  it('junos.j2', () => {
    const out = render('junos.j2');
    expectCommonFeatures(out);
    expect(out).toContain('authentication-key "s3cret-T";');
    expect(out).toContain('multihop ttl 2;');
    expect(out).toContain('bfd-liveness-detection');
    expect(out).toContain('prefix-limit');
    expect(out).toContain('import [ CHECK-PL-AS64510-V4 IXP-IN PEERDESK-ACCEPT ];');
    expect(out).toContain('import [ TRANSIT-IN SESSION-IN PEERDESK-REJECT ];');
    expect(out).toContain('export [ CHECK-PL-OURS-V6 IXP-OUT PEERDESK-ACCEPT ];');
    expect(out).toContain('100.81.0.0/18 prefix-length-range /20-/24;');
  });

  it('eos.j2', () => {
    const out = render('eos.j2');
    expectCommonFeatures(out);
    expect(out).toContain('neighbor 192.0.2.1 password 7 070C285F4D06');
    expect(out).toContain('neighbor 2001:db8:100::10 password 0 ix6pass');
    expect(out).toContain('neighbor 192.0.2.1 ebgp-multihop 2');
    expect(out).toContain('neighbor TRANSIT bfd');
    expect(out).toContain('neighbor 2001:db8:100::10 maximum-routes 45 warning-limit 90 percent');
  });

  it('iosxr.j2', () => {
    const out = render('iosxr.j2');
    expectCommonFeatures(out);
    expect(out).toContain('password encrypted 070C285F4D06');
    expect(out).toContain('password clear ix6pass');
    expect(out).toContain('  100.81.0.0/18 ge 20 le 24,\n  100.82.0.0/24\nend-set');
    expect(out).toContain('bfd fast-detect');
    expect(out).toContain('maximum-prefix 60 90');
  });

  it('sros.j2', () => {
    const out = render('sros.j2');
    expectCommonFeatures(out);
    expect(out).toContain('authentication-key "pni-md5"');
    expect(out).toContain('multihop 2');
    expect(out).toContain('bfd-liveness true');
    expect(out).toContain('prefix-limit ipv6 {');
    expect(out).toContain('admin-state disable');
  });

  it('frr.j2 renders the features', () => {
    const out = render('frr.j2');
    expectCommonFeatures(out);
    expect(out).toContain(' neighbor 192.0.2.1 password s3cret-T');
    expect(out).toContain(' neighbor TRANSIT ebgp-multihop 2');
    expect(out).toContain(' neighbor 192.0.2.1 bfd profile fast');
    expect(out).toContain('  neighbor 2001:db8:100::10 maximum-prefix 45 90');
    expect(out).toContain('ip prefix-list PL-AS64510-V4 seq 10 permit 100.81.0.0/18 ge 20 le 24');
  });

  it('bird2.j2 renders the features', () => {
    const out = render('bird2.j2');
    expectCommonFeatures(out);
    expect(out).toContain('password "s3cret-T";');
    expect(out).toContain('multihop 2;');
    expect(out).toContain('bfd on;');
    expect(out).toContain('import limit 45 action restart;');
    expect(out).toContain('100.81.0.0/18{20,24}');
  });

  it('FRR names the router, never its management address', () => {
    expect(
      render('frr.j2')
        .split('\n')
        .filter((l) => l.startsWith('hostname')),
    ).toEqual(['hostname edge1']);
    expect(renderWith('frr.j2', hostileContext())).toContain('\nhostname edge1-main-203.0.113.10\n');
  });

  it('every template passes its grammar with hostile names and never writes an empty description', () => {
    const c = hostileContext();
    expect(checkJunos(renderWith('junos.j2', c))).toEqual([]);
    expect(checkEos(renderWith('eos.j2', c))).toEqual([]);
    expect(checkIosxr(renderWith('iosxr.j2', c))).toEqual([]);
    expect(checkSros(renderWith('sros.j2', c))).toEqual([]);
    for (const name of ['junos.j2', 'eos.j2', 'iosxr.j2', 'sros.j2', 'frr.j2', 'bird2.j2']) {
      const out = renderWith(name, c);
      expect(out, name).not.toMatch(/description\s*("")?\s*;?\s*$/m);
      expect(out, name).not.toMatch(/[^\x00-\x7f]/);
    }
    const bird = renderWith('bird2.j2', c);
    // v4 and v6 sessions of one peer get different protocol names.
    expect(bird).toContain('protocol bgp AS64500_AS6667_ELISA_DE_CIX_FRA_v4 from TRANSIT {');
    expect(bird).toContain('protocol bgp AS64500_Societe_Tele_d_o_o_x_v6 from TRANSIT {');
    expect(bird).toContain('description "AS64500 Societe \'Tele\' d.o.o. {x}; !#";');
    const junos = renderWith('junos.j2', c);
    expect(junos).toContain('description "AS64500 Societe \'Tele\' d.o.o. {x}; !#";');
    expect(junos).not.toContain('policy-options {\n}');
  });

  it('the fixture grammar checks catch what they are for (the checks are real)', () => {
    expect(checkJunos('protocols {\n    bgp {\n        description "";\n    }\n}\npolicy-options {\n}\n')).toEqual([
      'empty block: policy-options {\n}',
      'line 3: empty description',
    ]);
    expect(checkEos(' neighbor 192.0.2.1 description \n neighbor 192.0.2.1 route-map NOPE in\n')).toEqual([
      'line 1: bad description: neighbor 192.0.2.1 description',
      'line 2: route-map NOPE is not defined',
    ]);
    expect(checkIosxr('route-policy A B\n  pass\n')).toEqual([
      'line 1: bad name route-policy A B',
      'route-policy A B not closed',
    ]);
    expect(checkSros('configure {\n  description ""\n  x {\n  }\n')).toEqual([
      'braces unbalanced at the end (depth 1)',
      'empty block: x {\n  }',
      'line 2: empty description',
    ]);
  });

  it('RFC 8212: sessions without any filter import and export nothing on every platform', () => {
    const c = bareContext();
    const n = c.sessions.length;
    const bird = birdChannels(renderWith('bird2.j2', c));
    expect(bird).toHaveLength(n);
    expect(bird.every((x) => x.import === 'none' && x.export === 'none')).toBe(true);
    for (const name of ['frr.j2', 'eos.j2'] as const) {
      const ps = ciscoStylePolicies(renderWith(name, c));
      expect(ps, name).toHaveLength(n);
      expect(
        ps.every((x) => x.import === 'route-map PEERDESK-DENY' && x.export === 'route-map PEERDESK-DENY'),
        name,
      ).toBe(true);
    }
    const junos = junosPolicies(renderWith('junos.j2', c));
    expect(junos).toHaveLength(n);
    expect(junos.every((x) => x.import === 'PEERDESK-REJECT' && x.export === 'PEERDESK-REJECT')).toBe(true);
    const iosxr = renderWith('iosxr.j2', c);
    expect(iosxr.match(/route-policy PEERDESK-DROP in/g)).toHaveLength(n);
    expect(iosxr.match(/route-policy PEERDESK-DROP out/g)).toHaveLength(n);
    expect(renderWith('sros.j2', c).match(/policy \["PEERDESK-REJECT"\]/g)).toHaveLength(2 * n + 2);
    // ...and with the fixture's filters no session accepts everything.
    expect(
      birdChannels(render('bird2.j2')).filter((x) => acceptsAll('bird', x.import) || acceptsAll('bird', x.export)),
    ).toEqual([]);
    expect(
      ciscoStylePolicies(render('frr.j2')).filter((x) => acceptsAll('frr', x.import) || acceptsAll('frr', x.export)),
    ).toEqual([]);
    expect(
      junosPolicies(render('junos.j2')).filter((x) => acceptsAll('junos', x.import) || acceptsAll('junos', x.export)),
    ).toEqual([]);
  });

  describe.skipIf(labSkipReason('vtysh', 'frr'))('FRR parser', () => {
    it('vtysh --dryrun accepts frr.j2 output for hostile names and for sessions without filters', () => {
      parserCheck(
        findTool('vtysh')!,
        (f) => ['--dryrun', '-f', f],
        renderWith('frr.j2', hostileContext()),
        'frr-hostile.conf',
      );
      parserCheck(
        findTool('vtysh')!,
        (f) => ['--dryrun', '-f', f],
        renderWith('frr.j2', bareContext()),
        'frr-bare.conf',
      );
    }, 150_000);
    it('vtysh --dryrun accepts frr.j2 output', () => {
      parserCheck(findTool('vtysh')!, (f) => ['--dryrun', '-f', f], render('frr.j2'), 'frr.conf');
    });
    it('vtysh --dryrun rejects a broken config (the check is real)', () => {
      expect(() =>
        parserCheck(
          findTool('vtysh')!,
          (f) => ['--dryrun', '-f', f],
          render('frr.j2') + '\nrouter bgp 1\n neighbor bogus-command here\n',
          'bad-frr.conf',
        ),
      ).toThrow(/rejected/);
    });
  });

  describe.skipIf(labSkipReason('bird', 'bird2'))('BIRD parser', () => {
    it('bird -p accepts bird2.j2 output for hostile names and for sessions without filters', () => {
      parserCheck(
        findTool('bird')!,
        (f) => ['-p', '-c', f],
        renderWith('bird2.j2', hostileContext()),
        'bird-hostile.conf',
      );
      parserCheck(findTool('bird')!, (f) => ['-p', '-c', f], renderWith('bird2.j2', bareContext()), 'bird-bare.conf');
    }, 150_000);
    it('bird -p accepts bird2.j2 output', () => {
      parserCheck(findTool('bird')!, (f) => ['-p', '-c', f], render('bird2.j2'), 'bird.conf');
    });
    it('bird -p rejects a broken config (the check is real)', () => {
      expect(() =>
        parserCheck(
          findTool('bird')!,
          (f) => ['-p', '-c', f],
          render('bird2.j2') + '\nprotocol bgp x { bogus; }\n',
          'bad-bird.conf',
        ),
      ).toThrow(/rejected/);
    });
  });
});
