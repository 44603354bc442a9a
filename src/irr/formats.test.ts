import { sharedData } from '../../test/support/shared-data.ts';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIrrdServer, type IrrdServer } from '../../test/support/irrd-server.ts';
import { buildPrefixList, buildPrefixListFromAnswersLazy } from './aggregate.ts';
import { expandAsSet } from './expand.ts';
import { formatListBytes, formatPrefixList, IRR_FORMATS, type IrrFormat } from './formats.ts';
import { IrrPool } from './whois.client.ts';

const REF = sharedData('irr', 'bgpq4-reference');
const ref = (file: string) => readFileSync(path.join(REF, file), 'utf8');

let server: IrrdServer;
let pool: IrrPool;
beforeAll(async () => {
  // The reference was generated from live IRR data for AS112; serve the same four routes.
  const routes = ['192.31.196.0/24', '192.175.48.0/24', '2001:4:112::/48', '2620:4f:8000::/48'].map((prefix) => ({
    prefix,
    origin: 112,
    source: 'RIPE',
  }));
  server = await startIrrdServer({ routes, asSets: [{ name: 'AS-AS112', members: ['AS112'], source: 'RIPE' }] });
  pool = new IrrPool({ host: server.host, port: server.port });
});
afterAll(async () => {
  pool?.close();
  await server?.close();
});

describe('formats match bgpq4-reference byte for byte (AS112 through the whole stack)', () => {
  const files: Record<string, IrrFormat> = {
    json: 'json',
    junos: 'junos',
    eos: 'eos',
    ios: 'ios',
    'ios-xr': 'iosxr',
    bird: 'bird',
    openbgpd: 'openbgpd',
  };
  for (const [file, format] of Object.entries(files)) {
    for (const fam of [4, 6] as const) {
      it(`${file}--${fam}.txt`, async () => {
        const r = await expandAsSet('AS112', { families: [fam] }, pool);
        const out = formatPrefixList(fam === 4 ? r.entries.ipv4 : r.entries.ipv6, fam, format);
        expect(out).toBe(ref(`${file}--${fam}.txt`));
      });
    }
  }
  it('RIPE::AS-AS112 and APNIC-less selection match the source-notation references', async () => {
    const apnic = await startIrrdServer({ asSets: [], sources: ['APNIC', 'RIPE'] });
    try {
      const ripe = await expandAsSet('RIPE::AS-AS112', { families: [4] }, pool);
      expect(formatPrefixList(ripe.entries.ipv4, 4, 'ios')).toBe(ref('as-as112-ripe-notation.txt'));
      const p2 = new IrrPool({ host: apnic.host, port: apnic.port });
      const none = await expandAsSet('APNIC::AS-AS112', { families: [4] }, p2);
      p2.close();
      expect(formatPrefixList(none.entries.ipv4, 4, 'ios')).toBe(ref('as-as112-apnic-notation.txt'));
    } finally {
      await apnic.close();
    }
  });
  it('plain prints one prefix per line', async () => {
    const r = await expandAsSet('AS-AS112', { families: [6] }, pool);
    expect(formatPrefixList(r.entries.ipv6, 6, 'plain')).toBe(
      ref('formated--6.txt').trim().split(' ').join('\n') + '\n',
    );
  });
});

