// Sync over HTTP against the loopback PeeringDB (real captured pages), on SQLite and PostgreSQL.
import { dynamic } from '../platform/db.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDb, engines, type TestDb } from '../../test/support/db.ts';
import {
  LUCIX_DATA_DIR,
  PDB_DATA_DIR,
  PeeringDbServer,
  loadPages,
  startPeeringDbServer,
} from '../../test/support/peeringdb-server.ts';
import { PeeringDbClient, parseRetryAfter } from './peeringdb.client.ts';
import { listSyncRuns, mirrorStatus, syncPeeringDb } from './peeringdb.sync.ts';
import { importPeeringDb } from './peeringdb.import.ts';

function client(server: PeeringDbServer, waits: number[] = []) {
  return new PeeringDbClient({
    baseUrl: server.url,
    apiKey: 'test-key',
    pageSize: 100,
    retries: 4,
    backoffMs: 1,
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
}

async function count(db: TestDb['db'], table: string, where?: [string, unknown]): Promise<number> {
  let q = dynamic(db)
    .selectFrom(table)
    .select((eb) => eb.fn.countAll().as('n'));
  if (where) q = q.where(where[0], '=', where[1]);
  return Number(((await q.executeTakeFirstOrThrow()) as any).n);
}

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10000);
    expect(parseRetryAfter(null)).toBeNull();
  });
});

