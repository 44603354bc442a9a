// API benchmark: 100,000 peering sessions; 16 connections for 20 s listing filtered pages of 50
// (autocannon), against `peerdesk serve` in its own process, on SQLite and on PostgreSQL.
// Goal (issue #2): p99 < 50 ms and >= 2,000 requests/s on the 2-core machine.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import { openDb, type Db } from '../src/platform/db.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { createToken, createUser } from '../src/auth/auth.service.ts';

const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 100_000);
const DURATION = Number(process.env.BENCH_DURATION ?? 20);

/** Seeds routers, relationships, fabrics, peer ASNs, BGP peers and sessions with bulk inserts. */
export async function seed(db: Db): Promise<void> {
  const t = new Date().toISOString();
  const stamp = { created_at: t, updated_at: t, version: 1 };
  const rels = ['transit', 'customer', 'peer', 'ixp-rs'];
  await db
    .insertInto('relationships')
    .values(rels.map((slug) => ({ slug, name: slug, color: '4caf50', ...stamp })))
    .execute();
  await db
    .insertInto('routers')
    .values(
      Array.from({ length: 20 }, (_, i) => ({
        name: `rt${i}`,
        local_asn: 64500,
        status: 'active',
        polling_enabled: false,
        ...stamp,
      })),
    )
    .execute();
  await db
    .insertInto('fabrics')
    .values(
      Array.from({ length: 10 }, (_, i) => ({
        name: `IX${i}`,
        slug: `ix${i}`,
        type: 'ixp',
        status: 'active',
        ...stamp,
      })),
    )
    .execute();
  await db
    .insertInto('peering_networks')
    .values(
      Array.from({ length: 10 }, (_, i) => ({
        fabric_id: i + 1,
        name: 'lan',
        prefix: `10.${i}.0.0/16`,
        prefix_key: `40a${i.toString(16)}00000/016`,
        family: 4,
        status: 'active',
        ...stamp,
      })),
    )
    .execute();
  const asns = 5000;
  for (let i = 0; i < asns; i += 1000) {
    await db
      .insertInto('peer_asns')
      .values(
        Array.from({ length: 1000 }, (_, j) => ({
          asn: 65000 + i + j,
          name: `Network ${i + j}`,
          affiliated: false,
          ipv4_max_prefixes: 100,
          follow_peeringdb_name: true,
          follow_peeringdb_irr_as_set: true,
          follow_peeringdb_max_prefixes: true,
          ...stamp,
        })),
      )
      .execute();
  }
  const states = ['established', 'established', 'established', 'idle', 'active'];
  const chunk = 2000;
  for (let i = 0; i < SESSIONS; i += chunk) {
    const peers = Array.from({ length: Math.min(chunk, SESSIONS - i) }, (_, j) => {
      const n = i + j;
      const net = n % 10;
      const host = 256 + Math.floor(n / 10);
      const ip = `10.${net}.${host >> 8}.${host & 255}`;
      return {
        router_id: (n % 20) + 1,
        vrf: '',
        peer_ip: ip,
        peer_ip_key: '4' + [10, net, host >> 8, host & 255].map((b) => b.toString(16).padStart(2, '0')).join(''),
        family: 4,
        local_asn: 64500,
        remote_asn: 65000 + (n % asns),
        enabled: true,
        status: 'active',
        ttl_security: false,
        state: states[n % 5],
        prefixes_received: n % 150,
        ...stamp,
      };
    });
    const ids = await db.insertInto('bgp_peers').values(peers).returning('id').execute();
    await db
      .insertInto('bgp_peer_address_families')
      .values(ids.map((r) => ({ bgp_peer_id: r.id, afi_safi: 'ipv4-unicast', enabled: true })))
      .execute();
    await db
      .insertInto('peering_sessions')
      .values(
        ids.map((r, j) => ({
          bgp_peer_id: r.id,
          peer_asn_id: ((i + j) % asns) + 1,
          relationship_id: ((i + j) % 4) + 1,
          network_id: ((i + j) % 10) + 1,
          service_reference: `NOC-${i + j}`,
          ...stamp,
        })),
      )
      .execute();
  }
}

