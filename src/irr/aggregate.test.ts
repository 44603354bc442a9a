import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIrrdServer, type IrrdServer } from '../../test/support/irrd-server.ts';
import { labSkipReason } from '../../test/support/lab.ts';
import fc from 'fast-check';
import {
  answerWords,
  buildPrefixList,
  buildPrefixListFromAnswers,
  buildPrefixListFromAnswersLazy,
  ipv4ExactKeys,
  ipv4KeyEntries,
  ipv4KeysText,
  prefixListSize,
  type BuildOptions,
  type PrefixEntry,
} from './aggregate.ts';
import { canonicalPrefix, formatIpv4, formatIpv6, type Family } from './prefix.ts';

const run = promisify(execFile);

describe('prefix text', () => {
  it('canonicalises like inet_ntop and masks host bits', () => {
    expect(canonicalPrefix('2001:0DB8:0000:0000::/32')).toBe('2001:db8::/32');
    expect(canonicalPrefix('2001:db8:0:1:0:0:0:0/64')).toBe('2001:db8:0:1::/64');
    expect(canonicalPrefix('::ffff:10.0.0.0/104')).toBe('::ffff:10.0.0.0/104');
    expect(canonicalPrefix('10.1.2.3/8')).toBe('10.0.0.0/8');
    expect(canonicalPrefix('10.1.2/8')).toBeNull();
    expect(formatIpv6([0x20010db8, 0, 1, 0])).toBe('2001:db8::1:0:0');
  });
});

describe('buildPrefixList', () => {
  it('de-duplicates and orders by address then length', () => {
    const out = buildPrefixList(['10.0.1.0/24', '10.0.0.0/16', '10.0.0.0/24', '10.0.1.0/24', '9.0.0.0/8'], 4).map(
      (e) => e.prefix,
    );
    expect(out).toEqual(['9.0.0.0/8', '10.0.0.0/16', '10.0.0.0/24', '10.0.1.0/24']);
  });
  it('aggregates siblings and covered prefixes like bgpq4 -A', () => {
    const out = buildPrefixList(['10.0.0.0/24', '10.0.1.0/24', '10.0.2.0/24', '10.0.3.0/24', '10.0.0.0/22'], 4, {
      aggregate: true,
    });
    // The /22 itself stays exact; its four /24s become a second entry for the same prefix.
    expect(out).toEqual([
      { prefix: '10.0.0.0/22', length: 22, exact: true },
      { prefix: '10.0.0.0/22', length: 22, exact: false, ge: 24, le: 24 },
    ]);
    const pair = buildPrefixList(['192.0.2.0/25', '192.0.2.128/25', '192.0.2.0/24'], 4, { aggregate: true });
    expect(pair).toEqual([{ prefix: '192.0.2.0/24', length: 24, exact: false, le: 25 }]);
  });
  it('applies -R, -r and -m', () => {
    expect(buildPrefixList(['10.0.0.0/16', '10.0.5.0/24'], 4, { maxLength: 24 })).toEqual([
      { prefix: '10.0.0.0/16', length: 16, exact: false, le: 24 },
    ]);
    expect(buildPrefixList(['10.0.0.0/16'], 4, { minLength: 20 })).toEqual([
      { prefix: '10.0.0.0/16', length: 16, exact: false, ge: 20, le: 32 },
    ]);
    expect(buildPrefixList(['10.0.0.0/16', '10.0.0.0/25'], 4, { ignoreLongerThan: 24 }).map((e) => e.prefix)).toEqual([
      '10.0.0.0/16',
    ]);
    expect(() => buildPrefixList(['10.0.0.0/16'], 4, { maxLength: 33 })).toThrow(/out of range/);
  });
});

