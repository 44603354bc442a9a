// Deployments through the API against the test suite's Junos NETCONF router: the RPCs in the right
// order (lock, load, diff, commit confirmed, confirm), rollback when the commit fails, the router lock,
// and change review (PEERDESK_DEPLOY_REVIEW=1: a proposal is applied only after another user approves).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engines } from '../support/db.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { startNetconfServer, type NetconfTestServer, type SimNeighbor } from '../support/netconf-server.ts';
import { startWorker } from '../../src/jobs/worker.ts';
import { SecretBox } from '../../src/platform/crypto.ts';
import deployRoutes from '../../src/deploy/deploy.routes.ts';

const neighbors = (): SimNeighbor[] => [
  {
    vrf: null,
    peer_ip: '192.0.2.2',
    remote_asn: 64501,
    local_ip: '192.0.2.1',
    description: 'Transit A',
    group: 'TRANSIT',
    state: 'Established',
    elapsed_s: 5400,
    flap_count: 1,
  },
  {
    vrf: null,
    peer_ip: '192.0.2.6',
    remote_asn: 64502,
    description: 'IX peer B',
    group: 'IX',
    state: 'Established',
    elapsed_s: 125,
    flap_count: 0,
  },
];
const POLICY = 'policy-options {\n    prefix-list PEERDESK-TEST {\n        198.51.100.0/24;\n    }\n}\n';
const CONFIG_RPCS = new Set(['lock', 'load-configuration', 'commit-configuration', 'discard-changes', 'unlock']);
/** The configuration RPCs among those received since `from` (the compare is the diff; other reads are polls). */
const configRpcs = (server: NetconfTestServer, from: number) =>
  server.rpcXml.slice(from).flatMap((xml, i) => {
    const name = server.rpcs[from + i]!;
    if (name === 'get-configuration') return xml.includes('compare="rollback"') ? ['diff'] : [];
    return CONFIG_RPCS.has(name) ? [name] : [];
  });

