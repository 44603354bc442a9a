// Benchmark: the deploy diff (Peering Manager #206: over 50 minutes) — a 40,000-line FRR-style running
// configuration against a candidate with 500 changed lines (250 edited, 125 removed, 125 added, spread
// evenly through the file). (a) the unified diff the deployment stores (`diff` package, Myers on lines);
// (b) FRR's delta (both texts parsed to trees, the `no …` / add commands computed). Goal: each < 0.5 s.
// Second figure: a rollout to 10 real BIRD routers (started here on 127.0.30.1–10, each with a peer BIRD on
// 127.0.31.N) against a rollout to one of them, in the same run: the whole pipeline (render, read, diff,
// `configure … timeout`, health gate until the added BGP session is Established, `configure confirm`, file
// replaced). Goal: 10 routers ≤ 2× one router's wall time.
// Measured with the default PEERDESK_ROLLOUT_CONCURRENCY (10: every router after the canary at once) and, for
// comparison, without a canary (all ten at once): a canary rollout's floor is two routers' time.
import { performance } from 'node:perf_hooks';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { frrDelta, ownedText } from '../src/drivers/frr/frr.config.ts';
import { findTool } from '../test/support/lab.ts';

/** A deterministic running config of about `lines` lines: neighbours, address families, prefix lists. */
export function runningConfig(lines = 40_000): string[] {
  const out: string[] = ['router bgp 64500', ' bgp router-id 192.0.2.1'];
  const peers: string[] = [];
  let i = 0;
  while (out.length < lines * 0.55) {
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    peers.push(ip);
    out.push(
      ` neighbor ${ip} remote-as ${65000 + (i % 1000)}`,
      ` neighbor ${ip} description Peer ${i}`,
      ` neighbor ${ip} timers 10 30`,
    );
    i++;
  }
  out.push(' address-family ipv4 unicast');
  for (const ip of peers) {
    if (out.length >= lines * 0.8) break;
    out.push(`  neighbor ${ip} route-map IMPORT in`);
  }
  out.push(' exit-address-family', 'exit');
  let seq = 0;
  while (out.length < lines) {
    seq += 5;
    out.push(`ip prefix-list AS-BIG seq ${seq} permit 172.${(seq >> 8) & 255}.${seq & 255}.0/24`);
  }
  return out;
}

/** The candidate: 500 changed lines at evenly spread positions: 250 edited, 125 removed, 125 added. */
export function candidateOf(running: string[]): string[] {
  const out = [...running];
  const step = Math.floor((running.length - 10) / 500);
  // From the end so earlier indexes stay valid.
  for (let k = 499; k >= 0; k--) {
    const at = 5 + k * step;
    const line = out[at]!;
    if (k % 4 === 0) out.splice(at, 1);
    else if (k % 4 === 1)
      out.splice(
        at + 1,
        0,
        `${line.match(/^\s*/)![0]}${line.trim().startsWith('ip prefix-list') ? `ip prefix-list AS-NEW seq ${k} permit 100.64.${k & 255}.0/24` : `neighbor 10.255.${k >> 8}.${k & 255} remote-as 64999`}`,
      );
    else out[at] = `${line} (changed)`;
  }
  return out;
}

function best(fn: () => void, runs = 5): number {
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    min = Math.min(min, performance.now() - t0);
  }
  return min / 1000;
}

async function diffFigures(): Promise<Record<string, unknown>> {
  const running = runningConfig();
  const candidate = candidateOf(running);
  const a = `${running.join('\n')}\n`;
  const b = `${candidate.join('\n')}\n`;
  let patch = '';
  const diffS = best(() => {
    patch = createTwoFilesPatch('running', 'candidate', a, b, undefined, undefined, { context: 3 });
  });
  const plus = patch.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++')).length;
  const minus = patch.split('\n').filter((l) => l.startsWith('-') && !l.startsWith('---')).length;
  let changes = 0;
  const deltaS = best(() => {
    changes = frrDelta(a, b).length;
  });
  const ownedS = best(() => {
    ownedText(a);
    ownedText(b);
  });
  return {
    running_lines: running.length,
    candidate_lines: candidate.length,
    diff_added_lines: plus,
    diff_removed_lines: minus,
    unified_diff_s: Number(diffS.toFixed(4)),
    frr_delta_commands: changes,
    frr_delta_s: Number(deltaS.toFixed(4)),
    frr_owned_text_s: Number(ownedS.toFixed(4)),
    goal_s: 0.5,
    ok: diffS < 0.5 && deltaS < 0.5,
  };
}

