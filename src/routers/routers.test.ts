// Routers, their platforms and peer groups through the API: defaults, what is refused (and on which
// field), peer counts, and the protection of routers, platforms and peer groups in use.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../../test/support/db.ts';
import { startTestApp, type TestApp } from '../../test/support/app.ts';
import { bgpPeer, create, platform, router, template } from '../../test/support/factories.ts';

describe.each(engines())('routers on %s', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(engine);
  });
  afterAll(async () => t?.close());

  it('creates a router with its platform and template, and the documented defaults', async () => {
    const tpl = await template(t, { name: 'edge' });
    const rt = await router(t, {
      name: 'rt1.ams',
      local_asn: 'AS64500',
      router_id: '192.0.2.10',
      platform: 'bird2',
      config_template: tpl.id,
      hostname: 'rt1.ams.example.net',
    });
    expect(rt).toMatchObject({
      name: 'rt1.ams',
      hostname: 'rt1.ams.example.net',
      platform: { id: expect.any(Number), name: expect.stringMatching(/^bird2 \d+$/), driver: 'bird2' },
      local_asn: 64500,
      router_id: '192.0.2.10',
      status: 'active',
      config_template: { id: tpl.id, name: 'edge' },
      credentials_set: false,
      last_polled_at: null,
      last_poll_error: null,
      peer_count: 0,
      established_count: 0,
      version: 1,
    });
    expect(rt).not.toHaveProperty('credentials');
    // The router's BGP peers are counted; none is established before a poll.
    await bgpPeer(t, { router: rt.id, peer_ip: '198.51.100.1' });
    await bgpPeer(t, { router: rt.id, peer_ip: '2001:db8::1' });
    expect((await t.api('GET', `/api/routers/${rt.id}/`)).body).toMatchObject({ peer_count: 2, established_count: 0 });
  });

  it('refuses bad router input on the field concerned', async () => {
    await router(t, { name: 'taken' });
    for (const [body, status, field] of [
      [{ name: 'taken', local_asn: 64500 }, 409, 'name'],
      [{ name: 'no-asn' }, 400, 'local_asn'],
      [{ name: 'asn-0', local_asn: 0 }, 400, 'local_asn'],
      [{ name: 'v6-id', local_asn: 64500, router_id: '2001:db8::1' }, 400, 'router_id'],
      [{ name: 'bad-id', local_asn: 64500, router_id: '192.0.2' }, 400, 'router_id'],
      [{ name: 'no-platform', local_asn: 64500, platform: 999999 }, 400, 'platform'],
      [{ name: 'no-template', local_asn: 64500, config_template: 999999 }, 400, 'config_template'],
      [{ name: 'bad-status', local_asn: 64500, status: 'broken' }, 400, 'status'],
      [{ name: 'bad-host', local_asn: 64500, hostname: 'unix:/etc/shadow' }, 400, 'hostname'],
    ] as const) {
      const r = await t.api('POST', '/api/routers/', body);
      expect(r.status, body.name).toBe(status);
      expect(r.body.errors[0].field, body.name).toBe(field);
    }
    expect((await t.api('GET', '/api/routers/?q=no-')).body.count).toBe(0);
  });

  it('keeps router credentials to admins', async () => {
    const r = await t.api(
      'POST',
      '/api/routers/',
      { name: 'op-creds', local_asn: 64500, credentials: { password: 'x' } },
      { role: 'operator' },
    );
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([
      { field: 'credentials', message: 'only the admin role may set router credentials' },
    ]);
    const ok = await router(t, { credentials: { username: 'u', password: 'p' } });
    expect(ok.credentials_set).toBe(true);
  });

  it('protects routers with BGP peers and platforms with routers', async () => {
    const p = await platform(t, { name: 'FRR lab', driver: 'frr' });
    expect(p).toMatchObject({ name: 'FRR lab', slug: 'frr-lab', driver: 'frr', description: null });
    expect(
      (await t.api('POST', '/api/platforms/', { name: 'Bad driver', driver: 'quagga' })).body.errors[0].field,
    ).toBe('driver');
    expect(
      (await t.api('POST', '/api/platforms/', { name: 'By operator', driver: 'frr' }, { role: 'operator' })).status,
    ).toBe(403);
    const rt = await router(t, { name: 'busy', platform: p.id });
    await bgpPeer(t, { router: rt.id });
    const delRouter = await t.api('DELETE', `/api/routers/${rt.id}/`);
    expect(delRouter.status).toBe(409);
    expect(delRouter.body.detail).toBe('router busy still has BGP peers; delete them first');
    const delPlatform = await t.api('DELETE', `/api/platforms/${p.id}/`);
    expect(delPlatform.status).toBe(409);
    expect(delPlatform.body.detail).toBe('platform FRR lab is used by routers');
    expect((await t.api('DELETE', `/api/routers/${(await router(t)).id}/`)).status).toBe(204);
  });

  it('keeps peer group names unique per router and groups on their router', async () => {
    const a = await router(t);
    const b = await router(t);
    const g = await create(t, 'peer-groups', { router: a.id, name: 'IXP-PEERS', ipv4_max_prefixes: 1000 });
    expect(g).toMatchObject({
      router: { id: a.id, name: a.name },
      name: 'IXP-PEERS',
      ipv4_max_prefixes: 1000,
      ipv6_max_prefixes: null,
    });
    const dup = await t.api('POST', '/api/peer-groups/', { router: a.id, name: 'IXP-PEERS' });
    expect(dup.status).toBe(409);
    expect(dup.body.errors).toEqual([{ field: 'name', message: 'already used on this router' }]);
    expect((await create(t, 'peer-groups', { router: b.id, name: 'IXP-PEERS' })).router.id).toBe(b.id);
    expect((await t.api('POST', '/api/peer-groups/', { router: a.id, name: 'has space' })).body.errors[0].field).toBe(
      'name',
    );
    // A peer of router b cannot join router a's group; a group with peers cannot move.
    const other = await t.api('POST', '/api/bgp-peers/', {
      router: b.id,
      peer_ip: '198.51.100.7',
      remote_asn: 64511,
      peer_group: g.id,
    });
    expect(other.status).toBe(400);
    expect(other.body.errors).toEqual([{ field: 'peer_group', message: 'the peer group belongs to another router' }]);
    await bgpPeer(t, { router: a.id, peer_group: g.id });
    const move = await t.api('PATCH', `/api/peer-groups/${g.id}/`, { router: b.id });
    expect(move.status).toBe(409);
    expect(move.body.errors).toEqual([{ field: 'router', message: 'group has peers' }]);
    // A rename is checked against the router's other groups only.
    const second = await create(t, 'peer-groups', { router: a.id, name: 'TRANSIT' });
    const same = await t.api('PATCH', `/api/peer-groups/${second.id}/`, { name: 'TRANSIT', description: 'upstreams' });
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({ name: 'TRANSIT', description: 'upstreams' });
    const taken = await t.api('PATCH', `/api/peer-groups/${second.id}/`, { name: 'IXP-PEERS' });
    expect(taken.status).toBe(409);
    expect(taken.body.errors).toEqual([{ field: 'name', message: 'already used on this router' }]);
  });
});