async function waitForHealth(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error('server exited');
    try {
      if ((await fetch(`${url}/api/health`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not start');
}

async function runOne(engine: 'sqlite' | 'postgres', cache: boolean, polls = false) {
  const dir = mkdtempSync(join(tmpdir(), 'pd-bench-'));
  let url: string;
  let dropPg: (() => Promise<void>) | null = null;
  if (engine === 'sqlite') url = `sqlite:${join(dir, 'bench.db')}`;
  else {
    const base = process.env.PEERDESK_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
    const admin = await openDb(base);
    const name = `pd_bench_${process.pid}`;
    await sql.raw(`drop database if exists ${name} with (force)`).execute(admin);
    await sql.raw(`create database ${name}`).execute(admin);
    const u = new URL(base);
    u.pathname = `/${name}`;
    url = u.toString();
    dropPg = async () => {
      await sql.raw(`drop database if exists ${name} with (force)`).execute(admin);
      await admin.destroy();
    };
  }
  const db = await openDb(url);
  await migrateToLatest(db);
  const seedStart = Date.now();
  await seed(db);
  if (engine === 'postgres') await sql`analyze`.execute(db);
  const seedS = (Date.now() - seedStart) / 1000;
  const user = await createUser(db, { username: 'bench', password: 'bench-password', role: 'viewer' });
  const { key } = await createToken(db, user.id);
  await db.destroy();

  const port = 18080 + (engine === 'sqlite' ? 1 : 2);
  const child = spawn(process.execPath, ['bin/peerdesk.js', 'serve', '--port', String(port), '--no-worker'], {
    env: {
      ...process.env,
      PEERDESK_API_CACHE: cache ? '1' : '0',
      PEERDESK_DATABASE_URL: url,
      PEERDESK_DATA_DIR: dir,
      PEERDESK_LOG_LEVEL: 'warn',
      PEERDESK_SECRET_KEY: 'b'.repeat(40),
      PEERDESK_ADMIN_PASSWORD: 'bench-admin',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(base, child);
    // Filtered pages across the list, as a coordinator paging through "peer" sessions would.
    const requests = Array.from({ length: 50 }, (_, i) => ({
      method: 'GET' as const,
      path: `/api/peering-sessions/?relationship=peer&limit=50&offset=${i * 50}`,
    }));
    const sample = await fetch(`${base}${requests[0].path}`, { headers: { authorization: `Token ${key}` } }).then((r) =>
      r.json(),
    );
    if (sample.count !== SESSIONS / 4 || sample.results.length !== 50)
      throw new Error(`unexpected answer: count ${sample.count}`);
    await autocannon({ url: base, connections: 16, duration: 3, headers: { authorization: `Token ${key}` }, requests }); // warm-up
    // With polls landing every 10 s (as a worker polling routers would write state), from another handle.
    const pollDb = polls ? await openDb(url) : null;
    const stopPolls = pollDb
      ? await (await import('./poll.bench.ts')).startSyntheticPolls(pollDb, { intervalMs: 10_000 })
      : null;
    let r: Awaited<ReturnType<typeof autocannon>>;
    try {
      r = await autocannon({
        url: base,
        connections: 16,
        duration: DURATION,
        headers: { authorization: `Token ${key}` },
        requests,
      });
    } finally {
      await stopPolls?.();
      await pollDb?.destroy();
    }
    return {
      engine,
      read_cache: cache,
      polls_every_10s: polls,
      sessions: SESSIONS,
      seed_s: seedS,
      requests_per_s: Math.round(r.requests.average),
      latency_p50_ms: r.latency.p50,
      latency_p99_ms: r.latency.p99,
      errors: r.errors + r.non2xx,
      goal_met: r.latency.p99 < 50 && r.requests.average >= 2000,
      ratio_rps_vs_goal_2000: +(r.requests.average / 2000).toFixed(2),
      ratio_p99_vs_goal_50ms: +(r.latency.p99 / 50).toFixed(2),
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await dropPg?.();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the benchmark on both engines. */
export async function run(): Promise<Record<string, unknown>> {
  const engines = (process.env.BENCH_ENGINES ?? 'sqlite,postgres').split(',') as ('sqlite' | 'postgres')[];
  const results: Record<string, unknown> = {};
  for (const e of engines) {
    results[e] = await runOne(e, true);
    if (process.env.BENCH_POLLS !== '0') results[`${e}_polling`] = await runOne(e, true, true);
    // The same load with the read cache off: what every request costs the database.
    if (process.env.BENCH_UNCACHED !== '0') results[`${e}_uncached`] = await runOne(e, false);
  }
  return { goal: 'p99 < 50 ms and >= 2000 req/s (16 connections, pages of 50 with a filter)', ...results };
}
