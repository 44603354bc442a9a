// Poll benchmark (issue #9): 10 BIRD 2 daemons on loopback (127.0.3.101–110), 100 BGP neighbours each
// (1,000 sessions; they need not be up: towards 127.0.3.150–249, where nothing listens), all known to Peerdesk.
// Figures: wall time and peak RSS of one full poll (all routers, PEERDESK_POLL_CONCURRENCY), and the
// ratio to the slowest single router's poll. Goal: ratio ≤ 1.5 (concurrent, not the sum), RSS < 300 MiB.
// Two phases, in one run, on the same daemons and database:
// - loopback (the unprefixed figures): Peerdesk talks to each BIRD's control socket directly. Each BIRD
//   answers in well under a millisecond, so the poll is pure CPU (the daemons and Node sharing the
//   machine's cores): its ratio shows CPU contention and Peerdesk's own cost, not concurrency.
// - latency (`latency_*`): the same routers reached through a proxy per router (a Unix socket in the
//   lab's directory) that holds every chunk, in each direction, for BENCH_POLL_DELAY_MS (default 10 ms
//   one way, 20 ms per exchange: a router on a nearby network). Waiting dominates, as with real
//   routers, so its ratio shows whether routers are polled concurrently (≈ 1) or one after another
//   (≈ the number of routers ÷ PEERDESK_POLL_CONCURRENCY waves, or the sum). The proxies run in the
//   bench's own process; their forwarding is counted in Peerdesk's CPU for that phase.
// To profile the poll, a script can start the same lab with startPollLab() and loop pollRouters over
// lab.routerIds under `node --cpu-prof` (call lab.stop() at the end: it stops the daemons).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDb, type Db } from '../src/platform/db.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { parseIp } from '../src/platform/ip.ts';
import { SecretBox } from '../src/platform/crypto.ts';
import { pollRouters } from '../src/polling/poll.service.ts';
import { pollConcurrency } from '../src/polling/router-access.ts';

const ROUTERS = 10;
const PER_ROUTER = 100;
const PORT = Number(process.env.BENCH_POLL_PORT ?? 21990);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

