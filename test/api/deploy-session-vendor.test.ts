// Session actions and rollouts through the API against the test suite's Junos NETCONF and EOS eAPI
// routers: Configure (dry run shows the diff, then applied; a second one commits nothing), the Config
// Manager (edited candidate, one-time commands, one-time credentials that never reach any table and
// fail clearly when wrong or not held by this process), remove-from-router (the removal statement on
// the device, then the session and its BGP peer deleted) and rollouts (canary first, stop after a
// failed canary; scheduled in one hour).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { sql } from 'kysely';
import { engines } from '../support/db.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { startNetconfServer, type NetconfTestServer } from '../support/netconf-server.ts';
import { startEapiServer, type EapiTestServer } from '../support/eapi-server.ts';
import { startWorker } from '../../src/jobs/worker.ts';
import { SecretBox } from '../../src/platform/crypto.ts';
import deployRoutes from '../../src/deploy/deploy.routes.ts';
import { dropCredentials, heldCount } from '../../src/deploy/one-time-credentials.ts';

const ONE_TIME = 'one-time-Pa55-7f3e9c';
const JUNOS_TPL =
  'policy-options {\n{% for s in sessions %}    prefix-list PD-S{{ s.id }} {\n        {{ s.peer_ip }}/32;\n    }\n{% endfor %}}\n';
const EOS_TPL = '{% for s in sessions %}ip prefix-list PD-S{{ s.id }} seq 10 permit {{ s.peer_ip }}/32\n{% endfor %}';

