// SQLite's cross-process invalidation: a commit by another connection to the same file changes the generation.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generationOf, openDb } from '../../src/platform/db.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';

describe('data generation on a SQLite file', () => {
  it('changes on our writes and on commits from another connection, not on reads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-gen-'));
    const a = await openDb(`sqlite:${join(dir, 'x.db')}`);
    const b = await openDb(`sqlite:${join(dir, 'x.db')}`);
    try {
      await migrateToLatest(a);
      const g = generationOf(a)!;
      const g0 = g.current();
      await a.selectFrom('relationships').selectAll().execute();
      expect(g.current()).toBe(g0);
      const t = new Date().toISOString();
      await b
        .insertInto('relationships')
        .values({ slug: 'x', name: 'X', color: 'fff000', created_at: t, updated_at: t, version: 1 })
        .execute();
      const g1 = g.current();
      expect(g1).not.toBe(g0);
      await a.updateTable('relationships').set({ name: 'Y' }).execute();
      expect(g.current()).not.toBe(g1);
    } finally {
      await a.destroy();
      await b.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
