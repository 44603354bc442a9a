// Auth: every route × anonymous / viewer / operator / admin; tokens, sessions, CSRF, rate limit, secrets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { bgpPeer, router, user } from '../support/factories.ts';

const PUBLIC = new Set(['GET /api/health', 'POST /api/auth/login']);
// Writes that need admin rather than operator.
const ADMIN_ONLY = [
  /^\/api\/platforms\//,
  /^\/api\/users\//,
  /^\/api\/schedules\//,
  /^\/api\/templates\/(?!preview\/)/,
  /^\/api\/email-templates\//,
  /^\/api\/deployments\/[^/]+\/(approve|reject)\//,
];
// POSTs that only read (rendering): open to viewers.
const READ_POSTS = new Set([
  '/api/render-config/',
  '/api/plugins/bgp/render-config/',
  '/api/templates/preview/',
  '/api/irr/expand/',
  '/api/irr/validate/',
]);

describe.each(engines())('auth on %s', (engine) => {
  let t: TestApp;
  let routes: { method: string; url: string }[];
  beforeAll(async () => {
    t = await startTestApp(engine);
    await t.app.ready();
    const spec = t.app.swagger() as any;
    routes = Object.entries(spec.paths).flatMap(([path, ops]: [string, any]) =>
      Object.keys(ops)
        .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
        .map((m) => ({ method: m.toUpperCase(), url: path.replace(/\{[^}]+\}/g, '999999') })),
    );
  });
  afterAll(async () => t?.close());

  it('covers the whole API', () => {
    expect(routes.length).toBeGreaterThan(100);
    const seen = routes.map((r) => `${r.method} ${r.url}`);
    for (const r of [
      'GET /api/health',
      'POST /api/auth/login',
      'GET /api/peering-sessions/',
      'POST /api/peering-sessions/wizard/',
      'PATCH /api/bgp-peers/999999/',
      'DELETE /api/routers/999999/',
      'GET /api/search/',
    ])
      expect(seen, r).toContain(r);
  });

  it('answers 401 to anonymous callers on every route but health and login', async () => {
    for (const r of routes) {
      const res = await t.api(r.method, r.url, ['POST', 'PUT', 'PATCH'].includes(r.method) ? {} : undefined, {
        role: 'anonymous',
      });
      if (PUBLIC.has(`${r.method} ${r.url}`)) expect(res.status, `${r.method} ${r.url}`).not.toBe(401);
      else expect(res.status, `${r.method} ${r.url}`).toBe(401);
      expect(res.headers['content-type']).toMatch(/json/);
      // The same route spelled with percent-encoding is the same route: public or private alike.
      const encoded = r.url
        .replace(/^\/api\//, '/%61pi/')
        .replace(/\/([a-z])/, (_m, c: string) => `/%${c.charCodeAt(0).toString(16)}`);
      const enc = await t.api(r.method, encoded, ['POST', 'PUT', 'PATCH'].includes(r.method) ? {} : undefined, {
        role: 'anonymous',
      });
      if (PUBLIC.has(`${r.method} ${r.url}`)) expect(enc.status, `${r.method} ${encoded}`).not.toBe(401);
      else expect(enc.status, `${r.method} ${encoded}`).toBe(401);
      expect(enc.headers['content-type'], `${r.method} ${encoded}`).toMatch(/^application\/problem\+json|json/);
    }
    // Documentation and the raw schema are private too, however the URL is written.
    for (const url of [
      '/api/schema',
      '/%61pi/schema',
      '/api/docs',
      '/%61pi/docs',
      '/%61pi/docs/json',
      '/api/docs/static/index.html',
    ]) {
      const res = await t.api('GET', url, undefined, { role: 'anonymous' });
      expect(res.status, url).toBe(401);
      expect(res.headers['content-type'], url).toMatch(/^application\/problem\+json/);
    }
  });

  it('lets viewers read and nothing else', async () => {
    for (const r of routes) {
      const res = await t.api(r.method, r.url, ['POST', 'PUT', 'PATCH'].includes(r.method) ? {} : undefined, {
        role: 'viewer',
      });
      const label = `${r.method} ${r.url} → ${res.status}`;
      if (r.method === 'GET') {
        const adminRead = /^\/api\/users\//.test(r.url);
        if (adminRead) expect(res.status, label).toBe(403);
        else expect([401, 403], label).not.toContain(res.status);
      } else if (
        !PUBLIC.has(`${r.method} ${r.url}`) &&
        !/^\/api\/(auth|tokens)\//.test(r.url) &&
        !READ_POSTS.has(r.url)
      ) {
        expect(res.status, label).toBe(403);
      }
      expect(res.status, label).toBeLessThan(500);
    }
  });

  it('lets operators write the inventory but not admin objects', async () => {
    for (const r of routes.filter((x) => x.method !== 'GET')) {
      const res = await t.api(r.method, r.url, ['POST', 'PUT', 'PATCH'].includes(r.method) ? {} : undefined, {
        role: 'operator',
      });
      const label = `${r.method} ${r.url} → ${res.status}`;
      expect(res.status, label).toBeLessThan(500);
      if (ADMIN_ONLY.some((re) => re.test(r.url))) expect(res.status, label).toBe(403);
      else expect(res.status, label).not.toBe(403);
    }
  });

  it('lets admins do everything (bad bodies give 4xx, never 401/403/5xx)', async () => {
    for (const r of routes) {
      const res = await t.api(r.method, r.url, ['POST', 'PUT', 'PATCH'].includes(r.method) ? {} : undefined, {
        role: 'admin',
      });
      const label = `${r.method} ${r.url} → ${res.status}`;
      expect([401, 403], label).not.toContain(res.status);
      expect(res.status, label).toBeLessThan(500);
    }
  });

  it('accepts Bearer, rejects bad, expired and read-only-for-writes tokens', async () => {
    expect(
      (
        await t.api('GET', '/api/relationships/', undefined, {
          role: 'anonymous',
          headers: { authorization: `Bearer ${t.tokens.viewer}` },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await t.api('GET', '/api/relationships/', undefined, {
          role: 'anonymous',
          headers: { authorization: 'Token pd_nope' },
        })
      ).status,
    ).toBe(401);
    const expired = await t.api('POST', '/api/tokens/', { description: 'old', expires_at: '2000-01-01T00:00:00Z' });
    expect(expired.status).toBe(400);
    const ro = await t.api('POST', '/api/tokens/', { description: 'read only', write_enabled: false });
    expect(ro.status).toBe(201);
    expect(ro.body.key).toMatch(/^pd_/);
    const list = await t.api('GET', '/api/tokens/');
    expect(JSON.stringify(list.body)).not.toContain(ro.body.key);
    const h = { authorization: `Token ${ro.body.key}` };
    expect((await t.api('GET', '/api/relationships/', undefined, { role: 'anonymous', headers: h })).status).toBe(200);
    expect((await t.api('POST', '/api/relationships/', { name: 'X' }, { role: 'anonymous', headers: h })).status).toBe(
      403,
    );
    // Stored hashed: the key itself is nowhere in the database.
    const rows = await t.tdb.db.selectFrom('api_tokens').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(ro.body.key);
  });

  it('runs cookie sessions with CSRF protection and a login rate limit', async () => {
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'operator', password: 'wrong' },
    });
    expect(bad.statusCode).toBe(401);
    const ok = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'operator', password: 'operator-password' },
    });
    expect(ok.statusCode).toBe(200);
    const cookie = ok.cookies.find((c) => c.name === 'peerdesk_session')!;
    expect(cookie.httpOnly).toBe(true);
    const csrf = ok.json().csrf_token;
    const headers = { cookie: `peerdesk_session=${cookie.value}` };
    expect((await t.app.inject({ method: 'GET', url: '/api/auth/me', headers })).json()).toMatchObject({
      username: 'operator',
      role: 'operator',
      via: 'session',
    });
    const noCsrf = await t.app.inject({
      method: 'POST',
      url: '/api/relationships/',
      headers,
      payload: { name: 'Cookie' },
    });
    expect(noCsrf.statusCode).toBe(403);
    const withCsrf = await t.app.inject({
      method: 'POST',
      url: '/api/relationships/',
      headers: { ...headers, 'x-csrf-token': csrf },
      payload: { name: 'Cookie' },
    });
    expect(withCsrf.statusCode).toBe(201);
    expect(
      (await t.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { ...headers, 'x-csrf-token': csrf } }))
        .statusCode,
    ).toBe(204);
    expect((await t.app.inject({ method: 'GET', url: '/api/auth/me', headers })).statusCode).toBe(401);
    // Five failures (the configured limit) then 429 even with the right password.
    for (let i = 0; i < 5; i++)
      await t.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'viewer', password: `bad${i}` },
      });
    const limited = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'viewer', password: 'viewer-password' },
    });
    expect(limited.statusCode).toBe(429);
    // Seconds until the oldest failure leaves the 15-minute window.
    expect(limited.headers['retry-after']).toMatch(/^\d+$/);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(900);
  });

  it('keeps MD5 passwords and router credentials encrypted and out of output unless an admin asks', async () => {
    const rt = await router(t, {
      name: 'secret-rt',
      local_asn: 65000,
      credentials: { username: 'netconf', password: 'router-pass' },
    });
    expect(rt.credentials_set).toBe(true);
    expect(JSON.stringify(rt)).not.toContain('router-pass');
    const opSet = await t.api(
      'PATCH',
      `/api/routers/${rt.id}/`,
      { credentials: { password: 'x' } },
      { role: 'operator' },
    );
    expect(opSet.status).toBe(400);
    expect(opSet.body.errors).toEqual([
      { field: 'credentials', message: 'only the admin role may set router credentials' },
    ]);
    const peer = {
      body: await bgpPeer(t, { router: rt.id, peer_ip: '192.0.2.9', remote_asn: 65001, password: 'md5-secret' }),
    };
    expect(peer.body.password_set).toBe(true);
    expect(JSON.stringify(peer.body)).not.toContain('md5-secret');
    const stored = await t.tdb.db
      .selectFrom('bgp_peers')
      .select('password_enc')
      .where('id', '=', peer.body.id)
      .executeTakeFirstOrThrow();
    expect(stored.password_enc).toMatch(/^v1:/);
    expect(stored.password_enc).not.toContain('md5-secret');
    expect(
      (await t.api('GET', `/api/bgp-peers/${peer.body.id}/?include_secrets=1`, undefined, { role: 'operator' })).status,
    ).toBe(403);
    expect((await t.api('GET', `/api/bgp-peers/${peer.body.id}/?include_secrets=1`)).body.password).toBe('md5-secret');
    expect((await t.api('GET', `/api/routers/${rt.id}/?include_secrets=1`)).body.credentials).toEqual({
      username: 'netconf',
      password: 'router-pass',
    });
    const changes = await t.api('GET', '/api/changes/?object_type=bgp-peer');
    expect(JSON.stringify(changes.body)).not.toContain('md5-secret');
    expect(changes.body.results[0]).toMatchObject({ action: 'create', user: { username: 'admin' } });
    expect(changes.body.results[0].request_id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
  });

  it('deletes users but not yourself', async () => {
    const u = await user(t, 'viewer', { username: 'temp', password: 'temp-password' });
    expect((await t.api('DELETE', `/api/users/${u.id}/`)).status).toBe(204);
    const me = (await t.api('GET', '/api/auth/me')).body;
    expect((await t.api('DELETE', `/api/users/${me.id}/`)).status).toBe(400);
  });
});

describe('token bookkeeping', () => {
  it('records when a token was last used', async () => {
    const t = await startTestApp('sqlite');
    try {
      const created = await t.api('POST', '/api/tokens/', { description: 'probe' });
      expect(created.body.last_used_at).toBeNull();
      await t.api('GET', '/api/relationships/', undefined, {
        role: 'anonymous',
        headers: { authorization: `Token ${created.body.key}` },
      });
      const list = await t.api('GET', '/api/tokens/');
      const mine = list.body.results.find((x: any) => x.id === created.body.id);
      expect(Date.parse(mine.last_used_at)).toBeGreaterThan(Date.now() - 60_000);
    } finally {
      await t.close();
    }
  });
});
