// UI benchmark: 10,000 sessions in the database; in Chromium, time to the first rendered row of the
// sessions list (cold and warm loads) and to the re-render after a filter change.
// Goals: first row < 1 s, filter re-render < 300 ms.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/platform/config.ts';
import { openDb, type Db } from '../src/platform/db.ts';
import { CHROMIUM_ARGS, ensureUiBuilt } from '../test/e2e/harness.ts';

const SESSIONS = 10_000;
const PASSWORD = 'bench-admin-password';

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/** Inserts routers, relationships, peer ASNs, BGP peers and sessions in large batches. */
async function seed(db: Db): Promise<void> {
  const t = new Date().toISOString();
  const stamp = { created_at: t, updated_at: t, version: 1 };
  const rels = [
    ['transit', 'Transit', 'f44336'],
    ['customer', 'Customer', '2196f3'],
    ['peer', 'Peer', '4caf50'],
    ['ixp-rs', 'IX Route Server', 'ffeb3b'],
  ];
  await db
    .insertInto('relationships')
    .values(rels.map(([slug, name, color]) => ({ slug, name, color, ...stamp })))
    .execute();
  await db
    .insertInto('routers')
    .values(
      Array.from({ length: 10 }, (_, i) => ({
        name: `rt${i + 1}.bench`,
        local_asn: 64500,
        status: 'active',
        ...stamp,
      })),
    )
    .execute();
  const asns = 2000;
  for (let i = 0; i < asns; i += 500) {
    await db
      .insertInto('peer_asns')
      .values(
        Array.from({ length: Math.min(500, asns - i) }, (_, j) => ({
          asn: 65000 + i + j,
          name: `Bench Network ${i + j}`,
          ipv4_max_prefixes: 1000,
          ipv6_max_prefixes: 200,
          ...stamp,
        })),
      )
      .execute();
  }
  const states = ['established', 'established', 'established', 'idle', 'active', 'connect'];
  const batch = 500;
  for (let i = 0; i < SESSIONS; i += batch) {
    const peers = Array.from({ length: batch }, (_, j) => {
      const n = i + j;
      const v6 = n % 2 === 1;
      const ip = v6 ? `2001:db8::${hex(n, 4)}` : `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
      const key = v6 ? `6${'20010db8'}${'0'.repeat(20)}${hex(n, 4)}` : `4${hex(0x0a000000 + n, 8)}`;
      return {
        router_id: (n % 10) + 1,
        vrf: '',
        name: `bench ${n}`,
        peer_ip: ip,
        peer_ip_key: key,
        source_ip: null,
        family: v6 ? 6 : 4,
        local_asn: 64500,
        remote_asn: 65000 + (n % asns),
        enabled: true,
        status: 'active',
        ttl_security: false,
        state: states[n % states.length],
        state_since: t,
        prefixes_received: n % 1000,
        ...stamp,
      };
    });
    await db.insertInto('bgp_peers').values(peers).execute();
  }
  // Sessions wrap peers 1:1 (ids follow insertion order on a fresh database).
  for (let i = 0; i < SESSIONS; i += batch) {
    await db
      .insertInto('peering_sessions')
      .values(
        Array.from({ length: batch }, (_, j) => ({
          bgp_peer_id: i + j + 1,
          peer_asn_id: ((i + j) % asns) + 1,
          relationship_id: ((i + j) % 4) + 1,
          service_reference: `SR-${i + j}`,
          ...stamp,
        })),
      )
      .execute();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Runs the benchmark and returns its figures. */
export async function run(): Promise<Record<string, unknown>> {
  await ensureUiBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'peerdesk-bench-ui-'));
  const db = await openDb(`sqlite:${join(dir, 'bench.db')}`);
  const pd = await createApp({
    config: loadConfig({ PEERDESK_ADMIN_PASSWORD: PASSWORD, PEERDESK_LOG_LEVEL: 'warn', PEERDESK_DATA_DIR: dir }),
    db,
    worker: false,
  });
  const seedStart = Date.now();
  await seed(db);
  const seedMs = Date.now() - seedStart;
  const base = await pd.app.listen({ host: '127.0.0.1', port: 0 });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const login = await ctx.request.post(`${base}/api/auth/login`, { data: { username: 'admin', password: PASSWORD } });
    if (!login.ok()) throw new Error(`login failed: ${login.status()}`);
    // The API alone, for comparison: one page of the list, default ordering, and with a filter.
    const apiMs = async (qs: string) => {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        const r = await ctx.request.get(`${base}/api/peering-sessions/?limit=50${qs}`);
        await r.body();
        times.push(performance.now() - t0);
      }
      return Math.round(median(times));
    };
    const apiList = await apiMs('');
    const apiFiltered = await apiMs('&family=6');
    const page = await ctx.newPage();
    const firstRow = async () => {
      await page.goto(`${base}/`, { waitUntil: 'commit' });
      await page.waitForFunction(() => document.querySelector('[data-table="sessions"] tbody tr[data-row-id]'), null, {
        polling: 'raf',
        timeout: 30_000,
      });
      // Milliseconds since navigation start, measured by the page itself.
      return page.evaluate(() => performance.now());
    };
    const cold = await firstRow();
    // Where the cold load spent its time (navigation-relative ms): scripts, the list request.
    const breakdown = await page.evaluate(() => {
      const res = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
      const end = (f: (n: string) => boolean) =>
        Math.round(Math.max(0, ...res.filter((r) => f(r.name)).map((r) => r.responseEnd)));
      return {
        scripts_loaded_ms: end((n) => n.endsWith('.js') || n.endsWith('.css')),
        me_response_ms: end((n) => n.includes('/api/auth/me')),
        list_response_ms: end((n) => n.includes('/api/peering-sessions/')),
      };
    });
    const warm: number[] = [];
    for (let i = 0; i < 5; i++) warm.push(await firstRow());

    // Filter change: IP version IPv6 ↔ IPv4 through the filter control, until every row matches.
    const filterTimes: number[] = [];
    for (let i = 0; i < 6; i++) {
      const fam = i % 2 === 0 ? '6' : '4';
      await page.getByTestId('filter-family').click();
      const option = page.getByRole('option', { name: `IPv${fam}`, exact: true });
      await option.waitFor();
      await page.evaluate(() => ((window as any).__t0 = performance.now()));
      await option.click();
      await page.waitForFunction(
        (f) => {
          const body = document.querySelector('[data-table="sessions"] tbody');
          if (!body || body.classList.contains('stale')) return false;
          const rows = [...body.querySelectorAll('tr[data-row-id]')];
          return rows.length > 0 && rows.every((r) => r.textContent!.includes(':') === (f === '6'));
        },
        fam,
        { polling: 'raf', timeout: 30_000 },
      );
      filterTimes.push(await page.evaluate(() => performance.now() - (window as any).__t0));
    }
    const rows = await page.locator('[data-table="sessions"] tbody tr[data-row-id]').count();
    return {
      sessions: SESSIONS,
      seed_ms: seedMs,
      rows_rendered: rows,
      api_list_median_ms: apiList,
      api_filtered_median_ms: apiFiltered,
      first_row_cold_ms: Math.round(cold),
      cold_breakdown: breakdown,
      first_row_warm_median_ms: Math.round(median(warm)),
      filter_rerender_median_ms: Math.round(median(filterTimes)),
      filter_rerender_max_ms: Math.round(Math.max(...filterTimes)),
      goal_first_row_ms: 1000,
      goal_filter_ms: 300,
      first_row_ok: cold < 1000 && median(warm) < 1000,
      filter_ok: median(filterTimes) < 300,
    };
  } finally {
    await browser.close();
    await pd.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
