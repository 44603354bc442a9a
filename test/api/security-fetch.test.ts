// Outbound requests users can cause (finding 5): no loopback/private/metadata targets, on the first
// URL and every redirect, whatever the address spelling; bounded; remote answers never echoed.
import { createServer, type Server } from 'node:http';
import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { BlockedAddressError, guardedFetch, readBody } from '../../src/platform/fetch-guard.ts';
import { blockedReason, parseCidrList } from '../../src/platform/net-guard.ts';
import { fetchIxf } from '../../src/peeringdb/ixf.ts';
import { PeeringDbClient } from '../../src/peeringdb/peeringdb.client.ts';

interface Probe {
  server: Server;
  port: number;
  hits: string[];
}

/** A loopback HTTP server on `host` that records every request it gets. */
async function probe(
  host: string,
  handler: (url: string, res: import('node:http').ServerResponse) => void,
): Promise<Probe> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    handler(req.url ?? '', res);
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  return { server, port: (server.address() as any).port, hits };
}

const close = (p?: Probe) => new Promise<void>((r) => (p ? p.server.close(() => r()) : r()));

describe('address policy', () => {
  it('refuses every internal range and odd spelling, allows public unicast and configured ranges', () => {
    const blocked = [
      '127.0.0.1',
      '127.1',
      '0x7f000001',
      '2130706433',
      '10.0.0.1',
      '172.16.5.4',
      '192.168.1.1',
      '100.64.0.1',
      '169.254.169.254',
      '0.0.0.0',
      '224.0.0.251',
      '255.255.255.255',
      '::',
      '::1',
      'fe80::1',
      'fd00:ec2::254',
      'fc00::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      '64:ff9b::a00:1',
      '2002:a00:1::1',
      'ff02::1',
    ];
    for (const a of blocked) expect(blockedReason(a), a).not.toBeNull();
    for (const a of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])
      expect(blockedReason(a), a).toBeNull();
    const allow = parseCidrList('10.20.0.0/16,fd00:ec2::/64');
    expect(blockedReason('10.20.3.4', allow)).toBeNull();
    expect(blockedReason('10.21.3.4', allow)).toBe('private address');
    expect(blockedReason('fd00:ec2::254', allow)).toBeNull();
    expect(blockedReason('::ffff:10.20.0.1', allow)).toBeNull();
  });
});

