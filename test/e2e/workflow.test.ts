// The seeds' session workflows without dead ends, through the UI in Chromium (issue 13, items 7–14):
// colour names, the router's config template, wrapping a BGP peer from its page, the wizard's
// PeeringDB lookup with a choice of addresses and its local lookup wrapping an existing BGP peer,
// "Add Sessions", warnings for sessions without a source, the delete dialog, Escape on the context
// menu, the PeeringDB member count, readable IRR errors. Screenshots land in test-artifacts/wf-*.png.
import { dynamic } from '../../src/platform/db.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { labSkipReason } from '../support/lab.ts';
import { createToken } from '../../src/auth/auth.service.ts';
import { loadSample } from '../../src/peeringdb/peeringdb.fixtures.ts';
import { ARTIFACTS, startHarness, type Harness, pageHelpers, loggedInPage } from './harness.ts';

const skip = labSkipReason('chromium', 'chromium');

describe.skipIf(skip)('session workflows in the UI', { timeout: 120_000 }, () => {
  let h: Harness;
  let page: Page;
  let token: string;
  let fabric: any;
  let rt1: any;
  let rt3: any;
  const errors: string[] = [];

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
  const one = async (table: string, where: [string, unknown]) =>
    dynamic(h.db).selectFrom(table).selectAll().where(where[0], '=', where[1]).executeTakeFirst() as Promise<any>;

  beforeAll(async () => {
    // IRR checks go to a closed loopback port: the failure must read as a sentence, never the internet.
    process.env.PEERDESK_IRR_HOST = '127.0.0.1:1';
    h = await startHarness();
    const adminId = Number(
      (await h.db.selectFrom('users').select('id').where('username', '=', 'admin').executeTakeFirstOrThrow()).id,
    );
    token = (await createToken(h.db, adminId)).key;
    await loadSample(h.db);
    fabric = (await api('POST', '/api/fabrics/from-peeringdb', { ix_id: 31 })).fabric;
    const nets = (await api('GET', `/api/peering-networks/?fabric=${fabric.id}`)).results;
    rt1 = await api('POST', '/api/routers/', { name: 'rt1.fra', local_asn: 64500 });
    rt3 = await api('POST', '/api/routers/', { name: 'rt3.fra', local_asn: 64500 });
    // One dual-stack connection on the IPv4 LAN gives rt1 its IPv6 source too.
    await api('POST', '/api/peering-connections/', {
      network: nets.find((n: any) => n.family === 4).id,
      router: rt1.id,
      interface: 'ae1',
      ipv4_address: '80.81.192.1',
      ipv6_address: '2001:7f8::fa:1',
    });
    await api('POST', '/api/templates/', { name: 'edge-bird', body: 'router id {{ router.router_id }};\n' });
    page = await loggedInPage(h, { viewport: { width: 1280, height: 800 }, timeoutMs: 20_000, errors });
  }, 180_000);

  afterAll(async () => {
    await h?.close();
    delete process.env.PEERDESK_IRR_HOST;
  });

  it('saves colour names typed in the relationship form as that colour', async () => {
    for (const [name, colour] of [
      ['Peer', 'red'],
      ['Transit', 'Blue'],
      ['Customer', 'yellow'],
    ]) {
      await go('/relationships/new');
      await fill('field-name', name!);
      await fill('field-color', colour!);
      await page.keyboard.press('Tab');
      await page.getByTestId('save-button').click();
      await page.getByTestId('edit-button').waitFor();
    }
    expect(
      (await h.db.selectFrom('relationships').select(['name', 'color']).orderBy('id').execute()).map((r: any) => [
        r.name,
        r.color,
      ]),
    ).toEqual([
      ['Peer', 'f44336'],
      ['Transit', '2196f3'],
      ['Customer', 'ffeb3b'],
    ]);
    await go('/relationships');
    const badge = page.getByTestId('table-relationships').getByTestId('relationship-badge').filter({ hasText: 'Peer' });
    await expect.poll(() => badge.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(244, 67, 54)');
  });

  it('the router form has the config-template field', async () => {
    await go(`/routers/${rt1.id}/edit`);
    await pick('field-config_template', 'edge', 'edge-bird');
    await page.getByTestId('save-button').click();
    await page.getByTestId('edit-button').waitFor();
    await page.locator('[data-field="config_template"]').getByText('edge-bird').waitFor();
    expect((await one('routers', ['id', rt1.id])).config_template_id).not.toBeNull();
  });

  it('wraps an existing BGP peer in a session from its page (the first seed, step 4)', async () => {
    await api('POST', '/api/peer-asns/', { asn: 64512, name: 'Example Peer' });
    const peer = await api('POST', '/api/bgp-peers/', {
      router: rt1.id,
      peer_ip: '80.81.192.42',
      source_ip: '80.81.192.1',
      remote_asn: 64512,
      name: 'AS64512 - Example Peer (LINX)',
    });
    await go(`/bgp-peers/${peer.id}`);
    await page.getByTestId('wrap-bgp-peer').click();
    await expect.poll(() => page.getByTestId('page-title').textContent()).toBe('Wrap a BGP peer in a session');
    await pick('field-relationship', 'Peer');
    await pick('field-network', 'IPv4', /DE-CIX Frankfurt · .*IPv4/);
    await fill('field-service_reference', 'NOC-12345');
    await shot('wf-01-wrap-form');
    await page.getByTestId('save-button').click();
    await expect.poll(() => page.url()).toMatch(/\/peering-sessions\/\d+$/);
    const session = await one('peering_sessions', ['bgp_peer_id', peer.id]);
    expect(session).toMatchObject({ service_reference: 'NOC-12345' });
    // The session page has the second seed's "Add Sessions", which opens the wizard.
    await page.getByTestId('add-sessions-button').click();
    await page.getByTestId('wizard-step-0').waitFor();
  });

  it("the wizard's PeeringDB lookup offers every address, keeps Use in sight, and syncs the new peer ASN", async () => {
    await go('/peering-sessions/new');
    await pick('wizard-relationship', 'Peer');
    await pick('wizard-fabric', 'DE-CIX', /DE-CIX Frankfurt/);
    await expect.poll(() => page.locator('[data-testid^="wizard-network-"]:checked').count()).toBe(2);
    await page.getByTestId('wizard-next').click();
    await pick('wizard-router', 'rt1', /rt1\.fra/);
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('wizard-peer-source').getByText('PeeringDB lookup').click();
    await fill('wizard-pdb-search', 'Mobile');
    const use = page.getByTestId('wizard-pdb-use-8359');
    await use.waitFor();
    // The Use button sits inside the visible part of the scrolling table.
    const box = (await use.boundingBox())!;
    const wrap = (await page.getByTestId('wizard-step-2').locator('.table-wrap').boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(wrap.x);
    expect(box.x + box.width).toBeLessThanOrEqual(wrap.x + wrap.width);
    await use.click();
    const choices = page.getByTestId('wizard-pdb-addresses');
    await expect.poll(() => choices.locator('input[type=checkbox]:checked').count()).toBe(4);
    // Three of the member's four ports: a session per checked address.
    await page.getByTestId('wizard-pdb-address-2001:7f8::20a7:0:2').click();
    expect(await page.getByTestId('wizard-peer-ipv4').inputValue()).toBe('80.81.192.78');
    await shot('wf-02-wizard-pdb-addresses');
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('wizard-summary').getByText('80.81.193.78').waitFor();
    await page.getByTestId('wizard-create').click();
    await expect.poll(() => page.url()).toMatch(/\/peering-sessions\/\d+\?created=\d+,\d+,\d+$/);
    await expect
      .poll(() => page.getByTestId('created-sessions').textContent())
      .toBe('The wizard created 3 sessions: 80.81.192.78 (IPv4), 2001:7f8::20a7:0:1 (IPv6), 80.81.193.78 (IPv4)');
    await shot('wf-03-created-sessions');
    const pa = await one('peer_asns', ['asn', 8359]);
    expect([Number(pa.ipv4_max_prefixes), Number(pa.ipv6_max_prefixes), Number(pa.peeringdb_id)]).toEqual([
      20000, 5000, 983,
    ]);
  });

  it("the wizard's local lookup wraps an unwrapped BGP peer instead of failing with 409", async () => {
    await api('POST', '/api/peer-asns/', { asn: 8551, name: 'Bezeq International' });
    const peer = await api('POST', '/api/bgp-peers/', { router: rt1.id, peer_ip: '80.81.192.191', remote_asn: 8551 });
    await go('/peering-sessions/new');
    await pick('wizard-fabric', 'DE-CIX', /DE-CIX Frankfurt/);
    await expect.poll(() => page.locator('[data-testid^="wizard-network-"]:checked').count()).toBe(2);
    await page.getByTestId('wizard-next').click();
    await pick('wizard-router', 'rt1', /rt1\.fra/);
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('wizard-peer-source').getByText('Local peer lookup').click();
    await pick('wizard-local-peer', 'Bezeq', /Bezeq International/);
    await page.getByTestId('wizard-local-ip').click();
    await page
      .getByRole('option', { name: '80.81.192.191 — BGP peer on rt1.fra without a session: will be wrapped' })
      .click();
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('wizard-create').click();
    await expect.poll(() => page.url()).toMatch(/\/peering-sessions\/\d+$/);
    expect(await one('peering_sessions', ['bgp_peer_id', peer.id])).toBeTruthy();
    expect(
      await h.db.selectFrom('bgp_peers').select('id').where('peer_ip', '=', '80.81.192.191').execute(),
    ).toHaveLength(1);
  });

  it('warns about sessions without a source on the session, list and network pages', async () => {
    const [bare] = await api('POST', '/api/peering-sessions/wizard/', {
      networks: [(await api('GET', `/api/peering-networks/?fabric=${fabric.id}&family=6`)).results[0].id],
      router: rt3.id,
      peer: { asn: 8551, name: 'Bezeq International', ipv6: '2001:7f8::2167:0:1' },
    });
    await go(`/peering-sessions/${bare.id}`);
    const w = page.getByTestId('session-warnings');
    await w.getByText(/rt3\.fra has no connection with an IPv6 address/).waitFor();
    await w
      .getByText('No source address: the BGP peer has no local IP, so the rendered config has no update-source.')
      .waitFor();
    await w.getByText(/no import filter for IPv6/).waitFor();
    await shot('wf-04-session-warnings');
    await go('/');
    await expect
      .poll(() => page.getByTestId('no-source-banner').textContent())
      .toMatch(/^⚠ 1 session has no source address/);
    await expect
      .poll(() => page.getByTestId('table-sessions').getByTestId('source-warning').count())
      .toBeGreaterThan(0);
    await go(`/peering-networks/${bare.network.id}`);
    await page.getByTestId('network-warnings').getByText('1 session on this network has no source address.').waitFor();
    await shot('wf-05-network-warnings');
  });

  it('Escape closes the context menu too', async () => {
    await go('/');
    const rows = page.getByTestId('table-sessions').locator('tbody tr[data-row-id]');
    await rows.first().waitFor();
    await rows.nth(1).click({ button: 'right', position: { x: 400, y: 10 } });
    await page.getByTestId('context-menu').waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('context-menu').waitFor({ state: 'detached' });
  });

  it('the delete dialog says what happens and deletes the BGP peer by default', async () => {
    const [s] = await api('POST', '/api/peering-sessions/wizard/', {
      network: null,
      router: rt3.id,
      peer: { asn: 64512, name: 'Example Peer', ipv4: '10.9.9.2' },
    });
    await go(`/peering-sessions/${s.id}`);
    await page.getByTestId('delete-button').click();
    const dialog = page.getByTestId('confirm-dialog');
    await dialog.getByText(/The routers are not changed/).waitFor();
    expect(await page.getByTestId('confirm-checkbox').isChecked()).toBe(true);
    expect(await page.getByTestId('confirm-hint').textContent()).toBe(
      'Deletes 1 session and 1 BGP peer from Peerdesk.',
    );
    await page.getByTestId('confirm-checkbox').click();
    expect(await page.getByTestId('confirm-hint').textContent()).toMatch(
      /^Deletes 1 session only; its BGP peer stays in Peerdesk without a session/,
    );
    await page.getByTestId('confirm-checkbox').click();
    await shot('wf-06-delete-dialog');
    await page.getByTestId('confirm-ok').click();
    await expect.poll(() => page.url()).toBe(`${h.base}/`);
    expect(await one('bgp_peers', ['id', s.bgp_peer.id])).toBeUndefined();
  });

  it('deleting a relationship in use asks for a replacement instead of stripping the sessions', async () => {
    const rel = await one('relationships', ['name', 'Peer']);
    await go(`/relationships/${rel.id}`);
    await page.getByTestId('delete-button').click();
    await page.getByTestId('confirm-ok').click();
    await page
      .getByTestId('replace-dialog')
      .getByText(/relationship Peer is used by \d+ peering sessions?\./)
      .waitFor();
    await shot('wf-07-replace-dialog');
    await page.keyboard.press('Escape');
    expect(await one('relationships', ['id', rel.id])).toBeTruthy();
  });

  it('the PeeringDB page counts the members in the mirror', async () => {
    await go('/peeringdb');
    await fill('pdb-exchange-search', 'DE-CIX Frankfurt');
    await expect
      .poll(() => page.getByTestId('pdb-exchange-31').getByTestId('pdb-member-count').textContent())
      .toBe('60');
  });

  it('IRR errors read as a sentence, not resolver text', async () => {
    await go('/peering-sessions/new');
    await page.getByTestId('wizard-exchange-mode').getByText('No Exchange').click();
    await page.getByTestId('wizard-next').click();
    await pick('wizard-router', 'rt3', /rt3\.fra/);
    await page.getByTestId('wizard-next').click();
    await fill('wizard-peer-name', 'Somebody');
    await fill('wizard-peer-asn', '64999');
    await fill('wizard-peer-ipv4', '10.1.1.2');
    await page.getByTestId('wizard-next').click();
    await fill('wizard-as-set', 'AS-SOMEBODY');
    await page.getByTestId('wizard-validate').click();
    const e = page.getByTestId('wizard-irr-error');
    await expect
      .poll(() => e.textContent(), { timeout: 60_000 })
      .toBe(
        'IRR check failed: The IRR server 127.0.0.1:1 refused the connection (nothing listens on that port). Check PEERDESK_IRR_HOST.',
      );
    await shot('wf-08-irr-error');
    expect(errors).toEqual([]);
  });
});
