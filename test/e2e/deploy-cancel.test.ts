// Cancel in the deploy UI against the test suite's Junos NETCONF router (the in-process job worker): a
// scheduled deployment's page offers Cancel, the dialog takes a reason and the page then shows it
// cancelled (reason in the outcome and the log, the button gone, its job cancelled, the router
// untouched); a scheduled rollout's page cancels the rollout and its deployment; a deployment that is
// confirming offers no Cancel. Screenshots land in test-artifacts/deploy-cancel-*.png.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { labSkipReason } from '../support/lab.ts';
import { startNetconfServer, type NetconfTestServer } from '../support/netconf-server.ts';
import { ARTIFACTS, adminApi, loggedInPage, pageHelpers, startHarness, type Harness } from './harness.ts';

const skip = labSkipReason('chromium', 'chromium');
const TEMPLATE =
  'policy-options {\n{% for s in sessions %}    prefix-list PD-C{{ s.id }} {\n        {{ s.peer_ip }}/32;\n    }\n{% endfor %}}\n';

describe.skipIf(skip)(
  'the deploy UI: Cancel on a scheduled deployment and a scheduled rollout',
  { timeout: 240_000 },
  () => {
    let h: Harness;
    let page: Page;
    let mx: NetconfTestServer;
    let api: Awaited<ReturnType<typeof adminApi>>;
    let routerId = 0;
    const errors: string[] = [];
    const shot = (name: string) =>
      page.screenshot({
        path: join(ARTIFACTS, `deploy-cancel-${name}.png`),
        style: '.mantine-Notifications-root { display: none !important; }',
        animations: 'disabled',
      });
    const { go } = pageHelpers(() => page);
    const inHour = () => new Date(Date.now() + 3600_000).toISOString();

    beforeAll(async () => {
      mx = await startNetconfServer({
        flavor: 'junos',
        minuteMs: 60_000,
        neighbors: [
          {
            vrf: null,
            peer_ip: '192.0.2.8',
            remote_asn: 64503,
            group: 'IX',
            state: 'Established',
            elapsed_s: 125,
            flap_count: 0,
          },
        ],
      });
      h = await startHarness({ worker: true });
      api = await adminApi(h);
      const platform = await api('POST', '/api/platforms/', { name: 'Junos', driver: 'junos' });
      const template = await api('POST', '/api/templates/', { name: 'junos-cancel', body: TEMPLATE });
      const router = await api('POST', '/api/routers/', {
        name: 'mx-cancel',
        local_asn: 64500,
        platform: platform.id,
        hostname: mx.hostname,
        config_template: template.id,
      });
      await api('PATCH', `/api/routers/${router.id}/`, {
        credentials: { username: mx.username, password: mx.password, ssh_host_key: mx.hostKeyFingerprint },
      });
      routerId = router.id;
      await api('POST', '/api/peering-sessions/wizard/', {
        router: routerId,
        peer: { asn: 64503, name: 'Peer C', ipv4: '192.0.2.8' },
      });
      page = await loggedInPage(h, { viewport: { width: 1400, height: 1000 }, timeoutMs: 30_000, errors });
    }, 180_000);

    afterAll(async () => {
      await h?.close();
      await mx?.close();
    });

    it("a scheduled deployment's page cancels it with a reason: cancelled, reason shown and logged, button gone, job cancelled", async () => {
      const before = mx.runningText();
      const started = await api('POST', `/api/routers/${routerId}/deploy/`, { dry_run: false, run_at: inHour() });
      const id = started.deployment.id;
      await go(`/deployments/${id}`);
      await page.getByTestId('deployment-status').getByText('scheduled').waitFor();
      await page.getByTestId('deployment-cancel-panel').waitFor();
      // Scheduled without change review: nothing to approve.
      expect(await page.getByTestId('deployment-review-panel').count()).toBe(0);
      await page.getByTestId('deployment-cancel-button').click();
      const dialog = page.getByTestId('deployment-cancel-dialog');
      await dialog.getByTestId('deployment-cancel-reason').fill('change window moved');
      await shot('dialog');
      await dialog.getByTestId('deployment-cancel-confirm').click();
      await expect
        .poll(() => page.getByTestId('deployment-status').first().getAttribute('data-status'), {
          timeout: 30_000,
          interval: 250,
        })
        .toBe('cancelled');
      expect(await page.getByTestId('deployment-reason').textContent()).toBe('cancelled by admin: change window moved');
      await page
        .getByTestId('deployment-log')
        .getByText(/warn cancelled by admin: change window moved \(job \d+ cancelled\)/)
        .waitFor();
      expect(await page.getByTestId('deployment-cancel-button').count()).toBe(0);
      await shot('deployment');
      expect((await api('GET', `/api/jobs/${started.job_id}/`)).status).toBe('cancelled');
      expect(mx.runningText()).toBe(before);
      // The deployments list filtered by the new status shows it.
      await go('/deployments?status=cancelled');
      await page.locator(`a[href="/deployments/${id}"]`).first().waitFor();
    });

    it("a scheduled rollout's page cancels the rollout and its deployment", async () => {
      const out = await api('POST', '/api/rollouts/', { router_ids: [routerId], scheduled: true });
      const rid = out.rollout.id;
      await go(`/rollouts/${rid}`);
      await page.getByTestId('rollout-status').getByText('scheduled').waitFor();
      await page.getByTestId('rollout-cancel-button').click();
      const dialog = page.getByTestId('rollout-cancel-dialog');
      await dialog.getByText('cancels its 1 deployment(s)', { exact: false }).waitFor();
      await dialog.getByTestId('rollout-cancel-confirm').click();
      await expect
        .poll(() => page.getByTestId('rollout-page').getAttribute('data-status'), { timeout: 30_000, interval: 250 })
        .toBe('stopped');
      expect(await page.getByTestId('rollout-reason').textContent()).toBe('cancelled by admin');
      await expect
        .poll(() => page.getByTestId('rollout-page').getByTestId('deployment-status').getAttribute('data-status'))
        .toBe('cancelled');
      expect(await page.getByTestId('rollout-cancel-button').count()).toBe(0);
      await shot('rollout');
      const r = await api('GET', `/api/rollouts/${rid}/`);
      expect([
        r.status,
        r.routers.map((x: any) => x.status),
        (await api('GET', `/api/jobs/${out.job_id}/`)).status,
      ]).toEqual(['stopped', ['cancelled'], 'cancelled']);
    });

    it('a deployment that is confirming offers no Cancel', async () => {
      const started = await api('POST', `/api/routers/${routerId}/deploy/`, { dry_run: false, run_at: inHour() });
      const id = started.deployment.id;
      // Put in the state a running job leaves it in (its job stays queued an hour, so no worker touches it
      // but the sweep, which ends it failed: worker_lost — the page shows that too).
      await h.db.updateTable('deployments').set({ status: 'confirming' }).where('id', '=', id).execute();
      await go(`/deployments/${id}`);
      await page.getByTestId('deployment-status').first().waitFor();
      expect(await page.getByTestId('deployment-cancel-button').count()).toBe(0);
      const status = await page.getByTestId('deployment-status').first().getAttribute('data-status');
      expect(['confirming', 'failed']).toContain(status);
      await expect
        .poll(() => page.getByTestId('deployment-status').first().getAttribute('data-status'), {
          timeout: 30_000,
          interval: 250,
        })
        .toBe('failed');
      expect(await page.getByTestId('deployment-reason').textContent()).toMatch(
        /^worker lost while confirming: its job \d+ is queued; the change was never confirmed, so the router's own confirm timer reverts it \(within 300 s of the commit\) \(check: worker_lost\)$/,
      );
      expect(await page.getByTestId('deployment-cancel-button').count()).toBe(0);
      expect(errors).toEqual([]);
    });
  },
);
