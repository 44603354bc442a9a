// Property-based fuzzing on every engine: malformed bodies to every create/update route and malformed
// query strings and path parameters to every read route never give a 5xx or a partial write.
// Values include what only one engine refuses natively (NUL characters, integers beyond 32 bits).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { engines } from '../support/db.ts';
import { startTestApp, tableCounts, type TestApp } from '../support/app.ts';

// Values that look plausible to each field type but are wrong in many ways.
const nasty = fc.oneof(
  fc.constantFrom(
    4294967296,
    2147483648,
    2 ** 53,
    -2147483649,
    'a\u0000b',
    '\u0000',
    'x'.repeat(20_000),
    '\uD800',
    0,
    -1,
    'AS-FOO',
    '1.2.3',
    '300.1.1.1',
    '2001:db8::/129',
    '198.51.100.1/24',
    '',
    ' ',
    null,
    true,
    1e308,
    -0,
    1.5,
    '💥',
    '<script>',
    "'; drop table users; --",
    '0x10',
    [],
    {},
    [1, 2],
    { a: 1 },
  ),
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.anything({ maxDepth: 1 }), { maxLength: 3 }),
);

describe.each(engines())('fuzzing write routes on %s', (engine) => {
  let t: TestApp;
  let targets: { method: string; url: string; fields: string[] }[];
  beforeAll(async () => {
    t = await startTestApp(engine);
    // Realistic objects so updates hit real rows and references can resolve.
    const r = await t.api('POST', '/api/routers/', { name: 'fz1', local_asn: 65000 });
    const f = await t.api('POST', '/api/fabrics/', { name: 'FZ-IX' });
    await t.api('POST', '/api/peering-networks/', { fabric: f.body.id, name: 'lan', prefix: '192.0.2.0/24' });
    await t.api('POST', '/api/peer-asns/', { asn: 65001, name: 'Peer' });
    const p = await t.api('POST', '/api/bgp-peers/', { router: r.body.id, peer_ip: '192.0.2.10', remote_asn: 65001 });
    await t.api('POST', '/api/peering-sessions/', { bgp_peer: p.body.id });
    await t.api('POST', '/api/relationships/', { name: 'Peer' });
    await t.api('POST', '/api/prefix-lists/', { name: 'PL', family: 4, entries: [{ prefix: '192.0.2.0/24' }] });
    await t.app.ready();
    const spec = t.app.swagger() as any;
    targets = [];
    for (const [path, ops] of Object.entries<any>(spec.paths)) {
      for (const m of ['post', 'put', 'patch']) {
        const op = ops[m];
        if (!op?.requestBody || path.includes('/auth/')) continue;
        const schema = op.requestBody.content['application/json']?.schema ?? {};
        const props = schema.properties ?? schema.items?.properties ?? {};
        targets.push({ method: m.toUpperCase(), url: path.replace(/\{[^}]+\}/g, '1'), fields: Object.keys(props) });
      }
    }
  });
  afterAll(async () => t?.close());

  it('finds the write routes', () => {
    expect(targets.length).toBeGreaterThan(40);
  });

  it('answers 4xx (never 5xx) to malformed bodies and leaves no partial writes', async () => {
    for (const target of targets) {
      const body = fc.oneof(
        fc.dictionary(fc.constantFrom(...(target.fields.length ? target.fields : ['x']), 'unknown_field'), nasty, {
          maxKeys: 6,
        }),
        fc.array(
          fc.dictionary(fc.constantFrom(...(target.fields.length ? target.fields : ['x'])), nasty, { maxKeys: 4 }),
          { maxLength: 3 },
        ),
        nasty,
      );
      await fc.assert(
        fc.asyncProperty(body, async (payload) => {
          const before = await tableCounts(t.tdb);
          const res = await t.app.inject({
            method: target.method as any,
            url: target.url,
            headers: { authorization: `Token ${t.tokens.admin}`, 'content-type': 'application/json' },
            payload: JSON.stringify(payload),
          });
          expect(
            res.statusCode,
            `${target.method} ${target.url} ${JSON.stringify(payload).slice(0, 200)} → ${res.body.slice(0, 300)}`,
          ).toBeLessThan(500);
          if (res.statusCode >= 400) {
            expect(await tableCounts(t.tdb)).toEqual(before);
            const problem = JSON.parse(res.body);
            expect(problem).toMatchObject({
              status: res.statusCode,
              code: expect.any(String),
              detail: expect.any(String),
            });
          }
        }),
        { numRuns: 25, seed: 20261127 },
      );
    }
  }, 600_000);

  it('answers 4xx (never 5xx) to malformed query strings and path parameters', async () => {
    await t.app.ready();
    const spec = t.app.swagger() as any;
    const reads: { path: string; query: string[]; params: string[] }[] = [];
    for (const [path, ops] of Object.entries<any>(spec.paths)) {
      const op = ops.get;
      if (!op) continue;
      const params = (op.parameters ?? []) as { in: string; name: string }[];
      reads.push({
        path,
        query: params.filter((x) => x.in === 'query').map((x) => x.name),
        params: params.filter((x) => x.in === 'path').map((x) => x.name),
      });
    }
    expect(reads.length).toBeGreaterThan(30);
    const value = fc.oneof(
      fc.constantFrom(
        '4294967296',
        '2147483648',
        '9007199254740993',
        '-1',
        '0',
        'a%00b',
        '%00',
        '1,2,4294967296',
        'null',
        '%ZZ',
        'x'.repeat(5000),
        '1e309',
        '0x10',
        '%F0%9F%92%A5',
        "'--",
      ),
      fc.string({ maxLength: 20 }).map(encodeURIComponent),
      fc.integer().map(String),
    );
    for (const read of reads) {
      await fc.assert(
        fc.asyncProperty(
          fc.dictionary(fc.constantFrom(...(read.query.length ? read.query : ['q'])), value, { maxKeys: 3 }),
          value,
          async (query, param) => {
            const url =
              read.path.replace(/\{[^}]+\}/g, param) +
              '?' +
              Object.entries(query)
                .map(([k, v]) => `${k}=${v}`)
                .join('&');
            const res = await t.app.inject({
              method: 'GET',
              url,
              headers: { authorization: `Token ${t.tokens.admin}` },
            });
            expect(res.statusCode, `GET ${url.slice(0, 300)} → ${res.body.slice(0, 300)}`).toBeLessThan(500);
            if (res.statusCode >= 400)
              expect(res.headers['content-type'], url.slice(0, 200)).toMatch(/^application\/problem\+json/);
          },
        ),
        { numRuns: 15, seed: 20261130 },
      );
    }
  }, 600_000);

  it('rejects oversized and non-JSON bodies cleanly', async () => {
    const huge = await t.app.inject({
      method: 'POST',
      url: '/api/relationships/',
      headers: { authorization: `Token ${t.tokens.admin}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'x'.repeat(6 * 1024 * 1024) }),
    });
    expect(huge.statusCode).toBe(413);
    const broken = await t.app.inject({
      method: 'POST',
      url: '/api/relationships/',
      headers: { authorization: `Token ${t.tokens.admin}`, 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().code).toBe('bad_request');
  });
});