describe('guarded fetch', () => {
  let inside: Probe;
  let gateway: Probe;
  beforeAll(async () => {
    inside = await probe('127.0.0.1', (_u, res) => res.end('{"secret":"INSIDE-ONLY"}'));
    // 127.0.0.2 plays an allowed host (PEERDESK_FETCH_ALLOW) that redirects into the private network.
    gateway = await probe('127.0.0.2', (url, res) => {
      if (url === '/to-inside') res.writeHead(302, { location: `http://127.0.0.1:${inside.port}/` }).end();
      else if (url === '/to-odd') res.writeHead(307, { location: `http://0x7f000001:${inside.port}/` }).end();
      else if (url === '/loop') res.writeHead(302, { location: '/loop' }).end();
      else if (url === '/error')
        res.writeHead(500, { 'content-type': 'text/plain' }).end('REMOTE-BANNER internal stack trace');
      else if (url === '/html') res.end('<html>REMOTE-BANNER</html>');
      else if (url === '/big') res.end('x'.repeat(100_000));
      else if (url === '/ok') res.end('{"ok":true}');
      else res.writeHead(404).end('REMOTE-BANNER not here');
    });
  });
  afterAll(async () => {
    await close(inside);
    await close(gateway);
  });
  const allowGateway = parseCidrList('127.0.0.2/32');

  it('refuses internal targets in every spelling before connecting', async () => {
    const p = inside.port;
    for (const url of [
      `http://127.0.0.1:${p}/`,
      `http://0x7f000001:${p}/`,
      `http://2130706433:${p}/`,
      `http://127.1:${p}/`,
      `http://[::1]:${p}/`,
      `http://[::ffff:127.0.0.1]:${p}/`,
      `http://[::ffff:7f00:1]:${p}/`,
      `http://localhost:${p}/`,
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00:ec2::254]/',
      `http://0.0.0.0:${p}/`,
    ]) {
      await expect(guardedFetch(url, {}, { allow: [] }), url).rejects.toBeInstanceOf(BlockedAddressError);
    }
    for (const url of [
      'file:///etc/passwd',
      'gopher://127.0.0.1/',
      'ftp://example.net/',
      'not a url',
      'http://user:pw@example.net/',
    ]) {
      await expect(guardedFetch(url, {}, { allow: [] }), url).rejects.toMatchObject({
        status: 400,
        fields: [{ field: 'url' }],
      });
    }
    expect(inside.hits).toEqual([]);
  });

  it('refuses a name that resolves to an internal address at connect time', async () => {
    const name = hostname();
    const addresses = await lookup(name, { all: true }).catch(() => []);
    // This machine's own name resolves to loopback or a private address wherever the suite runs.
    expect(addresses.length).toBeGreaterThan(0);
    expect(addresses.every((a) => blockedReason(a.address) !== null)).toBe(true);
    await expect(guardedFetch(`http://${name}:${inside.port}/`, {}, { allow: [] })).rejects.toBeInstanceOf(
      BlockedAddressError,
    );
    expect(inside.hits).toEqual([]);
  });

  it('checks every redirect, bounds them, and lets allowed ranges through', async () => {
    await expect(
      guardedFetch(`http://127.0.0.2:${gateway.port}/to-inside`, {}, { allow: allowGateway }),
    ).rejects.toBeInstanceOf(BlockedAddressError);
    await expect(
      guardedFetch(`http://127.0.0.2:${gateway.port}/to-odd`, {}, { allow: allowGateway }),
    ).rejects.toBeInstanceOf(BlockedAddressError);
    expect(inside.hits).toEqual([]);
    const before = gateway.hits.length;
    await expect(
      guardedFetch(`http://127.0.0.2:${gateway.port}/loop`, {}, { allow: allowGateway, maxRedirects: 3 }),
    ).rejects.toMatchObject({ status: 502, message: expect.stringMatching(/more than 3 redirects/) });
    expect(gateway.hits.length - before).toBe(4);
    const ok = await guardedFetch(`http://127.0.0.2:${gateway.port}/ok`, {}, { allow: allowGateway });
    expect(JSON.parse((await readBody(ok, 1000)).toString())).toEqual({ ok: true });
    const big = await guardedFetch(`http://127.0.0.2:${gateway.port}/big`, {}, { allow: allowGateway });
    await expect(readBody(big, 10_000)).rejects.toMatchObject({ status: 502, code: 'fetch_too_large' });
  });

  it('never echoes what the remote end answered', async () => {
    for (const path of ['/error', '/html', '/missing']) {
      const err = await fetchIxf(`http://127.0.0.2:${gateway.port}${path}`, { allow: allowGateway }).then(
        () => null,
        (e) => e,
      );
      expect(err, path).not.toBeNull();
      expect(JSON.stringify({ m: err.message, f: err.fields }), path).not.toContain('REMOTE-BANNER');
    }
  });

  it('trusts the configured PeeringDB origin but not where it redirects', async () => {
    const pdb = await probe('127.0.0.3', (url, res) => {
      if (url.startsWith('/api/net/1')) res.end(JSON.stringify({ data: [{ id: 1, asn: 64500 }] }));
      else if (url.startsWith('/api/net/2'))
        res.writeHead(302, { location: `http://127.0.0.1:${inside.port}/api/net/2` }).end();
      else res.writeHead(500).end('REMOTE-BANNER');
    });
    try {
      const client = new PeeringDbClient({
        baseUrl: `http://127.0.0.3:${pdb.port}/api`,
        retries: 0,
        sleep: async () => {},
      });
      expect(await client.get('net', 1)).toEqual({ id: 1, asn: 64500 });
      await expect(client.get('net', 2)).rejects.toMatchObject({ code: 'peeringdb_refused' });
      expect(inside.hits).toEqual([]);
      const err = await client.get('ix', 3).catch((e) => e);
      expect(err.message).not.toContain('REMOTE-BANNER');
    } finally {
      await close(pdb);
    }
  });
});

describe.each(engines())('IX-F import by URL on %s', (engine) => {
  let t: TestApp;
  let inside: Probe;
  beforeAll(async () => {
    t = await startTestApp(engine);
    inside = await probe('127.0.0.1', (_u, res) => res.end('{"version":"1.0","ixp_list":[],"member_list":[]}'));
  });
  afterAll(async () => {
    await close(inside);
    await t?.close();
  });

  it('refuses loopback and metadata URLs with a 400 naming the field, without connecting', async () => {
    const fabric = (await t.api('POST', '/api/fabrics/', { name: 'SSRF-IX' })).body;
    for (const url of [
      `http://127.0.0.1:${inside.port}/members.json`,
      `http://0x7f000001:${inside.port}/`,
      'http://169.254.169.254/latest/meta-data/',
      `http://[::1]:${inside.port}/`,
    ]) {
      const res = await t.api('POST', `/api/fabrics/${fabric.id}/ixf`, { url }, { role: 'operator' });
      expect(res.status, url).toBe(400);
      expect(res.body.errors[0].field, url).toBe('url');
    }
    expect(inside.hits).toEqual([]);
  });
});
