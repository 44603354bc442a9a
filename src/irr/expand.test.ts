import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadArinRoutes, type RouteObject } from '../../test/support/arin-routes.ts';
import { startIrrdServer, type IrrdServer } from '../../test/support/irrd-server.ts';
import { labSkipReason } from '../../test/support/lab.ts';
import { expandAsSet, parseTarget, refreshMany, validateAsSet } from './expand.ts';
import { TEST_AS_SETS } from './fixtures.test-helper.ts';
import { IrrPool } from './whois.client.ts';

const run = promisify(execFile);
const AS112: RouteObject[] = ['192.31.196.0/24', '192.175.48.0/24', '2001:4:112::/48', '2620:4f:8000::/48'].map(
  (prefix) => ({
    prefix,
    origin: 112,
    source: 'RIPE',
  }),
);

let withA: IrrdServer;
let withoutA: IrrdServer;
const pools: IrrPool[] = [];
const poolFor = (s: IrrdServer, extra: Partial<ConstructorParameters<typeof IrrPool>[0]> = {}) => {
  const p = new IrrPool({ host: s.host, port: s.port, timeoutMs: 5000, ...extra });
  pools.push(p);
  return p;
};

beforeAll(async () => {
  const arin = loadArinRoutes();
  const routes = [...arin.v4, ...arin.v6, ...AS112];
  withA = await startIrrdServer({ routes, asSets: TEST_AS_SETS, sources: ['ARIN', 'RIPE'] });
  withoutA = await startIrrdServer({ routes, asSets: TEST_AS_SETS, sources: ['ARIN', 'RIPE'], supportsA: false });
});
afterAll(async () => {
  for (const p of pools) p.close();
  await withA?.close();
  await withoutA?.close();
});

describe('parseTarget', () => {
  it('recognises ASNs, sets, hierarchical names and source notation', () => {
    expect(parseTarget('as112')).toMatchObject({ kind: 'asn', asn: 112 });
    expect(parseTarget('AS-FOO')).toMatchObject({ kind: 'set', name: 'AS-FOO' });
    expect(parseTarget('AS123:AS-FOO')).toMatchObject({ kind: 'set', name: 'AS123:AS-FOO' });
    expect(parseTarget('ripe::AS-FOO')).toMatchObject({ kind: 'set', name: 'AS-FOO', source: 'RIPE' });
    expect(() => parseTarget('hello world')).toThrow(/neither an ASN/);
  });
});

describe('expandAsSet', () => {
  it('expands nested sets with a loop and a missing member, same result with and without !a', async () => {
    const a = await expandAsSet('AS-PEERDESK', {}, poolFor(withA));
    const b = await expandAsSet('AS-PEERDESK', {}, poolFor(withoutA));
    expect(a.report.strategy).toBe('a-query');
    expect(b.report.strategy).toBe('origins');
    expect(a.origins).toEqual([174, 209, 6128, 11232, 20115, 46887]);
    expect(b.origins).toEqual(a.origins);
    expect(a.report.ignoredAsns).toEqual([64500]);
    expect(a.prefixes.ipv4.length).toBeGreaterThan(1000);
    expect(b.prefixes).toEqual(a.prefixes);
    expect(new Set(a.prefixes.ipv4).size).toBe(a.prefixes.ipv4.length);
  });

  it('prefixesOnly: the same lists without asking for the members when !a works, and with them when not', async () => {
    const full = await expandAsSet('AS-PEERDESK', {}, poolFor(withA));
    const before = withA.queries.length;
    const lean = await expandAsSet('AS-PEERDESK', { prefixesOnly: true }, poolFor(withA));
    const sent = withA.queries.slice(before);
    expect(sent).not.toContain('!iAS-PEERDESK,1');
    expect(sent).toContain('!a4AS-PEERDESK');
    expect(lean.entries).toEqual(full.entries);
    expect(lean.report.exists).toBe(true);
    expect(lean.origins).toEqual([]);
    expect((await expandAsSet('AS-NOPE', { families: [4], prefixesOnly: true }, poolFor(withA))).report.exists).toBe(
      false,
    );
    // Without !a the members are needed for the per-origin queries: asked for after the probe.
    const noA = await expandAsSet('AS-PEERDESK', { prefixesOnly: true }, poolFor(withoutA));
    expect(noA.report.strategy).toBe('origins');
    expect(noA.entries).toEqual(full.entries);
    expect(noA.origins).toEqual(full.origins);
  });

  it('reports an unknown set as empty rather than failing', async () => {
    const r = await expandAsSet('AS-NOPE', { families: [4] }, poolFor(withA));
    expect(r.report.exists).toBe(false);
    expect(r.prefixes.ipv4).toEqual([]);
  });

  it('honours SOURCE:: notation and per-call sources', async () => {
    const pool = poolFor(withA);
    const ripe = await expandAsSet('RIPE::AS-DUAL', { families: [4] }, pool);
    const arin = await expandAsSet('ARIN::AS-DUAL', { families: [4] }, pool);
    expect(ripe.origins).toEqual([209, 11232, 46887]);
    expect(arin.origins).toEqual([174]);
    // ARIN's own data holds one of AS112's two routes; the other is only in our RIPE objects.
    const onlyArin = await expandAsSet('AS112', { families: [4], sources: ['ARIN'] }, pool);
    expect(onlyArin.prefixes.ipv4).toEqual(['192.175.48.0/24']);
    const back = await expandAsSet('AS112', { families: [4] }, pool);
    expect(back.prefixes.ipv4).toEqual(['192.31.196.0/24', '192.175.48.0/24']);
  });
});