describe('PeeringDbClient against the loopback PeeringDB', () => {
  let server: PeeringDbServer;
  beforeAll(async () => {
    server = await startPeeringDbServer([LUCIX_DATA_DIR]);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('gets one object with its sets (depth) and filters lists (id__in)', async () => {
    const c = client(server);
    const net = await c.get('net', 4840, { depth: 2 });
    expect(net).toMatchObject({ asn: 2602, name: 'Fondation RESTENA' });
    expect((net as any).netixlan_set.map((n: any) => n.ipaddr4)).toEqual(['188.93.170.9']);
    expect(await c.get('net', 1)).toBeNull();
    const two = await c.list('org', { query: { id__in: '376,625' } });
    expect(two.map((o) => o.id)).toEqual([376, 625]);
  });

  it('times out slow answers, retries with backoff, then gives up with a clear error', async () => {
    server.faults = { latencyMs: 300 };
    const waits: number[] = [];
    const c = new PeeringDbClient({
      baseUrl: server.url,
      timeoutMs: 100,
      retries: 2,
      backoffMs: 10,
      sleep: async (ms) => void waits.push(ms),
    });
    await expect(c.list('ix')).rejects.toThrow(/timed out after 100 ms.*gave up after 3 attempts/);
    expect(waits).toHaveLength(2);
    expect(waits[1]).toBeGreaterThanOrEqual(waits[0] / 2); // exponential with jitter: 5–10 ms, then 10–20 ms
    server.faults = { status: 503 };
    await expect(c.list('ix')).rejects.toMatchObject({ code: 'peeringdb_unavailable' });
    server.faults = {};
    expect((await c.list('ix')).map((o) => o.id)).toEqual([297]);
  });
});

describe.each(engines())('PeeringDB sync on %s', (engine) => {
  let t: TestDb;
  let server: PeeringDbServer;

  beforeAll(async () => {
    t = await createTestDb(engine);
    server = await startPeeringDbServer();
  });
  afterAll(async () => {
    await server?.close();
    await t?.drop();
  });

  it('first run loads everything over HTTP with paging, the API key and a user agent', async () => {
    const progress: number[] = [];
    const run = await syncPeeringDb(t.db, { client: client(server), progress: (f) => void progress.push(f) });
    expect(run.status).toBe('succeeded');
    expect(run.mode).toBe('full');
    expect(run.counts.net).toMatchObject({ created: 500, updated: 0, deleted: 0 });
    expect(run.counts.poc!.created).toBe(40);
    expect(run.finished_at).not.toBeNull();
    expect(await count(t.db, 'pdb_netixlan')).toBe(500);

    // DE-CIX Frankfurt: ixlan 31, 70 members on 80.81.192.0/21 and 2001:7f8::/64.
    expect(await count(t.db, 'pdb_netixlan', ['ixlan_id', 31])).toBe(70);
    const pfx = await t.db
      .selectFrom('pdb_ixpfx')
      .select(['prefix', 'protocol'])
      .where('ixlan_id', '=', 31)
      .orderBy('protocol')
      .execute();
    expect(pfx).toEqual([
      { prefix: '80.81.192.0/21', protocol: 'IPv4' },
      { prefix: '2001:7f8::/64', protocol: 'IPv6' },
    ]);
    const ix = await t.db.selectFrom('pdb_ix').selectAll().where('id', '=', 31).executeTakeFirstOrThrow();
    expect(ix.name).toBe('DE-CIX Frankfurt');
    expect(JSON.parse(ix.data).id).toBe(31);
    const net = await t.db.selectFrom('pdb_net').selectAll().where('asn', '=', 1299).executeTakeFirst();
    if (net) expect(net.irr_as_set).toContain('AS');

    const netReqs = server.requestsFor('net');
    expect(netReqs.length).toBe(6); // 500 objects in pages of 100, then an empty page
    expect(netReqs.every((r) => r.query.depth === '0' && r.query.limit === '100' && r.query.since === undefined)).toBe(
      true,
    );
    expect(netReqs.map((r) => r.query.skip)).toEqual(['0', '100', '200', '300', '400', '500']);
    expect(
      server.log.every((r) => r.authorization === 'Api-Key test-key' && /^Peerdesk\//.test(r.userAgent ?? '')),
    ).toBe(true);
    expect(progress.at(-1)).toBe(1);

    const status = await mirrorStatus(t.db);
    expect(status.types.ixlan.count).toBe(500);
    expect(status.types.netixlan.last_updated).toBe('2026-04-14T15:10:27Z');
    expect(status.last_success?.id).toBe(run.id);
  });

  it('later runs ask ?since=<last updated − 1 s> and apply creates, updates and deletions', async () => {
    server.log.length = 0;
    const deCixMember = server.ok('netixlan').find((o) => o.ixlan_id === 31)!;
    server.upsert('net', { id: 5, name: 'Renamed Network' });
    server.upsert('netixlan', {
      ...deCixMember,
      id: 999001,
      ipaddr4: '80.81.199.1',
      ipaddr6: '2001:07F8:0000::FFFF:1',
      asn: 64500,
    });
    server.remove('netixlan', deCixMember.id);
    server.remove('ix', server.ok('ix').at(-1)!.id);

    const run = await syncPeeringDb(t.db, { client: client(server) });
    expect(run.mode).toBe('incremental');
    expect(run.status).toBe('succeeded');
    expect(run.counts.net).toMatchObject({ created: 0, updated: 1, deleted: 0 });
    expect(run.counts.netixlan).toMatchObject({ created: 1, updated: 0, deleted: 1 });
    expect(run.counts.ix).toMatchObject({ deleted: 1 });
    expect(run.counts.org).toMatchObject({ created: 0, updated: 0, deleted: 0 });

    const since = server.requestsFor('netixlan')[0].query.since;
    expect(Number(since)).toBe(Date.parse('2026-04-14T15:10:27Z') / 1000 - 1);
    expect(server.requestsFor('org')[0].query.since).toBeDefined();

    expect((await t.db.selectFrom('pdb_net').select('name').where('id', '=', 5).executeTakeFirstOrThrow()).name).toBe(
      'Renamed Network',
    );
    expect(await count(t.db, 'pdb_netixlan', ['id', deCixMember.id])).toBe(0);
    const added = await t.db.selectFrom('pdb_netixlan').selectAll().where('id', '=', 999001).executeTakeFirstOrThrow();
    expect(added.ipaddr6).toBe('2001:7f8::ffff:1'); // canonical text, like the core
    expect(await count(t.db, 'pdb_netixlan', ['ixlan_id', 31])).toBe(70);
    expect(await count(t.db, 'pdb_ix')).toBe(499);

    // Nothing changed since: a run that only re-sees the overlap second counts nothing.
    const again = await syncPeeringDb(t.db, { client: client(server) });
    expect(Object.values(again.counts).every((c) => c!.created + c!.updated + c!.deleted === 0)).toBe(true);
  });

  it('honours 429 Retry-After through a storm', async () => {
    server.faults = { rateLimit: { count: 5, retryAfter: 2 } };
    const waits: number[] = [];
    server.upsert('org', { id: 2, name: 'Org After Storm' });
    const run = await syncPeeringDb(t.db, { client: client(server, waits) });
    expect(run.status).toBe('succeeded');
    expect(waits).toEqual([2000, 2000, 2000, 2000, 2000]);
    expect(run.counts.org!.updated).toBe(1);
    expect(server.log.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(5);
    server.faults = {};
  });

  it('a sync killed mid-fetch leaves the previous mirror intact and the next run completes', async () => {
    server.upsert('net', { id: 5, name: 'Name After Crash' });
    server.upsert('org', { id: 2, name: 'Org After Crash' });
    server.log.length = 0;
    server.answered = 0;
    server.faults = { dieAfter: 6 }; // org and fac pages succeed, then the server goes away
    await expect(syncPeeringDb(t.db, { client: client(server) })).rejects.toThrow(/gave up/);
    expect((await t.db.selectFrom('pdb_org').select('name').where('id', '=', 2).executeTakeFirstOrThrow()).name).toBe(
      'Org After Storm',
    );
    const runs = await listSyncRuns(t.db);
    expect(runs.results[0]).toMatchObject({ status: 'failed' });
    expect(runs.results[0].error).toMatch(/gave up/);

    server.faults = {};
    const run = await syncPeeringDb(t.db, { client: client(server) });
    expect(run.status).toBe('succeeded');
    expect((await t.db.selectFrom('pdb_net').select('name').where('id', '=', 5).executeTakeFirstOrThrow()).name).toBe(
      'Name After Crash',
    );
    expect((await t.db.selectFrom('pdb_org').select('name').where('id', '=', 2).executeTakeFirstOrThrow()).name).toBe(
      'Org After Crash',
    );
  });

  it('a crash while applying rolls the whole run back (no type half-applied)', async () => {
    server.upsert('org', { id: 2, name: 'Org Never Seen' });
    server.upsert('net', { id: 5, name: 'Net Never Seen' });
    const stateBefore = await mirrorStatus(t.db);
    await expect(
      syncPeeringDb(t.db, {
        client: client(server),
        hooks: {
          afterType: (type) => {
            if (type === 'net') throw new Error('simulated crash');
          },
        },
      }),
    ).rejects.toThrow('simulated crash');
    expect((await t.db.selectFrom('pdb_org').select('name').where('id', '=', 2).executeTakeFirstOrThrow()).name).toBe(
      'Org After Crash',
    );
    expect((await t.db.selectFrom('pdb_net').select('name').where('id', '=', 5).executeTakeFirstOrThrow()).name).toBe(
      'Name After Crash',
    );
    expect((await mirrorStatus(t.db)).types.org.last_updated).toBe(stateBefore.types.org.last_updated);

    const run = await syncPeeringDb(t.db, { client: client(server) });
    expect(run.counts.org!.updated).toBe(1);
    expect((await t.db.selectFrom('pdb_net').select('name').where('id', '=', 5).executeTakeFirstOrThrow()).name).toBe(
      'Net Never Seen',
    );
  });

  it('runs as the peeringdb.sync job with progress and a log', async () => {
    const { jobs } = await import('./peeringdb.jobs.ts');
    const job = jobs.find((j) => j.kind === 'peeringdb.sync')!;
    const logs: string[] = [];
    const progress: number[] = [];
    const saved = process.env.PEERDESK_PEERINGDB_URL;
    process.env.PEERDESK_PEERINGDB_URL = server.url;
    server.upsert('net', { id: 5, name: 'Renamed By Job' });
    try {
      const result: any = await job.run({
        db: t.db,
        jobId: 1,
        userId: null,
        payload: job.payload.parse({}),
        signal: new AbortController().signal,
        log: async (m) => void logs.push(m),
        progress: async (f) => void progress.push(f),
      });
      expect(result.mode).toBe('incremental');
      expect(result.counts.net.updated).toBe(1);
      expect(result.peer_asns).toMatchObject({ checked: 0 });
      expect(logs[0]).toMatch(/incremental sync/);
      expect(progress.at(-1)).toBe(1);
      expect((await listSyncRuns(t.db)).results[0]).toMatchObject({ id: result.run_id, status: 'succeeded' });
    } finally {
      if (saved === undefined) delete process.env.PEERDESK_PEERINGDB_URL;
      else process.env.PEERDESK_PEERINGDB_URL = saved;
    }
  });

  it('--full reloads and deletes what PeeringDB no longer has', async () => {
    const run = await syncPeeringDb(t.db, { client: client(server), full: true, types: ['netixlan'] });
    expect(run.mode).toBe('full');
    expect(run.counts.netixlan).toMatchObject({ created: 0, updated: 0, deleted: 0, fetched: 500 });
  });
});

describe.each(engines())('PeeringDB offline import on %s', (engine) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(engine);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('imports a folder of API pages', async () => {
    const run = await importPeeringDb(t.db, PDB_DATA_DIR);
    expect(run).toMatchObject({ mode: 'import', status: 'succeeded' });
    expect(run.counts.netixlan!.created).toBe(500);
    expect(await count(t.db, 'pdb_netixlan', ['ixlan_id', 31])).toBe(70);
  });

  it('imports a single JSON dump and replaces the types it holds', async () => {
    const pages = loadPages(LUCIX_DATA_DIR);
    const dump: Record<string, unknown> = {};
    for (const [type, data] of pages) dump[type] = { data, meta: {} };
    const file = join(mkdtempSync(join(tmpdir(), 'pdb-dump-')), 'peeringdb.json');
    writeFileSync(file, JSON.stringify(dump));
    const run = await importPeeringDb(t.db, file);
    expect(run.counts.net).toMatchObject({ created: 2, deleted: 500 }); // the dump is the whole truth for the types it holds
    const net = await t.db.selectFrom('pdb_net').selectAll().where('asn', '=', 2602).executeTakeFirstOrThrow();
    expect(net).toMatchObject({ id: 4840, asn: 2602, name: 'Fondation RESTENA', irr_as_set: 'AS-RESTENA' });
    const prefixes = (
      await t.db.selectFrom('pdb_ixpfx').select('prefix').where('ixlan_id', '=', 297).orderBy('id').execute()
    ).map((r) => r.prefix);
    expect(prefixes).toEqual(['188.93.170.0/23', '2001:7f8:4c::/64']);
  });

  it('rejects a path with no PeeringDB data', async () => {
    await expect(importPeeringDb(t.db, tmpdir() + '/does-not-exist')).rejects.toThrow(/does not exist/);
  });
});
