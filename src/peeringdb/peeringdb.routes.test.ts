// The PeeringDB HTTP routes, mounted on a minimal Fastify app with the core's decorators stubbed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import { validatorCompiler, hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { createTestDb, engines, type TestDb } from '../../test/support/db.ts';
import { DomainError } from '../platform/errors.ts';
import { loadConfig } from '../platform/config.ts';
import { dialectOf, now } from '../platform/db.ts';
import { loadSample, makeRouter } from './peeringdb.fixtures.ts';
import peeringdbRoutes from './peeringdb.routes.ts';

async function buildApp(t: TestDb, queued: { kind: string; payload: unknown }[]): Promise<FastifyInstance> {
  const app = Fastify();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.decorate('db', t.db);
  app.decorate('config', loadConfig({ PEERDESK_PEERINGDB_URL: 'https://www.peeringdb.com/api' }));
  app.decorate('requireRole', () => async (req: any) => {
    req.principal = { userId: null, username: 'tester', role: 'admin' };
  });
  app.decorate('enqueueJob', async (kind: string, payload: unknown) => {
    queued.push({ kind, payload });
    return queued.length;
  });
  app.setErrorHandler((err: any, _req, reply) => {
    if (err instanceof DomainError)
      return reply.code(err.status).send({ code: err.code, detail: err.message, errors: err.fields });
    if (hasZodFastifySchemaValidationErrors(err))
      return reply.code(400).send({ code: 'validation_error', detail: err.message });
    return reply.code(500).send({ detail: String(err?.message) });
  });
  await app.register(peeringdbRoutes);
  await app.ready();
  return app;
}

