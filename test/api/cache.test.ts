// The read cache of list endpoints: repeated reads are served from it (x-cache: hit), and a write made
// by another connection is seen on the next read (SQLite's data_version, PostgreSQL's NOTIFY).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { relationship } from '../support/factories.ts';
import { openDb } from '../../src/platform/db.ts';

describe.each(engines())('read cache on %s', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(engine);
  });
  afterAll(async () => t?.close());

  it('serves repeated lists from cache and sees writes made by another process at once', async () => {
    await relationship(t, { name: 'Cached' });
    const first = await t.api('GET', '/api/relationships/?q=cached');
    expect(first.body.count).toBe(1);
    // On PostgreSQL the commit's NOTIFY may land after the first read and cost one more miss.
    let second = await t.api('GET', '/api/relationships/?q=cached');
    for (let i = 0; i < 50 && second.headers['x-cache'] !== 'hit'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      second = await t.api('GET', '/api/relationships/?q=cached');
    }
    expect(second.headers['x-cache']).toBe('hit');
    expect(second.body).toEqual(first.body);
    // Another process (its own connection) writes: the next read must show it. An in-memory SQLite
    // database is private to its connection, so there the write goes through ours, behind the API.
    const other = engine === 'sqlite' ? null : await openDb(t.tdb.url);
    try {
      await (other ?? t.tdb.db)
        .updateTable('relationships')
        .set({ name: 'Cached elsewhere' })
        .where('slug', '=', 'cached')
        .execute();
      let seen = '';
      for (let i = 0; i < 100 && seen !== 'Cached elsewhere'; i++) {
        seen = (await t.api('GET', '/api/relationships/?q=cached')).body.results[0].name;
        if (seen !== 'Cached elsewhere') await new Promise((r) => setTimeout(r, 10));
      }
      expect(seen).toBe('Cached elsewhere');
    } finally {
      await other?.destroy();
    }
  });
});
