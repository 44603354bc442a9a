// Optimistic concurrency: ETag on reads, If-Match on writes, 412 for the loser of a race; bulk writes
// all-or-nothing. Lists are in list.test.ts, the read cache in cache.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

describe.each(engines())('ETags and If-Match on %s', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(engine);
  });
  afterAll(async () => t?.close());

  it('lets exactly one of many concurrent PATCHes with the same ETag win', async () => {
    // The create answer carries the ETag (id.version) a client sends back with If-Match.
    const created = await t.api('POST', '/api/peer-asns/', { asn: 65100, name: 'Race' });
    const etag = created.headers.etag as string;
    expect(etag).toBe(`"${created.body.id}.1"`);
    expect((await t.api('GET', `/api/peer-asns/${created.body.id}/`)).headers.etag).toBe(etag);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        t.api(
          'PATCH',
          `/api/peer-asns/${created.body.id}/`,
          { name: `Writer ${i}` },
          { headers: { 'if-match': etag } },
        ),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 412)).toHaveLength(7);
    const winner = results.find((r) => r.status === 200)!;
    const now = await t.api('GET', `/api/peer-asns/${created.body.id}/`);
    expect(now.body.name).toBe(winner.body.name);
    expect(now.body.version).toBe(2);
    expect(now.headers.etag).toBe(winner.headers.etag);
    // A stale ETag on delete is refused too; the current one works.
    expect(
      (await t.api('DELETE', `/api/peer-asns/${created.body.id}/`, undefined, { headers: { 'if-match': etag } }))
        .status,
    ).toBe(412);
    expect(
      (
        await t.api('DELETE', `/api/peer-asns/${created.body.id}/`, undefined, {
          headers: { 'if-match': now.headers.etag },
        })
      ).status,
    ).toBe(204);
  });

  it('makes bulk writes all-or-nothing and names the failing item', async () => {
    const ok = await t.api('POST', '/api/relationships/bulk/', [{ name: 'Transit' }, { name: 'Customer' }]);
    expect(ok.status).toBe(201);
    const bad = await t.api('POST', '/api/relationships/bulk/', [{ name: 'Peer' }, { name: 'Transit' }]);
    expect(bad.status).toBe(409);
    expect(bad.body.detail).toMatch(/item 1/);
    expect((await t.api('GET', '/api/relationships/?slug=peer')).body.count).toBe(0);
    const upd = await t.api(
      'PATCH',
      '/api/relationships/bulk/',
      ok.body.map((r: any) => ({ id: r.id, color: 'ff0000' })),
    );
    expect(upd.body.map((r: any) => r.color)).toEqual(['ff0000', 'ff0000']);
    expect((await t.api('DELETE', '/api/relationships/bulk/', [{ id: ok.body[0].id }, { id: 999999 }])).status).toBe(
      404,
    );
    expect((await t.api('GET', '/api/relationships/')).body.count).toBe(2);
  });
});
