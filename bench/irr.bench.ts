// IRR benchmark: (a) one ~77k-prefix AS-SET, (b) refreshing 500 peers, Peerdesk vs Debian bgpq4,
// against the same local IRRd look-alike answering at once and with 20 ms per answer.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { loadArinRoutes, originsByRouteCount } from '../test/support/arin-routes.ts';
import { startIrrdServer, type AsSetObject } from '../test/support/irrd-server.ts';
import { expandAsSet, refreshMany } from '../src/irr/expand.ts';
import { formatPrefixList } from '../src/irr/formats.ts';
import { IrrPool } from '../src/irr/whois.client.ts';

const exec = promisify(execFile);

async function bgpq4(address: string, args: string[]): Promise<string[]> {
  const { stdout } = await exec('bgpq4', ['-h', address, '-j', '-l', 'X', ...args], { maxBuffer: 256 << 20 });
  return (JSON.parse(stdout) as { X: Array<{ prefix: string }> }).X.map((e) => e.prefix);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/** Runs both scenarios at 0 ms and 20 ms and returns wall times, ratios and result identity. */
export async function run(): Promise<Record<string, unknown>> {
  const peersWanted = Number(process.env.PEERDESK_BENCH_IRR_PEERS ?? 500);
  const routes = loadArinRoutes();
  const ranked = originsByRouteCount(routes.v4);

  // (a) the biggest origins until the set reaches ~77k IPv4 prefixes.
  const byOrigin = new Map<number, string[]>();
  for (const r of routes.v4) {
    const list = byOrigin.get(r.origin);
    if (list) list.push(r.prefix);
    else byOrigin.set(r.origin, [r.prefix]);
  }
  const big: string[] = [];
  const unique = new Set<string>();
  for (const { origin } of ranked) {
    if (unique.size >= 77_000) break;
    big.push(`AS${origin}`);
    for (const p of byOrigin.get(origin) ?? []) unique.add(p);
  }
  // (b) 500 peers: half with a hierarchical as-set (own ASN plus two customers), half a bare ASN.
  const pool500 = ranked.slice(300, 300 + peersWanted * 3).map((o) => o.origin);
  const asSets: AsSetObject[] = [{ name: 'AS-BENCH-BIG', members: big, source: 'ARIN' }];
  const targets: string[] = [];
  for (let i = 0; i < peersWanted; i++) {
    const asn = pool500[i];
    if (i % 2 === 0) {
      const name = `AS${asn}:AS-CUSTOMERS`;
      asSets.push({
        name,
        members: [`AS${asn}`, `AS${pool500[peersWanted + i]}`, `AS${pool500[2 * peersWanted + i]}`],
        source: 'ARIN',
      });
      targets.push(name);
    } else targets.push(`AS${asn}`);
  }
  const server = await startIrrdServer({ routes: [...routes.v4, ...routes.v6], asSets, sources: ['ARIN'] });
  const figures: Record<string, unknown> = { big_set_origins: big.length, peers: peersWanted };
  let identical = true;
  try {
    for (const delay of [0, 20]) {
      server.setDelay(delay);
      const tag = `${delay}ms`;

      // (a) single big set, IPv4, JSON output; fresh connection per run on both sides.
      const reps = delay === 0 ? 5 : 3;
      const bTimes: number[] = [];
      const pTimes: number[] = [];
      let bList: string[] = [];
      let pList: string[] = [];
      for (let i = 0; i < reps; i++) {
        let t = performance.now();
        bList = await bgpq4(server.address, ['-4', 'AS-BENCH-BIG']);
        bTimes.push(performance.now() - t);
        t = performance.now();
        const pool = new IrrPool({ host: server.host, port: server.port });
        const r = await expandAsSet('AS-BENCH-BIG', { families: [4] }, pool);
        const text = formatPrefixList(r.entries.ipv4, 4, 'json', 'X');
        pTimes.push(performance.now() - t);
        pool.close();
        pList = r.prefixes.ipv4;
        void text;
      }
      const aSame = bList.length === pList.length && bList.every((p, i) => p === pList[i]);
      identical &&= aSame;
      figures[`a_prefixes`] = pList.length;
      figures[`a_bgpq4_ms_${tag}`] = round(median(bTimes));
      figures[`a_peerdesk_ms_${tag}`] = round(median(pTimes));
      figures[`a_ratio_vs_bgpq4_${tag}`] = Math.round((median(pTimes) / median(bTimes)) * 100) / 100;
      figures[`a_identical_${tag}`] = aSame;

      // (b) 500 peers x 2 families: a sequential bgpq4 loop vs one pipelined batch.
      let t = performance.now();
      const loop: string[][] = [];
      for (const target of targets) {
        loop.push(await bgpq4(server.address, ['-4', target]));
        loop.push(await bgpq4(server.address, ['-6', target]));
      }
      const loopMs = performance.now() - t;
      t = performance.now();
      const pool = new IrrPool({ host: server.host, port: server.port, size: 4 });
      const outcomes = await refreshMany(targets, { families: [4, 6], concurrency: 128 }, pool);
      const batchMs = performance.now() - t;
      pool.close();
      let bSame = outcomes.every((o) => o.ok);
      outcomes.forEach((o, i) => {
        const v4 = o.result?.prefixes.ipv4 ?? [];
        const v6 = o.result?.prefixes.ipv6 ?? [];
        if (
          JSON.stringify(v4) !== JSON.stringify(loop[2 * i]) ||
          JSON.stringify(v6) !== JSON.stringify(loop[2 * i + 1])
        )
          bSame = false;
      });
      identical &&= bSame;
      figures[`b_bgpq4_loop_ms_${tag}`] = Math.round(loopMs);
      figures[`b_peerdesk_batch_ms_${tag}`] = Math.round(batchMs);
      figures[`b_speedup_vs_bgpq4_${tag}`] = round(loopMs / batchMs);
      figures[`b_identical_${tag}`] = bSame;
      figures[`b_lists`] = outcomes.length * 2;
    }
  } finally {
    await server.close();
  }
  figures.identical = identical;
  figures.goals = {
    a_le_1x_bgpq4: (figures.a_ratio_vs_bgpq4_0ms as number) <= 1 && (figures.a_ratio_vs_bgpq4_20ms as number) <= 1,
    b_ge_5x_at_20ms: (figures.b_speedup_vs_bgpq4_20ms as number) >= 5,
    b_not_slower_at_0ms: (figures.b_speedup_vs_bgpq4_0ms as number) >= 1,
  };
  return figures;
}

// Allow `npx node bench/irr.bench.ts` directly as well as through the runner.
if (import.meta.url === `file://${process.argv[1]}`) {
  run().then((f) => console.log(JSON.stringify(f)));
}
