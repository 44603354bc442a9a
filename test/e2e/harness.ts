// E2E harness: builds the UI once (with a lock against parallel files), starts the real server
// in-process on a temp SQLite database, and launches Debian's Chromium through playwright-core.
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { createApp, type PeerdeskApp } from '../../src/app.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { openDb, type Db } from '../../src/platform/db.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const ARTIFACTS = join(ROOT, 'test-artifacts');
export const ADMIN_PASSWORD = 'e2e-admin-password-1';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Builds web/dist once; concurrent callers wait on a lock directory instead of racing. */
export async function ensureUiBuilt(): Promise<void> {
  const index = join(ROOT, 'web/dist/index.html');
  if (existsSync(index)) return;
  const lock = join(ROOT, 'node_modules/.peerdesk-ui-build.lock');
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A stale lock (a crashed build) is broken after two minutes.
      if (Date.now() - statSync(lock, { throwIfNoEntry: false })!.mtimeMs > 120_000)
        rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 500));
      if (existsSync(index)) return;
    }
  }
  try {
    if (existsSync(index)) return;
    const r = spawnSync(
      process.execPath,
      [
        join(ROOT, 'node_modules/vite/bin/vite.js'),
        'build',
        '--config',
        join(ROOT, 'web/vite.config.ts'),
        '--logLevel',
        'warn',
      ],
      { cwd: ROOT, stdio: 'inherit' },
    );
    if (r.status !== 0) throw new Error('UI build failed');
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface Harness {
  pd: PeerdeskApp;
  db: Db;
  base: string;
  browser: Browser;
  close(): Promise<void>;
}

/** Starts Peerdesk on a fresh database and a headless Chromium (optionally with the job worker and extra config). */
export async function startHarness(
  opts: { worker?: boolean; env?: Record<string, string>; databaseUrl?: string } = {},
): Promise<Harness> {
  await ensureUiBuilt();
  mkdirSync(ARTIFACTS, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'peerdesk-e2e-'));
  const db = await openDb(opts.databaseUrl ?? `sqlite:${join(dir, 'peerdesk.db')}`);
  const pd = await createApp({
    config: loadConfig({
      PEERDESK_ADMIN_PASSWORD: ADMIN_PASSWORD,
      PEERDESK_LOG_LEVEL: 'warn',
      PEERDESK_DATA_DIR: dir,
      ...opts.env,
    }),
    db,
    worker: opts.worker ?? false,
  });
  const address = await pd.app.listen({ host: '127.0.0.1', port: 0 });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  return {
    pd,
    db,
    base: address,
    browser,
    async close() {
      await browser.close().catch(() => {});
      await pd.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An API caller with a fresh admin token: JSON in, JSON out, throws naming the call on a non-2xx answer. */
export async function adminApi(h: Harness): Promise<(method: string, path: string, body?: unknown) => Promise<any>> {
  const { createToken } = await import('../../src/auth/auth.service.ts');
  const adminId = Number(
    (await h.db.selectFrom('users').select('id').where('username', '=', 'admin').executeTakeFirstOrThrow()).id,
  );
  const token = (await createToken(h.db, adminId)).key;
  return async (method, path, body) => {
    const r = await fetch(`${h.base}${path}`, {
      method,
      headers: { authorization: `Token ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await r.json();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(data)}`);
    return data;
  };
}

/** Opens a page in a new browser context and logs in as the admin; returns once the Sessions list shows. */
export async function loggedInPage(
  h: Harness,
  opts: { viewport: { width: number; height: number }; timeoutMs: number; errors?: string[] },
): Promise<import('playwright-core').Page> {
  const ctx = await h.browser.newContext({ viewport: opts.viewport, colorScheme: 'light' });
  const page = await ctx.newPage();
  if (opts.errors) page.on('pageerror', (e) => opts.errors!.push(e.message));
  page.setDefaultTimeout(opts.timeoutMs);
  await page.goto(h.base);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('page-title').getByText('Sessions').waitFor();
  return page;
}

/** Page helpers the e2e suites share: client-side navigation, select picking, field filling, login. */
export function pageHelpers(getPage: () => import('playwright-core').Page) {
  return {
    /** Navigates inside the SPA without a reload. */
    async go(path: string) {
      await getPage().evaluate((p) => {
        window.history.pushState(null, '', p);
        window.dispatchEvent(new PopStateEvent('popstate'));
      }, path);
    },
    /** Picks an option in a (server-searched) select by typing part of its label. */
    async pick(testid: string, typed: string, option: string | RegExp = typed) {
      const input = getPage().getByTestId(testid);
      await input.click();
      if ((await input.getAttribute('readonly')) === null) await input.fill(typed);
      await getPage().getByRole('option', { name: option }).first().click();
    },
    fill: (testid: string, value: string) => getPage().getByTestId(testid).fill(value),
  };
}
