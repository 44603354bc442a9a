// Test application: the real server on a fresh database, with a user and token per role.
import { dynamic } from '../../src/platform/db.ts';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { createApp, type PeerdeskApp } from '../../src/app.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { createToken, createUser, ensureAdmin } from '../../src/auth/auth.service.ts';
import type { Db } from '../../src/platform/db.ts';
import { seededTestDb, type Engine, type TestDb } from './db.ts';

export interface TestApp {
  pd: PeerdeskApp;
  app: FastifyInstance;
  tdb: TestDb;
  tokens: { viewer: string; operator: string; admin: string };
  /** Calls the API as a role (default admin); returns status, parsed JSON body and headers. */
  api(
    method: string,
    url: string,
    body?: unknown,
    opts?: { role?: 'viewer' | 'operator' | 'admin' | 'anonymous'; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any; headers: Record<string, any> }>;
  close(): Promise<void>;
}

const CONFIG = {
  PEERDESK_ADMIN_PASSWORD: 'admin-password',
  PEERDESK_LOG_LEVEL: 'silent',
  PEERDESK_SECRET_KEY: 'k'.repeat(40),
  PEERDESK_LOGIN_RATE_LIMIT: '5',
};

/**
 * The users every test app starts with, written once per worker into the database template (hashing
 * their passwords is most of an app's start): admin (what createApp's first start creates from
 * PEERDESK_ADMIN_PASSWORD), operator and viewer, each with their password and an API token.
 */
async function seedUsers(db: Db): Promise<TestApp['tokens']> {
  await ensureAdmin(db, CONFIG.PEERDESK_ADMIN_PASSWORD);
  const adminId = Number(
    (await db.selectFrom('users').select('id').where('username', '=', 'admin').executeTakeFirstOrThrow()).id,
  );
  const op = await createUser(db, { username: 'operator', password: 'operator-password', role: 'operator' });
  const vw = await createUser(db, { username: 'viewer', password: 'viewer-password', role: 'viewer' });
  return {
    admin: (await createToken(db, adminId)).key,
    operator: (await createToken(db, op.id)).key,
    viewer: (await createToken(db, vw.id)).key,
  };
}

/** Starts the app on an engine with users admin/operator/viewer (password ROLE-password) and a token each. */
export async function startTestApp(engine: Engine): Promise<TestApp> {
  const { tdb, seeded } = await seededTestDb(engine, 'users', seedUsers);
  const tokens = { ...seeded }; // the test's own (a test may swap one)
  const pd = await createApp({ config: loadConfig(CONFIG), db: tdb.db, worker: false });
  const app = pd.app;
  return {
    pd,
    app,
    tdb,
    tokens,
    async api(method, url, body, opts = {}) {
      const role = opts.role ?? 'admin';
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      if (role !== 'anonymous') headers.authorization = `Token ${tokens[role]}`;
      const req: InjectOptions = { method: method as any, url, headers };
      if (body !== undefined) req.payload = body as any;
      const res = await app.inject(req);
      let parsed: any = res.body;
      try {
        parsed = res.body ? JSON.parse(res.body) : null;
      } catch {
        /* text */
      }
      return { status: res.statusCode, body: parsed, headers: res.headers };
    },
    async close() {
      await app.close();
      await tdb.drop();
    },
  };
}

/** Counts rows in every application table (to prove a failed write left nothing behind). */
export async function tableCounts(tdb: TestDb): Promise<Record<string, number>> {
  const tables = [
    'relationships',
    'peer_asns',
    'fabrics',
    'peering_networks',
    'peering_connections',
    'platforms',
    'routers',
    'peer_groups',
    'bgp_peers',
    'bgp_peer_address_families',
    'peering_sessions',
    'prefix_lists',
    'prefix_list_entries',
    'routing_policies',
    'communities',
    'bfd_profiles',
    'users',
    'api_tokens',
    'schedules',
    'jobs',
  ];
  const out: Record<string, number> = {};
  for (const t of tables)
    out[t] = Number(
      (
        await dynamic(tdb.db)
          .selectFrom(t)
          .select((eb) => eb.fn.countAll().as('c'))
          .executeTakeFirstOrThrow()
      ).c,
    );
  return out;
}
