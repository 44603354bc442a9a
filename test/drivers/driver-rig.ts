// The set-up every vendor driver test shares: one simulated router for the describe block, the session a
// test opens closed after it (with the router's injected fault cleared), and the job log collected.
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { DriverSession, RouterCredentials, RouterDriver, RouterTarget } from '../../src/drivers/driver.types.ts';

/** What the rig needs of a simulated router (the NETCONF and eAPI test servers). */
export interface SimRouter {
  setFault(fault: null): void;
  close(): Promise<void>;
}

/** One describe block's simulated router and the test's driver session. */
export interface DriverRig<S extends SimRouter> {
  /** The simulated router (started in beforeAll). */
  readonly server: S;
  /** Every job-log line the sessions opened by `open` wrote. */
  readonly logs: string[];
  /** Opens a session to the router (credentials merged over the server's own) that is closed after the test. */
  open(creds?: Partial<RouterCredentials>, timeoutMs?: number, extra?: Partial<RouterTarget>): Promise<DriverSession>;
  /** Closes a session opened some other way after the test, like one from `open`. */
  track(session: DriverSession): DriverSession;
  /** Closes the test's session now (so that what follows sees the connection gone). */
  closeSession(): Promise<void>;
}

/** Registers the hooks for a simulated router and returns the rig the tests use. */
export function driverRig<S extends SimRouter>(opts: {
  driver: RouterDriver;
  start: () => Promise<S>;
  target: (server: S, creds?: Partial<RouterCredentials>) => RouterTarget;
}): DriverRig<S> {
  let server: S | null = null;
  let session: DriverSession | null = null;
  const logs: string[] = [];

  beforeAll(async () => {
    server = await opts.start();
  });
  afterAll(async () => {
    await server?.close();
  });
  afterEach(async () => {
    server?.setFault(null);
    await session?.close();
    session = null;
  });

  const rig: DriverRig<S> = {
    get server(): S {
      if (!server) throw new Error('the simulated router is not started yet (use the rig inside a test)');
      return server;
    },
    logs,
    async open(creds = {}, timeoutMs = 10_000, extra = {}) {
      const s = await opts.driver.open(
        { ...opts.target(rig.server, creds), ...extra },
        { signal: new AbortController().signal, timeoutMs, log: (m) => void logs.push(m) },
      );
      return rig.track(s);
    },
    track(s) {
      session = s;
      return s;
    },
    async closeSession() {
      const s = session;
      session = null;
      await s?.close();
    },
  };
  return rig;
}