describe('aggregated and empty lists (shapes checked against bgpq4 1.9 output)', () => {
  const entries = buildPrefixList(['10.0.0.0/24', '10.0.1.0/24', '10.0.0.0/23', '192.0.2.0/25', '192.0.2.128/25'], 4, {
    aggregate: true,
  });
  it('prints ranges per vendor', () => {
    expect(formatPrefixList(entries, 4, 'ios', 'X')).toBe(
      'no ip prefix-list X\nip prefix-list X permit 10.0.0.0/23 le 24\nip prefix-list X permit 192.0.2.0/24 ge 25 le 25\n',
    );
    expect(formatPrefixList(entries, 4, 'json', 'X')).toBe(
      '{ "X": [\n    { "prefix": "10.0.0.0\\/23", "exact": false, "less-equal": 24 },\n    { "prefix": "192.0.2.0\\/24", "exact": false,\n      "greater-equal": 25, "less-equal": 25 }\n] }\n',
    );
    expect(formatPrefixList(entries, 4, 'bird')).toBe('NN = [\n    10.0.0.0/23{23,24},\n    192.0.2.0/24{25,25}\n];\n');
    expect(formatPrefixList(entries, 4, 'openbgpd')).toBe(
      'prefix { \n\t10.0.0.0/23 prefixlen 23 - 24\n\t192.0.2.0/24 prefixlen = 25\n\t}\n',
    );
    expect(formatPrefixList(entries, 4, 'iosxr')).toBe(
      'no prefix-set NN\nprefix-set NN\n 10.0.0.0/23 le 24,\n 192.0.2.0/24 ge 25 le 25\nend-set\n',
    );
    expect(() => formatPrefixList(entries, 4, 'junos')).toThrow(/Junos prefix-lists cannot hold ranges/);
  });
  it('builds json and plain in one buffer, and falls back to strings for non-ASCII names and prefixes', () => {
    const exact = buildPrefixList(['192.0.2.0/24', '10.0.0.0/8'], 4);
    expect(formatPrefixList(exact, 4, 'json', 'X')).toBe(
      '{ "X": [\n    { "prefix": "10.0.0.0\\/8", "exact": true },\n    { "prefix": "192.0.2.0\\/24", "exact": true }\n] }\n',
    );
    expect(formatPrefixList(exact, 4, 'json', 'Zürich "edge"')).toBe(
      '{ "Zürich \\"edge\\"": [\n    { "prefix": "10.0.0.0\\/8", "exact": true },\n    { "prefix": "192.0.2.0\\/24", "exact": true }\n] }\n',
    );
    expect(formatPrefixList(exact, 4, 'plain')).toBe('10.0.0.0/8\n192.0.2.0/24\n');
    // Entries are public API: text that is not ASCII still comes out unchanged (through the string path).
    const odd = [
      { prefix: 'x/1', length: 1, exact: true },
      { prefix: 'é/2', length: 2, exact: true },
    ];
    expect(formatPrefixList(odd, 4, 'json', 'X')).toBe(
      '{ "X": [\n    { "prefix": "x\\/1", "exact": true },\n    { "prefix": "é\\/2", "exact": true }\n] }\n',
    );
    expect(formatPrefixList(odd, 4, 'plain')).toBe('x/1\né/2\n');
    // Larger than the first buffer guess (IPv6 lines are longer): the buffer grows.
    const v6 = buildPrefixList(
      Array.from({ length: 300 }, (_, i) => `2001:db8:${i.toString(16)}:ffff::/64`),
      6,
    );
    const json = formatPrefixList(v6, 6, 'json', 'X');
    expect(JSON.parse(json).X).toHaveLength(300);
    expect(json.endsWith('{ "prefix": "2001:db8:12b:ffff::\\/64", "exact": true }\n] }\n')).toBe(true);
  });
  it('prints an exact IPv4 list straight from its keys, byte for byte as from its entries', () => {
    const words = '10.0.0.0/8 192.0.2.0/24 198.51.100.0/24 10.0.0.0/8 0.0.0.0/0 255.255.255.255/32';
    const list = buildPrefixListFromAnswersLazy([Buffer.from(words)], 4);
    expect(list.kind).toBe('ipv4-keys');
    const entries = buildPrefixList(words.split(' '), 4);
    for (const format of IRR_FORMATS) {
      for (const name of ['NN', 'X', 'Zürich "edge"'])
        expect(formatListBytes(list, 4, format, name).toString('utf8'), `${format} ${name}`).toBe(
          formatPrefixList(entries, 4, format, name),
        );
    }
    const empty = buildPrefixListFromAnswersLazy([''], 4);
    for (const format of IRR_FORMATS)
      expect(formatListBytes(empty, 4, format, 'X').toString('utf8')).toBe(formatPrefixList([], 4, format, 'X'));
    const ranged = buildPrefixListFromAnswersLazy([Buffer.from('10.0.0.0/24 10.0.1.0/24')], 4, { aggregate: true });
    expect(formatListBytes(ranged, 4, 'json', 'X').toString('utf8')).toBe(
      formatPrefixList(buildPrefixList(['10.0.0.0/24', '10.0.1.0/24'], 4, { aggregate: true }), 4, 'json', 'X'),
    );
  });
  it('prints empty lists like bgpq4', () => {
    expect(formatPrefixList([], 4, 'ios')).toBe(
      'no ip prefix-list NN\n! generated prefix-list NN is empty\nip prefix-list NN deny 0.0.0.0/0\n',
    );
    expect(formatPrefixList([], 6, 'eos')).toBe(
      'no ipv6 prefix-list NN\n! generated prefix-list NN is empty\nipv6 prefix-list NN\n   seq 1 deny ::/0\n',
    );
    expect(formatPrefixList([], 4, 'json', 'X')).toBe('{ "X": [\n] }\n');
    expect(formatPrefixList([], 4, 'bird')).toBe('');
    expect(formatPrefixList([], 4, 'junos')).toBe('policy-options {\nreplace:\n prefix-list NN {\n }\n}\n');
  });
});
