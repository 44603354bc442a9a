// The conformance suite every router driver passes (as Kysely runs each test per dialect): call
// `describeDriverConformance('frr', setup)` in a test file with a fixture that reaches a real daemon or a
// test server. It checks capabilities against methods, neighbours and counts, admin down/up seen from
// outside, an unreachable router, and the job log (commands logged, no secret).
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpstreamError } from '../platform/errors.ts';
import type {
  BgpState,
  DriverCapability,
  DriverSession,
  DriverSessionOptions,
  PeerState,
  RouterDriver,
  RouterTarget,
} from './driver.types.ts';
import { DRIVER_INFO, driverFor } from './registry.ts';

export interface ConformanceFixture {
  router: RouterTarget;
  opts?: Partial<DriverSessionOptions>;
  expected: { peer_ip: string; vrf: string | null; remote_asn: number; state: BgpState }[];
  toggle?: { vrf: string | null; peer_ip: string };
  /** polls (bounded) until the neighbour is seen down/up from the other side or the device */
  observe?(peer: { vrf: string | null; peer_ip: string }, up: boolean): Promise<void>;
  /** A router that cannot be reached; by default the fixture's router with a closed port or a missing socket. */
  unreachable?: RouterTarget;
  teardown(): Promise<void>;
}

/** Methods each capability promises on a session. */
export const CAPABILITY_METHODS: Record<DriverCapability, (keyof DriverSession)[]> = {
  list_neighbors: ['listNeighbors'],
  running_config: ['getRunningConfig'],
  admin_state: ['setAdminState'],
  config: ['loadCandidate', 'discardCandidate'],
  commit_confirm: ['commitConfirmed', 'confirm', 'rollback', 'pendingConfirm'],
};

const WAIT_MS = 60_000;
// Per-test bound: a toggle waits up to WAIT_MS for down and again for up, plus session set-up.
const TEST_MS = 3 * WAIT_MS;

async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The fixture's router made unreachable: a closed port, or a socket path that does not exist. */
async function unreachableTarget(router: RouterTarget): Promise<RouterTarget> {
  const host = router.hostname ?? '';
  let hostname: string;
  if (host.startsWith('unix:')) hostname = `unix:${join(dirname(host.slice(5)), 'missing.ctl')}`;
  else if (host.startsWith('vtysh:')) hostname = `vtysh:${join(host.slice(6), 'missing')}`;
  else {
    const port = await closedPort();
    hostname = /:\d+(\/.*)?$/.test(host)
      ? host.replace(/:\d+(\/.*)?$/, `:${port}$1`).replace(/undefined$/, '')
      : `${host}:${port}`;
  }
  return { ...router, hostname };
}

const key = (p: { vrf: string | null; peer_ip: string }) => `${p.vrf ?? ''}|${p.peer_ip}`;

