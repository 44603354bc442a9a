// Optimistic concurrency: ETag on reads, If-Match on writes, 412 for the loser of a race.
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
    const created = await t.api('POST', '/api/peer-asns/', { asn: 65100, name: 'Race' });
    const etag = created.headers.etag as string;
    expect(etag).toMatch(/^"\d+\.1"$/);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => t.api('PATCH', `/api/peer-asns/${created.body.id}/`, { name: `Writer ${i}` }, { headers: { 'if-match': etag } })),
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
    expect((await t.api('DELETE', `/api/peer-asns/${created.body.id}/`, undefined, { headers: { 'if-match': etag } })).status).toBe(412);
    expect((await t.api('DELETE', `/api/peer-asns/${created.body.id}/`, undefined, { headers: { 'if-match': now.headers.etag } })).status).toBe(204);
  });

  it('makes bulk writes all-or-nothing and names the failing item', async () => {
    const ok = await t.api('POST', '/api/relationships/bulk/', [{ name: 'Transit' }, { name: 'Customer' }]);
    expect(ok.status).toBe(201);
    const bad = await t.api('POST', '/api/relationships/bulk/', [{ name: 'Peer' }, { name: 'Transit' }]);
    expect(bad.status).toBe(409);
    expect(bad.body.detail).toMatch(/item 1/);
    expect((await t.api('GET', '/api/relationships/?slug=peer')).body.count).toBe(0);
    const upd = await t.api('PATCH', '/api/relationships/bulk/', ok.body.map((r: any) => ({ id: r.id, color: 'ff0000' })));
    expect(upd.body.map((r: any) => r.color)).toEqual(['ff0000', 'ff0000']);
    expect((await t.api('DELETE', '/api/relationships/bulk/', [{ id: ok.body[0].id }, { id: 999999 }])).status).toBe(404);
    expect((await t.api('GET', '/api/relationships/')).body.count).toBe(2);
  });

  it('pages, orders, searches and filters lists, with brief output', async () => {
    for (let i = 0; i < 7; i++) await t.api('POST', '/api/peer-asns/', { asn: 64600 + i, name: `Net ${String.fromCharCode(71 - i)}` });
    const p1 = await t.api('GET', '/api/peer-asns/?limit=3&ordering=-asn&asn=64600,64601,64602,64603,64604,64605,64606');
    expect(p1.body.count).toBe(7);
    expect(p1.body.results.map((r: any) => r.asn)).toEqual([64606, 64605, 64604]);
    expect(p1.body.next).toContain('offset=3');
    expect(p1.body.previous).toBeNull();
    const p3 = await t.api('GET', p1.body.next.replace('offset=3', 'offset=6'));
    expect(p3.body.results.map((r: any) => r.asn)).toEqual([64600]);
    expect((await t.api('GET', '/api/peer-asns/?q=net%20c')).body.results.map((r: any) => r.asn)).toEqual([64604]);
    expect((await t.api('GET', '/api/peer-asns/?q=64603')).body.count).toBe(1);
    expect((await t.api('GET', '/api/peer-asns/?brief=1&asn=64600')).body.results[0]).toEqual({ id: expect.any(Number), asn: 64600, name: 'Net G' });
    const badOrder = await t.api('GET', '/api/peer-asns/?ordering=password');
    expect(badOrder.status).toBe(400);
    expect(badOrder.body.errors[0].field).toBe('ordering');
    expect((await t.api('GET', '/api/peer-asns/?asn=AS-FOO')).body.errors[0].field).toBe('asn');
    expect((await t.api('GET', '/api/peer-asns/?asn=1.10')).status).toBe(200);
  });
});

describe.each(engines())('read cache on %s', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(engine);
  });
  afterAll(async () => t?.close());

  it('serves repeated lists from cache and sees writes made by another process at once', async () => {
    const { openDb } = await import('../../src/platform/db.ts');
    await t.api('POST', '/api/relationships/', { name: 'Cached' });
    const first = await t.api('GET', '/api/relationships/?q=cached');
    // On PostgreSQL the commit's NOTIFY may land after the first read and cost one more miss.
    let second = await t.api('GET', '/api/relationships/?q=cached');
    for (let i = 0; i < 50 && second.headers['x-cache'] !== 'hit'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      second = await t.api('GET', '/api/relationships/?q=cached');
    }
    expect(second.headers['x-cache']).toBe('hit');
    expect(second.body).toEqual(first.body);
    // Another process (its own connection) writes: the next read must show it.
    const other = await openDb(t.tdb.url === 'sqlite::memory:' ? t.tdb.url : t.tdb.url);
    try {
      if (engine === 'sqlite') {
        // An in-memory SQLite database is private to its connection: write through ours instead.
        await t.tdb.db.updateTable('relationships').set({ name: 'Cached elsewhere' }).where('slug', '=', 'cached').execute();
      } else {
        await other.updateTable('relationships').set({ name: 'Cached elsewhere' }).where('slug', '=', 'cached').execute();
      }
      let seen = '';
      for (let i = 0; i < 100 && seen !== 'Cached elsewhere'; i++) {
        seen = (await t.api('GET', '/api/relationships/?q=cached')).body.results[0].name;
        if (seen !== 'Cached elsewhere') await new Promise((r) => setTimeout(r, 10));
      }
      expect(seen).toBe('Cached elsewhere');
    } finally {
      await other.destroy();
    }
  });
});
