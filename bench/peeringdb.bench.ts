// PeeringDB at full scale: a generated data set shaped like the real sample (~30k org/net, 60k
// netixlan, …), measured as a full sync over loopback HTTP, an offline dump import, and an
// incremental run with 1% of objects changed or deleted, on SQLite (file) and PostgreSQL.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { openDb, type Db } from '../src/platform/db.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { PeeringDbClient } from '../src/peeringdb/peeringdb.client.ts';
import { syncPeeringDb } from '../src/peeringdb/peeringdb.sync.ts';
import { importPeeringDb } from '../src/peeringdb/peeringdb.import.ts';
import { PDB_DATA_DIR, PeeringDbServer, loadPages } from '../test/support/peeringdb-server.ts';

type Obj = { id: number; updated: string; status: string; [k: string]: unknown };

const SIZES = {
  org: 30_000,
  net: 30_000,
  ix: 1_200,
  ixlan: 1_400,
  ixpfx: 2_000,
  netixlan: 60_000,
  poc: 30_000,
  fac: 5_000,
  netfac: 20_000,
  ixfac: 2_500,
};

// A small deterministic PRNG so every run measures the same data.
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Generates the full-scale data set from templates of the real captured objects. */
export function generate(seed = 42): Record<string, Obj[]> {
  const rand = rng(seed);
  const pick = <T>(a: T[]): T => a[Math.floor(rand() * a.length)];
  const sample = loadPages(PDB_DATA_DIR) as Map<string, Obj[]>;
  const start = Date.parse('2010-07-29T00:00:00Z');
  const end = Date.parse('2026-04-15T00:00:00Z');
  // Real `updated` values skew recent: most objects were touched in the last few years.
  const stamp = () => new Date(end - Math.pow(rand(), 2.5) * (end - start)).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const from = (type: string, id: number, extra: Record<string, unknown>): Obj => {
    const created = stamp();
    const updated = stamp();
    return {
      ...pick(sample.get(type)!),
      id,
      created: created < updated ? created : updated,
      updated: created < updated ? updated : created,
      status: 'ok',
      ...extra,
    };
  };
  const out: Record<string, Obj[]> = {};
  out.org = Array.from({ length: SIZES.org }, (_, i) => from('org', i + 1, { name: `Organisation ${i + 1}` }));
  const asns: number[] = [];
  const used = new Set<number>();
  while (asns.length < SIZES.net) {
    const a = rand() < 0.6 ? 1 + Math.floor(rand() * 64000) : 131072 + Math.floor(rand() * 300000);
    if (!used.has(a)) {
      used.add(a);
      asns.push(a);
    }
  }
  out.net = asns.map((asn, i) =>
    from('net', i + 1, {
      asn,
      org_id: 1 + Math.floor(rand() * SIZES.org),
      name: `Network AS${asn}`,
      irr_as_set: rand() < 0.3 ? '' : `RIPE::AS${asn}:AS-CUSTOMERS`,
    }),
  );
  out.fac = Array.from({ length: SIZES.fac }, (_, i) =>
    from('fac', i + 1, { org_id: 1 + Math.floor(rand() * SIZES.org), name: `Facility ${i + 1}` }),
  );
  out.ix = Array.from({ length: SIZES.ix }, (_, i) =>
    from('ix', i + 1, { org_id: 1 + Math.floor(rand() * SIZES.org), name: `Exchange ${i + 1}` }),
  );
  out.ixlan = Array.from({ length: SIZES.ixlan }, (_, i) =>
    from('ixlan', i + 1, { ix_id: i < SIZES.ix ? i + 1 : 1 + Math.floor(rand() * SIZES.ix) }),
  );
  out.ixpfx = [];
  const lanV4 = new Map<number, number>();
  for (let i = 0; out.ixpfx.length < SIZES.ixpfx; i++) {
    const lan = (i % SIZES.ixlan) + 1;
    const v6 = i >= SIZES.ixlan;
    const prefix = v6 ? `2001:7f8:${lan.toString(16)}::/64` : `${100 + (lan >> 8)}.${lan & 255}.0.0/21`;
    if (!v6) lanV4.set(lan, lan);
    out.ixpfx.push(from('ixpfx', out.ixpfx.length + 1, { ixlan_id: lan, protocol: v6 ? 'IPv6' : 'IPv4', prefix }));
  }
  // Membership is heavy-tailed: a few exchanges carry hundreds of members, most a handful.
  out.netixlan = [];
  const hostNo = new Map<number, number>();
  for (let i = 0; i < SIZES.netixlan; i++) {
    const lan = Math.min(SIZES.ixlan, 1 + Math.floor(Math.pow(rand(), 2) * SIZES.ixlan));
    const net = out.net[Math.floor(rand() * out.net.length)];
    const h = (hostNo.get(lan) ?? 0) + 1;
    hostNo.set(lan, h);
    const ix = out.ixlan[lan - 1].ix_id as number;
    out.netixlan.push(
      from('netixlan', i + 1, {
        net_id: net.id,
        asn: net.asn,
        ixlan_id: lan,
        ix_id: ix,
        ipaddr4: rand() < 0.02 ? null : `${100 + (lan >> 8)}.${lan & 255}.${(h >> 8) & 7}.${h & 255}`,
        ipaddr6:
          rand() < 0.12 ? null : `2001:7f8:${lan.toString(16)}::${(net.asn as number).toString(16)}:${h.toString(16)}`,
        speed: pick([1000, 10000, 10000, 100000, 20000, 400000]),
        is_rs_peer: rand() < 0.7,
      }),
    );
  }
  out.poc = Array.from({ length: SIZES.poc }, (_, i) =>
    from('poc', i + 1, { net_id: 1 + Math.floor(rand() * SIZES.net) }),
  );
  out.netfac = Array.from({ length: SIZES.netfac }, (_, i) =>
    from('netfac', i + 1, { net_id: 1 + Math.floor(rand() * SIZES.net), fac_id: 1 + Math.floor(rand() * SIZES.fac) }),
  );
  out.ixfac = Array.from({ length: SIZES.ixfac }, (_, i) =>
    from('ixfac', i + 1, { ix_id: 1 + Math.floor(rand() * SIZES.ix), fac_id: 1 + Math.floor(rand() * SIZES.fac) }),
  );
  return out;
}