/** Registers the conformance tests of one driver against the fixture `setup` returns. */
export function describeDriverConformance(driverName: string, setup: () => Promise<ConformanceFixture>): void {
  describe(`driver conformance: ${driverName}`, () => {
    let fx: ConformanceFixture;
    let driver: RouterDriver;
    const logs: string[] = [];
    const ctl = new AbortController();
    const opts = (): DriverSessionOptions => ({ signal: ctl.signal, ...fx.opts, log: (m) => void logs.push(m) });
    const withSession = async <T>(
      fn: (s: DriverSession) => Promise<T>,
      router = fx.router,
      extra: Partial<DriverSessionOptions> = {},
    ): Promise<T> => {
      const s = await driver.open(router, { ...opts(), ...extra });
      try {
        return await fn(s);
      } finally {
        await s.close();
      }
    };
    const find = (list: PeerState[], p: { vrf: string | null; peer_ip: string }) => list.find((n) => key(n) === key(p));

    beforeAll(async () => {
      fx = await setup();
      driver = (await driverFor(driverName))!;
    }, 180_000);
    afterAll(async () => {
      ctl.abort();
      await fx?.teardown();
    }, 60_000);

    it(
      'is registered, and declares capabilities that match its session methods',
      async () => {
        expect(driver, `driver ${driverName} in the registry`).toBeTruthy();
        expect(driver.name).toBe(driverName);
        const info = DRIVER_INFO.find((d) => d.name === driverName)!;
        expect({ label: info.label, capabilities: info.capabilities, hostnameForms: info.hostnameForms }).toEqual({
          label: driver.label,
          capabilities: driver.capabilities,
          hostnameForms: driver.hostnameForms,
        });
        expect(driver.capabilities).toContain('list_neighbors');
        await withSession(async (s) => {
          for (const [cap, methods] of Object.entries(CAPABILITY_METHODS) as [
            DriverCapability,
            (keyof DriverSession)[],
          ][]) {
            for (const m of methods)
              expect(typeof s[m] === 'function', `${cap} ↔ ${String(m)}`).toBe(driver.capabilities.includes(cap));
          }
          expect(typeof s.close).toBe('function');
        });
      },
      TEST_MS,
    );

    it(
      'lists exactly the expected neighbours with remote AS and state',
      async () => {
        const want = fx.expected
          .map((e) => ({ vrf: e.vrf, peer_ip: e.peer_ip, remote_asn: e.remote_asn, state: e.state }))
          .sort((a, b) => key(a).localeCompare(key(b)));
        await expect
          .poll(
            async () =>
              (await withSession((s) => s.listNeighbors()))
                .map((n) => ({ vrf: n.vrf, peer_ip: n.peer_ip, remote_asn: n.remote_asn, state: n.state }))
                .sort((a, b) => key(a).localeCompare(key(b))),
            { timeout: WAIT_MS, interval: 500 },
          )
          .toEqual(want);
      },
      TEST_MS,
    );

    it(
      'gives numeric per-family counts and consistent totals for established sessions',
      async () => {
        const list = await withSession((s) => s.listNeighbors());
        const established = list.filter((n) => n.state === 'established');
        expect(established.length).toBe(fx.expected.filter((e) => e.state === 'established').length);
        for (const n of established) {
          expect(n.families.length, n.peer_ip).toBeGreaterThan(0);
          expect(n.admin_down).toBe(false);
          for (const f of n.families) {
            expect(f.afi_safi).toMatch(/^[a-z0-9]+(-[a-z0-9]+)+$/);
            for (const k of ['received', 'accepted', 'advertised'] as const)
              expect(typeof f[k], `${n.peer_ip} ${f.afi_safi} ${k}`).toBe('number');
          }
          expect(n.prefixes_accepted).toBe(n.families.reduce((a, f) => a + (f.accepted ?? 0), 0));
          expect(n.prefixes_advertised).toBe(n.families.reduce((a, f) => a + (f.advertised ?? 0), 0));
          if (n.since !== null) expect(Number.isNaN(Date.parse(n.since))).toBe(false);
        }
      },
      TEST_MS,
    );

    it(
      'takes a neighbour down and up again on the device (admin_state)',
      async () => {
        if (!driver.capabilities.includes('admin_state')) {
          // A driver without the capability must not offer the method either.
          await withSession(async (s) => expect(s.setAdminState).toBeUndefined());
          return;
        }
        if (!fx.toggle) throw new Error('the fixture names no neighbour to toggle for a driver with admin_state');
        const peer = fx.toggle;
        try {
          await withSession(async (s) => {
            await s.setAdminState!(peer, false, 'Peerdesk conformance test');
            if (fx.observe) await fx.observe(peer, false);
            await expect
              .poll(async () => find(await s.listNeighbors(), peer), { timeout: WAIT_MS, interval: 300 })
              .toMatchObject({ state: 'admin-down', admin_down: true });
          });
        } finally {
          await withSession((s) => s.setAdminState!(peer, true));
        }
        if (fx.observe) await fx.observe(peer, true);
        await expect
          .poll(async () => find(await withSession((s) => s.listNeighbors()), peer), {
            timeout: WAIT_MS,
            interval: 500,
          })
          .toMatchObject({ state: 'established', admin_down: false });
      },
      TEST_MS,
    );

    it(
      'rejects with router_unreachable for a router it cannot reach',
      async () => {
        const target = fx.unreachable ?? (await unreachableTarget(fx.router));
        const attempt = withSession((s) => s.listNeighbors(), target, { timeoutMs: 5_000 });
        await expect(attempt).rejects.toBeInstanceOf(UpstreamError);
        await expect(attempt).rejects.toMatchObject({ code: 'router_unreachable' });
      },
      TEST_MS,
    );

    it('refuses local sockets outside the allowed directories without saying whether they exist', async () => {
      const host = fx.router.hostname ?? '';
      if (!host.startsWith('unix:') && !host.startsWith('vtysh:')) {
        // A router reached over the network: the driver's own forms must not include local sockets unless
        // another fixture of this driver covers them.
        const localForms = driver.hostnameForms.filter((f) => /^(unix|vtysh):/.test(f));
        expect(localForms.length === 0 || ['frr', 'bird2'].includes(driver.name)).toBe(true);
        return;
      }
      const scheme = host.startsWith('unix:') ? 'unix:' : 'vtysh:';
      const errorFor = async (hostname: string) => {
        try {
          await withSession(
            (s) => s.listNeighbors(),
            { ...fx.router, hostname },
            { socketDirs: ['/nonexistent-peerdesk-dir'] },
          );
          return null;
        } catch (err) {
          return { code: (err as UpstreamError).code, message: (err as Error).message };
        }
      };
      const existing = await errorFor(host);
      const missing = await errorFor(`${scheme}/nonexistent-peerdesk-dir-2/x`);
      expect(existing).toMatchObject({ code: 'socket_not_allowed' });
      expect(missing).toEqual(existing);
    });

    it('logged every device command and no secret', () => {
      expect(logs.length).toBeGreaterThan(0);
      const secrets: string[] = [];
      const c = fx.router.credentials ?? {};
      for (const v of [c.password, c.ssh_passphrase, c.api_token]) if (v && v.length >= 4) secrets.push(v);
      if (c.ssh_private_key) {
        // Any long run of the key's base64 body would be a leak.
        for (const line of c.ssh_private_key.split('\n'))
          if (/^[A-Za-z0-9+/=]{40,}$/.test(line.trim())) secrets.push(line.trim().slice(0, 40));
      }
      for (const line of logs)
        for (const s of secrets) expect(line.includes(s), `secret in log line: ${line.slice(0, 80)}`).toBe(false);
    });
  });
}
