// Configure through the UI against the test suite's Junos NETCONF router (real SSH on loopback, the
// in-process job worker): the session's Configure dialog runs a dry run and shows its diff with the new
// prefix list, Apply commits it (status done, on the router), and the Deployments page lists both
// deployments and opens one with its diff and log; with change review an operator's proposal waits for
// approval and an admin rejects one and approves another on its page. Screenshots land in test-artifacts/deploy-*.png.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { labSkipReason } from '../support/lab.ts';
import { startNetconfServer, type NetconfTestServer } from '../support/netconf-server.ts';
import { createToken, createUser } from '../../src/auth/auth.service.ts';
import { ARTIFACTS, startHarness, type Harness, pageHelpers, loggedInPage } from './harness.ts';

const skip = labSkipReason('chromium', 'chromium');
const TEMPLATE =
  'policy-options {\n{% for s in sessions %}    prefix-list PD-S{{ s.id }} {\n        {{ s.peer_ip }}/32;\n    }\n{% endfor %}}\n';

describe.skipIf(skip)('deployments in the UI (Configure on Junos NETCONF)', { timeout: 180_000 }, () => {
  let h: Harness;
  let page: Page;
  let server: NetconfTestServer;
  let token: string;
  let sessionId = 0;
  const errors: string[] = [];

  const shot = (name: string) =>
    page.screenshot({
      path: join(ARTIFACTS, `${name}.png`),
      style: '.mantine-Notifications-root { display: none !important; }',
    });
  const { go } = pageHelpers(() => page);
  /** Calls the API directly (setup the UI is not under test for). */
  const api = async (method: string, url: string, body?: unknown) => {
    const res = await h.pd.app.inject({
      method: method as any,
      url,
      headers: { authorization: `Token ${token}` },
      ...(body !== undefined ? { payload: body as any } : {}),
    });
    if (res.statusCode >= 400) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.body ? JSON.parse(res.body) : null;
  };

  beforeAll(async () => {
    server = await startNetconfServer({
      flavor: 'junos',
      minuteMs: 60_000,
      neighbors: [
        {
          vrf: null,
          peer_ip: '192.0.2.6',
          remote_asn: 64502,
          group: 'IX',
          state: 'Established',
          elapsed_s: 125,
          flap_count: 0,
        },
      ],
    });
    // The in-process worker runs the deploy jobs the UI queues.
    h = await startHarness({ worker: true });
    const adminId = Number(
      (await h.db.selectFrom('users').select('id').where('username', '=', 'admin').executeTakeFirstOrThrow()).id,
    );
    token = (await createToken(h.db, adminId)).key;
    const platform = await api('POST', '/api/platforms/', { name: 'Junos', driver: 'junos' });
    const template = await api('POST', '/api/templates/', { name: 'junos-sessions', body: TEMPLATE });
    const router = await api('POST', '/api/routers/', {
      name: 'mx1',
      local_asn: 64500,
      platform: platform.id,
      hostname: server.hostname,
      config_template: template.id,
    });
    // Credentials go through the API (admin only), pinned to the test server's host key.
    await api('PATCH', `/api/routers/${router.id}/`, {
      credentials: { username: server.username, password: server.password, ssh_host_key: server.hostKeyFingerprint },
    });
    sessionId = (
      await api('POST', '/api/peering-sessions/wizard/', {
        router: router.id,
        peer: { asn: 64502, name: 'Peer B', ipv4: '192.0.2.6' },
      })
    )[0].id;
    expect((await api('GET', '/api/capabilities')).drivers).toBe(true);

    page = await loggedInPage(h, { viewport: { width: 1280, height: 900 }, timeoutMs: 30_000, errors });
  }, 180_000);

  afterAll(async () => {
    delete process.env.PEERDESK_DEPLOY_REVIEW;
    await h?.close();
    await server?.close();
  });

  it('Configure: the dry run shows the new prefix list, Apply commits it and ends done', async () => {
    await go(`/peering-sessions/${sessionId}`);
    await page.getByTestId('configure-button').click();
    const dialog = page.getByTestId('configure-dialog');
    await dialog.waitFor();
    // The dry run ends done with the added lines in the diff; nothing reached the running config.
    const dry = dialog.getByTestId('configure-run-dry-run');
    await expect.poll(() => dry.getAttribute('data-status'), { timeout: 90_000, interval: 500 }).toBe('done');
    const diff = dialog.getByTestId('configure-diff');
    await diff.locator('.d-add').getByText(`prefix-list PD-S${sessionId} {`).waitFor();
    await diff.locator('.d-add').getByText('192.0.2.6/32;').waitFor();
    expect(await dry.getByTestId('deployment-reason').textContent()).toBe('dry run: diff computed, nothing applied');
    expect(server.runningText()).not.toContain(`PD-S${sessionId}`);
    await shot('deploy-01-dry-run');

    await dialog.getByTestId('configure-apply').click();
    const run = dialog.getByTestId('configure-run-apply');
    await expect.poll(() => run.getAttribute('data-status'), { timeout: 120_000, interval: 500 }).toBe('done');
    expect(await run.getByTestId('deployment-reason').textContent()).toBe('applied and confirmed');
    expect(server.runningText()).toContain(`prefix-list PD-S${sessionId} {`);
    expect(server.pendingConfirm()).toBe(false);
    // Applied once: Apply cannot run it a second time from this dialog.
    expect(await dialog.getByTestId('configure-apply').isDisabled()).toBe(true);
    await shot('deploy-02-applied');
    await dialog.getByTestId('configure-close').click();
    await dialog.waitFor({ state: 'detached' });
  });

  it('the Deployments page lists both deployments, filters by status and opens one', async () => {
    const rows = (await api('GET', '/api/deployments/')).results;
    expect(rows.map((d: any) => [d.action, d.dry_run, d.status, d.session?.id, d.proposed_by])).toEqual([
      ['configure', false, 'done', sessionId, 'admin'],
      ['configure', true, 'done', sessionId, 'admin'],
    ]);
    await go('/deployments');
    const table = page.getByTestId('deployments-table');
    await table.waitFor();
    await expect.poll(() => table.getByTestId('deployment-row').count()).toBe(2);
    const texts = await table.getByTestId('deployment-row').allTextContents();
    expect(texts[0]).toContain(`#${rows[0].id}mx1Configure`);
    expect(texts[0]).toContain('applied and confirmed');
    expect(texts[1]).toContain(`#${rows[1].id}mx1Configure (dry run)`);
    expect(texts[1]).toContain('dry run: diff computed, nothing applied');
    await shot('deploy-03-list');

    // "Waiting for approval" (status planned): none here.
    await page.getByTestId('deployments-waiting').click();
    await page.getByTestId('deployments-empty').waitFor();
    expect(page.url()).toMatch(/\/deployments\?status=planned$/);

    // The applied deployment's page: its status, diff and log.
    await go('/deployments');
    await table.getByRole('link', { name: `#${rows[0].id}`, exact: true }).click();
    await page.getByTestId('deployment-diff').locator('.d-add').getByText('192.0.2.6/32;').waitFor();
    expect(await page.getByTestId('deployment-status').first().getAttribute('data-status')).toBe('done');
    expect(await page.getByTestId('deployment-log').textContent()).toMatch(/commit/i);
    expect(await page.getByTestId('approve-button').count()).toBe(0);
    await shot('deploy-04-deployment');
    expect(errors).toEqual([]);
  });

  it('with change review, an admin rejects one proposal with a comment and approves another on its page', async () => {
    process.env.PEERDESK_DEPLOY_REVIEW = '1';
    const operator = await createUser(h.db, { username: 'noc1', password: 'operator-password-1', role: 'operator' });
    const opToken = (await createToken(h.db, Number(operator.id))).key;
    /** Configure proposed by the operator: it waits (planned, no job) for an admin. */
    const propose = async () => {
      const res = await h.pd.app.inject({
        method: 'POST',
        url: `/api/peering-sessions/${sessionId}/configure/`,
        headers: { authorization: `Token ${opToken}` },
        payload: { dry_run: false },
      });
      expect(res.statusCode, res.body).toBe(202);
      const out = JSON.parse(res.body);
      expect([out.deployment.status, out.job_id]).toEqual(['planned', null]);
      return out.deployment.id as number;
    };
    const first = await propose();
    const second = await propose();

    await go('/deployments');
    await page.getByTestId('deployments-waiting').click();
    const table = page.getByTestId('deployments-table');
    await expect
      .poll(() =>
        table.getByTestId('deployment-row').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-id')))),
      )
      .toEqual([second, first]);
    expect(await table.getByTestId('deployment-status').allTextContents()).toEqual([
      'waiting for approval',
      'waiting for approval',
    ]);

    await table.getByRole('link', { name: `#${first}`, exact: true }).click();
    await page.getByTestId('review-comment').fill('not during the freeze');
    await page.getByTestId('reject-button').click();
    await expect.poll(() => page.getByTestId('deployment-status').first().getAttribute('data-status')).toBe('rejected');
    await expect
      .poll(() => page.getByTestId('deployment-review').textContent())
      .toBe('by admin: not during the freeze');
    await shot('deploy-05-rejected');

    await go(`/deployments/${second}`);
    await page.getByTestId('approve-button').click();
    // Approved, it runs: the router already has the session, so it ends done without a commit.
    await expect
      .poll(() => page.getByTestId('deployment-status').first().getAttribute('data-status'), {
        timeout: 120_000,
        interval: 500,
      })
      .toBe('done');
    await expect.poll(() => page.getByTestId('deployment-reason').textContent()).toBe('no changes: nothing committed');
    const rows = (await api('GET', '/api/deployments/')).results;
    expect(rows.slice(0, 2).map((d: any) => [d.id, d.status, d.proposed_by, d.reviewed_by, d.review_comment])).toEqual([
      [second, 'done', 'noc1', 'admin', null],
      [first, 'rejected', 'noc1', 'admin', 'not during the freeze'],
    ]);
    expect(errors).toEqual([]);
  });

  it('"Delete from router" deploys the router without the session, which is deleted once that deployment is done', async () => {
    delete process.env.PEERDESK_DEPLOY_REVIEW;
    await go(`/peering-sessions/${sessionId}`);
    await page.getByTestId('remove-from-router-button').click();
    await page.getByTestId('confirm-ok').click();
    await expect.poll(() => page.url()).toMatch(/\/deployments\/\d+$/);
    await expect
      .poll(() => page.getByTestId('deployment-status').first().getAttribute('data-status'), {
        timeout: 120_000,
        interval: 500,
      })
      .toBe('done');
    // Merge mode: the candidate carries the removal statement for the neighbour.
    await page.getByTestId('deployment-diff').locator('.d-add').getByText('delete: neighbor 192.0.2.6;').waitFor();
    expect(await page.getByTestId('deployment-reason').textContent()).toBe('applied and confirmed');
    const loads = server.rpcXml.filter((_, i) => server.rpcs[i] === 'load-configuration');
    expect(loads.at(-1)).toMatch(/group IX \{\s+delete: neighbor 192\.0\.2\.6;/);
    await expect
      .poll(
        async () =>
          (
            await h.pd.app.inject({
              method: 'GET',
              url: `/api/peering-sessions/${sessionId}/`,
              headers: { authorization: `Token ${token}` },
            })
          ).statusCode,
        { timeout: 60_000 },
      )
      .toBe(404);
    await shot('deploy-06-removed');
    expect(errors).toEqual([]);
  });
});
