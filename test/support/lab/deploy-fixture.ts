// Set-up shared by the deploy lab tests (test/lab/deploy-*.test.ts): the daemon lab with every session
// Established, the environment the deploy drivers read (restored after the file), and per database engine
// a Peerdesk app with one lab router whose configuration comes from a stored template, plus a `deploy`
// that runs the deploy job to its end and returns the deployment.
import { afterAll, beforeAll, expect } from 'vitest';
import pino from 'pino';
import { startWorker } from '../../../src/jobs/worker.ts';
import { SecretBox } from '../../../src/platform/crypto.ts';
import deployRoutes from '../../../src/deploy/deploy.routes.ts';
import { startTestApp, type TestApp } from '../app.ts';
import type { Engine } from '../db.ts';
import type { DaemonLab } from './daemons.ts';
import type { sharedLab } from './shared.ts';

/** The lab and the daemon's configuration as it was once every session came up. */
export interface DeployLab {
  readonly lab: DaemonLab;
  /** The whole configuration the tests deploy back (read after every session is Established). */
  readonly full: string;
}

/**
 * Starts the shared lab in beforeAll, sets `env(lab)` (and restores it, with the health-gate timeout the
 * tests change, in afterAll), waits for every session and keeps `snapshot(lab)` as `full`.
 */
export function useDeployLab(
  shared: ReturnType<typeof sharedLab>,
  env: (lab: DaemonLab) => Record<string, string>,
  snapshot: (lab: DaemonLab) => Promise<string> | string,
): DeployLab {
  let lab: DaemonLab | null = null;
  let full = '';
  const saved = new Map<string, string | undefined>();
  beforeAll(async () => {
    lab = await shared.lab();
    const vars = env(lab);
    for (const k of [...Object.keys(vars), 'PEERDESK_DEPLOY_HEALTH_TIMEOUT_S'])
      if (!saved.has(k)) saved.set(k, process.env[k]);
    Object.assign(process.env, vars);
    await lab.waitAllEstablished();
    full = await snapshot(lab);
  }, 120_000);
  afterAll(() => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  return {
    get lab(): DaemonLab {
      if (!lab) throw new Error('the deploy lab is not started yet (use it inside a test)');
      return lab;
    },
    get full() {
      return full;
    },
  };
}

/** POSTs a deployment action (deploy, rollback, …) at `path`, runs the job with a worker until it ends and returns the deployment. */
export async function runDeployJob(t: TestApp, path: string, body: Record<string, unknown>): Promise<any> {
  const r = await t.api('POST', path, body);
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  const w = startWorker({
    db: t.tdb.db,
    logger: pino({ level: 'silent' }),
    pollMs: 20,
    secrets: new SecretBox('k'.repeat(40)),
  });
  try {
    for (let i = 0; i < 2400; i++) {
      const j = (await t.api('GET', `/api/jobs/${r.body.job_id}/`)).body;
      if (['succeeded', 'failed', 'cancelled'].includes(j.status))
        return (await t.api('GET', `/api/deployments/${r.body.deployment.id}/`)).body;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error('deploy job did not finish');
  } finally {
    await w.stop();
  }
}

/** The lab router a deploy test registers: its platform, template and addresses. */
export interface DeployRouterSpec {
  platform: { name: string; driver: string };
  template: { name: string; body: string };
  router: { name: string; local_asn: number; ip: string };
  /** The socket address the driver really uses (stored directly: the API accepts only the app config's socket dirs). */
  hostname: string;
}

/** One engine's app with the lab router, and the calls the deploy tests make on it. */
export interface DeployApp {
  readonly t: TestApp;
  readonly routerId: number;
  readonly templateId: number;
  /** Starts a deployment, runs the job with a worker until it ends and returns the deployment. */
  deploy(body: Record<string, unknown>): Promise<any>;
  /** Replaces the router's template text. */
  setTemplate(body: string): Promise<void>;
}

/** Starts the app for `engine` in beforeAll with the router `spec()` describes; closes it in afterAll. */
export function useDeployApp(engine: Engine, spec: () => DeployRouterSpec): DeployApp {
  let t: TestApp | null = null;
  let routerId = 0;
  let templateId = 0;
  const app = (): TestApp => {
    if (!t) throw new Error('the deploy app is not started yet (use it inside a test)');
    return t;
  };

  beforeAll(async () => {
    const s = spec();
    t = await startTestApp(engine);
    // Until app.ts lists deploy.routes.ts among its route modules, mount it here (before the first request).
    if (!t.app.hasRoute({ method: 'POST', url: '/api/routers/:id/deploy/' })) await t.app.register(deployRoutes);
    const platform = (await t.api('POST', '/api/platforms/', s.platform)).body;
    const tpl = await t.api('POST', '/api/templates/', s.template);
    expect(tpl.status, JSON.stringify(tpl.body)).toBe(201);
    templateId = tpl.body.id;
    const r = await t.api('POST', '/api/routers/', {
      name: s.router.name,
      local_asn: s.router.local_asn,
      platform: platform.id,
      hostname: s.router.ip,
      config_template: templateId,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    routerId = r.body.id;
    // The socket is in a temporary directory: set directly (the API allows only the app config's PEERDESK_SOCKET_DIRS).
    await t.tdb.db.updateTable('routers').set({ hostname: s.hostname }).where('id', '=', routerId).execute();
  }, 60_000);
  afterAll(() => t?.close());

  return {
    get t() {
      return app();
    },
    get routerId() {
      return routerId;
    },
    get templateId() {
      return templateId;
    },
    deploy: (body) => runDeployJob(app(), `/api/routers/${routerId}/deploy/`, body),
    async setTemplate(body) {
      expect((await app().api('PATCH', `/api/templates/${templateId}/`, { body })).status).toBe(200);
    },
  };
}
