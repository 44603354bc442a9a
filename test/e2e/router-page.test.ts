// The router page against a real BIRD (in the FRR–BIRD–GoBGP lab on loopback): live summary after
// "Poll now" (last polled, sessions by state), the last error of an unreachable router, the drift
// panel listing the neighbour Peerdesk does not know, and import preview + import of that neighbour.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { labSkipReason } from '../support/lab.ts';
import { daemonLabMissing, startDaemonLab, type DaemonLab } from '../support/lab/daemons.ts';
import { ARTIFACTS, pageHelpers, startHarness, type Harness, loggedInPage, adminApi } from './harness.ts';

const skip = labSkipReason('chromium', 'chromium') ?? labSkipReason('bird', 'bird2') ?? daemonLabMissing();

describe.skipIf(skip)('the router page', () => {
  let h: Harness;
  let lab: DaemonLab;
  let page: Page;
  const ids: Record<string, number> = {};
  const savedDirs = process.env.PEERDESK_SOCKET_DIRS;
  const { go } = pageHelpers(() => page);
  let api: Awaited<ReturnType<typeof adminApi>>;

  beforeAll(async () => {
    lab = await startDaemonLab({ net: 5, port: 21990 });
    process.env.PEERDESK_SOCKET_DIRS = lab.dir;
    h = await startHarness({ worker: true, env: { PEERDESK_SOCKET_DIRS: lab.dir } });
    api = await adminApi(h);
    const platform = await api('POST', '/api/platforms/', { name: 'BIRD 2', driver: 'bird2' });
    ids.bird = (
      await api('POST', '/api/routers/', {
        name: 'lab-bird',
        local_asn: lab.nodes.bird.asn,
        platform: platform.id,
        hostname: lab.hostnames.bird,
        polling_enabled: true,
      })
    ).id;
    ids.gone = (
      await api('POST', '/api/routers/', {
        name: 'gone',
        local_asn: 64500,
        platform: platform.id,
        hostname: `unix:${join(lab.dir, 'gone.ctl')}`,
      })
    ).id;
    const fabric = await api('POST', '/api/fabrics/', { name: 'LAB5' });
    await api('POST', '/api/peering-networks/', { fabric: fabric.id, name: 'LAB5 LAN', prefix: '127.0.5.0/24' });
    await api('POST', '/api/peer-asns/', { asn: 65001, name: 'Lab FRR' });
    const peer = await api('POST', '/api/bgp-peers/', {
      router: ids.bird,
      peer_ip: lab.nodes.frr.ip,
      remote_asn: 65001,
      description: 'lab frr',
    });
    await api('POST', '/api/peering-sessions/', { bgp_peer: peer.id });
    page = await loggedInPage(h, { viewport: { width: 1280, height: 1000 }, timeoutMs: 15_000 });
  }, 180_000);

  afterAll(async () => {
    await h?.close();
    await lab?.stop();
    if (savedDirs === undefined) delete process.env.PEERDESK_SOCKET_DIRS;
    else process.env.PEERDESK_SOCKET_DIRS = savedDirs;
  }, 60_000);

  it('polls, shows the live summary, the drift and imports the unknown neighbour', async () => {
    await lab.waitAllEstablished();
    await go(`/routers/${ids.bird}`);
    const live = page.getByTestId('router-live');
    await live.waitFor();
    await expect.poll(() => page.getByTestId('router-last-polled').textContent()).toMatch(/never/);
    await page.getByTestId('router-poll').click();
    await expect
      .poll(
        () =>
          page
            .getByTestId('router-by-state')
            .locator('[data-testid="state-badge"]')
            .evaluateAll((els) => els.map((e) => e.getAttribute('data-state'))),
        { timeout: 30_000 },
      )
      .toEqual(['established']);
    await expect.poll(() => page.getByTestId('router-last-polled').textContent()).not.toMatch(/never/);

    await page.getByTestId('drift-check').click();
    const unknown = page.getByTestId('drift-unknown');
    await unknown.waitFor({ timeout: 30_000 });
    expect(await unknown.textContent()).toContain(lab.nodes.gobgp.ip);
    expect(await unknown.textContent()).not.toContain(lab.nodes.frr.ip);

    await page.getByTestId('import-preview').click();
    const items = page.getByTestId('import-items');
    await items.waitFor({ timeout: 30_000 });
    await expect
      .poll(() => page.getByTestId('import-summary').textContent())
      .toMatch(/2 neighbours: 1 to import, 1 already in Peerdesk, 0 skipped/);
    expect(await items.locator('tr[data-action="create"]').textContent()).toContain(lab.nodes.gobgp.ip);
    await page.screenshot({ path: join(ARTIFACTS, '40-router-page-import-preview.png'), fullPage: true });
    await page.getByTestId('import-run').click();
    await expect
      .poll(async () => (await api('GET', `/api/peering-sessions/?router=${ids.bird}`)).count, { timeout: 30_000 })
      .toBe(2);
    const jobs = page.getByTestId('router-jobs');
    await expect.poll(() => jobs.textContent(), { timeout: 30_000 }).toContain('router.import');
    await page.getByTestId('drift-check').click();
    await expect
      .poll(() => page.getByTestId('drift-panel').textContent(), { timeout: 30_000 })
      .toMatch(/The router and Peerdesk agree|Different/);
    expect(await page.getByTestId('drift-panel').textContent()).not.toContain('unknown to Peerdesk');
  }, 120_000);

  it('shows the last error of an unreachable router', async () => {
    await go(`/routers/${ids.gone}`);
    await page.getByTestId('router-live').waitFor();
    await page.getByTestId('router-poll').click();
    const err = page.getByTestId('router-last-error');
    await err.waitFor({ timeout: 30_000 });
    expect(await err.textContent()).toMatch(/gone\.ctl|unreachable|ENOENT/i);
    await page.screenshot({ path: join(ARTIFACTS, '41-router-page-last-error.png'), fullPage: true });
  }, 60_000);
});
