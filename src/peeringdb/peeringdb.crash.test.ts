// A sync process killed (SIGKILL) in the middle of applying leaves the previous mirror intact,
// its run record is closed as interrupted, and the next run completes. Real process, real kill.
import { dynamic } from '../platform/db.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createTestDb, engines, type TestDb } from '../../test/support/db.ts';
import { startPeeringDbServer, type PeeringDbServer } from '../../test/support/peeringdb-server.ts';
import { openDb, type Db } from '../platform/db.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { PeeringDbClient } from './peeringdb.client.ts';
import { listSyncRuns, syncPeeringDb } from './peeringdb.sync.ts';

const here = (f: string) => new URL(f, import.meta.url).href;

// The child syncs and parks inside the transaction right after writing `net`, so the kill lands
// with org…net written but not committed.
const CHILD = `
import { openDb } from ${JSON.stringify(here('../platform/db.ts'))};
import { PeeringDbClient } from ${JSON.stringify(here('./peeringdb.client.ts'))};
import { syncPeeringDb } from ${JSON.stringify(here('./peeringdb.sync.ts'))};
const db = await openDb(process.env.DB_URL);
await syncPeeringDb(db, {
  client: new PeeringDbClient({ baseUrl: process.env.PDB_URL, pageSize: 100 }),
  hooks: { afterType: async (t) => { if (t === 'net') { process.stdout.write('applying\\n'); await new Promise(() => {}); } } },
});
`;

async function syncInChildAndKill(dbUrl: string, pdbUrl: string): Promise<void> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
    env: { ...process.env, DB_URL: dbUrl, PDB_URL: pdbUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((r) => child.once('exit', r));
  for await (const line of createInterface({ input: child.stdout })) {
    if (line === 'applying') break;
  }
  if (child.exitCode !== null) throw new Error(`child exited early: ${stderr}`);
  child.kill('SIGKILL');
  await exited;
}

describe.each(engines())('a sync killed mid-run on %s', (engine) => {
  let t: TestDb | null = null;
  let db: Db;
  let url: string;
  let dir = '';
  let server: PeeringDbServer;

  beforeAll(async () => {
    server = await startPeeringDbServer();
    if (engine === 'sqlite') {
      // The child needs to reach the same database: a file, not :memory:.
      dir = mkdtempSync(join(tmpdir(), 'pdb-crash-'));
      url = `sqlite:${join(dir, 'peerdesk.db')}`;
      db = await openDb(url);
      await migrateToLatest(db);
    } else {
      t = await createTestDb(engine);
      db = t.db;
      url = t.url;
    }
  });
  afterAll(async () => {
    await server?.close();
    if (t) await t.drop();
    else {
      await db?.destroy();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps the previous mirror and completes on the next run', async () => {
    const client = () => new PeeringDbClient({ baseUrl: server.url, pageSize: 100 });
    const first = await syncPeeringDb(db, { client: client() });
    expect(first.status).toBe('succeeded');

    const orgId = server.ok('org')[0].id;
    server.upsert('org', { id: orgId, name: 'Org Changed Before Crash' });
    server.upsert('net', { id: 5, name: 'Net Changed Before Crash' });
    const member = server.ok('netixlan').find((o) => o.ixlan_id === 31)!;
    server.remove('netixlan', member.id);

    await syncInChildAndKill(url, server.url);

    const name = async (table: string, id: number) =>
      (await dynamic(db).selectFrom(table).select('name').where('id', '=', id).executeTakeFirstOrThrow()).name;
    expect(await name('pdb_org', orgId)).not.toBe('Org Changed Before Crash');
    expect(await name('pdb_net', 5)).toBe('Swisscom');
    expect(
      Number(
        (
          (await db
            .selectFrom('pdb_netixlan')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('ixlan_id', '=', 31)
            .executeTakeFirstOrThrow()) as any
        ).n,
      ),
    ).toBe(70);
    const killed = (await listSyncRuns(db)).results[0];
    expect(killed.status).toBe('running');

    const next = await syncPeeringDb(db, { client: client() });
    expect(next).toMatchObject({ status: 'succeeded', mode: 'incremental' });
    expect(next.counts.org!.updated).toBe(1);
    expect(next.counts.netixlan!.deleted).toBe(1);
    expect(await name('pdb_org', orgId)).toBe('Org Changed Before Crash');
    expect(await name('pdb_net', 5)).toBe('Net Changed Before Crash');
    const runs = (await listSyncRuns(db)).results;
    expect(runs.find((r) => r.id === killed.id)).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/interrupted/),
    });
  });
});