const ROUTERS = 10;
const PORT = 21795;
const routerIp = (n: number) => `127.0.30.${n}`;
const peerIp = (n: number) => `127.0.31.${n}`;
// The router connects at once (connect delay 0); its peer only listens, so no retry timer of the peer
// decides when the session comes up.
const BGP_OPTS =
  'multihop 2; strict bind yes; connect retry time 1; error wait time 1, 5; hold time 9; ipv4 { import all; export none; };';

/**
 * bird.conf of bench router `n`: with `session`, a BGP session to its own peer daemon — what a rollout
 * of "one peer on several routers" adds, and what the health gate waits for (Established).
 */
function birdConf(n: number, session: 0 | 1): string {
  const bgp = session
    ? `protocol bgp downlink {\n  local ${routerIp(n)} port ${PORT} as ${64600 + n};\n  neighbor ${peerIp(n)} port ${PORT} as ${65100 + n};\n  connect delay time 0;\n  ${BGP_OPTS}\n}\n`
    : '';
  return `router id ${routerIp(n)};\nprotocol device {}\n${bgp}`;
}

/** The peer daemon of router `n` (always configured: it connects as soon as the router has the session). */
function peerConf(n: number): string {
  return `router id ${peerIp(n)};\nprotocol device {}\nprotocol bgp uplink {\n  local ${peerIp(n)} port ${PORT} as ${65100 + n};\n  neighbor ${routerIp(n)} port ${PORT} as ${64600 + n};\n  passive on;\n  ${BGP_OPTS}\n}\n`;
}

/**
 * Rollouts to 1 and to 10 BIRD routers (each with a peer BIRD; 20 daemons on loopback), each rollout
 * adding one BGP session per router that must reach Established before the confirm; best of `runs`.
 */
