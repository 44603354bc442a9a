// Peer mail in the browser: the session page's Email action opens the compose form prefilled (To from
// the peer's contacts by the template's roles, subject rendered for the session's peer and exchange),
// Send stores it in test mode (PEERDESK_MAIL_TEST_MODE=1: nothing leaves the machine), the Outbox lists
// it, and the peering request it opened shows "Sent" on the request page and on the peer ASN page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { labSkipReason } from '../support/lab.ts';
import { ARTIFACTS, pageHelpers, startHarness, type Harness, loggedInPage, adminApi } from './harness.ts';

const skip = labSkipReason('chromium', 'chromium');
// The mail settings are read from the environment on use (the worker sends with them too).
const MAIL_ENV = {
  PEERDESK_MAIL_TEST_MODE: '1',
  PEERDESK_MAIL_FROM: 'Peering Desk <peering@example.org>',
  PEERDESK_SMTP_URL: '',
  PEERDESK_MAIL_CC: '',
  PEERDESK_MAIL_RATE_PER_DOMAIN: '0',
};

describe.skipIf(skip)('peer e-mail from a session', () => {
  let h: Harness;
  let page: Page;
  const ids: Record<string, number> = {};
  const saved = Object.fromEntries(Object.keys(MAIL_ENV).map((k) => [k, process.env[k]]));
  const { go } = pageHelpers(() => page);
  let api: Awaited<ReturnType<typeof adminApi>>;

  beforeAll(async () => {
    Object.assign(process.env, MAIL_ENV);
    h = await startHarness({ worker: true, env: MAIL_ENV });
    api = await adminApi(h);
    ids.router = (await api('POST', '/api/routers/', { name: 'edge1', local_asn: 64500 })).id;
    ids.fabric = (await api('POST', '/api/fabrics/', { name: 'MAIL-IX', type: 'ixp' })).id;
    ids.network = (
      await api('POST', '/api/peering-networks/', { fabric: ids.fabric, name: 'MAIL-IX LAN', prefix: '192.0.2.0/24' })
    ).id;
    // Our own network (affiliated): the templates' "us".
    await api('POST', '/api/peer-asns/', { asn: 64500, name: 'Our Net', affiliated: true });
    ids.peerAsn = (await api('POST', '/api/peer-asns/', { asn: 65010, name: 'Example Peer' })).id;
    // Local contacts: the peering-request template writes to Policy first; the NOC one must not be used.
    await api('POST', '/api/contacts/', {
      peer_asn: ids.peerAsn,
      name: 'Pat Policy',
      role: 'Policy',
      email: 'policy@peer.example',
    });
    await api('POST', '/api/contacts/', {
      peer_asn: ids.peerAsn,
      name: 'Nora Noc',
      role: 'NOC',
      email: 'noc@peer.example',
    });
    const peer = await api('POST', '/api/bgp-peers/', { router: ids.router, peer_ip: '192.0.2.10', remote_asn: 65010 });
    ids.session = (await api('POST', '/api/peering-sessions/', { bgp_peer: peer.id, network: ids.network })).id;
    page = await loggedInPage(h, { viewport: { width: 1280, height: 1000 }, timeoutMs: 15_000 });
  }, 180_000);

  afterAll(async () => {
    await h?.close();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }, 60_000);

  it('composes from the session, sends in test mode, and shows it in the Outbox and on the request', async () => {
    await go(`/peering-sessions/${ids.session}`);
    await page.getByTestId('email-button').click();
    await expect.poll(() => page.url()).toContain(`/email/compose?session=${ids.session}`);
    const to = page.getByTestId('compose-to');
    await to.waitFor({ timeout: 30_000 });
    expect(await to.inputValue()).toBe('Pat Policy <policy@peer.example>');
    expect(await page.getByTestId('compose-subject').inputValue()).toBe(
      'Peering request: AS64500 and AS65010 at MAIL-IX',
    );
    expect(await page.getByTestId('compose-body').inputValue()).toContain('Hello Example Peer peering team,');
    await page.screenshot({ path: join(ARTIFACTS, '50-email-compose.png'), fullPage: true });

    await page.getByTestId('send-button').click();
    // Send opens the message; the worker stores it without sending (test mode).
    await expect.poll(() => page.url(), { timeout: 30_000 }).toMatch(/\/outbox\/\d+$/);
    const outboxId = Number(page.url().split('/').pop());
    await expect
      .poll(async () => (await api('GET', `/api/outbox/${outboxId}/`)).status, { timeout: 60_000 })
      .toBe('test');

    await go('/outbox');
    const table = page.getByTestId('table-outbox');
    const row = table.locator('tbody tr', { hasText: 'Peering request: AS64500 and AS65010 at MAIL-IX' });
    await expect.poll(() => row.count(), { timeout: 30_000 }).toBe(1);
    await expect.poll(() => row.getByTestId('outbox-status').textContent(), { timeout: 30_000 }).toBe('test');
    expect(await row.textContent()).toContain('policy@peer.example');
    expect(await row.textContent()).not.toContain('noc@peer.example');
    await page.screenshot({ path: join(ARTIFACTS, '51-email-outbox.png') });

    // The message opened a peering request for AS65010 at MAIL-IX, now "Sent".
    await go('/requests');
    const req = page.getByTestId('table-peering-requests').locator('tbody tr', { hasText: 'AS65010' });
    await expect.poll(() => req.count(), { timeout: 30_000 }).toBe(1);
    expect(await req.textContent()).toContain('MAIL-IX');
    expect(await req.getByTestId('request-status').textContent()).toBe('Sent');
    await req.getByRole('link', { name: /AS65010/ }).click();
    await expect.poll(() => page.url()).toMatch(/\/requests\/\d+$/);
    await expect.poll(() => page.getByTestId('page-title').textContent()).toContain('AS65010');
    expect(await page.getByTestId('request-status').first().textContent()).toBe('Sent');
    await page.screenshot({ path: join(ARTIFACTS, '52-email-request.png'), fullPage: true });

    // The peer ASN page shows the same status, its Email action and its contacts.
    await go(`/peer-asns/${ids.peerAsn}`);
    const panel = page.getByTestId('peer-asn-mail');
    await panel.waitFor({ timeout: 30_000 });
    await expect
      .poll(() => panel.getByTestId('request-status').first().textContent(), { timeout: 30_000 })
      .toBe('Sent');
    await expect.poll(() => panel.textContent()).toContain('policy@peer.example');
    await panel.getByTestId('peer-asn-email').click();
    await expect.poll(() => page.url()).toContain(`/email/compose?peer_asn=${ids.peerAsn}`);

    // The exchange's page lists its peering requests with their status.
    await go(`/fabrics/${ids.fabric}`);
    const atFabric = page.getByTestId('fabric-requests');
    await atFabric.waitFor({ timeout: 30_000 });
    await expect
      .poll(() => atFabric.textContent(), { timeout: 30_000 })
      .toContain('Peering requests at this exchange (1)');
    expect(await atFabric.getByTestId('request-status').first().textContent()).toBe('Sent');
    expect(await atFabric.textContent()).toContain('AS65010');
  }, 180_000);

  it('opens the session-down mail and the wizard prefilled from a request', async () => {
    await go(`/peering-sessions/${ids.session}`);
    await page.getByTestId('session-down-mail').click();
    await expect.poll(() => page.url()).toContain('template=session-down');
    await page.getByTestId('compose-to').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('compose-template').inputValue()).toMatch(/^session-down/);

    await go(`/peering-sessions/new?asn=65010&fabric=${ids.fabric}`);
    await page.getByTestId('wizard-step-0').waitFor();
    await expect.poll(() => page.getByTestId('wizard-fabric').inputValue(), { timeout: 30_000 }).toMatch(/MAIL-IX/);
  }, 120_000);
});