describe.each(engines())('deployments against Junos NETCONF on %s', (engine) => {
  let t: TestApp;
  let server: NetconfTestServer;
  let routerId = 0;
  let templateId = 0;
  const box = new SecretBox('k'.repeat(40));

  async function runJob(jobId: number) {
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
  async function deploy(body: Record<string, unknown>, role: 'admin' | 'operator' = 'admin') {
    const r = await t.api('POST', `/api/routers/${routerId}/deploy/`, body, { role });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    if (r.body.job_id) await runJob(r.body.job_id);
    return (await t.api('GET', `/api/deployments/${r.body.deployment.id}/`)).body;
  }
  const setTemplate = async (body: string) =>
    expect((await t.api('PATCH', `/api/templates/${templateId}/`, { body })).status).toBe(200);

  beforeAll(async () => {
    process.env.PEERDESK_VALIDATE_RESPONSES = '1';
    server = await startNetconfServer({ flavor: 'junos', neighbors: neighbors(), minuteMs: 60_000 });
    t = await startTestApp(engine);
    if (!t.app.hasRoute({ method: 'POST', url: '/api/routers/:id/deploy/' })) await t.app.register(deployRoutes);
    const platform = (await t.api('POST', '/api/platforms/', { name: 'Junos', driver: 'junos' })).body;
    templateId = (await t.api('POST', '/api/templates/', { name: 'junos-policy', body: POLICY })).body.id;
    const r = await t.api('POST', '/api/routers/', {
      name: 'mx1',
      local_asn: 64500,
      platform: platform.id,
      hostname: server.hostname,
      config_template: templateId,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    routerId = r.body.id;
    // ssh_host_key is not (yet) in the API's credential fields: stored directly, encrypted as the API does.
    const creds = { username: server.username, password: server.password, ssh_host_key: server.hostKeyFingerprint };
    await t.tdb.db
      .updateTable('routers')
      .set({ credentials_enc: box.encrypt(JSON.stringify(creds)) })
      .where('id', '=', routerId)
      .execute();
  }, 60_000);
  afterAll(async () => {
    delete process.env.PEERDESK_DEPLOY_REVIEW;
    await t?.close();
    await server?.close();
  });
  beforeEach(() => {
    delete process.env.PEERDESK_DEPLOY_REVIEW;
    server.setFault(null);
  });

  it('dry run: lock, load, diff, discard — nothing committed', async () => {
    const before = server.rpcs.length;
    const d = await deploy({ dry_run: true });
    expect(d.status).toBe('done');
    expect(d.reason).toBe('dry run: diff computed, nothing applied');
    expect(d.diff).toContain('+ 198.51.100.0/24;');
    expect(configRpcs(server, before)).toEqual(['lock', 'load-configuration', 'diff', 'discard-changes', 'unlock']);
    expect(server.runningText()).not.toContain('PEERDESK-TEST');
  }, 60_000);

  it('applies with lock, load, diff, commit confirmed, confirm — in that order', async () => {
    const before = server.rpcs.length;
    const d = await deploy({ dry_run: false, confirm_timeout: 120 });
    expect(d.status, d.log).toBe('done');
    const xml = server.rpcXml.slice(before);
    expect(configRpcs(server, before)).toEqual([
      'lock',
      'load-configuration',
      'diff',
      'commit-configuration',
      'commit-configuration',
      'unlock',
    ]);
    const commits = xml.filter((x) => x.includes('<commit-configuration'));
    expect(commits[0]).toMatch(
      /<confirmed\/><confirm-timeout>2<\/confirm-timeout><log>Peerdesk deployment #\d+<\/log>/,
    );
    expect(commits[1]).toContain('<commit-configuration/>');
    expect(server.runningText()).toContain('198.51.100.0/24;');
    expect(server.pendingConfirm()).toBe(false);
    // Nothing left to change: no commit the second time.
    const n = server.rpcs.length;
    const again = await deploy({ dry_run: false });
    expect([again.status, again.reason, again.committed]).toEqual(['done', 'no changes: nothing committed', false]);
    expect(server.rpcs.slice(n)).not.toContain('commit-configuration');
  }, 60_000);

  it('exports each applied configuration to git, one commit per deployment, secrets redacted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-deploy-git-'));
    process.env.PEERDESK_DEPLOY_GIT_DIR = join(dir, 'configs');
    try {
      const one = POLICY.replace('198.51.100.0/24;', '198.51.100.0/24;\n        100.64.1.0/24;');
      await setTemplate(
        `${one}protocols {\n    bgp {\n        group X {\n            authentication-key "top-secret";\n        }\n    }\n}\n`,
      );
      const a = await deploy({ dry_run: false });
      expect(a.status, a.log).toBe('done');
      await setTemplate(one.replace('100.64.1.0/24;', '100.64.2.0/24;'));
      const b = await deploy({ dry_run: false });
      expect(b.status, b.log).toBe('done');
      const git = (...args: string[]) =>
        execFileSync('git', ['-C', join(dir, 'configs'), ...args], { encoding: 'utf8' });
      expect(git('log', '--format=%s').trim().split('\n')).toEqual([
        `Deploy mx1: deployment #${b.id}`,
        `Deploy mx1: deployment #${a.id}`,
      ]);
      expect(git('rev-parse', 'HEAD').trim()).toBe(b.git_commit);
      expect(git('show', `${a.git_commit}:mx1.conf`)).toContain('authentication-key "<redacted>";');
      expect(readFileSync(join(dir, 'configs', 'mx1.conf'), 'utf8')).toContain('100.64.2.0/24;');
      expect(git('log', '-1', '--format=%B')).toContain('Proposed by: admin');
      expect(JSON.stringify(a)).not.toContain('top-secret');
    } finally {
      delete process.env.PEERDESK_DEPLOY_GIT_DIR;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('a failing commit is undone and the deployment says so', async () => {
    await setTemplate(POLICY.replace('198.51.100.0/24;', '198.51.100.0/24;\n        203.0.113.0/24;'));
    const running = server.runningText();
    server.setFault({
      rpc: 'commit-configuration',
      mode: 'error',
      message: 'commit failed: configuration check-out failed',
    });
    const d = await deploy({ dry_run: false });
    expect(d.status).toBe('failed');
    expect(d.failed_check).toBe('commit');
    expect(d.reason).toMatch(/^the commit failed and was undone: .*configuration check-out failed/);
    expect(server.runningText()).toBe(running);
    expect(server.candidateText()).toBe(running);
  }, 60_000);

  it('one deployment per router: a held lock refuses the next one', async () => {
    server.setFault(null);
    const held = await deploy({ dry_run: true });
    await t.tdb.db.updateTable('deployments').set({ status: 'confirming' }).where('id', '=', held.id).execute();
    // A live holder: its job is still running (the worker's sweep ends deployments whose job is gone).
    await t.tdb.db
      .updateTable('jobs')
      .set({ status: 'running', lease_until: new Date(Date.now() + 600_000).toISOString() })
      .where('id', '=', held.job_id)
      .execute();
    await t.tdb.db
      .insertInto('deploy_locks')
      .values({ router_id: routerId, deployment_id: held.id, locked_at: new Date().toISOString() })
      .execute();
    const d = await deploy({ dry_run: false });
    expect([d.status, d.failed_check, d.reason]).toEqual([
      'failed',
      'lock',
      `deployment #${held.id} is running on this router (one deployment per router at a time)`,
    ]);
    // Once that deployment has ended, its stale lock is taken over.
    await t.tdb.db.updateTable('deployments').set({ status: 'failed' }).where('id', '=', held.id).execute();
    await t.tdb.db
      .updateTable('jobs')
      .set({ status: 'succeeded', lease_until: null })
      .where('id', '=', held.job_id)
      .execute();
    const ok = await deploy({ dry_run: true });
    expect(ok.status).toBe('done');
    expect(await t.tdb.db.selectFrom('deploy_locks').selectAll().execute()).toEqual([]);
  }, 60_000);

  it('change review: an operator proposal waits until an admin approves it; proposers cannot review', async () => {
    process.env.PEERDESK_DEPLOY_REVIEW = '1';
    await setTemplate(POLICY.replace('198.51.100.0/24;', '198.51.100.0/24;\n        192.0.2.128/25;'));
    const before = server.rpcs.length;
    const p = await t.api('POST', `/api/routers/${routerId}/deploy/`, { dry_run: false }, { role: 'operator' });
    expect(p.status).toBe(202);
    expect([
      p.body.deployment.status,
      p.body.deployment.needs_approval,
      p.body.deployment.proposed_by,
      p.body.job_id,
    ]).toEqual(['planned', true, 'operator', null]);
    expect(server.rpcs.length).toBe(before); // nothing touched the router
    const id = p.body.deployment.id;
    expect((await t.api('GET', '/api/deployments/?status=planned')).body.results.map((x: any) => x.id)).toEqual([id]);
    // An operator cannot approve; the admin can (not the proposer).
    expect(
      (await t.api('POST', `/api/deployments/${id}/approve/`, { comment: 'self' }, { role: 'operator' })).status,
    ).toBe(403);
    const a = await t.api('POST', `/api/deployments/${id}/approve/`, { comment: 'looks right' });
    expect(a.status, JSON.stringify(a.body)).toBe(202);
    expect([a.body.deployment.status, a.body.deployment.reviewed_by, a.body.deployment.review_comment]).toEqual([
      'approved',
      'admin',
      'looks right',
    ]);
    await runJob(a.body.job_id);
    const done = (await t.api('GET', `/api/deployments/${id}/`)).body;
    expect(done.status, done.log).toBe('done');
    expect(server.runningText()).toContain('192.0.2.128/25;');
    expect((await t.api('POST', `/api/deployments/${id}/approve/`, {})).status).toBe(409);

    // The admin's own proposal waits too, and the admin cannot approve it; rejecting needs another admin.
    const own = await t.api('POST', `/api/routers/${routerId}/deploy/`, { dry_run: false });
    expect(own.body.deployment.status).toBe('planned');
    const self = await t.api('POST', `/api/deployments/${own.body.deployment.id}/approve/`, {});
    expect(self.status).toBe(403);
    expect(self.body.detail).toBe('the proposer of a deployment cannot approve or reject it');
    // Dry runs never wait.
    expect(
      (await t.api('POST', `/api/routers/${routerId}/deploy/`, { dry_run: true }, { role: 'operator' })).body.job_id,
    ).toEqual(expect.any(Number));
  }, 60_000);

  it('an operator proposal can be rejected with a comment; viewers cannot deploy; bad input is a 400', async () => {
    process.env.PEERDESK_DEPLOY_REVIEW = '1';
    const p = await t.api('POST', `/api/routers/${routerId}/deploy/`, { dry_run: false }, { role: 'operator' });
    const r = await t.api('POST', `/api/deployments/${p.body.deployment.id}/reject/`, { comment: 'not in the window' });
    expect(r.status).toBe(200);
    expect([r.body.deployment.status, r.body.deployment.reason, r.body.job_id]).toEqual([
      'rejected',
      'rejected by admin: not in the window',
      null,
    ]);
    expect(
      (await t.api('POST', `/api/routers/${routerId}/deploy/`, { dry_run: true }, { role: 'viewer' })).status,
    ).toBe(403);
    const bad = await t.api('POST', `/api/routers/${routerId}/deploy/`, { dry_run: 'yes', confirm_timeout: 5 });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: any) => e.field).sort()).toEqual(['confirm_timeout', 'dry_run']);
    expect((await t.api('POST', '/api/routers/999999/deploy/', { dry_run: true })).status).toBe(404);
    expect((await t.api('GET', '/api/deployments/999999/')).status).toBe(404);
    expect((await t.api('GET', '/api/deployments/?status=bogus')).status).toBe(400);
  }, 60_000);
});
