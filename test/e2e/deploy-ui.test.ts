// The deploy UI against the test suite's Junos NETCONF routers (real SSH on loopback, the in-process
// job worker): the router page's Deploy (dry run → diff → Apply) and its last deployments; the session's
// Config Manager (a field error under its field, a one-time command in the dry run's diff, Apply opening
// the deployment page); bulk Configure from the Sessions list creating a scheduled rollout (canary
// first) shown on /rollouts and its page. Screenshots land in test-artifacts/deploy-ui-*.png.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { labSkipReason } from '../support/lab.ts';
import { startNetconfServer, type NetconfTestServer } from '../support/netconf-server.ts';
import { ARTIFACTS, adminApi, loggedInPage, pageHelpers, startHarness, type Harness } from './harness.ts';

const skip = labSkipReason('chromium', 'chromium');
const TEMPLATE =
  'policy-options {\n{% for s in sessions %}    prefix-list PD-S{{ s.id }} {\n        {{ s.peer_ip }}/32;\n    }\n{% endfor %}}\n';
const ONE_TIME = 'interfaces { lo0 { description "pd one-time"; } }';
/** A time as a datetime-local input takes it (local clock, minutes). */
const localInput = (d: Date) => {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
};

describe.skipIf(skip)(
  'the deploy UI: router Deploy, Config Manager, bulk Configure rollouts',
  { timeout: 240_000 },
  () => {
    let h: Harness;
    let page: Page;
    let mx1: NetconfTestServer;
    let mx2: NetconfTestServer;
    let api: Awaited<ReturnType<typeof adminApi>>;
    const ids = { mx1: 0, mx2: 0, s1: 0, s2: 0 };
    const errors: string[] = [];
    const shot = (name: string) =>
      page.screenshot({
        path: join(ARTIFACTS, `deploy-ui-${name}.png`),
        style: '.mantine-Notifications-root { display: none !important; }',
      });
    const { go } = pageHelpers(() => page);
    /** The error Mantine shows under the input with this test id. */
    const fieldError = (testid: string) =>
      page
        .locator('.mantine-InputWrapper-root', { has: page.getByTestId(testid) })
        .locator('.mantine-InputWrapper-error');

    beforeAll(async () => {
      const neighbor = (peer_ip: string, remote_asn: number) => ({
        vrf: null,
        peer_ip,
        remote_asn,
        group: 'IX',
        state: 'Established',
        elapsed_s: 125,
        flap_count: 0,
      });
      mx1 = await startNetconfServer({ flavor: 'junos', minuteMs: 60_000, neighbors: [neighbor('192.0.2.6', 64502)] });
      mx2 = await startNetconfServer({ flavor: 'junos', minuteMs: 60_000, neighbors: [neighbor('192.0.2.7', 64502)] });
      h = await startHarness({ worker: true });
      api = await adminApi(h);
      const platform = await api('POST', '/api/platforms/', { name: 'Junos', driver: 'junos' });
      const template = await api('POST', '/api/templates/', { name: 'junos-sessions', body: TEMPLATE });
      for (const [name, server] of [
        ['mx1', mx1],
        ['mx2', mx2],
      ] as const) {
        const router = await api('POST', '/api/routers/', {
          name,
          local_asn: 64500,
          platform: platform.id,
          hostname: server.hostname,
          config_template: template.id,
        });
        await api('PATCH', `/api/routers/${router.id}/`, {
          credentials: {
            username: server.username,
            password: server.password,
            ssh_host_key: server.hostKeyFingerprint,
          },
        });
        ids[name] = router.id;
      }
      ids.s1 = (
        await api('POST', '/api/peering-sessions/wizard/', {
          router: ids.mx1,
          peer: { asn: 64502, name: 'Peer B', ipv4: '192.0.2.6' },
        })
      )[0].id;
      ids.s2 = (
        await api('POST', '/api/peering-sessions/wizard/', {
          router: ids.mx2,
          peer: { asn: 64502, name: 'Peer B', ipv4: '192.0.2.7' },
        })
      )[0].id;
      expect((await api('GET', '/api/capabilities')).drivers).toBe(true);
      page = await loggedInPage(h, { viewport: { width: 1400, height: 1000 }, timeoutMs: 30_000, errors });
    }, 180_000);

    afterAll(async () => {
      await h?.close();
      await mx1?.close();
      await mx2?.close();
    });

    it("router page: Deploy's dry run shows the diff, Apply commits it, and Last deployments lists both", async () => {
      await go(`/routers/${ids.mx1}`);
      const panel = page.getByTestId('router-deployments');
      await panel.getByTestId('router-deployments-empty').waitFor();
      await panel.getByTestId('router-deploy').click();
      const dialog = page.getByTestId('deploy-dialog');
      const dry = dialog.getByTestId('deploy-run-dry-run');
      await expect.poll(() => dry.getAttribute('data-status'), { timeout: 90_000, interval: 500 }).toBe('done');
      const diff = dialog.getByTestId('deploy-diff');
      await diff.locator('.d-add').getByText(`prefix-list PD-S${ids.s1} {`).waitFor();
      await diff.locator('.d-add').getByText('192.0.2.6/32;').waitFor();
      expect(await dry.getByTestId('deployment-reason').textContent()).toBe('dry run: diff computed, nothing applied');
      expect(mx1.runningText()).not.toContain(`PD-S${ids.s1}`);
      const dryId = Number(await dry.getAttribute('data-id'));

      // The dry run is listed behind the dialog already.
      await expect
        .poll(() =>
          panel
            .getByTestId('router-deployment-row')
            .evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-id')))),
        )
        .toEqual([dryId]);

      // Force shows its warning; it is taken off again before applying, with a 60 s confirm timeout.
      await dialog.getByTestId('deploy-force').check();
      await dialog.getByTestId('deploy-force-warning').waitFor();
      expect(await dialog.getByTestId('deploy-apply').textContent()).toBe('Apply (forced)');
      await dialog.getByTestId('deploy-force').uncheck();
      await dialog.getByTestId('deploy-force-warning').waitFor({ state: 'detached' });
      await dialog.getByTestId('deploy-confirm-timeout').fill('60');
      await shot('01-router-dry-run');
      await dialog.getByTestId('deploy-apply').click();
      const applied = dialog.getByTestId('deploy-run-apply');
      await expect.poll(() => applied.getAttribute('data-status'), { timeout: 120_000, interval: 500 }).toBe('done');
      expect(await applied.getByTestId('deployment-reason').textContent()).toBe('applied and confirmed');
      expect(mx1.runningText()).toContain(`prefix-list PD-S${ids.s1} {`);
      expect(mx1.pendingConfirm()).toBe(false);
      expect(await dialog.getByTestId('deploy-apply').isDisabled()).toBe(true);
      const applyId = Number(await applied.getAttribute('data-id'));
      const stored = await api('GET', `/api/deployments/${applyId}/`);
      expect([stored.action, stored.dry_run, stored.force, stored.confirm_timeout, stored.status]).toEqual([
        'deploy',
        false,
        false,
        60,
        'done',
      ]);
      await dialog.getByTestId('deploy-close').click();
      await dialog.waitFor({ state: 'detached' });

      // Last deployments: newest first, each status badge links to its deployment page.
      const rows = panel.getByTestId('router-deployment-row');
      await expect
        .poll(() => rows.evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('data-id')))))
        .toEqual([applyId, dryId]);
      await expect
        .poll(() =>
          rows.getByTestId('deployment-status').evaluateAll((bs) => bs.map((b) => b.getAttribute('data-status'))),
        )
        .toEqual(['done', 'done']);
      expect(await rows.nth(0).textContent()).toContain('Deployapplied and confirmed');
      expect(await rows.nth(1).textContent()).toContain('Deploy (dry run)dry run: diff computed, nothing applied');
      await shot('02-router-last-deployments');
      await rows
        .nth(1)
        .getByRole('link', { name: `deployment #${dryId}: done` })
        .click();
      await expect.poll(() => page.url()).toMatch(new RegExp(`/deployments/${dryId}$`));
      await page.getByTestId('deployment-diff').locator('.d-add').getByText('192.0.2.6/32;').waitFor();
      expect(errors).toEqual([]);
    });

    it('Config Manager: a field error under its field, the one-time command in the dry-run diff, Apply opens the deployment', async () => {
      await go(`/peering-sessions/${ids.s1}`);
      await page.getByTestId('config-manager-button').click();
      await expect.poll(() => page.url()).toMatch(new RegExp(`/peering-sessions/${ids.s1}/config-manager$`));
      // The editor holds the rendered candidate of the session's router.
      const editor = page.getByTestId('cm-candidate');
      await editor.getByText(`prefix-list PD-S${ids.s1} {`).waitFor();
      expect(await page.getByTestId('cm-edited').count()).toBe(0);

      // A confirm timeout the API refuses: its message sits under that field, nothing starts.
      await page.getByTestId('cm-confirm-timeout').fill('5');
      await page.getByTestId('cm-dry-run').click();
      await expect
        .poll(() => fieldError('cm-confirm-timeout').textContent())
        .toBe('Too small: expected number to be >=30');
      expect((await api('GET', `/api/deployments/?router=${ids.mx1}`)).count).toBe(2);

      // One-time credentials say they are kept for this job only.
      await page.getByTestId('cm-use-credentials').check();
      expect(await page.getByTestId('cm-credentials-note').textContent()).toBe(
        "Held in the server's memory for this job only: never stored, never logged, gone when the job ends. Fields left empty keep the router's stored ones.",
      );
      await page.getByTestId('cm-use-credentials').uncheck();

      await page.getByTestId('cm-confirm-timeout').fill('120');
      await page.getByTestId('cm-commands-after').fill(ONE_TIME);
      await page.getByTestId('cm-dry-run').click();
      const dry = page.getByTestId('cm-run-dry-run');
      await expect.poll(() => dry.getAttribute('data-status'), { timeout: 90_000, interval: 500 }).toBe('done');
      expect(await fieldError('cm-confirm-timeout').count()).toBe(0);
      // The router already has the rendered prefix list (the router page applied it): the command is the change.
      await page.getByTestId('cm-diff').locator('.d-add').getByText(ONE_TIME).waitFor();
      expect(mx1.runningText()).not.toContain('pd one-time');
      const dryId = Number(await dry.getAttribute('data-id'));
      const stored = await api('GET', `/api/deployments/${dryId}/`);
      expect([stored.action, stored.dry_run, stored.edited, stored.confirm_timeout, stored.session?.id]).toEqual([
        'configure',
        true,
        true,
        120,
        ids.s1,
      ]);
      expect(stored.log).toContain('one-time commands: 0 before and 1 after the candidate');
      await shot('03-config-manager-dry-run');

      // Changing the form after the dry run says so.
      await page.getByTestId('cm-commands-before').fill('system { host-name mx1; }');
      await page.getByTestId('cm-stale').waitFor();
      await page.getByTestId('cm-commands-before').fill('');
      await page.getByTestId('cm-stale').waitFor({ state: 'detached' });

      await page.getByTestId('cm-apply').click();
      await expect.poll(() => page.url()).toMatch(/\/deployments\/\d+$/);
      const applyId = Number(page.url().split('/').pop());
      expect(applyId).toBeGreaterThan(dryId);
      await expect
        .poll(() => page.getByTestId('deployment-status').first().getAttribute('data-status'), {
          timeout: 120_000,
          interval: 500,
        })
        .toBe('done');
      expect(await page.getByTestId('deployment-reason').textContent()).toBe('applied and confirmed');
      expect(mx1.runningText()).toContain(ONE_TIME);

      // A scheduled Apply: a time in the past is refused under its field; a later one waits for its window.
      await go(`/peering-sessions/${ids.s1}/config-manager`);
      await page.getByTestId('cm-candidate').getByText(`prefix-list PD-S${ids.s1} {`).waitFor();
      await page.getByTestId('cm-run-at').fill(localInput(new Date(Date.now() - 3600_000)));
      expect(await page.getByTestId('cm-apply').textContent()).toBe('Schedule');
      await page.getByTestId('cm-apply').click();
      await expect
        .poll(() => fieldError('cm-run-at').textContent())
        .toMatch(/^must be in the future \(it is \S+ now\)$/);
      const later = new Date(Date.now() + 2 * 3600_000);
      await page.getByTestId('cm-run-at').fill(localInput(later));
      await page.getByTestId('cm-apply').click();
      await expect.poll(() => page.url()).toMatch(/\/deployments\/\d+$/);
      const scheduledId = Number(page.url().split('/').pop());
      await expect.poll(() => page.getByTestId('deployment-status').first().textContent()).toBe('scheduled');
      const scheduled = await api('GET', `/api/deployments/${scheduledId}/`);
      expect([scheduled.status, scheduled.dry_run, new Date(scheduled.run_at).getTime()]).toEqual([
        'planned',
        false,
        Math.floor(later.getTime() / 60_000) * 60_000,
      ]);
      await page.getByTestId('deployment-run-at').waitFor();
      await shot('04-config-manager-scheduled');
      expect(errors).toEqual([]);
    });

    it('bulk Configure: a scheduled rollout (in one hour, canary first) shown on /rollouts and its page', async () => {
      await go('/');
      const table = page.getByTestId('table-sessions');
      await table.locator(`tr[data-row-id="${ids.s1}"]`).waitFor();
      // mx1's session first: mx1 is the canary.
      await table.locator(`tr[data-row-id="${ids.s1}"] input[type=checkbox]`).check();
      await table.locator(`tr[data-row-id="${ids.s2}"] input[type=checkbox]`).check();
      await page.getByTestId('actions-menu').click();
      await page.getByRole('menuitem', { name: 'Configure' }).click();
      const dialog = page.getByTestId('rollout-dialog');
      await dialog.waitFor();
      expect(await dialog.getByTestId('rollout-dialog-routers').textContent()).toBe(
        'mx1 (canary) (1 session), mx2 (1 session)',
      );
      expect(await dialog.getByTestId('rollout-canary').isChecked()).toBe(true);
      expect(await dialog.getByTestId('rollout-dry-run').isChecked()).toBe(false);
      // Scheduled by default, in one hour (local time in the input).
      const at = await dialog.getByTestId('rollout-at').inputValue();
      const inMinutes = (new Date(at).getTime() - Date.now()) / 60_000;
      expect(inMinutes).toBeGreaterThan(55);
      expect(inMinutes).toBeLessThanOrEqual(60);
      await shot('04-rollout-dialog');
      const before = Date.now();
      await dialog.getByTestId('rollout-submit').click();
      await expect.poll(() => page.url()).toMatch(/\/rollouts\/\d+$/);
      const rolloutId = Number(page.url().split('/').pop());

      const stored = await api('GET', `/api/rollouts/${rolloutId}/`);
      expect([stored.status, stored.canary, stored.dry_run, stored.session_ids]).toEqual([
        'scheduled',
        true,
        false,
        [ids.s1, ids.s2],
      ]);
      expect(new Date(stored.run_at).getTime()).toBe(new Date(at).getTime());
      expect(new Date(stored.run_at).getTime() - before).toBeGreaterThan(55 * 60_000);
      expect(stored.routers.map((r: any) => [r.order, r.router.name, r.canary, r.status])).toEqual([
        [1, 'mx1', true, 'planned'],
        [2, 'mx2', false, 'planned'],
      ]);

      // Its page: scheduled, the routers in order with the canary marked, each deployment linked.
      const rolloutPage = page.getByTestId('rollout-page');
      expect(await rolloutPage.getAttribute('data-status')).toBe('scheduled');
      const routerRows = page.getByTestId('rollout-router-row');
      expect(
        await routerRows.evaluateAll((rs) =>
          rs.map((r) => [r.getAttribute('data-router'), r.getAttribute('data-canary')]),
        ),
      ).toEqual([
        ['mx1', 'true'],
        ['mx2', 'false'],
      ]);
      expect(await routerRows.getByTestId('deployment-status').allTextContents()).toEqual([
        'waiting for its rollout',
        'waiting for its rollout',
      ]);
      expect(
        await routerRows
          .nth(0)
          .getByRole('link', { name: `#${stored.routers[0].deployment_id}`, exact: true })
          .getAttribute('href'),
      ).toBe(`/deployments/${stored.routers[0].deployment_id}`);
      expect(await page.getByTestId('rollout-run-at').first().textContent()).toMatch(/\(in (5[5-9] min|1 h)\)$/);
      await shot('05-rollout-page');

      // The Rollouts list (in the navigation next to Deployments) shows it with its routers.
      await page.getByRole('navigation').getByRole('link', { name: 'Rollouts', exact: true }).click();
      const list = page.getByTestId('rollouts-table');
      await list.waitFor();
      const row = list.getByTestId('rollout-row');
      await expect
        .poll(() => row.evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('data-id')))))
        .toEqual([rolloutId]);
      expect(await row.getByTestId('rollout-status').getAttribute('data-status')).toBe('scheduled');
      expect(await row.getByTestId('rollout-routers').textContent()).toBe('mx1 (canary), mx2');
      await shot('06-rollouts-list');
      // Filtered by another status, it is not listed.
      await go('/rollouts?status=done');
      await page.getByTestId('rollouts-empty').waitFor();
      expect(errors).toEqual([]);
    });

    it('bulk Configure now as a dry run: the rollout page follows it to done, each router with its reason', async () => {
      await go('/');
      const table = page.getByTestId('table-sessions');
      await table.locator(`tr[data-row-id="${ids.s2}"] input[type=checkbox]`).check();
      await table.locator(`tr[data-row-id="${ids.s1}"] input[type=checkbox]`).check();
      await page.getByTestId('actions-menu').click();
      await page.getByRole('menuitem', { name: 'Configure' }).click();
      const dialog = page.getByTestId('rollout-dialog');
      await dialog.getByText('Now', { exact: true }).click();
      await dialog.getByTestId('rollout-at').waitFor({ state: 'detached' });
      await dialog.getByTestId('rollout-dry-run').check();
      expect(await dialog.getByTestId('rollout-submit').textContent()).toBe('Start dry run');
      await dialog.getByTestId('rollout-submit').click();
      await expect.poll(() => page.url()).toMatch(/\/rollouts\/\d+$/);
      const rolloutPage = page.getByTestId('rollout-page');
      await expect
        .poll(() => rolloutPage.getAttribute('data-status'), { timeout: 120_000, interval: 500 })
        .toBe('done');
      const routerRows = page.getByTestId('rollout-router-row');
      // mx2's session was selected first: mx2 is the canary.
      expect(
        await routerRows.evaluateAll((rs) =>
          rs.map((r) => [r.getAttribute('data-router'), r.getAttribute('data-canary')]),
        ),
      ).toEqual([
        ['mx2', 'true'],
        ['mx1', 'false'],
      ]);
      await expect
        .poll(() =>
          routerRows.getByTestId('deployment-status').evaluateAll((bs) => bs.map((b) => b.getAttribute('data-status'))),
        )
        .toEqual(['done', 'done']);
      expect(await routerRows.locator('td:nth-child(5)').allTextContents()).toEqual([
        'dry run: diff computed, nothing applied',
        'dry run: diff computed, nothing applied',
      ]);
      expect(mx2.runningText()).not.toContain('PD-S');
      await shot('07-rollout-dry-run-done');
      expect(errors).toEqual([]);
    });
  },
);
