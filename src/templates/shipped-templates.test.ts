// Shipped templates render the fixture context; FRR and BIRD output is checked by the daemons' own parsers.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findTool, labSkipReason } from '../../test/support/lab.ts';
import { createPeerdeskEnvironment } from './environment.ts';

const ctx = JSON.parse(readFileSync(new URL('../../test/fixtures/render-context.json', import.meta.url), 'utf8'));
const render = (name: string): string => createPeerdeskEnvironment().getTemplate(name).render(ctx);
const tmp = mkdtempSync(join(tmpdir(), 'peerdesk-tpl-'));

function parserCheck(cmd: string, args: (file: string) => string[], text: string, name: string): void {
  const file = join(tmp, name);
  writeFileSync(file, text);
  try {
    execFileSync(cmd, args(file), { stdio: 'pipe', timeout: 20_000 });
  } catch (err) {
    const e = err as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`${cmd} rejected ${name}:\n${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}`);
  }
}

/** Every shipped template must cover the same features; these are the fixture's markers of each. */
function expectCommonFeatures(out: string): void {
  for (const ip of ['192.0.2.1', '2001:db8::1', '203.0.113.129', '198.51.100.10', '2001:db8:100::250']) expect(out).toContain(ip);
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
    expect(out).toContain('import [ IRR-PL-AS64510-V4 IXP-IN ];');
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

  describe.skipIf(labSkipReason('vtysh', 'frr'))('FRR parser', () => {
    it('vtysh --dryrun accepts frr.j2 output', () => {
      parserCheck(findTool('vtysh')!, (f) => ['--dryrun', '-f', f], render('frr.j2'), 'frr.conf');
    });
    it('vtysh --dryrun rejects a broken config (the check is real)', () => {
      expect(() => parserCheck(findTool('vtysh')!, (f) => ['--dryrun', '-f', f], render('frr.j2') + '\nrouter bgp 1\n neighbor bogus-command here\n', 'bad-frr.conf')).toThrow(/rejected/);
    });
  });

  describe.skipIf(labSkipReason('bird', 'bird2'))('BIRD parser', () => {
    it('bird -p accepts bird2.j2 output', () => {
      parserCheck(findTool('bird')!, (f) => ['-p', '-c', f], render('bird2.j2'), 'bird.conf');
    });
    it('bird -p rejects a broken config (the check is real)', () => {
      expect(() => parserCheck(findTool('bird')!, (f) => ['-p', '-c', f], render('bird2.j2') + '\nprotocol bgp x { bogus; }\n', 'bad-bird.conf')).toThrow(/rejected/);
    });
  });
});
