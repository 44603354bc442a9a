// Health, metrics, docs and the CLI contract (token create prints the key alone, --help everywhere).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp, type TestApp } from '../support/app.ts';

describe('system endpoints', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
  });
  afterAll(async () => t?.close());

  it('reports health without auth and metrics in Prometheus format', async () => {
    const h = await t.api('GET', '/api/health', undefined, { role: 'anonymous' });
    expect(h.status).toBe(200);
    expect(h.body).toMatchObject({ status: 'ok', database: 'ok', migrations: { pending: [] } });
    await t.api('GET', '/api/relationships/');
    const m = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(m.statusCode).toBe(200);
    expect(m.body).toMatch(/peerdesk_http_requests_total\{method="GET",route="\/api\/relationships\/",status="200"\} \d+/);
    expect(m.body).toMatch(/peerdesk_jobs_by_status/);
  });

  it('serves the OpenAPI 3.1 document and the browsable docs', async () => {
    expect((await t.api('GET', '/api/schema', undefined, { role: 'anonymous' })).status).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/api/docs/' })).statusCode).toBe(401);
    const s = await t.api('GET', '/api/schema', undefined, { role: 'viewer' });
    expect(s.body.openapi).toBe('3.1.0');
    expect(Object.keys(s.body.paths)).toContain('/api/peering-sessions/');
    const docs = await t.app.inject({ method: 'GET', url: '/api/docs/', headers: { authorization: `Token ${t.tokens.viewer}` } });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toMatch(/swagger/i);
  });

  it('answers unknown API routes with problem+json 404', async () => {
    const r = await t.api('GET', '/api/nope/');
    expect(r.status).toBe(404);
    expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
  });
});

describe('command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pd-cli-'));
  const env = { ...process.env, PEERDESK_DATABASE_URL: `sqlite:${join(dir, 'cli.db')}`, PEERDESK_DATA_DIR: dir, PEERDESK_LOG_LEVEL: 'silent' };
  const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/peerdesk.js', ...args], { env, encoding: 'utf8' });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has --help on every command', () => {
    const top = cli('--help');
    expect(top.status).toBe(0);
    for (const c of ['serve', 'worker', 'migrate', 'user', 'token', 'job', 'peeringdb', 'irr', 'render', 'poll']) {
      expect(top.stdout).toContain(c);
      const r = cli(c, '--help');
      expect(r.status, c).toBe(0);
      expect(r.stdout).toMatch(/Usage: peerdesk/);
    }
  });

  it('migrates, creates a user and prints a token key alone on stdout', () => {
    expect(cli('migrate').stdout).toMatch(/applied: 0001_foundation/);
    expect(cli('migrate').stdout).toMatch(/up to date/);
    const u = cli('user', 'create', 'noc', '--role', 'operator', '--password', 'noc-password');
    expect(u.status, u.stderr).toBe(0);
    const out = execFileSync(process.execPath, ['bin/peerdesk.js', 'token', 'create', 'noc'], { env, encoding: 'utf8' });
    expect(out).toMatch(/^pd_[A-Za-z0-9_-]{40}\n$/);
    expect(cli('user', 'create', 'x', '--role', 'superuser', '--password', 'longenough').stderr).toMatch(/role/);
    expect(cli('token', 'create', 'ghost').stderr).toMatch(/no user ghost/);
  });

  it('runs a job kind from the CLI', () => {
    const r = cli('job', 'run', 'system.sleep', '--payload', '{"ms": 10}', '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'succeeded', result: { slept_ms: 10 } });
    expect(cli('job', 'run', 'system.sleep', '--payload', '{"ms": "x"}').stderr).toMatch(/payload.ms/);
  });

  it('renders a router from the database and polls from the CLI', async () => {
    const { openDb } = await import('../../src/platform/db.ts');
    const db = await openDb(env.PEERDESK_DATABASE_URL);
    const t = new Date().toISOString();
    await db.insertInto('routers').values({ name: 'cli-rt', local_asn: 64500, router_id: '192.0.2.1', status: 'active', polling_enabled: true, created_at: t, updated_at: t, version: 1 }).execute();
    await db.destroy();
    const r = cli('render', '--router', 'cli-rt', '--template', 'frr.j2');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/router bgp 64500/);
    const p = cli('poll', '--json');
    expect(p.status).toBe(1);
    expect(JSON.parse(p.stdout)).toMatchObject({ failed: 1, routers: [{ name: 'cli-rt', ok: false, error: 'the router has no platform' }] });
  });

  it('refuses bad configuration with a readable message', () => {
    const r = spawnSync(process.execPath, ['bin/peerdesk.js', 'migrate'], { env: { ...env, PEERDESK_DATABASE_URL: 'mysql://x' }, encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/PEERDESK_DATABASE_URL/);
  });
});