describe.each(engines())('session actions and rollouts on %s', (engine) => {
  let t: TestApp;
  let junos: NetconfTestServer;
  let eos: EapiTestServer;
  const box = new SecretBox('k'.repeat(40));
  const ids = { mx: 0, eos: 0, mx2: 0, junosTpl: 0 };

  async function waitJob(jobId: number) {
    const w = startWorker({ db: t.tdb.db, logger: pino({ level: 'silent' }), pollMs: 20, secrets: box });
    try {
      for (let i = 0; i < 1200; i++) {
        const j = (await t.api('GET', `/api/jobs/${jobId}/`)).body;
        if (['succeeded', 'failed', 'cancelled'].includes(j.status)) return j;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`job ${jobId} did not finish`);
    } finally {
      await w.stop();
    }
  }
  async function act(path: string, body: Record<string, unknown>) {
    const r = await t.api('POST', path, body);
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    await waitJob(r.body.job_id);
    return (await t.api('GET', `/api/deployments/${r.body.deployment.id}/`)).body;
  }
  async function session(router: number, asn: number, ip: string) {
    const r = await t.api('POST', '/api/peering-sessions/wizard/', {
      router,
      peer: { asn, name: `Peer ${asn}`, ipv4: ip },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body[0].id as number;
  }
  async function router(
    name: string,
    platform: number,
    hostname: string,
    template: number,
    creds: Record<string, unknown>,
  ) {
    const r = await t.api('POST', '/api/routers/', {
      name,
      local_asn: 64500,
      platform,
      hostname,
      config_template: template,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    await t.tdb.db
      .updateTable('routers')
      .set({ credentials_enc: box.encrypt(JSON.stringify(creds)) })
      .where('id', '=', r.body.id)
      .execute();
    return r.body.id as number;
  }
  /** Every text a table holds, row by row (to look for a secret anywhere in the database). */
  async function everyTableText(): Promise<string> {
    const tables =
      engine === 'postgres'
        ? (
            await sql<{
              name: string;
            }>`select table_name as name from information_schema.tables where table_schema = current_schema()`.execute(
              t.tdb.db,
            )
          ).rows
        : (
            await sql<{
              name: string;
            }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(t.tdb.db)
          ).rows;
    expect(tables.map((x) => x.name)).toEqual(
      expect.arrayContaining(['deployments', 'jobs', 'job_logs', 'changes', 'routers', 'rollouts']),
    );
    let out = '';
    for (const { name } of tables)
      out += JSON.stringify(
        await t.tdb.db
          .selectFrom(name as any)
          .selectAll()
          .execute(),
      );
    return out;
  }

  beforeAll(async () => {
    process.env.PEERDESK_VALIDATE_RESPONSES = '1';
    delete process.env.PEERDESK_DEPLOY_REVIEW;
    junos = await startNetconfServer({
      flavor: 'junos',
      password: ONE_TIME,
      minuteMs: 60_000,
      neighbors: [
        {
          vrf: null,
          peer_ip: '192.0.2.2',
          remote_asn: 64501,
          group: 'TRANSIT',
          state: 'Established',
          elapsed_s: 5400,
          flap_count: 0,
        },
        {
          vrf: null,
          peer_ip: '192.0.2.6',
          remote_asn: 64502,
          group: 'IX',
          state: 'Established',
          elapsed_s: 125,
          flap_count: 0,
        },
      ],
    });
    eos = await startEapiServer({
      neighbors: [
        {
          vrf: null,
          peer_ip: '198.51.100.9',
          remote_asn: 64509,
          state: 'Established',
          up_down_time: Date.now() / 1000 - 600,
        },
      ],
      localAsn: 64500,
    });
    t = await startTestApp(engine);
    if (!t.app.hasRoute({ method: 'POST', url: '/api/routers/:id/deploy/' })) await t.app.register(deployRoutes);
    const pj = (await t.api('POST', '/api/platforms/', { name: 'Junos', driver: 'junos' })).body.id;
    const pe = (await t.api('POST', '/api/platforms/', { name: 'EOS', driver: 'eos' })).body.id;
    ids.junosTpl = (await t.api('POST', '/api/templates/', { name: 'junos-sessions', body: JUNOS_TPL })).body.id;
    const eosTpl = (await t.api('POST', '/api/templates/', { name: 'eos-sessions', body: EOS_TPL })).body.id;
    // mx1's stored password is stale: only one-time credentials reach it.
    ids.mx = await router('mx1', pj, junos.hostname, ids.junosTpl, {
      username: junos.username,
      password: 'stale-password',
      ssh_host_key: junos.hostKeyFingerprint,
    });
    ids.mx2 = await router('mx2', pj, junos.hostname, ids.junosTpl, {
      username: junos.username,
      password: junos.password,
      ssh_host_key: junos.hostKeyFingerprint,
    });
    ids.eos = await router('eos1', pe, eos.hostname, eosTpl, {
      username: eos.username,
      password: eos.password,
      ca_pem: eos.certPem,
    });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await junos?.close();
    await eos?.close();
  });

  it('Configure on EOS: dry run shows the diff, then applied; a second Configure commits nothing', async () => {
    const s = await session(ids.eos, 64509, '198.51.100.9');
    const dry = await act(`/api/peering-sessions/${s}/configure/`, { dry_run: true });
    expect([dry.status, dry.action, dry.session, dry.reason]).toEqual([
      'done',
      'configure',
      { id: s, name: 'AS64509 198.51.100.9' },
      'dry run: diff computed, nothing applied',
    ]);
    expect(dry.diff).toContain(`+ip prefix-list PD-S${s} seq 10 permit 198.51.100.9/32`);
    expect(eos.runningConfig()).not.toContain(`PD-S${s}`);
    const d = await act(`/api/peering-sessions/${s}/configure/`, { confirm_timeout: 120 });
    expect([d.status, d.reason], d.log).toEqual(['done', 'applied and confirmed']);
    expect(eos.runningConfig()).toContain(`ip prefix-list PD-S${s} seq 10 permit 198.51.100.9/32`);
    const again = await act(`/api/peering-sessions/${s}/configure/`, {});
    expect([again.status, again.reason, again.committed]).toEqual(['done', 'no changes: nothing committed', false]);
  }, 60_000);

  it('Config Manager on EOS: one-time commands before and after the candidate, in that order', async () => {
    const s = (await t.api('GET', '/api/peering-sessions/?router=' + ids.eos)).body.results[0].id;
    const from = eos.commands.length;
    const d = await act(`/api/peering-sessions/${s}/config-manager/`, {
      commands_before: ['ip prefix-list PD-BEFORE seq 5 permit 203.0.113.0/24'],
      commands_after: ['ip prefix-list PD-AFTER seq 5 permit 203.0.113.128/25'],
    });
    expect([d.status, d.edited], d.log).toEqual(['done', true]);
    const sent = eos.commands.slice(from);
    const at = (c: string) => sent.indexOf(c);
    expect(at('ip prefix-list PD-BEFORE seq 5 permit 203.0.113.0/24')).toBeGreaterThan(-1);
    expect(at('ip prefix-list PD-BEFORE seq 5 permit 203.0.113.0/24')).toBeLessThan(
      at(`ip prefix-list PD-S${s} seq 10 permit 198.51.100.9/32`) === -1
        ? at('ip prefix-list PD-AFTER seq 5 permit 203.0.113.128/25')
        : at(`ip prefix-list PD-S${s} seq 10 permit 198.51.100.9/32`),
    );
    expect(at('ip prefix-list PD-AFTER seq 5 permit 203.0.113.128/25')).toBeGreaterThan(
      at('ip prefix-list PD-BEFORE seq 5 permit 203.0.113.0/24'),
    );
    expect(eos.runningConfig()).toContain('ip prefix-list PD-AFTER seq 5 permit 203.0.113.128/25');
    expect(d.log).toContain('one-time commands: 1 before and 1 after the candidate');
  }, 60_000);

  it('Config Manager on Junos: one-time credentials are used, never stored anywhere, and a wrong one fails clearly', async () => {
    const s = await session(ids.mx, 64502, '192.0.2.6');
    // The stored (stale) password does not get in.
    const stale = await act(`/api/peering-sessions/${s}/configure/`, { dry_run: true });
    expect(stale.status).toBe('failed');
    expect(stale.reason).toMatch(/authenticat/i);

    const d = await act(`/api/peering-sessions/${s}/config-manager/`, {
      credentials: { password: ONE_TIME },
      commands_after: ['policy-options { prefix-list PD-ONE-TIME { 203.0.113.7/32; } }'],
    });
    expect([d.status, d.one_time_credentials, d.edited], d.log).toEqual(['done', true, true]);
    expect(d.log).toContain('using the one-time credentials given for this deployment');
    expect(junos.runningText()).toContain(`prefix-list PD-S${s}`);
    expect(junos.runningText()).toContain('PD-ONE-TIME');
    expect(heldCount()).toBe(0);
    // Not in any row of any table (deployment, job payload and log, change log, …), nor in the answers.
    expect(await everyTableText()).not.toContain(ONE_TIME);
    expect(JSON.stringify(d)).not.toContain(ONE_TIME);
    // The stored credentials are unchanged.
    const row = await t.tdb.db
      .selectFrom('routers')
      .select('credentials_enc')
      .where('id', '=', ids.mx)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(box.decrypt(String(row.credentials_enc))).password).toBe('stale-password');

    const wrong = await act(`/api/peering-sessions/${s}/config-manager/`, {
      dry_run: true,
      credentials: { password: 'not-the-password' },
    });
    expect([wrong.status, wrong.failed_check]).toEqual(['failed', 'error']);
    expect(wrong.reason).toMatch(/authenticat/i);
    expect(await everyTableText()).not.toContain('not-the-password');
  }, 90_000);

  it('one-time credentials: a worker without them fails clearly; review mode refuses them; bad input is a 400', async () => {
    const s = (await t.api('GET', '/api/peering-sessions/?router=' + ids.mx)).body.results[0].id;
    const r = await t.api('POST', `/api/peering-sessions/${s}/configure/`, {
      dry_run: true,
      credentials: { password: ONE_TIME },
    });
    expect(r.status).toBe(202);
    dropCredentials(r.body.job_id); // as if another worker process claimed the job
    const job = await waitJob(r.body.job_id);
    expect(job.status).toBe('failed');
    const d = (await t.api('GET', `/api/deployments/${r.body.deployment.id}/`)).body;
    expect([d.status, d.failed_check]).toEqual(['failed', 'credentials']);
    expect(d.reason).toMatch(/^one-time credentials need the in-process worker/);

    process.env.PEERDESK_DEPLOY_REVIEW = '1';
    try {
      const p = await t.api('POST', `/api/peering-sessions/${s}/configure/`, { credentials: { password: ONE_TIME } });
      expect([p.status, p.body.errors?.[0]?.field]).toEqual([400, 'credentials']);
    } finally {
      delete process.env.PEERDESK_DEPLOY_REVIEW;
    }
    const bad = await t.api('POST', `/api/peering-sessions/${s}/config-manager/`, {
      candidate: 'x <redacted> y',
      commands_before: ['a\nb'],
      credentials: { passwd: 'x' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: any) => e.field).sort()).toEqual([
      'commands_before.0',
      'credentials',
      'credentials.passwd',
    ]);
    const red = await t.api('POST', `/api/peering-sessions/${s}/config-manager/`, {
      candidate: 'neighbor x password <redacted>',
    });
    expect([red.status, red.body.errors?.[0]?.field]).toEqual([400, 'candidate']);
    expect((await t.api('POST', '/api/peering-sessions/999999/configure/', {})).status).toBe(404);
    expect((await t.api('POST', `/api/peering-sessions/${s}/configure/`, {}, { role: 'viewer' })).status).toBe(403);
  }, 60_000);

  it('remove-from-router on Junos (merge): a delete statement in its group, then the session and BGP peer are deleted', async () => {
    const s = await session(ids.mx2, 64502, '192.0.2.6');
    const peer = (await t.api('GET', `/api/peering-sessions/${s}/`)).body.bgp_peer;
    const peerId = typeof peer === 'object' ? peer.id : peer;
    const from = junos.rpcXml.length;
    const dry = await act(`/api/peering-sessions/${s}/remove-from-router/`, { dry_run: true });
    expect([dry.status, dry.action]).toEqual(['done', 'deconfigure']);
    expect((await t.api('GET', `/api/peering-sessions/${s}/`)).status).toBe(200); // a dry run deletes nothing
    const d = await act(`/api/peering-sessions/${s}/remove-from-router/`, {});
    expect(d.status, d.log).toBe('done');
    const loads = junos.rpcXml.slice(from).filter((x) => x.includes('<load-configuration'));
    expect(loads.at(-1)).toMatch(/protocols \{\s+bgp \{\s+group IX \{\s+delete: neighbor 192\.0\.2\.6;\s+\}\s+\}\s+\}/);
    expect(loads.at(-1)).not.toContain(`PD-S${s}`);
    expect(d.log).toContain('session AS64502 192.0.2.6 and its BGP peer deleted');
    expect((await t.api('GET', `/api/peering-sessions/${s}/`)).status).toBe(404);
    expect((await t.api('GET', `/api/bgp-peers/${peerId}/`)).status).toBe(404);
    expect(d.session).toEqual({ id: s, name: 'AS64502 192.0.2.6' });
  }, 60_000);

  it('DELETE ?remove_from_router=1 removes from the router first; an unknown delete flag is a 400', async () => {
    const s = await session(ids.mx2, 64507, '192.0.2.7');
    const bad = await t.api('DELETE', `/api/peering-sessions/${s}/?remove_from_routr=1`);
    expect(bad.status).toBe(400);
    expect((await t.api('GET', `/api/peering-sessions/${s}/`)).status).toBe(200);
    const r = await t.api('DELETE', `/api/peering-sessions/${s}/?remove_from_router=1`);
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    expect(r.body.deployment).toMatchObject({ action: 'deconfigure', session: { id: s } });
    await waitJob(r.body.job_id);
    expect((await t.api('GET', `/api/deployments/${r.body.deployment.id}/`)).body.status).toBe('done');
    expect((await t.api('GET', `/api/peering-sessions/${s}/`)).status).toBe(404);
  }, 60_000);

  it('rollout: a failed canary stops it (the others are not run); a good one runs all; scheduled waits an hour', async () => {
    const bad = (
      await t.api('POST', '/api/templates/', { name: 'junos-broken', body: 'policy-options { syntax-error }\n' })
    ).body.id;
    await t.tdb.db.updateTable('routers').set({ config_template_id: bad }).where('id', '=', ids.mx2).execute();
    const from = eos.requests.length;
    const r = await t.api('POST', '/api/rollouts/', { router_ids: [ids.mx2, ids.eos, ids.mx] });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    expect(r.body.rollout.routers.map((x: any) => [x.router.name, x.canary, x.status])).toEqual([
      ['mx2', true, 'planned'],
      ['eos1', false, 'planned'],
      ['mx1', false, 'planned'],
    ]);
    await waitJob(r.body.job_id);
    const ro = (await t.api('GET', `/api/rollouts/${r.body.rollout.id}/`)).body;
    expect(ro.status).toBe('stopped');
    expect(ro.reason).toMatch(/^stopped: deployment #\d+ on mx2 ended failed \(load_candidate\)$/);
    expect(ro.routers.map((x: any) => [x.router.name, x.status, x.failed_check])).toEqual([
      ['mx2', 'failed', 'load_candidate'],
      ['eos1', 'failed', 'rollout_stopped'],
      ['mx1', 'failed', 'rollout_stopped'],
    ]);
    expect(eos.requests.length).toBe(from); // the rest never reached their routers

    await t.tdb.db.updateTable('routers').set({ config_template_id: ids.junosTpl }).where('id', '=', ids.mx2).execute();
    const ok = await t.api('POST', '/api/rollouts/', { router_ids: [ids.mx2, ids.eos], canary: true });
    await waitJob(ok.body.job_id);
    const done = (await t.api('GET', `/api/rollouts/${ok.body.rollout.id}/`)).body;
    expect([done.status, done.routers.map((x: any) => x.status)]).toEqual(['done', ['done', 'done']]);

    const later = await t.api('POST', '/api/rollouts/', { router_ids: [ids.eos], scheduled: true });
    expect(later.status).toBe(202);
    const job = await t.tdb.db
      .selectFrom('jobs')
      .select('run_after')
      .where('id', '=', later.body.job_id)
      .executeTakeFirstOrThrow();
    const inMs = new Date(String(job.run_after)).getTime() - Date.now();
    expect(inMs).toBeGreaterThan(55 * 60_000);
    expect(inMs).toBeLessThanOrEqual(60 * 60_000);
    expect(later.body.rollout.status).toBe('scheduled');
    expect((await t.api('POST', '/api/rollouts/', {})).status).toBe(400);
    expect((await t.api('POST', '/api/rollouts/', { router_ids: [999999] })).body.errors[0].field).toBe('router_ids');
    expect((await t.api('GET', '/api/rollouts/999999/')).status).toBe(404);
  }, 90_000);
});
