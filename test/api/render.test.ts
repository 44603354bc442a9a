// Template store and render-config: versions with diffs, syntax errors with line/column, the first
// seed's render call, secrets only for admins, constant query count, and the shipped templates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KyselyPlugin } from 'kysely';
import { engines } from '../support/db.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { buildRenderContext } from '../../src/templates/render.service.ts';
import { SecretBox } from '../../src/platform/crypto.ts';

async function inventory(t: TestApp, sessions: number, routerName: string) {
  const router = (await t.api('POST', '/api/routers/', { name: routerName, local_asn: 64500, router_id: '192.0.2.1' }))
    .body;
  const group = (
    await t.api('POST', '/api/peer-groups/', { router: router.id, name: 'PEERS', ipv4_max_prefixes: 1000 })
  ).body;
  const rel =
    (await t.api('GET', '/api/relationships/?slug=peer')).body.results[0] ??
    (await t.api('POST', '/api/relationships/', { slug: 'peer', name: 'Peer', color: 'green' })).body;
  const fabric = (await t.api('POST', '/api/fabrics/', { name: `LINX ${routerName}` })).body;
  const net = (
    await t.api('POST', '/api/peering-networks/', { fabric: fabric.id, name: 'lan', prefix: '198.51.100.0/24' })
  ).body;
  await t.api('POST', '/api/peering-connections/', {
    network: net.id,
    router: router.id,
    interface: 'et-0/0/1',
    ipv4_address: '198.51.100.1',
  });
  const policy =
    (await t.api('GET', '/api/routing-policies/?slug=import-peers')).body.results[0] ??
    (await t.api('POST', '/api/routing-policies/', { name: 'IMPORT-PEERS', slug: 'import-peers', direction: 'import' }))
      .body;
  const ids: number[] = [];
  for (let i = 0; i < sessions; i++) {
    const asn = 64512 + i;
    if ((await t.api('GET', `/api/peer-asns/?asn=${asn}`)).body.count === 0)
      await t.api('POST', '/api/peer-asns/', {
        asn,
        name: `Peer ${i}`,
        irr_as_set: `AS-PEER${i}`,
        ipv4_max_prefixes: 100 + i,
      });
    const peer = await t.api('POST', '/api/bgp-peers/', {
      router: router.id,
      peer_ip: `198.51.100.${10 + i}`,
      source_ip: '198.51.100.1',
      remote_asn: asn,
      peer_group: group.id,
      password: `md5-${i}`,
      address_families: [{ afi_safi: 'ipv4-unicast', import_policy: policy.id }],
    });
    const s = await t.api('POST', '/api/peering-sessions/', {
      bgp_peer: peer.body.id,
      relationship: rel.id,
      network: net.id,
      service_reference: `NOC-${i}`,
    });
    ids.push(s.body.id);
  }
  return { router, ids };
}

