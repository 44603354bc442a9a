// Hardening (issue 12): input the databases cannot store, auth decided on the matched route, sessions
// ended on password changes, login limits that don't lock owners out, writes without If-Match under
// concurrency, router addresses, security headers, reserved ASNs. Every case runs on every engine.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { connect } from 'node:net';
import { engines } from '../support/db.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createToken } from '../../src/auth/auth.service.ts';

const PROBLEM = /^application\/problem\+json/;

describe.each(engines())('hardening on %s', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(engine);
  });
  afterAll(async () => t?.close());

  describe('input no engine can store (finding 3)', () => {
    it('refuses NUL in bodies, query strings and the login with a 400 naming the field', async () => {
      const login = await t.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'a\u0000b', password: 'x' },
      });
      expect(login.statusCode).toBe(400);
      expect(login.headers['content-type']).toMatch(PROBLEM);
      expect(login.json().errors).toEqual([{ field: 'username', message: 'must not contain NUL characters' }]);
      const q = await t.api('GET', '/api/relationships/?q=a%00b');
      expect(q.status).toBe(400);
      expect(q.body.errors[0].field).toBe('querystring.q');
      const filter = await t.api('GET', '/api/relationships/?slug=a%00b');
      expect(filter.body.errors[0].field).toBe('querystring.slug');
      const body = await t.api('POST', '/api/relationships/', { name: 'a\u0000b' });
      expect(body.status).toBe(400);
      expect(body.body.errors[0].field).toBe('name');
      const nested = await t.api('POST', '/api/prefix-lists/', {
        name: 'PL',
        family: 4,
        entries: [{ prefix: '192.0.2.0/24' }, { prefix: '198.51.100.0/24\u0000' }],
      });
      expect(nested.status).toBe(400);
      expect(nested.body.errors[0].field).toBe('entries.1.prefix');
      const key = await t.api('POST', '/api/relationships/', { ['na\u0000me']: 'x' });
      expect(key.status).toBe(400);
      expect((await t.api('GET', '/api/relationships/')).body.count).toBe(0);
    });

    it('refuses integers beyond 32-bit columns in paths, filters and bodies with a 400 naming the field', async () => {
      const ex = await t.api('GET', '/api/peeringdb/exchanges/4294967296');
      expect(ex.status).toBe(400);
      expect(ex.body.errors).toEqual([{ field: 'params.id', message: 'must be at most 2147483647' }]);
      const vlan = await t.api('GET', '/api/peering-networks/?vlan=4294967296');
      expect(vlan.status).toBe(400);
      expect(vlan.body.errors[0].field).toBe('vlan');
      const ixFilter = await t.api('GET', '/api/fabrics/?peeringdb_ix_id=4294967296');
      expect(ixFilter.status).toBe(400);
      expect(ixFilter.body.errors[0].field).toMatch(/^(querystring\.)?peeringdb_ix_id$/);
      const ixBody = await t.api('POST', '/api/fabrics/', { name: 'Big', peeringdb_ix_id: 4294967296 });
      expect(ixBody.status).toBe(400);
      expect(ixBody.body.errors[0].field).toBe('peeringdb_ix_id');
      const fromPdb = await t.api('POST', '/api/fabrics/from-peeringdb', { ix_id: 4294967296 });
      expect(fromPdb.status).toBe(400);
      expect(fromPdb.body.errors[0].field).toBe('ix_id');
      const seq = await t.api('POST', '/api/prefix-lists/', {
        name: 'PL',
        family: 4,
        entries: [{ seq: 3000000000, prefix: '192.0.2.0/24' }],
      });
      expect(seq.status).toBe(400);
      expect(seq.body.errors[0].field).toBe('entries.0.seq');
      expect((await t.api('GET', '/api/prefix-lists/')).body.count).toBe(0);
      const row = await t.api('GET', '/api/relationships/2147483648/');
      expect(row.status).toBe(400);
      expect(row.body.errors[0].field).toMatch(/id$/);
      // ASN columns are 32-bit unsigned: the largest ASN is a valid filter value.
      expect((await t.api('GET', '/api/routers/?local_asn=4294967295')).status).toBe(200);
      expect((await t.api('GET', '/api/routers/?local_asn=4294967296')).body.errors[0].field).toBe('local_asn');
      // Still nothing stored.
      expect((await t.api('GET', '/api/fabrics/')).body.count).toBe(0);
    });
  });

  describe('auth on the matched route (finding 6)', () => {
    it('answers 401 to percent-encoded private paths and problem+json everywhere', async () => {
      for (const url of [
        '/%61pi/schema',
        '/%61pi/docs',
        '/%61pi/docs/json',
        '/api/docs',
        '/api/docs/json',
        '/api/%73chema',
        '/%61%70%69/schema/',
      ]) {
        const res = await t.app.inject({ method: 'GET', url });
        expect(res.statusCode, url).toBe(401);
        expect(res.headers['content-type'], url).toMatch(PROBLEM);
      }
      // Encoded twice it is no API path at all: never the schema (the UI shell or a 404).
      const twice = await t.app.inject({ method: 'GET', url: '/%2561pi/schema' });
      expect(twice.body).not.toContain('"openapi"');
      const ok = await t.app.inject({ method: 'GET', url: '/%61pi/health' });
      expect(ok.statusCode).toBe(200);
    });

    it('answers a too-long path segment with 414 problem+json', async () => {
      const res = await t.api('GET', `/api/relationships/${'9'.repeat(300)}/`);
      expect(res.status).toBe(414);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body).toMatchObject({ status: 414, code: 'uri_too_long' });
    });

    it('answers oversized headers with 431 problem+json on a real socket', async () => {
      const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
      const port = Number(new URL(address).port);
      const raw = await new Promise<string>((resolve, reject) => {
        const s = connect(port, '127.0.0.1');
        let out = '';
        s.on('data', (d) => (out += d.toString()));
        s.on('close', () => resolve(out));
        s.on('error', (e: any) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? resolve(out) : reject(e)));
        s.write(`GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
        s.setTimeout(30_000, () => s.destroy());
      });
      expect(raw).toMatch(/^HTTP\/1\.1 431 /);
      expect(raw).toMatch(/content-type: application\/problem\+json/i);
      const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));
      expect(body).toMatchObject({ status: 431, code: 'headers_too_large' });
    });

    it('lets a public route ignore an expired token (finding 12)', async () => {
      const adminId = Number(
        (await t.tdb.db.selectFrom('users').select('id').where('username', '=', 'admin').executeTakeFirstOrThrow()).id,
      );
      const { key } = await createToken(t.tdb.db, adminId, { expiresAt: '2001-01-01T00:00:00.000Z' });
      const health = await t.app.inject({
        method: 'GET',
        url: '/api/health',
        headers: { authorization: `Token ${key}` },
      });
      expect(health.statusCode).toBe(200);
      const garbage = await t.app.inject({ method: 'GET', url: '/api/health', headers: { authorization: 'Nonsense' } });
      expect(garbage.statusCode).toBe(200);
      const priv = await t.app.inject({
        method: 'GET',
        url: '/api/relationships/',
        headers: { authorization: `Token ${key}` },
      });
      expect(priv.statusCode).toBe(401);
      expect(priv.json().detail).toBe('API token expired');
    });
  });

  describe('sessions end with the password (finding 7)', () => {
    const loginAs = async (username: string, password: string, remoteAddress = '127.0.0.1') => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username, password },
        remoteAddress,
      });
      expect(res.statusCode, res.body).toBe(200);
      return {
        cookie: `peerdesk_session=${res.cookies.find((c) => c.name === 'peerdesk_session')!.value}`,
        csrf: res.json().csrf_token as string,
      };
    };
    const me = (s: { cookie: string }) =>
      t.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie: s.cookie } });

    it('a password change ends the user’s other UI sessions and keeps this one', async () => {
      await t.api('POST', '/api/users/', { username: 'changer', password: 'first-password', role: 'viewer' });
      const a = await loginAs('changer', 'first-password', '10.7.0.1');
      const b = await loginAs('changer', 'first-password', '10.7.0.2');
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/auth/password',
        headers: { cookie: a.cookie, 'x-csrf-token': a.csrf },
        payload: { current_password: 'first-password', new_password: 'second-password' },
      });
      expect(res.statusCode).toBe(204);
      expect((await me(a)).statusCode).toBe(200);
      expect((await me(b)).statusCode).toBe(401);
    });

    it('an admin reset ends all UI sessions, and the API tokens when asked', async () => {
      const u = (
        await t.api('POST', '/api/users/', { username: 'resetme', password: 'first-password', role: 'operator' })
      ).body;
      const s = await loginAs('resetme', 'first-password', '10.7.0.3');
      const { key } = await createToken(t.tdb.db, u.id);
      const tokenGet = () =>
        t.app.inject({ method: 'GET', url: '/api/auth/me', headers: { authorization: `Token ${key}` } });
      expect((await t.api('PATCH', `/api/users/${u.id}/`, { password: 'second-password' })).status).toBe(200);
      expect((await me(s)).statusCode).toBe(401);
      expect((await tokenGet()).statusCode).toBe(200);
      expect((await t.api('PATCH', `/api/users/${u.id}/`, { revoke_tokens: true })).status).toBe(400);
      expect(
        (await t.api('PATCH', `/api/users/${u.id}/`, { password: 'third-password', revoke_tokens: true })).status,
      ).toBe(200);
      expect((await tokenGet()).statusCode).toBe(401);
    });

    it('limits guesses of the current password', async () => {
      await t.api('POST', '/api/users/', { username: 'guessed', password: 'right-password', role: 'viewer' });
      const s = await loginAs('guessed', 'right-password', '10.7.0.4');
      const change = (current: string) =>
        t.app.inject({
          method: 'POST',
          url: '/api/auth/password',
          headers: { cookie: s.cookie, 'x-csrf-token': s.csrf },
          payload: { current_password: current, new_password: 'new-password-1' },
        });
      for (let i = 0; i < 5; i++) expect((await change(`wrong-${i}`)).statusCode).toBe(400);
      const limited = await change('right-password');
      expect(limited.statusCode).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    });
  });

  describe('login limits (finding 8)', () => {
    afterEach(() => vi.useRealTimers());

    it('failures from many addresses slow strangers down but not a known-good client with the right password', async () => {
      // Date is frozen so the backoff is exact however slow the machine is.
      vi.useFakeTimers({ toFake: ['Date'], now: new Date('2030-01-01T00:00:00Z') });
      await t.api('POST', '/api/users/', { username: 'victim', password: 'victim-password', role: 'viewer' });
      const attempt = (password: string, remoteAddress: string, cookie?: string) =>
        t.app.inject({
          method: 'POST',
          url: '/api/auth/login',
          payload: { username: 'victim', password },
          remoteAddress,
          headers: cookie ? { cookie } : {},
        });
      const first = await attempt('victim-password', '10.9.0.1');
      expect(first.statusCode).toBe(200);
      const device = first.cookies.find((c) => c.name === 'peerdesk_device')!;
      expect(device.httpOnly).toBe(true);
      // An attacker fails from five addresses (the limit), none reaching its own per-address limit.
      for (let i = 0; i < 5; i++) expect((await attempt(`guess-${i}`, `10.66.0.${i + 1}`)).statusCode).toBe(401);
      // From now on strangers (new address, no device cookie) wait a backoff: 1 s, then doubling per failure.
      const next = await attempt('guess-x', '10.66.0.99');
      expect(next.statusCode).toBe(429);
      expect(next.headers['retry-after']).toBe('1');
      vi.setSystemTime(new Date('2030-01-01T00:00:01.500Z'));
      expect((await attempt('guess-y', '10.66.0.98')).statusCode).toBe(401);
      const stranger = await attempt('victim-password', '10.9.0.200');
      expect(stranger.statusCode).toBe(429);
      expect(stranger.headers['retry-after']).toBe('2');
      // The owner's known address, or the owner's browser from a new address, gets in.
      expect((await attempt('victim-password', '10.9.0.1')).statusCode).toBe(200);
      expect((await attempt('victim-password', '10.9.0.77', `peerdesk_device=${device.value}`)).statusCode).toBe(200);
      // A wrong password from the known client is still refused, and counted.
      expect((await attempt('not-it', '10.9.0.1')).statusCode).toBe(401);
      // After the backoff the stranger may try again.
      vi.setSystemTime(new Date('2030-01-01T00:00:20Z'));
      expect((await attempt('victim-password', '10.9.0.200')).statusCode).toBe(200);
    });

    it('limits each client address on its own', async () => {
      vi.useFakeTimers({ toFake: ['Date'], now: new Date('2030-02-01T00:00:00Z') });
      for (let i = 0; i < 5; i++)
        await t.app.inject({
          method: 'POST',
          url: '/api/auth/login',
          payload: { username: `nobody${i}`, password: 'x' },
          remoteAddress: '10.55.0.1',
        });
      const limited = await t.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'operator', password: 'operator-password' },
        remoteAddress: '10.55.0.1',
      });
      expect(limited.statusCode).toBe(429);
      const other = await t.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'operator', password: 'operator-password' },
        remoteAddress: '10.55.0.2',
      });
      expect(other.statusCode).toBe(200);
    });
  });

  it('applies 50 concurrent PATCHes without If-Match (last writer wins) and 412s only a stale If-Match (finding 9)', async () => {
    const created = await t.api('POST', '/api/peer-asns/', { asn: 65200, name: 'Busy' });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        t.api('PATCH', `/api/peer-asns/${created.body.id}/`, { name: `Writer ${i}` }),
      ),
    );
    expect(results.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    const now = await t.api('GET', `/api/peer-asns/${created.body.id}/`);
    expect(now.body.version).toBe(51);
    expect(results.map((r) => r.body.name)).toContain(now.body.name);
    const puts = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        t.api('PUT', `/api/peer-asns/${created.body.id}/`, { asn: 65200, name: `Putter ${i}` }),
      ),
    );
    expect(puts.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    expect(
      (
        await t.api(
          'PATCH',
          `/api/peer-asns/${created.body.id}/`,
          { name: 'Stale' },
          { headers: { 'if-match': created.headers.etag } },
        )
      ).status,
    ).toBe(412);
    const fresh = await t.api('GET', `/api/peer-asns/${created.body.id}/`);
    expect(
      (
        await t.api(
          'PATCH',
          `/api/peer-asns/${created.body.id}/`,
          { name: 'Fresh' },
          { headers: { 'if-match': fresh.headers.etag } },
        )
      ).status,
    ).toBe(200);
  });

  it('accepts router addresses per form and local sockets only under PEERDESK_SOCKET_DIRS (findings 10, 12)', async () => {
    const good = [
      'edge1.example.net',
      'edge1.example.net:2222',
      '192.0.2.1',
      '2001:db8::1',
      '[2001:db8::1]:830',
      'ssh://admin@192.0.2.1:22',
      'ssh://r1.example.net',
      'ssh://bird@192.0.2.7:2222/run/bird/bird.ctl',
      'ssh://frr@r2.example.net/run/frr',
      'grpc://127.0.0.1:50051',
      'https://eos1.example.net',
      'https://[2001:db8::2]:8443',
      'netconf://mx1.example.net:830',
      'unix:/run/bird/bird.ctl',
      'unix:/var/run/frr/bgpd.vty',
      'vtysh:/run/frr',
    ];
    for (const [i, hostname] of good.entries()) {
      const res = await t.api('POST', '/api/routers/', { name: `ok${i}`, local_asn: 64500, hostname });
      expect(res.status, `${hostname}: ${JSON.stringify(res.body)}`).toBe(201);
      expect(res.body.hostname).toBe(hostname);
    }
    const bad = [
      'unix:/etc/shadow',
      'unix:/run/bird/../../etc/passwd',
      'unix:/run/birdx/bird.ctl',
      'unix:relative.ctl',
      'vtysh:/tmp',
      'edge 1',
      'edge\t1',
      'grpc://127.0.0.1',
      'ftp://example.net',
      'host:99999',
      'ssh://bad user@host',
      'ssh://r1/../etc/passwd',
      'https://eos1/x',
      '0x7f000001',
      '-bad-.example',
      'https://',
      'a_b.example.net',
    ];
    for (const hostname of bad) {
      const res = await t.api('POST', '/api/routers/', { name: 'bad', local_asn: 64500, hostname });
      expect(res.status, hostname).toBe(400);
      expect(res.body.errors[0].field, hostname).toBe('hostname');
    }
    const nul = await t.api('POST', '/api/routers/', {
      name: 'bad',
      local_asn: 64500,
      hostname: 'unix:/run/bird/x\u0000',
    });
    expect(nul.body.errors[0].field).toBe('hostname');
    const r = (await t.api('GET', '/api/routers/?name=ok0')).body.results[0];
    expect((await t.api('PATCH', `/api/routers/${r.id}/`, { hostname: 'unix:/root/x.sock' })).status).toBe(400);
    expect((await t.api('GET', '/api/routers/?name=bad')).body.count).toBe(0);
  });

  it('refuses AS 0 for peer ASNs and router ASNs, and bounds irr_sources (finding 12)', async () => {
    const peer = await t.api('POST', '/api/peer-asns/', { asn: 0, name: 'Zero' });
    expect(peer.status).toBe(400);
    expect(peer.body.errors[0]).toEqual({
      field: 'asn',
      message: 'AS 0 is reserved and cannot be used by a BGP speaker (RFC 7607)',
    });
    expect((await t.api('POST', '/api/peer-asns/', { asn: 'AS0', name: 'Zero' })).status).toBe(400);
    const router = await t.api('POST', '/api/routers/', { name: 'zero', local_asn: 0 });
    expect(router.status).toBe(400);
    expect(router.body.errors[0].field).toBe('local_asn');
    const sources = await t.api('POST', '/api/peer-asns/', {
      asn: 65300,
      name: 'Src',
      irr_sources: Array.from({ length: 60 }, () => 'RIPE').join(','),
    });
    expect(sources.status).toBe(400);
    expect(sources.body.errors[0].field).toBe('irr_sources');
    expect((await t.api('POST', '/api/peer-asns/', { asn: 65300, name: 'Src', irr_sources: 'RIPE,ARIN' })).status).toBe(
      201,
    );
  });

  it('sends security headers on the UI, the API and errors (finding 11)', async () => {
    for (const [url, role] of [
      ['/', 'anonymous'],
      ['/api/health', 'anonymous'],
      ['/api/relationships/', 'admin'],
      ['/api/relationships/', 'anonymous'],
      ['/api/nope', 'admin'],
      ['/api/docs', 'admin'],
    ] as const) {
      const res = await t.api('GET', url, undefined, { role });
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(res.headers['referrer-policy'], url).toBe('no-referrer');
      expect(res.headers['x-frame-options'], url).toBe('DENY');
      const csp = String(res.headers['content-security-policy']);
      expect(csp, url).toContain("frame-ancestors 'none'");
      expect(csp, url).toContain("script-src 'self';");
      expect(csp, url).toContain("object-src 'none'");
    }
  });
});
