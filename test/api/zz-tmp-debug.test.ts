import { it } from 'vitest';
import { ADMIN_PASSWORD, startHarness } from '../e2e/harness.ts';
it('debug', async () => {
  const h = await startHarness();
  const ctx = await h.browser.newContext();
  const page = await ctx.newPage();
  page.on('console', (m) => console.log('CONSOLE', m.type(), m.text()));
  page.on('response', (r) => console.log('RESP', r.status(), r.url()));
  await page.goto(h.base);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('page-title').getByText('Sessions').waitFor();
  await page.goto(`${h.base}/api/docs`);
  await new Promise((r) => setTimeout(r, 5000));
  console.log((await page.content()).slice(0, 1500));
  await h.close();
}, 120000);
