// Server-level hardening: Secure cookies behind a TLS proxy (finding 11), a private SQLite file
// (finding 11), the same password work for unknown users (finding 8), reqId once per log line (finding 12).
import { mkdtempSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { engines, createTestDb, type TestDb } from '../support/db.ts';
import { createApp, type PeerdeskApp } from '../../src/app.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { dynamic, openDb } from '../../src/platform/db.ts';
import { buildServer } from '../../src/platform/http.ts';
import { authenticateSession, authenticateToken } from '../../src/auth/auth.service.ts';
import { SecretBox } from '../../src/platform/crypto.ts';
import * as crypto from '../../src/platform/crypto.ts';
import { createUser } from '../../src/auth/auth.service.ts';

vi.mock('../../src/platform/crypto.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/platform/crypto.ts')>();
  return { ...real, verifyPassword: vi.fn(real.verifyPassword) };
});

const base = {
  PEERDESK_ADMIN_PASSWORD: 'admin-password',
  PEERDESK_LOG_LEVEL: 'silent',
  PEERDESK_SECRET_KEY: 'k'.repeat(40),
};

describe.each(engines())('server hardening on %s', (engine) => {
  let tdb: TestDb;
  let pd: PeerdeskApp;
  beforeAll(async () => {
    tdb = await createTestDb(engine);
    pd = await createApp({ config: loadConfig({ ...base, PEERDESK_TRUST_PROXY: '1' }), db: tdb.db, worker: false });
    await createUser(tdb.db, { username: 'inactive', password: 'inactive-password', role: 'viewer' });
    await tdb.db.updateTable('users').set({ is_active: false }).where('username', '=', 'inactive').execute();
  });
  afterAll(async () => {
    await pd?.app.close();
    await tdb?.drop();
  });

  const login = (username: string, password: string, headers: Record<string, string> = {}) =>
    pd.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username, password },
      headers,
      remoteAddress: '10.1.1.1',
    });

  it('sets Secure cookies when a trusted proxy says the client used https, not otherwise', async () => {
    const tls = await login('admin', 'admin-password', {
      'x-forwarded-proto': 'https',
      'x-forwarded-for': '203.0.113.9',
    });
    expect(tls.statusCode).toBe(200);
    expect(tls.cookies.map((c) => [c.name, c.secure === true])).toEqual([
      ['peerdesk_session', true],
      ['peerdesk_csrf', true],
      ['peerdesk_device', true],
    ]);
    const plain = await login('admin', 'admin-password', { 'x-forwarded-for': '203.0.113.9' });
    expect(plain.cookies.every((c) => !c.secure)).toBe(true);
  });

  it('runs the same scrypt verification for unknown, inactive and known users', async () => {
    const verify = vi.mocked(crypto.verifyPassword);
    for (const [user, password] of [
      ['nobody-at-all', 'whatever-pass'],
      ['inactive', 'inactive-password'],
      ['admin', 'wrong-password'],
    ]) {
      verify.mockClear();
      const res = await login(user, password, { 'x-forwarded-for': `203.0.113.${user.length}` });
      expect(res.statusCode, user).toBe(401);
      expect(res.json().detail).toBe('wrong username or password');
      expect(verify, user).toHaveBeenCalledTimes(1);
      const hash = verify.mock.calls[0][1];
      expect(hash, user).toMatch(/^scrypt\$16384\$8\$1\$/);
    }
  });
});

describe('a server behind no proxy', () => {
  it('ignores X-Forwarded-Proto (no Secure claim from the client)', async () => {
    const tdb = await createTestDb('sqlite');
    const pd = await createApp({ config: loadConfig(base), db: tdb.db, worker: false });
    try {
      const res = await pd.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'admin', password: 'admin-password' },
        headers: { 'x-forwarded-proto': 'https' },
      });
      expect(res.statusCode).toBe(200);
      expect(res.cookies.every((c) => !c.secure)).toBe(true);
    } finally {
      await pd.app.close();
      await tdb.drop();
    }
  });
});

describe('the SQLite file', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pd-perm-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is created 0600 with its -wal and -shm files, and an existing 0644 file is narrowed', async () => {
    const file = join(dir, 'data', 'peerdesk.db');
    const db = await openDb(`sqlite:${file}`);
    try {
      await db.schema.createTable('t').addColumn('x', 'integer').execute();
      await dynamic(db).insertInto('t').values({ x: 1 }).execute();
      for (const f of [file, `${file}-wal`, `${file}-shm`])
        expect((statSync(f).mode & 0o777).toString(8), f).toBe('600');
      expect((statSync(join(dir, 'data')).mode & 0o777).toString(8)).toBe('700');
    } finally {
      await db.destroy();
    }
    const old = join(dir, 'old.db');
    writeFileSync(old, '');
    chmodSync(old, 0o644);
    const db2 = await openDb(`sqlite:${old}`);
    await db2.destroy();
    expect((statSync(old).mode & 0o777).toString(8)).toBe('600');
  });
});