/** Changes 1% of every type on the server: two thirds modified, one third deleted. */
function churn(server: PeeringDbServer, seed = 7): number {
  const rand = rng(seed);
  let n = 0;
  for (const [type, rows] of server.store) {
    const ids = [...rows.keys()];
    const k = Math.max(1, Math.round(ids.length * 0.01));
    for (let i = 0; i < k; i++) {
      const id = ids[Math.floor(rand() * ids.length)];
      if (rows.get(id)!.status !== 'ok') continue;
      if (i % 3 === 2) server.remove(type, id);
      else server.upsert(type, { id, notes: `changed ${i}` });
      n++;
    }
  }
  return n;
}

let peakRss = 0;
function sampleRss() {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}

async function measure<T>(fn: () => Promise<T>): Promise<{ seconds: number; result: T }> {
  const t0 = performance.now();
  const timer = setInterval(sampleRss, 20);
  try {
    const result = await fn();
    return { seconds: Math.round((performance.now() - t0) / 10) / 100, result };
  } finally {
    clearInterval(timer);
    sampleRss();
  }
}

/**
 * The fake PeeringDB runs in a child process that generates the data set and writes the dump, so the
 * measured process holds only what Peerdesk itself needs (its peak RSS is the figure that counts).
 */
class ServerProcess {
  private child: ChildProcess;
  private lines: AsyncIterator<string>;
  constructor(dumpFile: string) {
    this.child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve', dumpFile], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.lines = createInterface({ input: this.child.stdout! })[Symbol.asyncIterator]();
  }
  async read(): Promise<any> {
    const { value, done } = await this.lines.next();
    if (done) throw new Error('the PeeringDB bench server exited');
    return JSON.parse(value);
  }
  async send(cmd: string): Promise<any> {
    this.child.stdin!.write(cmd + '\n');
    return this.read();
  }
  async close(): Promise<void> {
    this.child.stdin!.end();
    await new Promise((r) => this.child.once('exit', r));
  }
}

/** Child side: generate, write the dump, serve it; `churn` changes 1%, `reset` reloads. */
async function serve(dumpFile: string): Promise<void> {
  const data = generate();
  writeFileSync(
    dumpFile,
    JSON.stringify(Object.fromEntries(Object.entries(data).map(([t, rows]) => [t, { data: rows }]))),
  );
  let server = new PeeringDbServer([]);
  server.load(structuredClone(data));
  await server.start();
  const say = (o: unknown) => process.stdout.write(JSON.stringify(o) + '\n');
  say({ url: server.url, objects: Object.fromEntries(Object.entries(data).map(([t, rows]) => [t, rows.length])) });
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'churn') say({ changed: churn(server) });
    else if (line === 'reset') {
      await server.close();
      server = new PeeringDbServer([]);
      server.load(structuredClone(data));
      await server.start();
      say({ url: server.url });
    }
  }
  await server.close();
}

