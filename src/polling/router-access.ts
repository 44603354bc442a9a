// How polling, admin actions, drift and import reach a router: its driver (from the registry, or a
// test double registered here), its target (hostname + decrypted credentials) and session options.
import type {
  DriverCapability,
  DriverLog,
  DriverSession,
  RouterDriver,
  RouterTarget,
} from '../drivers/driver.types.ts';
import { driverFor, driverInfo as registryInfo } from '../drivers/registry.ts';
import type { SecretBox } from '../platform/crypto.ts';
import { type Executor } from '../platform/db.ts';
import { pollingConfig } from '../platform/config.ts';

const overrides = new Map<string, RouterDriver>();

/** Test hook: makes `name` resolve to this driver (a fake) until unregistered. */
export function registerDriverForTests(name: string, driver: RouterDriver | null): void {
  if (driver) overrides.set(name, driver);
  else overrides.delete(name);
}

// Registry drivers once loaded (a poll looks one up per router).
const loaded = new Map<string, Promise<RouterDriver | null>>();

/** The driver for a platform driver name (test doubles first, then the registry), or null. */
export async function lookupDriver(name: string | null | undefined): Promise<RouterDriver | null> {
  if (!name) return null;
  const override = overrides.get(name);
  if (override) return override;
  let driver = loaded.get(name);
  if (!driver) {
    loaded.set(name, (driver = driverFor(name)));
    driver.catch(() => loaded.delete(name)); // (a failed load is tried again next time)
  }
  return driver;
}

// Settings come from the validated configuration (platform/config.ts: the same rules as at start).

/** Bound on routers polled at once (PEERDESK_POLL_CONCURRENCY, default 16). */
export function pollConcurrency(): number {
  return pollingConfig().PEERDESK_POLL_CONCURRENCY;
}

/** Per device call timeout (PEERDESK_DEVICE_TIMEOUT_MS, default 15 s). */
export function deviceTimeoutMs(): number {
  return pollingConfig().PEERDESK_DEVICE_TIMEOUT_MS;
}

/** Bound on an admin action answered in the request (PEERDESK_ADMIN_TIMEOUT_MS, default 60 s). */
export function adminTimeoutMs(): number {
  return pollingConfig().PEERDESK_ADMIN_TIMEOUT_MS;
}

/** Directories local router sockets may live in (PEERDESK_SOCKET_DIRS). */
export function socketDirs(): string[] {
  return pollingConfig().PEERDESK_SOCKET_DIRS;
}

/** A router as the live features need it. */
export interface RouterRow {
  id: number;
  name: string;
  hostname: string | null;
  driver: string | null;
  local_asn: number;
  credentials_enc: string | null;
  polling_enabled: boolean;
}

/** Loads routers (by id, or all when `ids` is null) with their platform's driver name, ordered by name. */
export async function loadRouters(
  db: Executor,
  ids: number[] | null,
  opts: { pollingEnabledOnly?: boolean } = {},
): Promise<RouterRow[]> {
  let q = db
    .selectFrom('routers as r')
    .leftJoin('platforms as p', 'p.id', 'r.platform_id')
    .select(['r.id', 'r.name', 'r.hostname', 'r.local_asn', 'r.credentials_enc', 'r.polling_enabled', 'p.driver']);
  if (ids) {
    if (!ids.length) return [];
    q = q.where('r.id', 'in', ids);
  }
  if (opts.pollingEnabledOnly) q = q.where('r.polling_enabled', '=', true);
  const rows = await q.orderBy('r.name').execute();
  return rows.map((r) => ({
    id: Number(r.id),
    name: r.name,
    hostname: r.hostname ?? null,
    driver: r.driver ?? null,
    local_asn: Number(r.local_asn),
    credentials_enc: r.credentials_enc ?? null,
    polling_enabled: r.polling_enabled === true || r.polling_enabled === 1,
  }));
}

/** Why a router cannot be reached through a driver with `capability`, or null when it can. */
export function unreachableReason(
  router: RouterRow,
  driver: RouterDriver | null,
  capability: DriverCapability,
): string | null {
  if (!router.driver) return 'the router has no platform';
  if (!driver) return `no driver for platform driver "${router.driver}" in this release`;
  if (!driver.capabilities.includes(capability))
    return `the ${driver.name} driver cannot ${CAPABILITY_WORDS[capability]}`;
  if (!router.hostname) return 'the router has no management address (hostname)';
  return null;
}

const CAPABILITY_WORDS: Record<DriverCapability, string> = {
  list_neighbors: 'list BGP neighbours',
  running_config: 'read the running configuration',
  admin_state: "set a neighbour's admin state on the device",
  config: 'load configuration',
  commit_confirm: 'commit with confirmation',
};

/** A job's log function (levels as the job log has them). */
export type JobLog = (message: string, level?: 'info' | 'warn' | 'error') => unknown;

/** Opens a driver session to a router with the job's log (lines prefixed with the router), signal and the configured bounds. */
export async function openSession(
  router: RouterRow,
  driver: RouterDriver,
  secrets: SecretBox | undefined,
  signal: AbortSignal,
  jobLog?: JobLog,
): Promise<DriverSession> {
  const log: DriverLog | undefined = jobLog
    ? (m, level) => {
        void jobLog(`${router.name}: ${m}`, level === 'debug' || !level ? 'info' : level);
      }
    : undefined;
  let credentials: RouterTarget['credentials'] = null;
  if (router.credentials_enc) {
    if (!secrets) throw new Error('the router has credentials but no secret key is available to decrypt them');
    try {
      credentials = JSON.parse(secrets.decrypt(router.credentials_enc));
    } catch {
      throw new Error('cannot decrypt the router credentials (was PEERDESK_SECRET_KEY changed?)');
    }
  }
  const target: RouterTarget = {
    id: router.id,
    name: router.name,
    hostname: router.hostname,
    driver: router.driver!,
    local_asn: router.local_asn,
    credentials,
  };
  return driver.open(target, { signal, log, timeoutMs: deviceTimeoutMs(), socketDirs: socketDirs() });
}

/** Runs `fn` over items with at most `limit` in flight; results keep the input order. */
export async function mapBounded<T, R>(
  items: T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  });
  await Promise.all(lanes);
  return out;
}

/** Error text for a job log or API answer: the message only (drivers never put secrets in them). */
export function errorText(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.length > 500 ? `${msg.slice(0, 500)}…` : msg;
}

/** What one platform driver can do (feeds /api/drivers/ and, through the lead's app.ts, /api/capabilities). */
export interface DriverInfo {
  name: string;
  label: string;
  capabilities: DriverCapability[];
  hostname_forms: string[];
}

/** Every platform driver name Peerdesk knows, with the driver's static facts where one exists (no driver is loaded). */
export async function driverInfo(names: readonly string[]): Promise<(DriverInfo & { available: boolean })[]> {
  return names.map((name) => {
    const d = overrides.get(name) ?? registryInfo(name);
    return d
      ? {
          name,
          label: d.label,
          capabilities: [...d.capabilities],
          hostname_forms: [...d.hostnameForms],
          available: true,
        }
      : { name, label: name, capabilities: [], hostname_forms: [], available: false };
  });
}