describe.each(engines())('PeeringDB routes on %s', (engine) => {
  let t: TestDb;
  let app: FastifyInstance;
  const queued: { kind: string; payload: unknown }[] = [];
  let fabricId: number;
  let routerId: number;

  beforeAll(async () => {
    t = await createTestDb(engine);
    await loadSample(t.db);
    routerId = (await makeRouter(t.db, 'edge1', 64496)).routerId;
    app = await buildApp(t, queued);
  });
  afterAll(async () => {
    await app?.close();
    await t?.drop();
  });

  it('queues sync jobs and reports mirror status and runs', async () => {
    let res = await app.inject({ method: 'POST', url: '/api/peeringdb/sync', payload: { full: true } });
    expect(res.statusCode).toBe(202);
    expect(queued.at(-1)).toEqual({ kind: 'peeringdb.sync', payload: { full: true } });
    res = await app.inject({ method: 'GET', url: '/api/peeringdb/status' });
    expect(res.json()).toMatchObject({
      api_key_configured: false,
      types: { netixlan: { count: 501 } },
      last_success: { mode: 'import' },
    });
    res = await app.inject({ method: 'GET', url: '/api/peeringdb/sync-runs?limit=10' });
    expect(res.json()).toMatchObject({ count: 1, next: null, results: [{ status: 'succeeded' }] });
  });

  it('serves wizard lookups', async () => {
    let res = await app.inject({ method: 'GET', url: '/api/peeringdb/networks?q=AS2602' });
    expect(res.json().results[0]).toMatchObject({ asn: 2602, name: 'Fondation RESTENA' });
    res = await app.inject({ method: 'GET', url: '/api/peeringdb/networks' });
    expect(res.statusCode).toBe(400);
    res = await app.inject({ method: 'GET', url: '/api/peeringdb/exchanges?q=DE-CIX%20Frankfurt' });
    expect(res.json().results.map((x: any) => x.id)).toContain(31);
    res = await app.inject({ method: 'GET', url: '/api/peeringdb/exchanges/31' });
    expect(res.json().ixlans[0].member_count).toBe(70);
    res = await app.inject({ method: 'GET', url: '/api/peeringdb/exchanges/999999' });
    expect(res.statusCode).toBe(404);
  });

  it('creates and re-syncs a fabric from an exchange', async () => {
    let res = await app.inject({ method: 'POST', url: '/api/fabrics/from-peeringdb', payload: { ix_id: 31 } });
    expect(res.statusCode).toBe(201);
    fabricId = res.json().fabric.id;
    expect(res.json().networks.map((n: any) => n.prefix)).toEqual(['80.81.192.0/21', '2001:7f8::/64']);
    res = await app.inject({ method: 'POST', url: '/api/fabrics/from-peeringdb', payload: { ix_id: 31 } });
    expect(res.statusCode).toBe(409);
    res = await app.inject({ method: 'POST', url: `/api/fabrics/${fabricId}/resync-peeringdb` });
    expect(res.json()).toMatchObject({ created: 0, updated: 0, unchanged: 2 });
    res = await app.inject({ method: 'GET', url: `/api/peeringdb/networks/3303/addresses?fabric=${fabricId}` });
    expect(res.json().addresses.map((a: any) => a.address)).toEqual(['80.81.193.183', '2001:7f8::ce7:0:2']);
  });

  it('lists, hides, unhides candidates and creates sessions from them', async () => {
    let res = await app.inject({ method: 'GET', url: `/api/fabrics/${fabricId}/candidates?limit=5` });
    expect(res.json().count).toBe(60);
    expect(res.json().results).toHaveLength(5);
    expect(res.json().next).toContain('offset=5');
    res = await app.inject({
      method: 'POST',
      url: `/api/fabrics/${fabricId}/candidates/hide`,
      payload: { asns: [3303], until: '2999-12-31', reason: 'asked later' },
    });
    expect(res.json()).toEqual({ hidden: [3303], until: '2999-12-31T00:00:00.000Z' });
    res = await app.inject({ method: 'GET', url: `/api/fabrics/${fabricId}/candidates` });
    expect(res.json().count).toBe(59);
    res = await app.inject({
      method: 'GET',
      url: `/api/fabrics/${fabricId}/candidates?include_hidden=true&q=swisscom`,
    });
    expect(res.json().results[0]).toMatchObject({ asn: 3303, hidden: true, hidden_reason: 'asked later' });
    res = await app.inject({
      method: 'POST',
      url: `/api/fabrics/${fabricId}/candidates/unhide`,
      payload: { asns: [3303] },
    });
    expect(res.statusCode).toBe(200);

    res = await app.inject({
      method: 'POST',
      url: `/api/fabrics/${fabricId}/candidates/create-sessions`,
      payload: { router_id: routerId, candidates: [{ asn: 3303 }] },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().created).toHaveLength(2);
    res = await app.inject({
      method: 'POST',
      url: `/api/fabrics/${fabricId}/candidates/create-sessions`,
      payload: { router_id: routerId, candidates: [{ asn: 3303 }] },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].field).toBe('candidates.0.asn');
    res = await app.inject({
      method: 'POST',
      url: `/api/fabrics/${fabricId}/candidates/create-sessions`,
      payload: { router_id: routerId, candidates: [] },
    });
    expect(res.statusCode).toBe(400);

    res = await app.inject({ method: 'GET', url: '/api/asns/AS3303/peering-opportunities' });
    expect(res.json().fabrics[0]).toMatchObject({ fabric: { id: fabricId }, missing: 0 });
  });

  it('shows peer ASN divergence, syncs one, and queues sync-all', async () => {
    const stamp = now();
    const row: any = await t.db
      .insertInto('peer_asns')
      .values({
        asn: 2602,
        name: 'x',
        affiliated: dialectOf(t.db) === 'sqlite' ? 0 : false,
        created_at: stamp,
        updated_at: stamp,
        version: 1,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    let res = await app.inject({ method: 'GET', url: `/api/peer-asns/${row.id}/peeringdb` });
    expect(res.json().pending_updates).toContain('name');
    res = await app.inject({ method: 'POST', url: `/api/peer-asns/${row.id}/peeringdb` });
    expect(res.json().result.changed).toContain('irr_as_set');
    expect(res.json().divergence.in_sync).toBe(true);
    res = await app.inject({ method: 'POST', url: '/api/peer-asns/sync-peeringdb', payload: {} });
    expect(res.statusCode).toBe(202);
    expect(queued.at(-1)!.kind).toBe('peeringdb.sync_peer_asns');
  });

  it('imports IX-F data and compares it', async () => {
    const data = {
      version: '1.0',
      ixp_list: [{ ixp_id: 1, peeringdb_id: 31 }],
      member_list: [
        {
          asnum: 3303,
          connection_list: [
            { ixp_id: 1, vlan_list: [{ vlan_id: 1, ipv4: { address: '80.81.193.183', routeserver: true } }] },
          ],
        },
      ],
    };
    let res = await app.inject({ method: 'POST', url: `/api/fabrics/${fabricId}/ixf`, payload: { data } });
    expect(res.statusCode).toBe(201);
    res = await app.inject({ method: 'GET', url: `/api/fabrics/${fabricId}/ixf` });
    expect(res.json().only_in_peeringdb.length).toBe(59);
    expect(res.json().address_differences).toEqual([
      { asn: 3303, name: 'Swisscom', ixf_only: [], peeringdb_only: ['2001:7f8::ce7:0:2'] },
    ]);
    res = await app.inject({ method: 'POST', url: `/api/fabrics/${fabricId}/ixf`, payload: {} });
    expect(res.statusCode).toBe(400);
  });
});
