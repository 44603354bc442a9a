// The shared versions + diff machinery (template versions, IRR prefix-list versions, deployments).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appendVersion,
  latestVersion,
  listVersions,
  nextVersionNumber,
  setDiff,
  textDiff,
  type VersionHistory,
} from '../../src/platform/versions.ts';
import { openDb, type Db } from '../../src/platform/db.ts';
import { sql } from 'kysely';

describe('diffs', () => {
  it('a unified diff with three lines of context, headed by the version names', () => {
    const before = 'a\nb\nc\nd\ne\nf\ng\n';
    const after = 'a\nb\nc\nD\ne\nf\ng\n';
    expect(textDiff('t v1', 't v2', before, after)).toBe(
      [
        '===================================================================',
        '--- t v1',
        '+++ t v2',
        '@@ -1,7 +1,7 @@',
        ' a',
        ' b',
        ' c',
        '-d',
        '+D',
        ' e',
        ' f',
        ' g',
        '',
      ].join('\n'),
    );
  });
  it('added in the new order, removed in the old order, duplicates once', () => {
    expect(
      setDiff(
        ['10.0.0.0/8', '192.0.2.0/24', '198.51.100.0/24'],
        ['203.0.113.0/24', '10.0.0.0/8', '2001:db8::/32', '203.0.113.0/24'],
      ),
    ).toEqual({
      added: ['203.0.113.0/24', '2001:db8::/32'],
      removed: ['192.0.2.0/24', '198.51.100.0/24'],
    });
    expect(setDiff([], [])).toEqual({ added: [], removed: [] });
  });
  it('numbers versions from 1', () => {
    expect(nextVersionNumber(undefined)).toBe(1);
    expect(nextVersionNumber({ version: 4 })).toBe(5);
    expect(nextVersionNumber({ version: '9' })).toBe(10);
  });
});

describe('version history in a table', () => {
  let db: Db;
  const h: VersionHistory = { table: 'doc_versions', owner: 'doc_id' };
  beforeAll(async () => {
    db = await openDb('sqlite::memory:');
    await sql`create table doc_versions (id integer primary key autoincrement, doc_id integer not null, version integer not null, status text not null, body text not null)`.execute(
      db,
    );
  });
  afterAll(async () => {
    await db.destroy();
  });
  it('appends numbered versions per owner and lists them newest first', async () => {
    expect(await latestVersion(db, h, 1)).toBeUndefined();
    expect(await appendVersion(db, h, 1, { status: 'active', body: 'one' })).toBe(1);
    expect(await appendVersion(db, h, 1, { status: 'held', body: 'two' })).toBe(2);
    expect(await appendVersion(db, h, 2, { status: 'active', body: 'other' })).toBe(1);
    expect((await listVersions(db, h, 1)).map((v) => [v.version, v.body])).toEqual([
      [2, 'two'],
      [1, 'one'],
    ]);
    expect((await latestVersion(db, h, 1))?.body).toBe('two');
    expect((await latestVersion(db, h, 1, { status: 'active' }))?.body).toBe('one');
  });
});