function birdConf(i: number, dir: string): string {
  const me = `127.0.3.${101 + i}`;
  const protocols = Array.from(
    { length: PER_ROUTER },
    (_, j) =>
      `protocol bgp n${j} from peer { neighbor 127.0.3.${150 + j} port ${PORT} as ${65000 + j}; description "bench neighbour ${j}"; }`,
  );
  return `router id ${me};
log "${join(dir, `bird${i}.log`)}" { warning, error, fatal };
timeformat protocol iso long;
protocol device {}
template bgp peer {
  local ${me} port ${PORT} as ${64600 + i};
  multihop 2;
  strict bind yes;
  connect retry time 60;
  error wait time 60, 300;
  ipv4 { import all; export none; };
}
${protocols.join('\n')}
`;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The bench's lab: the BIRD daemons, a SQLite database that knows them, and how to stop it all. */
export interface PollLab {
  db: Db;
  routerIds: number[];
  /** The lab's directory (in PEERDESK_SOCKET_DIRS): the daemons' sockets, configs and the database. */
  dir: string;
  /** Each router's BIRD control socket (in routerIds' order). */
  sockets: string[];
  stop(): Promise<void>;
}

/**
 * Starts ROUTERS BIRD daemons with PER_ROUTER BGP neighbours each and a migrated SQLite database with
 * one router per daemon (its control socket) and every neighbour as a BGP peer (state unknown).
 * Sets PEERDESK_SOCKET_DIRS to the lab's directory. Also used by profiling scripts.
 */
export async function startPollLab(): Promise<PollLab> {
  const bird = ['/usr/sbin/bird', '/usr/bin/bird'].find((p) => {
    try {
      execFileSync('test', ['-x', p]);
      return true;
    } catch {
      return false;
    }
  });
  if (!bird) throw new Error('bird not installed (Debian package bird2)');
  const dir = mkdtempSync(join(tmpdir(), 'pd-pollbench-'));
  chmodSync(dir, 0o755);
  const children: ChildProcess[] = [];
  const dbFile = join(dir, 'bench.db');
  process.env.PEERDESK_SOCKET_DIRS = dir;
  let db: Db | null = null;
  const stop = async () => {
    await db?.destroy();
    db = null;
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await Promise.all(
      children.map((c) =>
        c.exitCode !== null || c.signalCode !== null ? null : new Promise((r) => c.once('exit', r)),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < ROUTERS; i++) {
      writeFileSync(join(dir, `bird${i}.conf`), birdConf(i, dir));
      children.push(
        spawn(
          bird,
          ['-f', '-c', join(dir, `bird${i}.conf`), '-s', join(dir, `bird${i}.ctl`), '-P', join(dir, `bird${i}.pid`)],
          { stdio: 'ignore' },
        ),
      );
    }
    // Wait (bounded) until every control socket answers.
    const ready = async (i: number) => {
      for (let k = 0; k < 150; k++) {
        try {
          execFileSync('birdc', ['-s', join(dir, `bird${i}.ctl`), 'show', 'status'], {
            stdio: 'ignore',
            timeout: 5000,
          });
          return;
        } catch {
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      throw new Error(`bird ${i} did not start`);
    };
    for (let i = 0; i < ROUTERS; i++) await ready(i);

    db = await openDb(`sqlite:${dbFile}`);
    await migrateToLatest(db);
    const t = new Date().toISOString();
    const stamp = { created_at: t, updated_at: t, version: 1 };
    const platform = await db
      .insertInto('platforms')
      .values({ name: 'BIRD 2', slug: 'bird2', driver: 'bird2', ...stamp })
      .returning('id')
      .executeTakeFirstOrThrow();
    const routerIds: number[] = [];
    for (let i = 0; i < ROUTERS; i++) {
      const r = await db
        .insertInto('routers')
        .values({
          name: `bench${String(i).padStart(2, '0')}`,
          hostname: `unix:${join(dir, `bird${i}.ctl`)}`,
          platform_id: platform.id,
          local_asn: 64600 + i,
          status: 'active',
          polling_enabled: true,
          ...stamp,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      routerIds.push(Number(r.id));
      const peers = Array.from({ length: PER_ROUTER }, (_, j) => {
        const ip = parseIp(`127.0.3.${150 + j}`)!;
        return {
          router_id: Number(r.id),
          vrf: '',
          name: `n${j}`,
          peer_ip: ip.text,
          peer_ip_key: ip.key,
          family: 4,
          local_asn: 64600 + i,
          remote_asn: 65000 + j,
          enabled: true,
          status: 'active',
          ttl_security: false,
          state: 'unknown',
          ...stamp,
        };
      });
      await db.insertInto('bgp_peers').values(peers).execute();
    }
    return { db, routerIds, dir, sockets: routerIds.map((_, i) => join(dir, `bird${i}.ctl`)), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

const DELAY_MS = Number(process.env.BENCH_POLL_DELAY_MS ?? 10);

/** A set of latency proxies (one per BIRD control socket) and how to close them. */
interface LatencyProxies {
  /** The proxies' socket paths, in the order of the targets given. */
  paths: string[];
  /** Closes the servers and every connection through them (pending chunks are dropped). */
  close(): Promise<void>;
}

/**
 * Forwards `from`'s bytes to `to`, each chunk held for `delayMs` (at least; never reordered), and
 * `from`'s end after its last chunk. Returns a function that drops what is still held.
 */
function delayedPipe(from: Socket, to: Socket, delayMs: number): () => void {
  const held: { due: number; chunk: Buffer | null }[] = []; // (null: the end)
  let timer: NodeJS.Timeout | null = null;
  const flush = () => {
    timer = null;
    const now = performance.now();
    while (held.length && held[0]!.due <= now) {
      const { chunk } = held.shift()!;
      if (to.destroyed) return;
      if (chunk) to.write(chunk);
      else to.end();
    }
    // (A timer may fire a little before its due time in this clock: wait for the rest.)
    if (held.length) timer = setTimeout(flush, Math.max(1, Math.ceil(held[0]!.due - now)));
  };
  const hold = (chunk: Buffer | null) => {
    held.push({ due: performance.now() + delayMs, chunk });
    if (!timer) timer = setTimeout(flush, delayMs);
  };
  from.on('data', (chunk: Buffer) => hold(chunk));
  from.on('end', () => hold(null));
  return () => {
    if (timer) clearTimeout(timer);
    timer = null;
    held.length = 0;
  };
}

/**
 * Starts one Unix-socket proxy per target socket, as `${dir}/proxy${i}.ctl`: each connection to it is
 * connected to its target, and every chunk in either direction is held for `delayMs` (one way).
 * When either side closes or fails, both sides of that connection are destroyed.
 */
async function startLatencyProxies(dir: string, targets: string[], delayMs: number): Promise<LatencyProxies> {
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const drops = new Set<() => void>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  const close = async () => {
    for (const drop of drops) drop();
    drops.clear();
    for (const s of sockets) s.destroy();
    await Promise.all(
      servers.map((srv) => new Promise<void>((resolve) => (srv.listening ? srv.close(() => resolve()) : resolve()))),
    );
  };
  const paths = targets.map((_, i) => join(dir, `proxy${i}.ctl`));
  try {
    for (const [i, target] of targets.entries()) {
      const server = createServer((client) => {
        const upstream = createConnection(target);
        track(client);
        track(upstream);
        const dropUp = delayedPipe(client, upstream, delayMs);
        const dropDown = delayedPipe(upstream, client, delayMs);
        const drop = () => {
          dropUp();
          dropDown();
        };
        drops.add(drop);
        const end = () => {
          drop();
          drops.delete(drop);
          client.destroy();
          upstream.destroy();
        };
        for (const s of [client, upstream]) {
          s.on('error', end);
          s.on('close', end);
        }
      });
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(paths[i], () => {
          server.off('error', reject);
          resolve();
        });
      });
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { paths, close };
}

/** Medians and CPU of steady-state polls: each router alone, then all together, ROUNDS times. */
async function measureRounds(
  db: Db,
  routerIds: number[],
  opts: { secrets: SecretBox; signal: AbortSignal },
): Promise<{
  singleMedians: number[];
  fulls: number[];
  inFull: number[];
  cpuFull: number[];
  cpuSingles: number[];
}> {
  const singles: number[][] = routerIds.map(() => []);
  const fulls: number[] = [];
  const inFull: number[] = [];
  const cpuFull: number[] = [];
  const cpuSingles: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let cpu = process.cpuUsage();
    for (const [i, id] of routerIds.entries()) {
      const start = performance.now();
      const r = await pollRouters(db, [id], opts);
      singles[i]!.push(performance.now() - start);
      if (r.failed) throw new Error(`router ${id} failed: ${r.routers[0]?.error}`);
    }
    const c1 = process.cpuUsage(cpu);
    cpuSingles.push((c1.user + c1.system) / 1000);
    cpu = process.cpuUsage();
    const start = performance.now();
    const all = await pollRouters(db, routerIds, opts);
    fulls.push(performance.now() - start);
    const c2 = process.cpuUsage(cpu);
    cpuFull.push((c2.user + c2.system) / 1000);
    if (all.failed) throw new Error(`poll failed: ${JSON.stringify(all.routers.filter((r) => !r.ok))}`);
    inFull.push(Math.max(...all.routers.map((r) => r.duration_ms)));
    if (all.routers.reduce((a, r) => a + r.peers, 0) !== ROUTERS * PER_ROUTER)
      throw new Error('not every peer was polled');
  }
  return { singleMedians: singles.map(median), fulls, inFull, cpuFull, cpuSingles };
}

/** Runs the benchmark and returns its figures. */
export async function run(): Promise<Record<string, unknown>> {
  const lab = await startPollLab();
  const { db, routerIds } = lab;
  let proxies: LatencyProxies | null = null;
  try {
    const secrets = new SecretBox('bench-secret-bench-secret-bench-secret');
    const signal = new AbortController().signal;

    // First full poll: every peer changes from unknown (all writes and events).
    const start = performance.now();
    const first = await pollRouters(db, routerIds, { secrets, signal });
    const firstMs = performance.now() - start;
    if (first.failed) throw new Error(`poll failed: ${JSON.stringify(first.routers.filter((r) => !r.ok))}`);

    // Loopback phase, steady state: each router alone, then all together, several rounds.
    const { singleMedians, fulls, inFull, cpuFull, cpuSingles } = await measureRounds(db, routerIds, {
      secrets,
      signal,
    });
    const slowest = Math.max(...singleMedians);
    const full = median(fulls);
    const states = await db
      .selectFrom('bgp_peers')
      .select('state')
      .select((eb) => eb.fn.countAll().as('c'))
      .groupBy('state')
      .execute();
    const rssMiB = process.resourceUsage().maxRSS / 1024;
    const loopback = {
      routers: ROUTERS,
      sessions: ROUTERS * PER_ROUTER,
      concurrency: pollConcurrency(),
      rounds: ROUNDS,
      first_full_poll_ms: Math.round(firstMs),
      first_poll_events: first.routers.reduce((a, r) => a + r.changed, 0),
      full_poll_ms: Math.round(full),
      slowest_single_router_ms: Math.round(slowest),
      sum_of_single_routers_ms: Math.round(singleMedians.reduce((a, b) => a + b, 0)),
      slowest_router_within_full_poll_ms: median(inFull),
      // Peerdesk's own CPU (parse + database) per full poll, and for the ten single polls together:
      // on loopback the daemons answer in milliseconds, so a full poll is bound by CPU, not by waiting.
      cpu_ms_full_poll: Math.round(median(cpuFull)),
      cpu_ms_sum_single_polls: Math.round(median(cpuSingles)),
      cores: (await import('node:os')).availableParallelism(),
      load_avg_1m: Math.round((await import('node:os')).loadavg()[0]! * 100) / 100,
      ratio_full_to_slowest: Math.round((full / slowest) * 100) / 100,
      goal_ratio: 1.5,
      peak_rss_mib: Math.round(rssMiB),
      goal_rss_mib: 300,
      states: Object.fromEntries(states.map((s) => [s.state, Number(s.c)])),
    };

    // Latency phase: the same routers (same rows and peers) repointed at a delaying proxy each.
    proxies = await startLatencyProxies(lab.dir, lab.sockets, DELAY_MS);
    for (const [i, id] of routerIds.entries())
      await db
        .updateTable('routers')
        .set({ hostname: `unix:${proxies.paths[i]}` })
        .where('id', '=', id)
        .execute();
    // One full poll through the proxies first (not measured: the lanes and connections warm up).
    const warm = await pollRouters(db, routerIds, { secrets, signal });
    if (warm.failed) throw new Error(`poll failed: ${JSON.stringify(warm.routers.filter((r) => !r.ok))}`);
    const lat = await measureRounds(db, routerIds, { secrets, signal });
    const latSlowest = Math.max(...lat.singleMedians);
    const latFull = median(lat.fulls);
    return {
      ...loopback,
      latency_one_way_ms: DELAY_MS,
      latency_full_poll_ms: Math.round(latFull),
      latency_slowest_single_router_ms: Math.round(latSlowest),
      latency_sum_of_single_routers_ms: Math.round(lat.singleMedians.reduce((a, b) => a + b, 0)),
      latency_slowest_router_within_full_poll_ms: median(lat.inFull),
      latency_cpu_ms_full_poll: Math.round(median(lat.cpuFull)),
      latency_ratio_full_to_slowest: Math.round((latFull / latSlowest) * 100) / 100,
      latency_goal_ratio: 1.5,
    };
  } finally {
    await proxies?.close();
    await lab.stop();
  }
}

/**
 * Polls landing in the background, for `npm run bench -- api` "with polling on": a first poll of every
 * router's BGP peers through the real write path (storePollAnswers: every router's answer of one full
 * poll compared with the stored state and the changes written in one transaction, as pollRouters
 * stores answers that land together), then one every `intervalMs` with `churn` of the peers changing
 * state (as a busy network's polls do), each moving the read cache's data generation once.
 * Resolves after the first poll with a stop function.
 */
export async function startSyntheticPolls(
  db: import('../src/platform/db.ts').Db,
  opts: { intervalMs?: number; churn?: number } = {},
): Promise<() => Promise<void>> {
  const intervalMs = opts.intervalMs ?? 10_000;
  const churn = opts.churn ?? 0.01;
  const { storePollAnswers } = await import('../src/polling/poll.service.ts');
  let stopped = false;
  let round = 0;
  let running: Promise<void> = Promise.resolve();
  const every = Math.max(1, Math.round(1 / churn));
  const tick = async () => {
    round++;
    // What the routers answer: the stored peers, `churn` of them flipped (the simulated devices).
    const peers = await db
      .selectFrom('bgp_peers')
      .select(['router_id', 'vrf', 'peer_ip', 'remote_asn', 'local_asn', 'state'])
      .orderBy('router_id')
      .orderBy('id')
      .execute();
    const byRouter = new Map<number, any[]>();
    for (const p of peers as any[]) {
      const list = byRouter.get(Number(p.router_id)) ?? [];
      list.push(p);
      byRouter.set(Number(p.router_id), list);
    }
    if (stopped) return;
    const answers = [...byRouter].map(([routerId, list]) => ({
      routerId,
      states: list.map((p: any, i: number) => {
        const flip = round > 1 && (i + round) % every === 0;
        const up = flip ? p.state !== 'established' : p.state === 'established';
        return {
          vrf: p.vrf || null,
          peer_ip: p.peer_ip,
          remote_asn: Number(p.remote_asn),
          local_asn: Number(p.local_asn),
          local_ip: null,
          description: null,
          state: up ? 'established' : 'active',
          admin_down: false,
          since: null,
          prefixes_received: up ? 10 : null,
          prefixes_accepted: up ? 10 : null,
          prefixes_advertised: up ? 1 : null,
          families: [],
          last_error: up ? null : 'Connection refused',
        };
      }) as any,
    }));
    await storePollAnswers(db, answers);
  };
  await tick();
  const timer = setInterval(() => {
    if (!stopped) running = running.then(tick).catch(() => {});
  }, intervalMs);
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}
