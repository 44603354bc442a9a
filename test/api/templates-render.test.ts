// render-config and preview, issue 13 items 2-5 and issue 12 finding 4: the NetBox plugin's URL as an
// alias, warnings for sessions rendered without filters, strict undefined and dialects per template,
// and session id lists of any length (chunked queries, duplicates folded) on every engine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { parseIp } from '../../src/platform/ip.ts';
import { now, dialectOf } from '../../src/platform/db.ts';
import { bindBool } from '../../src/peeringdb/peeringdb.table.ts';
import { sessionWarningsById } from '../../src/templates/warnings.ts';

const MANY = 1_200;

describe.each(engines())('render-config and preview on %s', (engine) => {
  let t: TestApp;
  let routerId: number;
  let ids: number[];
  beforeAll(async () => {
    t = await startTestApp(engine);
    routerId = (await t.api('POST', '/api/routers/', { name: 'edge9', local_asn: 64500, router_id: '192.0.2.9' })).body
      .id;
    // Many sessions, written directly (the API would take minutes): enough to need several chunks.
    const db = t.tdb.db;
    const d = dialectOf(db);
    const stamp = now();
    const stamped = { created_at: stamp, updated_at: stamp, version: 1 };
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < MANY; i += 100) {
        const n = Math.min(100, MANY - i);
        const asns = await trx
          .insertInto('peer_asns')
          .values(
            Array.from({ length: n }, (_, k) => ({
              asn: 4_200_000_000 + i + k,
              name: `Peer ${i + k}`,
              affiliated: bindBool(d, false),
              ...stamped,
            })),
          )
          .returning('id')
          .execute();
        const peers = await trx
          .insertInto('bgp_peers')
          .values(
            Array.from({ length: n }, (_, k) => {
              const ip = parseIp(`10.${(i + k) >> 8}.${(i + k) & 255}.1`)!;
              return {
                router_id: routerId,
                vrf: '',
                name: `peer ${i + k}`,
                peer_ip: ip.text,
                peer_ip_key: ip.key,
                family: 4,
                local_asn: 64500,
                remote_asn: 4_200_000_000 + i + k,
                enabled: bindBool(d, true),
                status: 'active',
                ttl_security: bindBool(d, false),
                state: 'unknown',
                ...stamped,
              };
            }),
          )
          .returning('id')
          .execute();
        await trx
          .insertInto('bgp_peer_address_families')
          .values(peers.map((p) => ({ bgp_peer_id: p.id, afi_safi: 'ipv4-unicast', enabled: bindBool(d, true) })))
          .execute();
        await trx
          .insertInto('peering_sessions')
          .values(peers.map((p, k) => ({ bgp_peer_id: p.id, peer_asn_id: asns[k].id, ...stamped })))
          .execute();
      }
    });
    ids = (await db.selectFrom('peering_sessions').select('id').orderBy('id').execute()).map((r) => Number(r.id));
  }, 120_000);
  afterAll(async () => t?.close());

  const count =
    '{{ sessions | length }} {{ sessions | map(attribute="peer_ip") | first }} {{ sessions | map(attribute="peer_ip") | last }}';

  it('takes 32,767 and 65,536 session ids (duplicates folded) on render-config, its alias and preview', async () => {
    await t.api('POST', '/api/templates/', { name: 'count', body: count });
    for (const n of [32_767, 65_536]) {
      const many = Array.from({ length: n }, (_, i) => ids[i % ids.length]);
      for (const url of ['/api/render-config/', '/api/plugins/bgp/render-config/']) {
        const r = await t.api('POST', url, { template: 'count', sessions: many }, { role: 'viewer' });
        expect(r.status, `${url} ${n}: ${JSON.stringify(r.body).slice(0, 300)}`).toBe(200);
        expect(r.body.content).toBe(`${MANY} 10.0.0.1 10.4.175.1`);
        expect(r.body.session_count).toBe(MANY);
      }
      const p = await t.api('POST', '/api/templates/preview/', { body: count, sessions: many }, { role: 'viewer' });
      expect(p.status, JSON.stringify(p.body).slice(0, 300)).toBe(200);
      expect(p.body.content).toBe(`${MANY} 10.0.0.1 10.4.175.1`);
    }
    // A chunked render is the router's render.
    const all = await t.api('POST', '/api/render-config/', { template: 'count', router: routerId });
    expect(all.body.content).toBe(`${MANY} 10.0.0.1 10.4.175.1`);
  }, 300_000);

  it('answers 400 naming the field for unknown ids among 65,536, and above the bound', async () => {
    const unknown = Array.from({ length: 65_536 }, (_, i) => 10_000_000 + i);
    const r = await t.api('POST', '/api/render-config/', { template: 'count', sessions: [ids[0], ...unknown] });
    expect(r.status).toBe(400);
    expect(r.body.errors[0].field).toBe('sessions');
    expect(r.body.errors[0].message).toBe(
      `no peering session with id ${unknown.slice(0, 20).join(', ')} and 65516 more`,
    );
    const p = await t.api('POST', '/api/templates/preview/', { body: count, sessions: unknown });
    expect(p.status).toBe(400);
    expect(p.body.errors[0].field).toBe('sessions');
    const tooMany = await t.api('POST', '/api/render-config/', {
      template: 'count',
      sessions: Array.from({ length: 100_001 }, () => 1),
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.errors[0].field).toBe('sessions');
  }, 120_000);

  it('serves the NetBox plugin URL as an alias with the same answer', async () => {
    const body = { template: 'count', device: routerId, include_context: false };
    const a = await t.api('POST', '/api/render-config/', body, { role: 'viewer' });
    const b = await t.api('POST', '/api/plugins/bgp/render-config/', body, { role: 'viewer' });
    expect(b.status).toBe(200);
    expect(b.body).toEqual(a.body);
    expect((await t.api('POST', '/api/plugins/bgp/render-config/', body, { role: 'anonymous' })).status).toBe(401);
    const plain = await t.app.inject({
      method: 'POST',
      url: '/api/plugins/bgp/render-config/',
      headers: { authorization: `Token ${t.tokens.viewer}`, accept: 'text/plain' },
      payload: body,
    });
    expect(plain.body).toBe(`${MANY} 10.0.0.1 10.4.175.1`);
  }, 60_000);

  it('warns about sessions without an import filter or export policy, in render-config, preview and per session', async () => {
    const first = ids.slice(0, 2);
    const expected = [0, 1].flatMap((i) => [
      `AS${4_200_000_000 + i} Peer ${i} 10.0.${i}.1 (session ${ids[i]}): no import filter for IPv4 (no prefix list or IRR prefix list with entries, no import policy): the shipped templates import nothing from it`,
      `AS${4_200_000_000 + i} Peer ${i} 10.0.${i}.1 (session ${ids[i]}): no export policy or prefix list with entries for IPv4: the shipped templates export nothing to it`,
    ]);
    const r = await t.api('POST', '/api/render-config/', { template: 'bird2.j2', sessions: first });
    expect(r.body.warnings).toEqual(expected);
    expect(r.body.content.match(/import none;/g)).toHaveLength(2);
    expect(r.body.content.match(/export none;/g)).toHaveLength(2);
    const p = await t.api('POST', '/api/templates/preview/', { body: 'x', sessions: first });
    expect(p.body.warnings).toEqual(expected);
    // With an import policy and an export policy on the first session's family, its warnings go.
    const imp = (await t.api('POST', '/api/routing-policies/', { name: 'PEERS-IN', direction: 'import' })).body;
    const exp = (await t.api('POST', '/api/routing-policies/', { name: 'PEERS-OUT', direction: 'export' })).body;
    const peerId = Number(
      (
        await t.tdb.db
          .selectFrom('peering_sessions')
          .select('bgp_peer_id')
          .where('id', '=', ids[0])
          .executeTakeFirstOrThrow()
      ).bgp_peer_id,
    );
    const patched = await t.api('PATCH', `/api/bgp-peers/${peerId}/`, {
      address_families: [{ afi_safi: 'ipv4-unicast', import_policy: imp.id, export_policy: exp.id }],
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    const again = await t.api('POST', '/api/render-config/', { template: 'bird2.j2', sessions: first });
    expect(again.body.warnings).toEqual(expected.slice(2));
    expect(again.body.content).toContain('if ! RM_PEERS_IN() then reject;');
    expect(await sessionWarningsById(t.tdb.db, ids[0])).toEqual([]);
    expect((await sessionWarningsById(t.tdb.db, ids[1])).map((w) => w.kind)).toEqual([
      'no-import-filter',
      'no-export-filter',
    ]);
  }, 60_000);

  it('new templates are jinja2 and strict; imported (netbox / peering-manager) ones and stored ones keep lenient undefined', async () => {
    const created = await t.api('POST', '/api/templates/', {
      name: 'typo',
      body: 'neighbor {{ sessions[0].peer_iq }}',
    });
    expect(created.body.options).toEqual({ dialect: 'jinja2', undefined: 'strict' });
    const r = await t.api('POST', '/api/render-config/', { template: 'typo', sessions: [ids[0]] });
    expect(r.status).toBe(400);
    expect(r.body.errors[0].field).toBe('template');
    expect(r.body.detail).toMatch(/line 1.*peer_iq/);
    // Template names are the API's; the NetBox plugin's stay as aliases.
    await t.api('PATCH', `/api/templates/${created.body.id}/`, {
      body: '{% set s = sessions[0] %}{{ s.peer_ip }}={{ s.remote_ip }} {{ s.family }}={{ s.ip_version }} {{ s.peer_asn }}={{ s.remote_asn }}',
    });
    expect((await t.api('POST', '/api/render-config/', { template: 'typo', sessions: [ids[0]] })).body.content).toBe(
      '10.0.0.1=10.0.0.1 4=4 4200000000=4200000000',
    );
    const nb = await t.api('POST', '/api/templates/', {
      name: 'from-netbox',
      body: '[{{ sessions[0].nope }}]{{ "a\\nb" | indent(2) }}',
      options: { dialect: 'netbox' },
    });
    expect(nb.body.options).toEqual({ dialect: 'netbox', undefined: 'default' });
    expect(
      (await t.api('POST', '/api/render-config/', { template: 'from-netbox', sessions: [ids[0]] })).body.content,
    ).toBe('[]a\n  b');
    const pm = await t.api('POST', '/api/templates/', {
      name: 'from-pm',
      body: '{{ "a\\nb" | indent(2) }}',
      options: { dialect: 'peering-manager' },
    });
    expect(
      (await t.api('POST', '/api/render-config/', { template: pm.body.id, sessions: [ids[0]] })).body.content,
    ).toBe('  a\n  b');
    // A template stored before dialects existed (options {}) keeps Peering Manager's indent and lenient undefined.
    const stamp = now();
    await t.tdb.db
      .insertInto('config_templates')
      .values({
        name: 'legacy',
        kind: 'router',
        body: '[{{ nope }}]{{ "a\\nb" | indent(2) }}',
        options: '{}',
        created_at: stamp,
        updated_at: stamp,
        version: 1,
      })
      .execute();
    expect((await t.api('POST', '/api/render-config/', { template: 'legacy', sessions: [ids[0]] })).body.content).toBe(
      '[]  a\n  b',
    );
    // Updating a stored template keeps its dialect and undefined unless the update names them.
    const upd = await t.api('PATCH', `/api/templates/${nb.body.id}/`, { options: { trim_blocks: true } });
    expect(upd.body.options).toEqual({ dialect: 'netbox', undefined: 'default', trim_blocks: true });
    // Preview: no options = a new template (strict); stored options as given.
    expect((await t.api('POST', '/api/templates/preview/', { body: '{{ nope }}', sessions: [ids[0]] })).status).toBe(
      400,
    );
    expect(
      (
        await t.api('POST', '/api/templates/preview/', {
          body: '[{{ nope }}]',
          options: { dialect: 'netbox' },
          sessions: [ids[0]],
        })
      ).body.content,
    ).toBe('[]');
    expect(
      (await t.api('POST', '/api/templates/', { name: 'bad-dialect', body: 'x', options: { dialect: 'ansible' } })).body
        .errors[0].field,
    ).toMatch(/^options/);
  }, 60_000);
});
