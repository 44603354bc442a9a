// The sessions list's Refresh against real routers: the FRR–BIRD–GoBGP lab on loopback, BIRD polled by
// the worker's job; the rows change in place to Established with their prefix counts (no reload), and
// the toast reports each router's outcome — reached, or failed and why — not a bare "Poll succeeded".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { labSkipReason } from '../support/lab.ts';
import { daemonLabMissing, startDaemonLab, type DaemonLab } from '../support/lab/daemons.ts';
import { ARTIFACTS, pageHelpers, startHarness, type Harness, loggedInPage, adminApi } from './harness.ts';

const skip = labSkipReason('chromium', 'chromium') ?? labSkipReason('bird', 'bird2') ?? daemonLabMissing();

describe.skipIf(skip)('Refresh polls the routers', () => {
  let h: Harness;
  let lab: DaemonLab;
  let page: Page;
  const savedDirs = process.env.PEERDESK_SOCKET_DIRS;
  const { pick } = pageHelpers(() => page);
  let api: Awaited<ReturnType<typeof adminApi>>;

  beforeAll(async () => {
    lab = await startDaemonLab({ net: 5, port: 21890 });
    // The worker's drivers and the router form both allow the lab's temporary socket directory.
    process.env.PEERDESK_SOCKET_DIRS = lab.dir;
    h = await startHarness({ worker: true, env: { PEERDESK_SOCKET_DIRS: lab.dir } });
    api = await adminApi(h);
    const platform = await api('POST', '/api/platforms/', { name: 'BIRD 2', driver: 'bird2' });
    const router = await api('POST', '/api/routers/', {
      name: 'lab-bird',
      local_asn: lab.nodes.bird.asn,
      platform: platform.id,
      hostname: lab.hostnames.bird,
      polling_enabled: true,
    });
    await api('POST', '/api/routers/', {
      name: 'gone',
      local_asn: 64500,
      platform: platform.id,
      hostname: `unix:${join(lab.dir, 'gone.ctl')}`,
      polling_enabled: true,
    });
    await api('POST', '/api/peer-asns/bulk/', [
      { asn: 65001, name: 'Lab FRR', ipv4_max_prefixes: 2 },
      { asn: 65003, name: 'Lab GoBGP' },
    ]);
    for (const [ip, asn] of [
      [lab.nodes.frr.ip, 65001],
      [lab.nodes.gobgp.ip, 65003],
    ] as const) {
      const peer = await api('POST', '/api/bgp-peers/', { router: router.id, peer_ip: ip, remote_asn: asn });
      await api('POST', '/api/peering-sessions/', { bgp_peer: peer.id });
    }
    page = await loggedInPage(h, { viewport: { width: 1280, height: 800 }, timeoutMs: 15_000 });
  }, 180_000);

  afterAll(async () => {
    await h?.close();
    await lab?.stop();
    if (savedDirs === undefined) delete process.env.PEERDESK_SOCKET_DIRS;
    else process.env.PEERDESK_SOCKET_DIRS = savedDirs;
  }, 60_000);

  it('shows Established with prefixes received / max after Refresh, in place, and each router’s outcome', async () => {
    await lab.waitAllEstablished();
    const states = page.getByTestId('state-badge');
    await expect.poll(() => states.count()).toBe(2);
    expect(await states.evaluateAll((els) => els.map((e) => e.getAttribute('data-state')))).toEqual([
      'unknown',
      'unknown',
    ]);
    // A marker on the window proves the page is not reloaded while the rows change.
    await page.evaluate(() => ((window as any).__noReload = true));
    await page.getByTestId('refresh-button').click();
    await expect
      .poll(async () => states.evaluateAll((els) => els.map((e) => e.getAttribute('data-state'))), { timeout: 30_000 })
      .toEqual(['established', 'established']);
    const row = page.locator('tr', { hasText: lab.nodes.frr.ip });
    await expect.poll(() => row.textContent()).toMatch(/2\s*\/\s*2/);
    expect(await page.evaluate(() => (window as any).__noReload)).toBe(true);
    // The toast names each router: one reached, one failed with its reason.
    const toast = page.locator('.mantine-Notification-root', { hasText: 'lab-bird' });
    await toast.waitFor({ timeout: 30_000 });
    const text = (await toast.textContent()) ?? '';
    expect(text).toMatch(/lab-bird: reached/);
    // The failed router by name with its reason (its control socket does not exist), and a red toast.
    expect(text).toMatch(/gone: failed — .*(gone\.ctl|ENOENT|no such file|unreachable)/i);
    expect(text).toMatch(/1 router\(s\) failed/);
    expect(await toast.getAttribute('style')).toMatch(/--notification-color:\s*var\(--mantine-color-red/);
    expect(text).not.toMatch(/Poll succeeded/);
    await page.screenshot({ path: join(ARTIFACTS, '21-sessions-after-refresh.png') });
  }, 120_000);

  it('starts a maintenance of the router with a shutdown message from the list, and ends it', async () => {
    const states = page.getByTestId('state-badge');
    await page.getByTestId('maintenance-button').click();
    const modal = page.getByTestId('maintenance-modal');
    await modal.waitFor();
    await pick('maintenance-router', 'lab-bird');
    await page.getByTestId('maintenance-message').fill('planned work, back soon');
    await page.getByTestId('maintenance-start').click();
    const toast = page.locator('.mantine-Notification-root', { hasText: 'Maintenance of lab-bird started' });
    await toast.waitFor({ timeout: 60_000 });
    expect(await toast.textContent()).toMatch(/2 of 2 done/);
    await expect
      .poll(async () => states.evaluateAll((els) => els.map((e) => e.getAttribute('data-state'))), { timeout: 30_000 })
      .toEqual(['admin-down', 'admin-down']);
    const active = await api('GET', '/api/maintenances/?status=active');
    expect(active.map((m: any) => [m.router?.name, m.message, m.sessions])).toEqual([
      ['lab-bird', 'planned work, back soon', 2],
    ]);
    await page.screenshot({ path: join(ARTIFACTS, '22-sessions-maintenance.png') });

    await page.getByTestId('maintenance-button').click();
    await page.getByTestId(`maintenance-end-${active[0].id}`).click();
    await page
      .locator('.mantine-Notification-root', { hasText: 'Maintenance of lab-bird ended' })
      .waitFor({ timeout: 60_000 });
    expect(await api('GET', '/api/maintenances/?status=active')).toEqual([]);
    await page.keyboard.press('Escape');
    await expect
      .poll(
        async () =>
          states.evaluateAll((els) => els.filter((e) => e.getAttribute('data-state') === 'admin-down').length),
        { timeout: 60_000 },
      )
      .toBe(0);
  }, 180_000);
});