describe('reading IRR answer bodies in place', () => {
  const split = (bodies: string[]) => bodies.flatMap((b) => b.split(/\s+/).filter(Boolean));
  it('finds the words split(/\\s+/) finds, Unicode spaces included', () => {
    const body = '  10.0.0.0/8\t\r\n192.0.2.0/24\u00a0198.51.100.0/24\u2003x\u0001y\ufeffz é\n';
    expect(answerWords([body, '', ' \n '])).toEqual([
      '10.0.0.0/8',
      '192.0.2.0/24',
      '198.51.100.0/24',
      'x\u0001y',
      'z',
      'é',
    ]);
    expect(answerWords([body])).toEqual(split([body]));
  });
  it('reads sloppy and foreign words exactly as the word-by-word builder does', () => {
    const bodies = [
      '10.1.2.3/8 010.0.0.0/8 10.0.0.0/024 10.0.0.0/33 256.0.0.0/8 10.0.0.1 2001:db8::/32 junk 10.0.0.0/0x10\n',
      '192.0.2.0/24 192.0.2.0/24\u00a0172.16.0.0/12 1.2.3/24 1.2.3.4.5/32 /24 10.0.0.0/',
    ];
    const got = buildPrefixListFromAnswers(bodies, 4).map((e) => e.prefix);
    expect(got).toEqual([
      '0.0.0.0/0',
      '10.0.0.0/8',
      '10.0.0.0/16',
      '10.0.0.0/24',
      '10.0.0.1/32',
      '172.16.0.0/12',
      '192.0.2.0/24',
    ]);
    expect(buildPrefixListFromAnswers(bodies, 4)).toEqual(buildPrefixList(split(bodies), 4));
    expect(buildPrefixListFromAnswers(bodies, 4, { ignoreLongerThan: 16 }).map((e) => e.prefix)).toEqual([
      '0.0.0.0/0',
      '10.0.0.0/8',
      '10.0.0.0/16',
      '172.16.0.0/12',
    ]);
    expect(buildPrefixListFromAnswers(bodies, 6).map((e) => e.prefix)).toEqual(['2001:db8::/32']);
    expect(buildPrefixListFromAnswers(bodies, 4, { aggregate: true, maxLength: 24 })).toEqual(
      buildPrefixList(split(bodies), 4, { aggregate: true, maxLength: 24 }),
    );
    // The same answers as the raw bytes the IRR client hands over (the second is not ASCII: read as text).
    const bytes = bodies.map((b) => Buffer.from(b, 'utf8'));
    expect(buildPrefixListFromAnswers(bytes, 4).map((e) => e.prefix)).toEqual(got);
    expect(buildPrefixListFromAnswers([bytes[0], bodies[1]], 4, { ignoreLongerThan: 16 })).toEqual(
      buildPrefixListFromAnswers(bodies, 4, { ignoreLongerThan: 16 }),
    );
    expect(buildPrefixListFromAnswers(bytes, 6).map((e) => e.prefix)).toEqual(['2001:db8::/32']);
  });
  it('keeps an exact IPv4 list as sorted keys: extremes of address and length, duplicates, empty', () => {
    const words =
      '255.255.255.255 255.255.255.255/32 0.0.0.0/0 128.0.0.0/1 255.255.255.254/31 9.9.9.9/8 192.0.2.0/24 192.0.2.0/23 64.0.0.0/2 0.0.0.0/0';
    const keys = ipv4ExactKeys([Buffer.from(words)]);
    const want = [
      '0.0.0.0/0',
      '9.0.0.0/8',
      '64.0.0.0/2',
      '128.0.0.0/1',
      '192.0.2.0/23',
      '192.0.2.0/24',
      '255.255.255.254/31',
      '255.255.255.255/32',
    ];
    expect(ipv4KeysText(keys)).toBe(want.join('\n'));
    expect(ipv4KeyEntries(keys)).toEqual(buildPrefixList(words.split(' '), 4));
    expect(ipv4ExactKeys([words])).toEqual(keys);
    const lazy = buildPrefixListFromAnswersLazy([Buffer.from(words)], 4);
    expect(lazy.kind).toBe('ipv4-keys');
    expect(prefixListSize(lazy)).toBe(want.length);
    expect(buildPrefixListFromAnswersLazy([Buffer.from(words)], 4, { aggregate: true }).kind).toBe('entries');
    expect(ipv4KeysText(ipv4ExactKeys([Buffer.alloc(0), ' \n']))).toBe('');
    expect(ipv4KeyEntries(ipv4ExactKeys([]))).toEqual([]);
    // More prefixes than the first size guess (short words): the key list grows.
    const many = Array.from({ length: 3000 }, (_, i) => `${i & 255}.${i >> 8}.0.0/16`).join(' ');
    expect(ipv4KeyEntries(ipv4ExactKeys([Buffer.from(many)]))).toEqual(buildPrefixList(many.split(' '), 4));
  });
  it('agrees with the word-by-word builder on random answers (property)', () => {
    const octet = fc.oneof(fc.integer({ min: 0, max: 255 }).map(String), fc.constantFrom('256', '007', '', 'a'));
    const word = fc.oneof(
      {
        weight: 6,
        arbitrary: fc
          .tuple(
            octet,
            octet,
            octet,
            octet,
            fc.option(
              fc.oneof(fc.integer({ min: 0, max: 40 }).map(String), fc.constantFrom('', '08', '1e1', '+8', '0x8')),
            ),
          )
          .map(([a, b, c, d, len]) => `${a}.${b}.${c}.${d}${len === null ? '' : `/${len}`}`),
      },
      { weight: 1, arbitrary: fc.constantFrom('2001:db8::/32', 'AS65000', '1.2.3', '/', '.', 'é1.2.3.4/8') },
    );
    const space = fc.constantFrom(' ', '\n', '\t', '\r\n', '  ', '\u00a0', '\u3000');
    const body = fc.array(fc.tuple(word, space), { maxLength: 40 }).map((ws) => ws.map(([w, sp]) => w + sp).join(''));
    fc.assert(
      fc.property(fc.array(body, { maxLength: 3 }), fc.option(fc.integer({ min: 8, max: 32 })), (bodies, m) => {
        const opts = m === null ? {} : { ignoreLongerThan: m };
        const want = buildPrefixList(split(bodies), 4, opts);
        expect(buildPrefixListFromAnswers(bodies, 4, opts)).toEqual(want);
        expect(
          buildPrefixListFromAnswers(
            bodies.map((b) => Buffer.from(b, 'utf8')),
            4,
            opts,
          ),
        ).toEqual(want);
      }),
      { numRuns: 300, seed: 20261130 },
    );
  });
});

