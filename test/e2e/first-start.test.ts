// First start: the admin logs in with the printed one-time password and is asked to replace it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { labSkipReason } from '../support/lab.ts';
import { ARTIFACTS, startHarness, type Harness } from './harness.ts';

const skip = labSkipReason('chromium', 'chromium');

describe.skipIf(skip)('first start in the browser', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { PEERDESK_ADMIN_PASSWORD: '' } });
  }, 120_000);
  afterAll(async () => h?.close());

  it('asks for a new password until the one-time password is replaced', async () => {
    const once = h.pd.initialAdminPassword!;
    expect(once).toBeTruthy();
    const page = await (await h.browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(h.base);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(once);
    await page.getByTestId('login-submit').click();
    const banner = page.getByTestId('password-banner');
    await banner.waitFor();
    await page.screenshot({ path: join(ARTIFACTS, '22-one-time-password.png') });
    await banner.getByLabel('Current password').fill(once);
    await banner.getByLabel('New password (8+ characters)').fill('my-own-password-1');
    await page.getByTestId('password-change').click();
    await banner.waitFor({ state: 'detached' });
    expect(await page.getByTestId('page-title').textContent()).toContain('Sessions');
  });
});