async function engineRun(
  name: string,
  open: () => Promise<{ db: Db; cleanup: () => Promise<void> }>,
  server: ServerProcess,
  url: string,
  dumpFile: string,
) {
  const out: Record<string, unknown> = {};
  const before = peakRss;
  peakRss = 0;
  // 1. Full sync over loopback HTTP (paged, as against PeeringDB), then 1% churn, incremental.
  {
    const { db, cleanup } = await open();
    try {
      const client = new PeeringDbClient({ baseUrl: url, pageSize: 5000 });
      // Fetch (HTTP + JSON) and apply (one transaction) are timed apart: the first depends on the network.
      const t0 = performance.now();
      let fetched = 0;
      const full = await measure(() =>
        syncPeeringDb(db, {
          client,
          progress: (f) => {
            if (f >= 0.8 && !fetched) fetched = performance.now();
          },
        }),
      );
      out.full_sync_http_s = full.seconds;
      out.full_fetch_s = Math.round((fetched - t0) / 10) / 100;
      out.full_apply_s = Math.round((full.seconds - (fetched - t0) / 1000) * 100) / 100;
      out.full_requests = full.result.requests;
      out.changed_objects = (await server.send('churn')).changed;
      const inc = await measure(() => syncPeeringDb(db, { client }));
      out.incremental_s = inc.seconds;
      out.incremental_counts = Object.values(inc.result.counts).reduce(
        (s, c) => ({
          created: s.created + c!.created,
          updated: s.updated + c!.updated,
          deleted: s.deleted + c!.deleted,
        }),
        { created: 0, updated: 0, deleted: 0 },
      );
    } finally {
      await cleanup();
    }
  }
  out.sync_peak_rss_mib = Math.round(peakRss / 1048576);
  const syncPeak = peakRss;
  peakRss = 0;
  // 2. Offline import of one dump file (parse + apply), into an empty database.
  {
    const { db, cleanup } = await open();
    try {
      out.full_import_s = (await measure(() => importPeeringDb(db, dumpFile))).seconds;
    } finally {
      await cleanup();
    }
  }
  out.import_peak_rss_mib = Math.round(peakRss / 1048576);
  peakRss = Math.max(before, syncPeak, peakRss);
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [`${name}_${k}`, v]));
}

/** Runs the benchmark; returns its figures (the runner prints them as one JSON line). */
export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'peerdesk-bench-pdb-'));
  const dumpFile = join(dir, 'peeringdb-dump.json');
  const server = new ServerProcess(dumpFile);
  const figures: Record<string, unknown> = {};
  try {
    const hello = await server.read();
    figures.objects = hello.objects;
    figures.total_objects = Object.values(hello.objects as Record<string, number>).reduce((s, n) => s + n, 0);
    figures.dump_mib = Math.round(statSync(dumpFile).size / 1048576);
    let n = 0;
    Object.assign(
      figures,
      await engineRun(
        'sqlite',
        async () => {
          const file = join(dir, `bench-${n++}.db`);
          const db = await openDb(`sqlite:${file}`);
          await migrateToLatest(db);
          return { db, cleanup: () => db.destroy() };
        },
        server,
        hello.url,
        dumpFile,
      ),
    );
    const pgUrl = process.env.PEERDESK_BENCH_POSTGRES_URL ?? process.env.PEERDESK_TEST_POSTGRES_URL;
    if (pgUrl) {
      const { url } = await server.send('reset');
      Object.assign(
        figures,
        await engineRun(
          'postgres',
          async () => {
            const name = `pdbench_${randomBytes(4).toString('hex')}`;
            const admin = await openDb(pgUrl);
            await sql.raw(`create database ${name}`).execute(admin);
            await admin.destroy();
            const u = new URL(pgUrl);
            u.pathname = `/${name}`;
            const db = await openDb(u.toString());
            await migrateToLatest(db);
            return {
              db,
              cleanup: async () => {
                await db.destroy();
                const a = await openDb(pgUrl);
                await sql.raw(`drop database if exists ${name} with (force)`).execute(a);
                await a.destroy();
              },
            };
          },
          server,
          url,
          dumpFile,
        ),
      );
    } else {
      figures.postgres = 'skipped: set PEERDESK_BENCH_POSTGRES_URL or PEERDESK_TEST_POSTGRES_URL';
    }
  } finally {
    await server.close().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
  figures.peak_rss_mib = Math.round(peakRss / 1048576);
  figures.goals = { full_sqlite_s: 10, full_postgres_s: 20, incremental_s: 1, peak_rss_mib: 1024 };
  const ok = (v: unknown, max: number) => typeof v !== 'number' || v < max;
  figures.meets_goals =
    ok(figures.sqlite_full_sync_http_s, 10) &&
    ok(figures.sqlite_full_import_s, 10) &&
    ok(figures.postgres_full_sync_http_s, 20) &&
    ok(figures.postgres_full_import_s, 20) &&
    ok(figures.sqlite_incremental_s, 1) &&
    ok(figures.postgres_incremental_s, 1) &&
    (figures.peak_rss_mib as number) < 1024;
  figures.baseline = "peeringdb-py's first sync: 8-15 min (reported)";
  return figures;
}

if (process.argv[2] === '--serve') {
  await serve(process.argv[3]);
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(JSON.stringify(await run()) + '\n');
}
