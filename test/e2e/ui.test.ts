// End to end through the UI in Chromium: log in, walk the first seed's walkthrough (relationships,
// peer ASN, fabric, networks, router, connection), run the wizard with "No Exchange" and with an
// exchange, see the session in the list with its badge, bulk Admin Down two sessions, and check that
// a bad IP shows a field error and creates nothing. Screenshots land in test-artifacts/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { labSkipReason } from '../support/lab.ts';
import { ADMIN_PASSWORD, ARTIFACTS, startHarness, type Harness, pageHelpers } from './harness.ts';

const skip = labSkipReason('chromium', 'chromium');

describe.skipIf(skip)('web UI', { timeout: 120_000 }, () => {
  let h: Harness;
  let page: Page;
  const errors: string[] = [];

  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: false });
  const { go, pick, fill } = pageHelpers(() => page);
  const save = async () => {
    await page.getByTestId('save-button').click();
    await page.getByTestId('edit-button').waitFor();
  };
  const sessionCount = async () =>
    Number(
      (
        (await h.db
          .selectFrom('peering_sessions')
          .select((eb) => eb.fn.countAll().as('c'))
          .executeTakeFirst()) as any
      ).c,
    );

  beforeAll(async () => {
    // The wizard's Validate also asks the IRR: point it at a closed loopback port, never the internet.
    process.env.PEERDESK_IRR_HOST = '127.0.0.1:1';
    h = await startHarness();
    const ctx = await h.browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
    page = await ctx.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.setDefaultTimeout(20_000);
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  it('logs in', async () => {
    await page.goto(h.base);
    await page.getByTestId('login-form').waitFor();
    await shot('01-login');
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByTestId('login-submit').click();
    await page.getByTestId('login-error').waitFor();
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByTestId('login-submit').click();
    await expect.poll(() => page.getByTestId('page-title').textContent()).toBe('Sessions');
  });

  it('walks the first-session walkthrough: relationships, peer ASN, fabric, networks, router, connection', async () => {
    // Step 1: the relationship taxonomy.
    for (const [name, slug, color] of [
      ['Transit', 'transit', '#f44336'],
      ['Customer', 'customer', '#2196f3'],
      ['Peer', 'peer', '#4caf50'],
      ['IX Route Server', 'ixp-rs', '#ffeb3b'],
    ]) {
      await go('/relationships/new');
      await fill('field-name', name!);
      await fill('field-slug', slug!);
      await fill('field-color', color!);
      await page.keyboard.press('Escape');
      await save();
    }
    await go('/relationships');
    await expect.poll(() => page.locator('[data-testid="relationship-badge"]').count()).toBe(4);
    await shot('02-relationships');

    // A form error from client-side validation, then the API's own answer for a duplicate.
    await go('/relationships/new');
    await fill('field-name', 'Bad');
    await fill('field-slug', 'Not A Slug');
    await page.getByTestId('save-button').click();
    await page.getByText('use lower-case letters, digits, - and _').waitFor();
    await fill('field-slug', 'peer');
    await page.getByTestId('save-button').click();
    await page
      .getByText(/already/i)
      .first()
      .waitFor();

    // Step 2: the peer ASN.
    await go('/peer-asns/new');
    await fill('field-asn', '64512');
    await fill('field-name', 'Example Peer');
    await fill('field-irr_as_set', 'RIPE::AS-EXAMPLE');
    await fill('field-ipv4_max_prefixes', '100');
    await fill('field-ipv6_max_prefixes', '50');
    await save();
    await expect.poll(() => page.getByTestId('page-title').textContent()).toBe('AS64512 Example Peer');

    // The fabric and its networks (LANs).
    await go('/fabrics/new');
    await fill('field-name', 'LINX LON1');
    await pick('field-type', 'ixp');
    await save();
    const fabricUrl = page.url();
    for (const [name, prefix, vlan] of [
      ['LINX LON1 IPv4', '198.51.100.0/24', '100'],
      ['LINX LON1 IPv6', '2001:db8:100::/64', '100'],
    ]) {
      await page.getByTestId('related-peering-networks').getByRole('button', { name: '+ Add' }).click();
      await page.getByTestId('form-peering-networks').waitFor();
      await fill('field-name', name!);
      await fill('field-prefix', prefix!);
      await fill('field-vlan', vlan!);
      await save();
      await page.goto(fabricUrl);
    }
    await expect.poll(() => page.getByTestId('related-peering-networks').locator('tbody tr').count()).toBe(2);

    // The router.
    await go('/routers/new');
    await fill('field-name', 'rt1.mtl');
    await fill('field-local_asn', '64500');
    await fill('field-router_id', '192.0.2.1');
    await save();

    // The connection: our router's interface on the LAN, with our addresses.
    await go('/peering-connections/new');
    await pick('field-network', 'LINX LON1 IPv4', /LINX LON1 IPv4/);
    await pick('field-router', 'rt1', 'rt1.mtl');
    await fill('field-interface', 'et-0/0/1');
    await fill('field-ipv4_address', '198.51.100.1');
    await save();
    await go('/peering-connections/new');
    await pick('field-network', 'LINX LON1 IPv6', /LINX LON1 IPv6/);
    await pick('field-router', 'rt1', 'rt1.mtl');
    await fill('field-interface', 'et-0/0/1');
    await fill('field-ipv6_address', '2001:db8:100::1');
    await save();
    await page.goto(fabricUrl);
    await expect.poll(() => page.getByTestId('related-peering-connections').locator('tbody tr').count()).toBe(2);
    await shot('03-fabric-detail');
  });

  it('creates a session with the wizard and "No Exchange"', async () => {
    await go('/');
    await page.getByTestId('add-session').click();
    await page.getByTestId('wizard-step-0').waitFor();
    await pick('wizard-relationship', 'Transit');
    await page.getByTestId('wizard-exchange-mode').getByText('No Exchange').click();
    await fill('wizard-notes', 'upstream #1');
    await fill('wizard-service-reference', 'NOC-100');
    await shot('04-wizard-step1');
    await page.getByTestId('wizard-next').click();
    await pick('wizard-router', 'rt1', /rt1\.mtl/);
    expect(await page.getByTestId('wizard-local-asn').inputValue()).toBe('64500');
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('wizard-peer-source').getByText('Manual').click();
    await fill('wizard-peer-name', 'Transit Co');
    await fill('wizard-peer-asn', '64600');
    await fill('wizard-peer-ipv4', '203.0.113.1');
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('wizard-step-3').waitFor();
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('wizard-summary').waitFor();
    await shot('05-wizard-confirm');
    // Previous goes back and keeps the values.
    await page.getByTestId('wizard-previous').click();
    await page.getByTestId('wizard-step-3').waitFor();
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('wizard-create').click();
    await expect.poll(() => page.url()).toMatch(/\/peering-sessions\/\d+$/);
    await page.getByText('Transit Co').first().waitFor();
    expect(await sessionCount()).toBe(1);
  });

  it('creates v4 and v6 sessions with the wizard on an exchange, source IPs from the connections', async () => {
    await go('/peering-sessions/new');
    await pick('wizard-relationship', 'Peer');
    await pick('wizard-fabric', 'LINX', /LINX LON1/);
    // One LAN per family is chosen by default.
    await expect.poll(() => page.locator('[data-testid^="wizard-network-"]:checked').count()).toBe(2);
    await page.getByTestId('wizard-next').click();
    await pick('wizard-router', 'rt1', /rt1\.mtl/);
    await fill('wizard-md5', 's3cret');
    await page.getByTestId('wizard-next').click();
    // Local peer lookup fills name and ASN from the existing peer ASN.
    await page.getByTestId('wizard-peer-source').getByText('Local peer lookup').click();
    await pick('wizard-local-peer', 'Example', /Example Peer/);
    expect(await page.getByTestId('wizard-peer-asn').inputValue()).toBe('64512');
    await fill('wizard-peer-ipv4', '198.51.100.42');
    await fill('wizard-peer-ipv6', '2001:db8:100::42');
    await shot('06-wizard-peer');
    await page.getByTestId('wizard-next').click();
    expect(await page.getByTestId('wizard-as-set').inputValue()).toBe('RIPE::AS-EXAMPLE');
    await page.getByTestId('wizard-validate').click();
    await page
      .getByTestId('wizard-asset-result')
      .getByText(/Known to Peerdesk/)
      .waitFor();
    await shot('07-wizard-asset');
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('wizard-create').click();
    // Two sessions (v4 and v6): the first opens, and the page links both.
    await expect.poll(() => page.url()).toMatch(/\/peering-sessions\/\d+\?created=\d+,\d+$/);
    await page.locator('[data-field="local_ip"]').getByText('198.51.100.1').waitFor();
    await expect
      .poll(() => page.getByTestId('created-sessions').textContent())
      .toMatch(/created 2 sessions: 198\.51\.100\.42 \(IPv4\), 2001:db8:100::42 \(IPv6\)/);
    await shot('08-session-page');
    expect(await sessionCount()).toBe(3);
  });

  it('shows the sessions in the list with their relationship badges', async () => {
    await go('/');
    const table = page.getByTestId('table-sessions');
    await expect.poll(() => table.locator('tbody tr[data-row-id]').count()).toBe(3);
    await expect
      .poll(() => table.getByTestId('relationship-badge').allTextContents())
      .toEqual(expect.arrayContaining(['Transit', 'Peer', 'Peer']));
    await table.getByText('203.0.113.1').waitFor();
    // The type filter narrows to the Peer sessions.
    await page.getByTestId('filter-relationship').click();
    await page.getByRole('option', { name: 'Peer', exact: true }).click();
    await page.keyboard.press('Escape');
    await expect.poll(() => table.locator('tbody tr[data-row-id]').count()).toBe(2);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => table.locator('tbody tr[data-row-id]').count()).toBe(3);
    await shot('09-sessions-list');
  });

  it('admin-downs two sessions in bulk from the Actions menu, and one from the right-click menu', async () => {
    const table = page.getByTestId('table-sessions');
    const rows = table.locator('tbody tr[data-row-id]');
    await rows.nth(0).locator('input[type=checkbox]').check();
    await rows.nth(1).locator('input[type=checkbox]').check();
    await page.getByTestId('actions-menu').click();
    await page.getByRole('menuitem', { name: 'Admin Down' }).click();
    await page.getByTestId('confirm-ok').click();
    await expect.poll(() => table.locator('[data-state="admin-down"]').count()).toBe(2);
    await page.getByTestId('confirm-dialog').waitFor({ state: 'detached' });
    const disabled = await h.db
      .selectFrom('bgp_peers')
      .select('id')
      .where('enabled', '=', 0 as any)
      .execute();
    expect(disabled.length).toBe(2);
    await shot('10-sessions-admin-down');

    // Right-click the third row: the context menu acts on it alone.
    await rows.nth(2).click({ button: 'right', position: { x: 400, y: 10 } });
    await page.getByTestId('context-menu').waitFor();
    await shot('11-context-menu');
    await page.getByTestId('context-menu').getByText('Admin Up').click();
    await expect.poll(() => table.locator('[data-state="admin-down"]').count()).toBe(2);
  });

  it('keyboard: arrows move the active row, Enter opens it', async () => {
    await go('/');
    const table = page.getByTestId('table-sessions');
    await table.locator('tbody tr[data-row-id]').first().waitFor();
    await table.focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.url()).toMatch(/\/peering-sessions\/\d+$/);
  });

  it('a bad IP shows a field error and creates nothing', async () => {
    const before = await sessionCount();
    await go('/');
    await go('/peering-sessions/new');
    await page.getByTestId('wizard-exchange-mode').getByText('No Exchange').click();
    await page.getByTestId('wizard-next').click();
    await pick('wizard-router', 'rt1', /rt1\.mtl/);
    await page.getByTestId('wizard-next').click();
    await fill('wizard-peer-name', 'Broken Peer');
    await fill('wizard-peer-asn', '64999');
    await fill('wizard-peer-ipv4', '198.51.100.999');
    await page.getByTestId('wizard-next').click();
    await page.getByText('"198.51.100.999" is not a valid IPv4 or IPv6 address').waitFor();
    await shot('12-wizard-bad-ip');
    expect(await page.getByTestId('wizard-step-2').count()).toBe(1);

    // An address the browser accepts but the API refuses (outside the exchange LAN): the server's
    // error comes back next to the field, on the step that owns it, and nothing is created.
    await go('/');
    await go('/peering-sessions/new');
    await pick('wizard-fabric', 'LINX', /LINX LON1/);
    await expect.poll(() => page.locator('[data-testid^="wizard-network-"]:checked').count()).toBe(2);
    await page.getByTestId('wizard-next').click();
    await pick('wizard-router', 'rt1', /rt1\.mtl/);
    await page.getByTestId('wizard-next').click();
    await fill('wizard-peer-name', 'Broken Peer');
    await fill('wizard-peer-asn', '64999');
    await fill('wizard-peer-ipv4', '10.9.9.9');
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('wizard-create').click();
    await page.getByTestId('wizard-step-2').waitFor();
    await page
      .getByTestId('wizard-step-2')
      .getByText(/outside the network/)
      .first()
      .waitFor();
    await shot('13-wizard-server-error');
    expect(await sessionCount()).toBe(before);
    expect(await h.db.selectFrom('peer_asns').select('id').where('asn', '=', 64999).execute()).toHaveLength(0);
  });

  it('detail pages show related tables; change log shows a diff; jobs page lists jobs', async () => {
    await go('/peer-asns');
    await page.getByTestId('table-peer-asns').getByText('Example Peer').click();
    await expect
      .poll(() => page.getByTestId('related-peering-sessions').locator('tbody tr[data-row-id]').count())
      .toBe(2);
    await shot('14-peer-asn-detail');
    await go('/relationships');
    await page.getByTestId('table-relationships').getByText('Peer', { exact: true }).first().click();
    await expect
      .poll(() => page.getByTestId('related-peering-sessions').locator('tbody tr[data-row-id]').count())
      .toBe(2);
    await go('/routers');
    await page.getByTestId('table-routers').getByText('rt1.mtl').click();
    await expect.poll(() => page.getByTestId('related-bgp-peers').locator('tbody tr[data-row-id]').count()).toBe(3);
    await shot('15-router-detail');

    await go('/changes');
    await page.getByTestId('table-changes').locator('tbody tr').first().getByRole('button', { name: 'Diff' }).click();
    await page.getByTestId('change-diff').waitFor();
    await page.waitForTimeout(400); // let the dialog finish opening for the screenshot
    await shot('16-change-diff');
    await page.keyboard.press('Escape');

    await go('/jobs');
    await page.getByTestId('table-jobs').waitFor();
    await shot('17-jobs');

    // Dark theme.
    await go('/');
    await page.getByTestId('theme-toggle').click();
    await page.getByTestId('table-sessions').locator('tbody tr[data-row-id]').first().waitFor();
    await shot('18-sessions-dark');
    await page.getByTestId('theme-toggle').click();
  });

  it('global search finds a session by service reference and logs out', async () => {
    await page.getByTestId('global-search').fill('NOC-100');
    await page.getByTestId('search-results').getByText('203.0.113.1').waitFor();
    await shot('19-global-search');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.url()).toMatch(/\/peering-sessions\/\d+$/);
    await page.getByTestId('user-menu').click();
    await page.getByTestId('logout').click();
    await page.waitForTimeout(1000);
    await shot('20-after-logout');
    await page.getByTestId('login-form').waitFor();
    expect(errors).toEqual([]);
  });
});