describe('validateAsSet', () => {
  it('reports members, depth, loops, missing and empty sets, and prefix counts', async () => {
    const r = await validateAsSet('AS-PEERDESK', {}, poolFor(withA));
    expect(r.exists).toBe(true);
    expect(r.members).toEqual(['AS-CUSTOMERS', 'AS-MISSING', 'AS209', 'AS3356:AS-TRANSIT']);
    expect(r.depth).toBe(3);
    expect(r.loops).toEqual([['AS-PEERDESK', 'AS-CUSTOMERS', 'AS-PEERDESK']]);
    expect(r.missing).toEqual(['AS-MISSING']);
    expect(r.nestedSets.sort()).toEqual(['AS-CUSTOMERS', 'AS-DEEP', 'AS-MISSING', 'AS3356:AS-TRANSIT']);
    expect(r.prefixCount.ipv4).toBeGreaterThan(1000);
    expect(r.prefixCount.ipv6).toBeGreaterThan(100);
    const empty = await validateAsSet('AS-EMPTY', {}, poolFor(withoutA));
    expect(empty).toMatchObject({ exists: true, empty: ['AS-EMPTY'], depth: 0 });
    const missing = await validateAsSet('AS-NOPE', {}, poolFor(withA));
    expect(missing.exists).toBe(false);
  });
});

describe('refreshMany', () => {
  it('expands a batch through one pool, keeps order and isolates failures', async () => {
    const seen: number[] = [];
    const out = await refreshMany(
      ['AS112', { target: 'AS-DEEP', key: 7 }, 'not a target', 'AS-PEERDESK'],
      { families: [4, 6], concurrency: 2, ratePerSecond: 1000, onProgress: (p) => seen.push(p.done) },
      poolFor(withA, { size: 2 }),
    );
    expect(out.map((o) => o.ok)).toEqual([true, true, false, true]);
    expect(out[1].key).toBe(7);
    expect(out[2].error).toMatch(/neither an ASN/);
    expect(out[0].result?.prefixes.ipv6).toEqual(['2001:4:112::/48', '2620:4f:8000::/48']);
    expect(seen).toEqual([1, 2, 3, 4]);
  });
});

const skip = labSkipReason('bgpq4', 'bgpq4');
describe.skipIf(skip !== null)('cross-check with Debian bgpq4 on the same server', () => {
  const bgpq4Json = async (server: IrrdServer, args: string[]): Promise<Array<Record<string, unknown>>> => {
    const { stdout } = await run('bgpq4', ['-h', server.address, '-j', '-l', 'X', ...args], { maxBuffer: 64 << 20 });
    return (JSON.parse(stdout) as { X: Array<Record<string, unknown>> }).X;
  };
  const asJson = (entries: Awaited<ReturnType<typeof expandAsSet>>['entries']['ipv4']) =>
    entries.map((e) =>
      e.exact
        ? { prefix: e.prefix, exact: true }
        : e.ge !== undefined
          ? { prefix: e.prefix, exact: false, 'greater-equal': e.ge, 'less-equal': e.le }
          : { prefix: e.prefix, exact: false, 'less-equal': e.le },
    );
  const targets = ['AS-PEERDESK', 'AS3356:AS-TRANSIT', 'AS-DEEP', 'AS209', 'RIPE::AS-DUAL', 'AS-AS112'];
  for (const mode of ['with !a', 'without !a'] as const) {
    for (const target of targets) {
      it(`${target} (${mode}): identical lists for -4/-6, with and without -A, and -A -R`, async () => {
        const server = mode === 'with !a' ? withA : withoutA;
        const pool = poolFor(server);
        for (const fam of [4, 6] as const) {
          for (const [flags, opts] of [
            [[], {}],
            [['-A'], { aggregate: true }],
            [['-A', '-R', fam === 4 ? '24' : '48'], { aggregate: true, maxLength: fam === 4 ? 24 : 48 }],
          ] as const) {
            const want = await bgpq4Json(server, [`-${fam}`, ...flags, target]);
            const got = await expandAsSet(target, { families: [fam], ...opts }, pool);
            const entries = fam === 4 ? got.entries.ipv4 : got.entries.ipv6;
            expect(asJson(entries), `${target} -${fam} ${flags.join(' ')}`).toEqual(want);
          }
        }
      });
    }
  }
});
