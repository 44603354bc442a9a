// Global search (/api/search/): one request finds peer ASNs, sessions, routers and fabrics by ASN,
// address, name or reference; and the router's session summary.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { fabric, peerAsn, router, session } from '../support/factories.ts';

describe.each(engines())('search on %s', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(engine);
  });
  afterAll(async () => t?.close());

  it('finds peer ASNs, sessions, routers and fabrics in one request', async () => {
    const rt = await router(t, { name: 'edge-ams', local_asn: 64500 });
    await fabric(t, { name: 'AMS-IX' });
    await peerAsn(t, { asn: 6939, name: 'Hurricane Electric', irr_as_set: 'RADB::AS-HURRICANE' });
    await session(t, { router: rt.id, asn: 6939, peer_ip: '80.249.208.1', service_reference: 'TICKET-77' });
    const byAsn = (await t.api('GET', '/api/search/?q=AS6939')).body.results;
    expect(byAsn.map((r: any) => r.type)).toEqual(['peer-asn', 'peering-session']);
    expect((await t.api('GET', '/api/search/?q=80.249.208.1')).body.results[0]).toMatchObject({
      type: 'peering-session',
      title: 'AS6939 Hurricane Electric 80.249.208.1',
    });
    expect((await t.api('GET', '/api/search/?q=ticket-77')).body.results.map((r: any) => r.type)).toEqual([
      'peering-session',
    ]);
    expect((await t.api('GET', '/api/search/?q=ams')).body.results.map((r: any) => r.type).sort()).toEqual([
      'fabric',
      'router',
    ]);
    expect((await t.api('GET', '/api/search/?q=')).status).toBe(400);
    const summary = (await t.api('GET', `/api/routers/${rt.id}/state-summary/`)).body;
    expect(summary).toMatchObject({ total: 1, by_state: { unknown: 1 } });
  });
});
