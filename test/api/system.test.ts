// Health, metrics, the OpenAPI document and docs, unknown routes, and the first start's one-time admin
// password. The CLI is in test/cli/system-cli.test.ts, search in search.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

describe.each(engines())('system endpoints on %s', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(engine);
  });
  afterAll(async () => t?.close());

  it('reports health without auth and metrics in Prometheus format', async () => {
    const h = await t.api('GET', '/api/health', undefined, { role: 'anonymous' });
    expect(h.status).toBe(200);
    expect(h.body).toMatchObject({ status: 'ok', database: 'ok', migrations: { pending: [] } });
    await t.api('GET', '/api/relationships/');
    const m = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(m.statusCode).toBe(200);
    expect(m.body).toMatch(
      /peerdesk_http_requests_total\{method="GET",route="\/api\/relationships\/",status="200"\} \d+/,
    );
    expect(m.body).toMatch(/peerdesk_jobs_by_status/);
  });

  it('serves the OpenAPI 3.1 document and the browsable docs', async () => {
    expect((await t.api('GET', '/api/schema', undefined, { role: 'anonymous' })).status).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/api/docs/' })).statusCode).toBe(401);
    const s = await t.api('GET', '/api/schema', undefined, { role: 'viewer' });
    expect(s.body.openapi).toBe('3.1.0');
    expect(Object.keys(s.body.paths)).toContain('/api/peering-sessions/');
    const docs = await t.app.inject({
      method: 'GET',
      url: '/api/docs/',
      headers: { authorization: `Token ${t.tokens.viewer}` },
    });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toMatch(/swagger/i);
  });

  it('answers unknown API routes with problem+json 404', async () => {
    const r = await t.api('GET', '/api/nope/');
    expect(r.status).toBe(404);
    expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
  });
});

describe('first start', () => {
  it('creates an admin with a one-time password that must be changed', async () => {
    const { createTestDb } = await import('../support/db.ts');
    const { createApp } = await import('../../src/app.ts');
    const { loadConfig } = await import('../../src/platform/config.ts');
    const { createToken } = await import('../../src/auth/auth.service.ts');
    const tdb = await createTestDb('sqlite');
    const pd = await createApp({ config: loadConfig({ PEERDESK_LOG_LEVEL: 'silent' }), db: tdb.db, worker: false });
    try {
      expect(pd.initialAdminPassword).toMatch(/^\S{12,}$/);
      const login = await pd.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'admin', password: pd.initialAdminPassword },
      });
      expect(login.statusCode).toBe(200);
      const admin = await tdb.db
        .selectFrom('users')
        .select('id')
        .where('username', '=', 'admin')
        .executeTakeFirstOrThrow();
      const h = { authorization: `Token ${(await createToken(tdb.db, Number(admin.id))).key}` };
      expect((await pd.app.inject({ url: '/api/auth/me', headers: h })).json().must_change_password).toBe(true);
      const wrong = await pd.app.inject({
        method: 'POST',
        url: '/api/auth/password',
        headers: h,
        payload: { current_password: 'nope', new_password: 'a-better-password' },
      });
      expect(wrong.json().errors[0].field).toBe('current_password');
      const ok = await pd.app.inject({
        method: 'POST',
        url: '/api/auth/password',
        headers: h,
        payload: { current_password: pd.initialAdminPassword, new_password: 'a-better-password' },
      });
      expect(ok.statusCode).toBe(204);
      expect((await pd.app.inject({ url: '/api/auth/me', headers: h })).json().must_change_password).toBe(false);
      // The one-time password no longer works.
      expect(
        (
          await pd.app.inject({
            method: 'POST',
            url: '/api/auth/login',
            payload: { username: 'admin', password: pd.initialAdminPassword },
          })
        ).statusCode,
      ).toBe(401);
    } finally {
      await pd.app.close();
      await tdb.drop();
    }
  });
});
