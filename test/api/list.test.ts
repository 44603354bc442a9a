// List endpoints: paging (count, next, previous), ordering, text search (?q=), filters and brief output,
// and bad parameters as a 400 naming the parameter.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { peerAsn } from '../support/factories.ts';

describe.each(engines())('lists on %s', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(engine);
  });
  afterAll(async () => t?.close());

  it('pages, orders, searches and filters lists, with brief output', async () => {
    for (let i = 0; i < 7; i++) await peerAsn(t, { asn: 64600 + i, name: `Net ${String.fromCharCode(71 - i)}` });
    const p1 = await t.api(
      'GET',
      '/api/peer-asns/?limit=3&ordering=-asn&asn=64600,64601,64602,64603,64604,64605,64606',
    );
    expect(p1.body.count).toBe(7);
    expect(p1.body.results.map((r: any) => r.asn)).toEqual([64606, 64605, 64604]);
    expect(p1.body.next).toContain('offset=3');
    expect(p1.body.previous).toBeNull();
    const p3 = await t.api('GET', p1.body.next.replace('offset=3', 'offset=6'));
    expect(p3.body.results.map((r: any) => r.asn)).toEqual([64600]);
    expect((await t.api('GET', '/api/peer-asns/?q=net%20c')).body.results.map((r: any) => r.asn)).toEqual([64604]);
    expect((await t.api('GET', '/api/peer-asns/?q=64603')).body.count).toBe(1);
    expect((await t.api('GET', '/api/peer-asns/?brief=1&asn=64600')).body.results[0]).toEqual({
      id: expect.any(Number),
      asn: 64600,
      name: 'Net G',
    });
    const badOrder = await t.api('GET', '/api/peer-asns/?ordering=password');
    expect(badOrder.status).toBe(400);
    expect(badOrder.body.errors[0].field).toBe('ordering');
    expect((await t.api('GET', '/api/peer-asns/?asn=AS-FOO')).body.errors[0].field).toBe('asn');
    expect((await t.api('GET', '/api/peer-asns/?asn=1.10')).status).toBe(200);
  });
});