describe('search and summaries', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
  });
  afterAll(async () => t?.close());

  it('finds peer ASNs, sessions, routers and fabrics in one request', async () => {
    const router = (await t.api('POST', '/api/routers/', { name: 'edge-ams', local_asn: 64500 })).body;
    await t.api('POST', '/api/fabrics/', { name: 'AMS-IX' });
    await t.api('POST', '/api/peer-asns/', { asn: 6939, name: 'Hurricane Electric', irr_as_set: 'RADB::AS-HURRICANE' });
    const peer = (await t.api('POST', '/api/bgp-peers/', { router: router.id, peer_ip: '80.249.208.1', remote_asn: 6939 })).body;
    await t.api('POST', '/api/peering-sessions/', { bgp_peer: peer.id, service_reference: 'TICKET-77' });
    const byAsn = (await t.api('GET', '/api/search/?q=AS6939')).body.results;
    expect(byAsn.map((r: any) => r.type)).toEqual(['peer-asn', 'peering-session']);
    expect((await t.api('GET', '/api/search/?q=80.249.208.1')).body.results[0]).toMatchObject({ type: 'peering-session', title: 'AS6939 Hurricane Electric 80.249.208.1' });
    expect((await t.api('GET', '/api/search/?q=ticket-77')).body.results.map((r: any) => r.type)).toEqual(['peering-session']);
    expect((await t.api('GET', '/api/search/?q=ams')).body.results.map((r: any) => r.type).sort()).toEqual(['fabric', 'router']);
    expect((await t.api('GET', '/api/search/?q=')).status).toBe(400);
    const summary = (await t.api('GET', `/api/routers/${router.id}/state-summary/`)).body;
    expect(summary).toMatchObject({ total: 1, by_state: { unknown: 1 } });
  });

  it('deletes users but not yourself', async () => {
    const u = (await t.api('POST', '/api/users/', { username: 'temp', password: 'temp-password', role: 'viewer' })).body;
    expect((await t.api('DELETE', `/api/users/${u.id}/`)).status).toBe(204);
    const me = (await t.api('GET', '/api/auth/me')).body;
    expect((await t.api('DELETE', `/api/users/${me.id}/`)).status).toBe(400);
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
      const login = await pd.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: pd.initialAdminPassword } });
      expect(login.statusCode).toBe(200);
      const admin = await tdb.db.selectFrom('users').select('id').where('username', '=', 'admin').executeTakeFirstOrThrow();
      const h = { authorization: `Token ${(await createToken(tdb.db, Number(admin.id))).key}` };
      expect((await pd.app.inject({ url: '/api/auth/me', headers: h })).json().must_change_password).toBe(true);
      const wrong = await pd.app.inject({ method: 'POST', url: '/api/auth/password', headers: h, payload: { current_password: 'nope', new_password: 'a-better-password' } });
      expect(wrong.json().errors[0].field).toBe('current_password');
      const ok = await pd.app.inject({ method: 'POST', url: '/api/auth/password', headers: h, payload: { current_password: pd.initialAdminPassword, new_password: 'a-better-password' } });
      expect(ok.statusCode).toBe(204);
      expect((await pd.app.inject({ url: '/api/auth/me', headers: h })).json().must_change_password).toBe(false);
      // The one-time password no longer works.
      expect((await pd.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: pd.initialAdminPassword } })).statusCode).toBe(401);
    } finally {
      await pd.app.close();
      await tdb.drop();
    }
  });
});
