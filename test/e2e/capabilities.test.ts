// End to end through the UI for the capability back ends, each played by real software on loopback:
// PeeringDB (the project's fake API serving captured real data: sync job, fabric from an exchange,
// candidates, bulk session creation), IRR (a whois server with ARIN routes and test AS-SETs: the
// wizard's Validate/Import, versioned prefix lists) and templates (editor syntax error on its line,
// live preview, version diff, Config Manager). Screenshots land in test-artifacts/cap-*.png.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { labSkipReason } from '../support/lab.ts';
import { IXF_DATA_DIR, startPeeringDbServer, type PeeringDbServer } from '../support/peeringdb-server.ts';
import { startIrrdServer, type IrrdServer } from '../support/irrd-server.ts';
import { loadArinRoutes } from '../support/arin-routes.ts';
import { TEST_AS_SETS } from '../../src/irr/fixtures.test-helper.ts';
import { createToken } from '../../src/auth/auth.service.ts';
import { ARTIFACTS, startHarness, type Harness, pageHelpers, loggedInPage } from './harness.ts';

const skip = labSkipReason('chromium', 'chromium');

describe.skipIf(skip)('capability UIs (PeeringDB, IRR, templates)', () => {
  let h: Harness;
  let page: Page;
  let pdb: PeeringDbServer;
  let irrd: IrrdServer;
  let shrunk: IrrdServer;
  let deepPeerId: number;
  let token: string;
  let routerId: number;
  let wizardSessionId: number;
  const errors: string[] = [];

  // Toasts from earlier steps would cover the page under review: hide them in screenshots only.
  const shot = (name: string) =>
    page.screenshot({
      path: join(ARTIFACTS, `${name}.png`),
      style: '.mantine-Notifications-root { display: none !important; }',
    });
  const { go, pick, fill } = pageHelpers(() => page);
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
  /** Replaces the whole text of the CodeMirror editor. */
  const setEditor = async (text: string) => {
    const content = page.getByTestId('template-editor').locator('.cm-content');
    await content.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(text);
  };

  beforeAll(async () => {
    pdb = await startPeeringDbServer();
    const arin = loadArinRoutes();
    irrd = await startIrrdServer({ routes: [...arin.v4, ...arin.v6], asSets: TEST_AS_SETS, sources: ['ARIN', 'RIPE'] });
    // The same IRR a day later: AS-DEEP lost a member, so a refresh shrinks its lists.
    shrunk = await startIrrdServer({
      routes: [...arin.v4, ...arin.v6],
      asSets: TEST_AS_SETS.map((x) => (x.name === 'AS-DEEP' ? { ...x, members: ['AS46887'] } : x)),
      sources: ['ARIN', 'RIPE'],
    });
    // Both are read from the environment where they are used (the sync job, the IRR pool).
    process.env.PEERDESK_PEERINGDB_URL = pdb.url;
    process.env.PEERDESK_IRR_HOST = irrd.address;
    process.env.PEERDESK_IRR_TIMEOUT_MS = '5000';
    // SQLite, the default engine, with the real worker running the sync and refresh jobs.
    h = await startHarness({ worker: true, env: { PEERDESK_PEERINGDB_URL: pdb.url } });
    const adminId = Number(
      (await h.db.selectFrom('users').select('id').where('username', '=', 'admin').executeTakeFirstOrThrow()).id,
    );
    token = (await createToken(h.db, adminId)).key;
    await api('POST', '/api/relationships/', { name: 'Peer', slug: 'peer', color: '4caf50' });
    const platform = await api('POST', '/api/platforms/', { name: 'Junos', slug: 'junos', driver: 'junos' });
    routerId = (
      await api('POST', '/api/routers/', {
        name: 'edge1',
        hostname: 'edge1.example.net',
        local_asn: 64500,
        router_id: '192.0.2.1',
        platform: platform.id,
      })
    ).id;
    // The shipped junos.j2 configures neighbours inside their peer group.
    await api('POST', '/api/peer-groups/', { name: 'CUSTOMERS', router: routerId });
    page = await loggedInPage(h, { viewport: { width: 1366, height: 860 }, timeoutMs: 15_000, errors });
  }, 120_000);

  afterAll(async () => {
    await h?.close();
    await pdb?.close();
    await irrd?.close();
    await shrunk?.close();
    delete process.env.PEERDESK_PEERINGDB_URL;
    delete process.env.PEERDESK_IRR_HOST;
  });

  it('PeeringDB: Sync now, fabric from DE-CIX Frankfurt with its networks, candidates, create sessions', async () => {
    await go('/peeringdb');
    await page.getByTestId('pdb-runs').getByText('No sync yet').waitFor();
    await page.getByTestId('pdb-sync').click();
    await expect
      .poll(() => page.getByTestId('job-status').getAttribute('data-status'), { timeout: 60_000 })
      .toBe('succeeded');
    // The page refreshes status and runs when the job ends.
    await expect.poll(async () => Number(await page.getByTestId('pdb-count-ix').textContent())).toBeGreaterThan(0);
    await page.getByTestId('pdb-runs').getByText('succeeded').first().waitFor();
    await fill('pdb-exchange-search', 'DE-CIX Frankfurt');
    await page.getByTestId('pdb-exchange-31').waitFor();
    await shot('cap-01-peeringdb');

    await page.getByTestId('pdb-exchange-31').getByTestId('pdb-create-fabric').click();
    await page.getByTestId('fabric-from-ix').getByText('80.81.192.0/21').waitFor();
    await shot('cap-02-fabric-from-ix');
    await page.getByTestId('fabric-from-ix-create').click();
    await expect.poll(() => page.getByTestId('page-title').textContent()).toBe('DE-CIX Frankfurt');
    await expect
      .poll(() => page.getByTestId('related-peering-networks').locator('tbody tr[data-row-id]').count())
      .toBe(2);

    // Candidates: the exchange's members from the mirror, ranked.
    const table = page.getByTestId('table-candidates');
    const rows = table.locator('tbody tr[data-row-id]');
    await expect.poll(() => rows.count()).toBeGreaterThan(0);
    await page.getByTestId('fabric-peeringdb').scrollIntoViewIfNeeded();
    await shot('cap-03-fabric-candidates');
    const asn = Number(await rows.first().getAttribute('data-row-id'));
    await rows.first().locator('input[type=checkbox]').check();
    await page.getByTestId('fabric-peeringdb').getByTestId('actions-menu').click();
    await page.getByRole('menuitem', { name: 'Create sessions…' }).click();
    await pick('cs-router', 'edge1', /edge1/);
    await pick('cs-relationship', 'Peer');
    await page.getByTestId('cs-create').click();
    await page
      .getByTestId('create-sessions-result')
      .getByText(/Created [1-9]\d* session/)
      .waitFor();
    await shot('cap-04-create-sessions');
    const made = await api('GET', `/api/peering-sessions/?asn=${asn}`);
    expect(made.count).toBeGreaterThan(0);
    await page.keyboard.press('Escape');

    // IX-F: nothing imported yet; paste a member export and compare it with PeeringDB.
    await page.getByTestId('tab-ixf').click();
    await page.getByTestId('ixf-tab').getByText('No IX-F export imported').waitFor();
    await page.getByTestId('ixf-tab').getByText('Paste JSON').click();
    await fill('ixf-json', readFileSync(join(IXF_DATA_DIR, 'official_more_complex_example.json'), 'utf8'));
    await page.getByTestId('ixf-import').click();
    await page.getByTestId('ixf-summary').waitFor();
    await page.getByTestId('ixf-tab').scrollIntoViewIfNeeded();
    await shot('cap-04b-ixf');

    // The new peer ASN: PeeringDB values against the local ones, and where else we could peer.
    const peerAsn = (await api('GET', `/api/peer-asns/?asn=${asn}`)).results[0];
    await go(`/peer-asns/${peerAsn.id}`);
    await page.getByTestId('peering-opportunities').getByText('DE-CIX Frankfurt').waitFor();
    await page.getByTestId('pdb-peer-sync').click();
    await page
      .getByText(/Already in sync|Updated/)
      .first()
      .waitFor();
    await page.getByTestId('peering-opportunities').scrollIntoViewIfNeeded();
    await shot('cap-04c-peer-asn-peeringdb');
  }, 90_000);

  it('IRR: the wizard validates AS-DEEP, imports it after Create, and the prefix lists have version 1', async () => {
    await go('/peering-sessions/new');
    await pick('wizard-relationship', 'Peer');
    await page.getByTestId('wizard-exchange-mode').getByText('No Exchange').click();
    await page.getByTestId('wizard-next').click();
    await pick('wizard-router', 'edge1', /edge1/);
    await pick('wizard-peer-group', 'CUSTOMERS');
    await page.getByTestId('wizard-next').click();
    await fill('wizard-peer-name', 'Deep Customer');
    await fill('wizard-peer-asn', '64501');
    await fill('wizard-peer-ipv4', '192.0.2.77');
    await page.getByTestId('wizard-next').click();
    await fill('wizard-as-set', 'AS-DEEP');
    await page.getByTestId('wizard-validate').click();
    await page
      .getByTestId('wizard-asset-result')
      .getByText(/not known to Peerdesk/)
      .waitFor();
    await page.getByTestId('wizard-irr-report').getByText('AS11232 AS46887').waitFor();
    expect(await page.getByTestId('irr-prefix-counts').textContent()).toMatch(/[1-9]\d* IPv4/);
    await shot('cap-05-wizard-validate');
    await page.getByTestId('wizard-import').click();
    await page.getByTestId('wizard-import-pending').waitFor();
    await page.getByTestId('wizard-next').click();
    await page
      .getByTestId('wizard-summary')
      .getByText(/imported from the IRR after create/)
      .waitFor();
    await page.getByTestId('wizard-create').click();
    await expect.poll(() => page.url()).toMatch(/\/peering-sessions\/\d+$/);
    wizardSessionId = Number(page.url().split('/').pop());

    const lists = await api('GET', '/api/prefix-lists/?source=irr&q=AS64501');
    expect(lists.results.map((l: any) => l.name).sort()).toEqual(['IRR-AS64501-V4', 'IRR-AS64501-V6']);
    const v4 = lists.results.find((l: any) => l.family === 4);
    const versions = await api('GET', `/api/prefix-lists/${v4.id}/versions/`);
    expect(versions.map((v: any) => [v.version, v.status])).toEqual([[1, 'active']]);

    // The peer ASN page shows its IRR section; the prefix list page its versions with the diff.
    deepPeerId = v4.peer_asn.id;
    await go(`/peer-asns/${v4.peer_asn.id}`);
    await page.getByTestId('peer-asn-irr').getByText('IRR-AS64501-V4').waitFor();
    await page.getByTestId('as-path-list').getByText('AS11232').waitFor();
    await shot('cap-06-peer-asn-irr');
    await page.getByTestId('peer-asn-irr').getByText('IRR-AS64501-V4').click();
    await page.getByTestId('prefix-list-versions').getByTestId('version-row-1').waitFor();
    await page.getByTestId('version-row-1').click();
    await page.getByTestId('version-diff-1').waitFor();
    await page.getByTestId('prefix-list-versions').scrollIntoViewIfNeeded();
    await shot('cap-07-prefix-list-versions');

    await go('/irr/held');
    await page.getByTestId('held-empty').waitFor();
    await go('/irr/lookup');
    await fill('irr-target', 'AS-DEEP');
    await page.getByTestId('irr-expand').click();
    await page.getByTestId('irr-result').getByText('AS-DEEP').first().waitFor();
    await page.getByTestId('irr-report').waitFor();
    await shot('cap-08-irr-lookup');
  }, 60_000);

  it('IRR: a refresh that shrinks AS-DEEP is held for review, and approving it makes it active', async () => {
    // The refresh job builds its IRR pool from the environment when it runs.
    process.env.PEERDESK_IRR_HOST = shrunk.address;
    await go(`/peer-asns/${deepPeerId}`);
    await page.getByTestId('peer-asn-irr').getByTestId('irr-refresh').click();
    await expect
      .poll(() => page.getByTestId('peer-asn-irr').getByTestId('job-status').getAttribute('data-status'), {
        timeout: 30_000,
      })
      .toBe('succeeded');
    await go('/irr/held');
    const held = page.getByTestId('versions-table');
    await held.getByTestId('version-row-2').first().waitFor();
    await page.getByTestId('version-diff-2').first().locator('.pfx-chip.del').first().waitFor();
    await shot('cap-09-held-for-review');
    const rows = await held.locator('tr[data-testid="version-row-2"]').count();
    for (let i = 0; i < rows; i++) {
      await held.getByTestId('version-approve').first().click();
      await expect.poll(() => held.getByTestId('version-approve').count()).toBe(rows - i - 1);
    }
    await page.getByTestId('held-empty').waitFor();
    const lists = await api('GET', '/api/prefix-lists/?source=irr&q=AS64501');
    for (const l of lists.results) {
      const versions = await api('GET', `/api/prefix-lists/${l.id}/versions/`);
      expect(versions[0]).toMatchObject({ version: 2, status: 'active', decided_by: 'admin' });
    }
    process.env.PEERDESK_IRR_HOST = irrd.address;
  }, 45_000);

  it('templates: syntax error on its line, live preview against a router, version history with a diff', async () => {
    await go('/templates/new');
    await fill('template-name', 'edge-bgp');
    await setEditor(
      'protocols {\n    bgp {\n{% for s in sessions %}\n        neighbor {{ s.remote_ip }\n{% endfor %}\n    }\n}\n',
    );
    await page.getByTestId('template-save').click();
    await page
      .getByTestId('template-error')
      .getByText(/line \d+/)
      .waitFor();
    await page.getByTestId('editor-error-line').waitFor();
    const badLine = Number(/line (\d+)/.exec((await page.getByTestId('template-error').textContent())!)![1]);
    expect(badLine).toBeGreaterThanOrEqual(4);
    await shot('cap-10-template-error');

    await setEditor(
      'protocols {\n    bgp {\n{% for s in sessions %}\n        neighbor {{ s.remote_ip }} peer-as {{ s.peer_asn }}; # {{ s.peer_name }}\n{% endfor %}\n    }\n}\n',
    );
    await page.getByTestId('editor-error-line').waitFor({ state: 'detached' });
    await pick('preview-router', 'edge1', /edge1/);
    await page
      .getByTestId('template-preview')
      .getByText('neighbor 192.0.2.77 peer-as 64501; # Deep Customer')
      .waitFor();
    await page.getByTestId('template-save').click();
    await expect.poll(() => page.url()).toMatch(/\/templates\/\d+$/);
    await page.getByTestId('template-versions').getByText('v1', { exact: true }).waitFor();

    // A second save makes version 2 with a diff from version 1.
    await setEditor(
      'protocols {\n    bgp {\n        group peers {\n{% for s in sessions %}\n            neighbor {{ s.remote_ip }} peer-as {{ s.peer_asn }}; # {{ s.peer_name }}\n{% endfor %}\n        }\n    }\n}\n',
    );
    await page.getByTestId('template-save').click();
    await page.getByTestId('template-versions').getByText('v2', { exact: true }).waitFor();
    const diff = page.getByTestId('template-diff-2');
    await diff.locator('.d-add').getByText('group peers {').waitFor();
    await page.getByTestId('template-preview').getByText('neighbor 192.0.2.77').waitFor();
    await shot('cap-11-template-preview');
    await diff.scrollIntoViewIfNeeded();
    await shot('cap-12-template-versions');
  }, 60_000);

  it('Config Manager renders the session config (Configure is available: drivers are on)', async () => {
    await go(`/peering-sessions/${wizardSessionId}`);
    await page.getByTestId('config-manager-button').click();
    await expect.poll(() => page.url()).toMatch(new RegExp(`/peering-sessions/${wizardSessionId}/config-manager$`));
    // The candidate of the session's router (its platform's shipped junos.j2), in the editor.
    // A long candidate: the editor's search (Ctrl+F) brings the neighbour's line into view.
    await page.getByTestId('cm-candidate').getByText('generated by Peerdesk').waitFor();
    await page.getByTestId('cm-candidate').locator('.cm-content').click();
    await page.keyboard.press('Control+f');
    await page.locator('.cm-search input[name=search]').pressSequentially('192.0.2.77');
    await page.keyboard.press('Enter');
    await page
      .getByTestId('cm-candidate')
      .locator('.cm-line', { hasText: '192.0.2.77' })
      .first()
      .waitFor()
      .catch(async (e) => {
        await shot('cap-13-config-manager-failed');
        throw e;
      });
    expect(await page.getByTestId('cm-template').textContent()).toMatch(/^junos\.j2 v0 · \d+ lines$/);
    await shot('cap-13-config-manager');
    await go(`/peering-sessions/${wizardSessionId}`);
    await page.getByTestId('configure-button').waitFor();
    expect(await page.getByTestId('configure-button').isEnabled()).toBe(true);

    // The Render page: router + stored template → config.
    await go('/config/render');
    await pick('render-router', 'edge1', /edge1/);
    await pick('render-template', 'edge-bgp', /edge-bgp/);
    await page.getByTestId('render-button').click();
    await page.getByTestId('render-output').getByText('group peers {').waitFor();
    await shot('cap-14-render');
    expect(errors).toEqual([]);
  }, 30_000);
});