describe.each(engines())('templates and render-config on %s', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(engine);
  });
  afterAll(async () => t?.close());

  it('stores templates with versions and diffs, and refuses syntax errors naming line and column', async () => {
    const bad = await t.api('POST', '/api/templates/', {
      name: 'broken',
      body: 'line one\n{% for s in sessions %}\n{{ s.name }\n',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('body');
    expect(bad.body.errors[0].message).toMatch(/^line 3, column \d+/);
    expect((await t.api('GET', '/api/templates/?name=broken')).body.count).toBe(0);
    const ok = await t.api('POST', '/api/templates/', {
      name: 'neighbors',
      body: '{% for s in sessions %}neighbor {{ s.remote_ip }}\n{% endfor %}',
    });
    expect(ok.status).toBe(201);
    const v2 = await t.api('PATCH', `/api/templates/${ok.body.id}/`, {
      body: '{% for s in sessions if s.enabled %}neighbor {{ s.remote_ip }} remote-as {{ s.peer_asn }}\n{% endfor %}',
    });
    expect(v2.status).toBe(200);
    const versions = await t.api('GET', `/api/templates/${ok.body.id}/versions/`);
    expect(versions.body.map((v: any) => v.version)).toEqual([2, 1]);
    expect(versions.body[0].diff).toContain('+{% for s in sessions if s.enabled %}');
    expect(versions.body[0].diff).toContain('-{% for s in sessions %}');
    expect((await t.api('POST', '/api/templates/', { name: 'x', body: 'x' }, { role: 'operator' })).status).toBe(403);
  });

  it('renders the first seed call: {"template": id, "device": id} → content + session_count', async () => {
    const { router, ids } = await inventory(t, 3, 'rt1.mtl');
    const tpl = (await t.api('GET', '/api/templates/?name=neighbors')).body.results[0];
    const r = await t.api('POST', '/api/render-config/', { template: tpl.id, device: router.id });
    expect(r.status).toBe(200);
    expect(r.body.session_count).toBe(3);
    expect(r.body.content).toBe(
      'neighbor 198.51.100.10 remote-as 64512\nneighbor 198.51.100.11 remote-as 64513\nneighbor 198.51.100.12 remote-as 64514\n',
    );
    expect(r.body.router).toEqual({ id: router.id, name: 'rt1.mtl' });
    // sessions win over the router; text/plain gives the bare config.
    const plain = await t.app.inject({
      method: 'POST',
      url: '/api/render-config/',
      headers: { authorization: `Token ${t.tokens.viewer}`, accept: 'text/plain' },
      payload: { template: 'neighbors', router: 999, sessions: [ids[1]] },
    });
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['content-type']).toMatch(/text\/plain/);
    expect(plain.body).toBe('neighbor 198.51.100.11 remote-as 64513\n');
    // The context carries every field of the seed's render-config context.
    const withCtx = await t.api('POST', '/api/render-config/', {
      template: tpl.id,
      router: router.id,
      include_context: true,
    });
    const s0 = withCtx.body.context.sessions[0];
    for (const k of [
      'id',
      'name',
      'description',
      'status',
      'enabled',
      'ttl',
      'local_asn',
      'peer_asn',
      'peer_name',
      'irr_as_set',
      'ipv4_max_prefixes',
      'ipv6_max_prefixes',
      'local_ip',
      'remote_ip',
      'password',
      'relationship',
      'service_reference',
      'bfd_profile',
      'peer_group',
      'peering_network',
      'address_families',
      'afi_safis',
    ])
      expect(s0, k).toHaveProperty(k);
    expect(s0).toMatchObject({
      peer_asn: 64512,
      irr_as_set: 'AS-PEER0',
      ipv4_max_prefixes: 100,
      local_ip: '198.51.100.1',
      service_reference: 'NOC-0',
      peer_group: 'PEERS',
      relationship: { slug: 'peer' },
      peering_network: { name: 'lan', fabric: { name: 'LINX rt1.mtl' } },
    });
    expect(s0.address_families[0]).toMatchObject({ afi: 'ipv4', route_map_in: 'IMPORT-PEERS', max_prefixes: 100 });
    expect(withCtx.body.context.device.name).toBe('rt1.mtl');
    expect(withCtx.body.context.peer_groups[0]).toMatchObject({ name: 'PEERS', session_ids: ids });
    // Passwords only for roles allowed to see secrets.
    expect(s0.password).toBe('md5-0');
    const asViewer = await t.api(
      'POST',
      '/api/render-config/',
      { template: tpl.id, router: router.id, include_context: true },
      { role: 'viewer' },
    );
    expect(asViewer.body.context.sessions[0].password).toBeNull();
  });

  it('reports render errors as 400 naming the line, never inside the config', async () => {
    const router = (await t.api('GET', '/api/routers/?name=rt1.mtl')).body.results[0];
    await t.api('POST', '/api/templates/', {
      name: 'strict',
      body: 'ok\n{{ sessions[0].nope.deeper }}\n',
      options: { undefined: 'strict' },
    });
    const r = await t.api('POST', '/api/render-config/', { template: 'strict', router: router.id });
    expect(r.status).toBe(400);
    expect(r.body.errors[0].field).toBe('template');
    expect(r.body.detail).toMatch(/line 2/);
    expect(
      (await t.api('POST', '/api/render-config/', { template: 'no-such-template', router: router.id })).body.errors[0]
        .field,
    ).toBe('template');
    expect((await t.api('POST', '/api/render-config/', { template: 'strict' })).status).toBe(400);
  });

  it('loads the context with the same number of queries for 2 or 12 sessions', async () => {
    const small = await inventory(t, 2, 'rt-small');
    const big = await inventory(t, 12, 'rt-big');
    let count = 0;
    const counter: KyselyPlugin = { transformQuery: (a) => (count++, a.node), transformResult: async (a) => a.result };
    const db = t.tdb.db.withPlugin(counter);
    const secrets = new SecretBox('k'.repeat(40));
    await buildRenderContext(db, { routerId: small.router.id }, { includeSecrets: false, secrets });
    const forSmall = count;
    count = 0;
    const ctx = await buildRenderContext(db, { routerId: big.router.id }, { includeSecrets: false, secrets });
    expect(ctx.sessions).toHaveLength(12);
    expect(count).toBe(forSmall);
    expect(count).toBeLessThanOrEqual(16);
  });

  it('lists the shipped templates', async () => {
    const r = await t.api('GET', '/api/templates/shipped/', undefined, { role: 'viewer' });
    expect(r.body.map((x: any) => x.name)).toEqual([
      'bird2.j2',
      'eos.j2',
      'frr.j2',
      'gobgp.j2',
      'iosxr.j2',
      'junos.j2',
      'sros.j2',
    ]);
    expect(r.body[5].body).toContain('protocols {');
  });

  it('renders every shipped template from the database', async () => {
    const router = (await t.api('GET', '/api/routers/?name=rt1.mtl')).body.results[0];
    // One session without a peer group: Junos and SR OS need a group for every neighbour.
    const loose = (
      await t.api('POST', '/api/bgp-peers/', { router: router.id, peer_ip: '198.51.100.99', remote_asn: 64512 })
    ).body;
    await t.api('POST', '/api/peering-sessions/', { bgp_peer: loose.id });
    for (const name of ['junos.j2', 'eos.j2', 'iosxr.j2', 'sros.j2', 'frr.j2', 'bird2.j2']) {
      const r = await t.api('POST', '/api/render-config/', { template: name, router: router.id });
      expect(r.status, `${name}: ${JSON.stringify(r.body).slice(0, 300)}`).toBe(200);
      expect(r.body.content, name).toContain('198.51.100.10');
      expect(r.body.content, name).toContain('198.51.100.99');
    }
    const junos = (await t.api('POST', '/api/render-config/', { template: 'junos.j2', router: router.id })).body
      .content;
    expect(junos).toMatch(/group PEERDESK-UNGROUPED \{[\s\S]*neighbor 198\.51\.100\.99 \{/);
    // Shipped templates render with Jinja2's default whitespace options: no glued lines.
    expect(junos).toMatch(/\n {8}log-updown;\n/);
  });

  it('gives an EVPN family its own afi/safi, and only its own max-prefix (never the peer ASN’s IPv6 limit)', async () => {
    const router = (await t.api('POST', '/api/routers/', { name: 'rt-evpn', local_asn: 64500 })).body;
    await t.api('POST', '/api/peer-asns/', {
      asn: 64777,
      name: 'EVPN peer',
      ipv4_max_prefixes: 100,
      ipv6_max_prefixes: 50,
    });
    const peer = await t.api('POST', '/api/bgp-peers/', {
      router: router.id,
      peer_ip: '192.0.2.77',
      remote_asn: 64777,
      address_families: [
        { afi_safi: 'ipv4-unicast' },
        { afi_safi: 'l2vpn-evpn' },
        { afi_safi: 'ipv4-vpn', max_prefixes: 7 },
      ],
    });
    expect(peer.status, JSON.stringify(peer.body)).toBe(201);
    await t.api('POST', '/api/templates/', {
      name: 'afs-evpn',
      body: '{% for s in sessions %}{% for af in s.address_families %}{{ af.afi }}/{{ af.safi }}/{{ af.max_prefixes }};{% endfor %}{% endfor %}',
    });
    const r = await t.api('POST', '/api/render-config/', { template: 'afs-evpn', router: router.id });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.content).toBe('ipv4/unicast/100;l2vpn/evpn/None;ipv4/vpn/7;');
  });
});
