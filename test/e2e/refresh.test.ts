// The sessions list's Refresh against a real router: BIRD on loopback, polled by the worker's job;
// the rows change in place to Established with their prefix counts, without a page reload.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { labSkipReason } from '../support/lab.ts';
import { startBirdLab, type BirdLab } from '../support/bird-lab.ts';
import { createToken } from '../../src/auth/auth.service.ts';
import { ADMIN_PASSWORD, ARTIFACTS, startHarness, type Harness } from './harness.ts';

const skip = labSkipReason('chromium', 'chromium') ?? labSkipReason('bird', 'bird2');

describe.skipIf(skip)('Refresh polls the routers', () => {
  let h: Harness;
  let lab: BirdLab;
  let page: Page;
  let token: string;
  const api = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${h.base}${path}`, { method, headers: { authorization: `Token ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const data = await r.json();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(data)}`);
    return data;
  };

  beforeAll(async () => {
    lab = await startBirdLab(26000 + (process.pid % 3000));
    h = await startHarness({ worker: true });
    const adminId = Number((await h.db.selectFrom('users').select('id').where('username', '=', 'admin').executeTakeFirstOrThrow()).id);
    token = (await createToken(h.db, adminId)).key;
    const platform = await api('POST', '/api/platforms/', { name: 'BIRD 2', driver: 'bird2' });
    const router = await api('POST', '/api/routers/', { name: 'edge', local_asn: 64500, platform: platform.id, hostname: lab.edgeHostname, polling_enabled: true });
    await api('POST', '/api/peer-asns/bulk/', [{ asn: 64501, name: 'Peer B', ipv4_max_prefixes: 2 }, { asn: 64502, name: 'Dead C' }]);
    for (const [ip, asn] of [['127.0.0.2', 64501], ['127.0.0.3', 64502]] as const) {
      const peer = await api('POST', '/api/bgp-peers/', { router: router.id, peer_ip: ip, source_ip: '127.0.0.1', remote_asn: asn });
      await api('POST', '/api/peering-sessions/', { bgp_peer: peer.id });
    }
    const ctx = await h.browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await ctx.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(h.base);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('page-title').getByText('Sessions').waitFor();
  }, 120_000);

  afterAll(async () => {
    await h?.close();
    lab?.stop();
  });

  it('shows Established with prefixes received / max after Refresh, in place', async () => {
    const states = page.getByTestId('state-badge');
    await expect.poll(() => states.count()).toBe(2);
    expect(await states.evaluateAll((els) => els.map((e) => e.getAttribute('data-state')))).toEqual(['unknown', 'unknown']);
    // A marker on the window proves the page is not reloaded while the rows change.
    await page.evaluate(() => ((window as any).__noReload = true));
    await page.getByTestId('refresh-button').click();
    await expect.poll(async () => (await states.evaluateAll((els) => els.map((e) => e.getAttribute('data-state')))).sort(), { timeout: 30_000 }).toContain('established');
    const row = page.locator('tr', { hasText: '127.0.0.2' });
    await expect.poll(() => row.textContent()).toMatch(/2\s*\/\s*2/);
    expect(await page.evaluate(() => (window as any).__noReload)).toBe(true);
    const other = await page.locator('tr', { hasText: '127.0.0.3' }).getByTestId('state-badge').getAttribute('data-state');
    expect(['active', 'connect', 'idle']).toContain(other);
    await page.screenshot({ path: join(ARTIFACTS, '21-sessions-after-refresh.png') });
  });
});