async function rolloutFigures(runs = 3): Promise<Record<string, unknown>> {
  const bird = findTool('bird');
  const birdc = findTool('birdc');
  if (!bird || !birdc) return { rollout: 'not measured: bird / birdc not installed (Debian package bird2)' };
  const dir = mkdtempSync(join(tmpdir(), 'pd-bench-deploy-'));
  const children: ChildProcess[] = [];
  const saved = {
    dirs: process.env.PEERDESK_SOCKET_DIRS,
    conc: process.env.PEERDESK_ROLLOUT_CONCURRENCY,
    review: process.env.PEERDESK_DEPLOY_REVIEW,
  };
  const { openDb } = await import('../src/platform/db.ts');
  const db = await openDb(`sqlite:${join(dir, 'bench.db')}`);
  try {
    process.env.PEERDESK_SOCKET_DIRS = dir;
    process.env.PEERDESK_DEPLOY_REVIEW = '0';
    const socks: string[] = [];
    const start = (name: string, text: string) => {
      const conf = join(dir, `${name}.conf`);
      const sock = join(dir, `${name}.ctl`);
      writeFileSync(conf, text);
      children.push(spawn(bird, ['-f', '-c', conf, '-s', sock, '-P', join(dir, `${name}.pid`)], { stdio: 'ignore' }));
      socks.push(sock);
      return sock;
    };
    const routerSocks: string[] = [];
    for (let n = 1; n <= ROUTERS; n++) {
      routerSocks.push(start(`router${n}`, birdConf(n, 0)));
      start(`peer${n}`, peerConf(n));
    }
    for (const sock of socks) {
      for (let i = 0; ; i++) {
        if (existsSync(sock)) {
          try {
            execFileSync(birdc, ['-s', sock, 'show status'], { stdio: 'ignore' });
            break;
          } catch {
            /* not ready */
          }
        }
        if (i > 300) throw new Error(`BIRD on ${sock} did not start`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const { migrateToLatest } = await import('../src/db/migrate.ts');
    const { SecretBox } = await import('../src/platform/crypto.ts');
    const { createRollout, rolloutConcurrency } = await import('../src/deploy/rollouts.ts');
    const { runJobNow } = await import('../src/jobs/run-now.ts');
    await migrateToLatest(db);
    const secrets = new SecretBox('b'.repeat(40));
    const t = new Date().toISOString();
    const stamp = { created_at: t, updated_at: t };
    const platform = await db
      .insertInto('platforms')
      .values({ name: 'BIRD', slug: 'bird', driver: 'bird2', ...stamp })
      .returning('id')
      .executeTakeFirstOrThrow();
    const routers: { id: number; template: number; n: number; variant: 0 | 1 }[] = [];
    for (let n = 1; n <= ROUTERS; n++) {
      const tpl = await db
        .insertInto('config_templates')
        .values({ name: `bench-bird-${n}`, body: birdConf(n, 0), ...stamp })
        .returning('id')
        .executeTakeFirstOrThrow();
      const creds = secrets.encrypt(JSON.stringify({ config_file: join(dir, `router${n}.conf`) }));
      const r = await db
        .insertInto('routers')
        .values({
          name: `bird-${String(n).padStart(2, '0')}`,
          hostname: `unix:${routerSocks[n - 1]}`,
          platform_id: platform.id,
          local_asn: 64600 + n,
          status: 'active',
          config_template_id: tpl.id,
          credentials_enc: creds,
          ...stamp,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      routers.push({ id: Number(r.id), template: Number(tpl.id), n, variant: 0 });
    }
    const who = { userId: null, username: 'bench', role: 'admin' as const };
    /** One rollout to `rs` setting the session on (1) or off (0) on each; its wall time in seconds. */
    const rollout = async (rs: typeof routers, session: 0 | 1, canary = true): Promise<number> => {
      for (const r of rs) {
        r.variant = session;
        await db
          .updateTable('config_templates')
          .set({ body: birdConf(r.n, session) })
          .where('id', '=', r.template)
          .execute();
      }
      const t0 = performance.now();
      const out = await createRollout(
        db,
        { router_ids: rs.map((r) => r.id), confirm_timeout: 60, canary },
        who,
        secrets,
      );
      const job = await runJobNow(db, out.jobId, () => {}, secrets);
      const s = (performance.now() - t0) / 1000;
      const done = await db
        .selectFrom('deployments')
        .select(['status', 'diff', 'reason', 'log'])
        .where('rollout_id', '=', out.rollout.id)
        .execute();
      if (job.status !== 'succeeded' || done.some((d) => d.status !== 'done' || !d.diff))
        throw new Error(
          `bench rollout did not apply everywhere: ${job.error ?? ''}\n${done
            .filter((d) => d.status !== 'done' || !d.diff)
            .map((d) => d.log)
            .join('\n')}`,
        );
      return s;
    };
    /** Times a rollout that adds the session (it must reach Established), then takes it off again (not timed). */
    const add = async (rs: typeof routers, canary = true) => {
      const s = await rollout(rs, 1, canary);
      await rollout(rs, 0, canary);
      return s;
    };
    await add(routers.slice(0, 1)); // warm-up: module loading, first connections
    await add(routers);
    delete process.env.PEERDESK_ROLLOUT_CONCURRENCY;
    let one = Infinity;
    let ten = Infinity;
    let tenNoCanary = Infinity;
    for (let i = 0; i < runs; i++) {
      one = Math.min(one, await add(routers.slice(0, 1)));
      ten = Math.min(ten, await add(routers));
      tenNoCanary = Math.min(tenNoCanary, await add(routers, false));
    }
    const r3 = (x: number) => Number(x.toFixed(3));
    return {
      rollout_routers: ROUTERS,
      rollout_runs: runs,
      rollout_1_router_s: r3(one),
      rollout_10_routers_s: r3(ten),
      rollout_ratio: r3(ten / one),
      rollout_concurrency: rolloutConcurrency(),
      rollout_10_routers_no_canary_s: r3(tenNoCanary),
      rollout_ratio_no_canary: r3(tenNoCanary / one),
      rollout_goal_ratio: 2,
      rollout_ok: ten / one <= 2,
    };
  } finally {
    for (const [k, v] of [
      ['PEERDESK_SOCKET_DIRS', saved.dirs],
      ['PEERDESK_ROLLOUT_CONCURRENCY', saved.conc],
      ['PEERDESK_DEPLOY_REVIEW', saved.review],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await db.destroy().catch(() => undefined);
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(
      children.map((c) =>
        c.exitCode !== null || c.signalCode !== null ? null : new Promise((r) => c.once('exit', r)),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<Record<string, unknown>> {
  const diff = await diffFigures();
  const rollout = await rolloutFigures();
  return { ...diff, ...rollout };
}