// Random clustered prefix sets, compared with bgpq4 -j fed the same prefixes on its command line.
const skip = labSkipReason('bgpq4', 'bgpq4');
describe.skipIf(skip !== null)('aggregation is identical to Debian bgpq4 (randomised)', () => {
  let server: IrrdServer;
  beforeAll(async () => {
    server = await startIrrdServer({});
  });
  afterAll(async () => server?.close());

  let seed = 20260427;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const randomPrefixes = (fam: Family): string[] => {
    const out: string[] = [];
    const n = 1 + Math.floor(rnd() * 120);
    for (let i = 0; i < n; i++) {
      if (fam === 4) {
        const len = 18 + Math.floor(rnd() * 9);
        const addr = (((10 << 24) >>> 0) + Math.floor(rnd() * 2048) * 64) >>> 0;
        out.push(`${formatIpv4(len === 0 ? 0 : (addr & (0xffffffff << (32 - len))) >>> 0)}/${len}`);
      } else {
        const len = 32 + Math.floor(rnd() * 9);
        const w1 = (Math.floor(rnd() * 1024) << 22) >>> 0;
        out.push(`${formatIpv6([0x20010db8, (w1 & (0xffffffff << (64 - len))) >>> 0, 0, 0])}/${len}`);
      }
    }
    return out;
  };
  const toBgpq4 = (e: PrefixEntry) =>
    e.exact
      ? { prefix: e.prefix, exact: true }
      : e.ge !== undefined
        ? { prefix: e.prefix, exact: false, 'greater-equal': e.ge, 'less-equal': e.le }
        : { prefix: e.prefix, exact: false, 'less-equal': e.le };

  for (const fam of [4, 6] as const) {
    it(`IPv${fam}: -A, -R, -r and combinations`, async () => {
      for (let round = 0; round < 25; round++) {
        const ps = randomPrefixes(fam);
        const R = fam === 4 ? 22 + Math.floor(rnd() * 4) : 36 + Math.floor(rnd() * 6);
        const r = fam === 4 ? 18 + Math.floor(rnd() * 3) : 32 + Math.floor(rnd() * 3);
        const variants: Array<[string[], BuildOptions]> = [
          [['-A'], { aggregate: true }],
          [['-R', `${R}`], { maxLength: R }],
          [['-A', '-R', `${R}`], { aggregate: true, maxLength: R }],
          [['-A', '-r', `${r}`, '-R', `${R}`], { aggregate: true, minLength: r, maxLength: R }],
        ];
        await Promise.all(
          variants.map(async ([flags, opts]) => {
            const { stdout } = await run('bgpq4', ['-h', server.address, `-${fam}`, '-j', ...flags, ...ps]);
            const want = (JSON.parse(stdout) as { NN: unknown[] }).NN;
            expect(buildPrefixList(ps, fam, opts).map(toBgpq4), `${flags.join(' ')} ${ps.join(' ')}`).toEqual(want);
          }),
        );
      }
    });
  }
});
