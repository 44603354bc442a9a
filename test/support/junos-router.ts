// The Junos router most deploy tests use: the test suite's NETCONF server with one Established
// neighbour (192.0.2.2, AS64501), and that router in a test app (platform, a template, the router, its
// credentials encrypted with the app's secret box).
import { expect } from 'vitest';
import type { TestApp } from './app.ts';
import { startNetconfServer, type NetconfTestServer } from './netconf-server.ts';
import type { SecretBox } from '../../src/platform/crypto.ts';
import deployRoutes from '../../src/deploy/deploy.routes.ts';

export function startJunosTestRouter(): Promise<NetconfTestServer> {
  return startNetconfServer({
    flavor: 'junos',
    neighbors: [
      {
        vrf: null,
        peer_ip: '192.0.2.2',
        remote_asn: 64501,
        group: 'T',
        state: 'Established',
        elapsed_s: 50,
        flap_count: 0,
      },
    ],
    minuteMs: 60_000,
  });
}

/** Adds the server as a Junos router (deploying `template`) to the app; the deploy routes are mounted. */
export async function addJunosRouter(
  t: TestApp,
  server: NetconfTestServer,
  box: SecretBox,
  router: { name: string; template: { name: string; body: string } },
): Promise<{ routerId: number; templateId: number }> {
  if (!t.app.hasRoute({ method: 'POST', url: '/api/routers/:id/deploy/' })) await t.app.register(deployRoutes);
  const platform = (await t.api('POST', '/api/platforms/', { name: 'Junos', driver: 'junos' })).body;
  const templateId: number = (await t.api('POST', '/api/templates/', router.template)).body.id;
  const r = await t.api('POST', '/api/routers/', {
    name: router.name,
    local_asn: 64500,
    platform: platform.id,
    hostname: server.hostname,
    config_template: templateId,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  const routerId: number = r.body.id;
  const creds = { username: server.username, password: server.password, ssh_host_key: server.hostKeyFingerprint };
  await t.tdb.db
    .updateTable('routers')
    .set({ credentials_enc: box.encrypt(JSON.stringify(creds)) })
    .where('id', '=', routerId)
    .execute();
  return { routerId, templateId };
}