describe('log lines', () => {
  it('carry the request id once, also on errors', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        cb();
      },
    });
    const tdb = await createTestDb('sqlite');
    const app = await buildServer(
      {
        db: tdb.db,
        config: loadConfig(base),
        secrets: new SecretBox('k'.repeat(40)),
        logger: pino({ level: 'info' }, sink),
      },
      async (a) => {
        a.get('/api/health', async () => ({ ok: true }));
        a.get('/boom', async () => {
          throw new Error('boom');
        });
      },
      { token: (k) => authenticateToken(tdb.db, k), session: (id) => authenticateSession(tdb.db, id) },
    );
    try {
      expect(
        (await app.inject({ method: 'GET', url: '/boom', headers: { 'x-request-id': 'req-one' } })).statusCode,
      ).toBe(500);
      expect(
        (await app.inject({ method: 'GET', url: '/api/health', headers: { 'x-request-id': 'req-two' } })).statusCode,
      ).toBe(200);
      const withId = lines.filter((l) => l.includes('req-one') || l.includes('req-two'));
      expect(withId.length).toBeGreaterThanOrEqual(5);
      for (const l of withId) expect(l.match(/"reqId"/g), l).toHaveLength(1);
      expect(lines.some((l) => l.includes('"unhandled error"') && l.includes('req-one'))).toBe(true);
    } finally {
      await app.close();
      await tdb.drop();
    }
  });
});

describe('configuration of the guards', () => {
  it('validates PEERDESK_FETCH_ALLOW, PEERDESK_SOCKET_DIRS and PEERDESK_TRUST_PROXY at start', () => {
    const c = loadConfig({
      PEERDESK_FETCH_ALLOW: '10.0.0.0/8, 2001:db8::/32',
      PEERDESK_SOCKET_DIRS: '/run/bird/,/srv/sockets',
      PEERDESK_TRUST_PROXY: '1',
    });
    expect(c.PEERDESK_FETCH_ALLOW).toEqual(['10.0.0.0/8', '2001:db8::/32']);
    expect(c.PEERDESK_SOCKET_DIRS).toEqual(['/run/bird', '/srv/sockets']);
    expect(c.PEERDESK_TRUST_PROXY).toBe(true);
    const d = loadConfig({});
    expect(d.PEERDESK_FETCH_ALLOW).toEqual([]);
    expect(d.PEERDESK_SOCKET_DIRS).toEqual(['/run/bird', '/var/run/bird', '/run/frr', '/var/run/frr']);
    expect(d.PEERDESK_TRUST_PROXY).toBe(false);
    expect(() => loadConfig({ PEERDESK_FETCH_ALLOW: '10.0.0.0/33' })).toThrow(/PEERDESK_FETCH_ALLOW/);
    expect(() => loadConfig({ PEERDESK_FETCH_ALLOW: 'example.net' })).toThrow(/PEERDESK_FETCH_ALLOW/);
    expect(() => loadConfig({ PEERDESK_SOCKET_DIRS: 'run/bird' })).toThrow(/PEERDESK_SOCKET_DIRS/);
    expect(() => loadConfig({ PEERDESK_SOCKET_DIRS: '/run/../etc' })).toThrow(/PEERDESK_SOCKET_DIRS/);
  });

  it('allows socket paths only inside the configured directories', async () => {
    const { isAllowedSocketPath } = await import('../../src/platform/router-address.ts');
    const dirs = ['/run/bird', '/srv/s/'];
    expect(isAllowedSocketPath('/run/bird/bird.ctl', dirs)).toBe(true);
    expect(isAllowedSocketPath('/run/bird', dirs)).toBe(true);
    expect(isAllowedSocketPath('/srv/s/a/b.sock', dirs)).toBe(true);
    for (const p of [
      '/run/birdx/bird.ctl',
      '/run/bird/../shadow',
      '/run/bird/./x',
      '/run//bird/x',
      'run/bird/x',
      '/run/bird/x\0',
      '/etc/passwd',
      '/srv/sx',
    ])
      expect(isAllowedSocketPath(p, dirs), p).toBe(false);
    expect(isAllowedSocketPath('/run/bird/bird.ctl', [])).toBe(false);
  });
});
