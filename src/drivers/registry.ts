// The one list of router drivers. Static facts (name, label, capabilities, hostname forms) come from
// small `*.info.ts` files so /api/capabilities, the platform form and the docs never load a driver;
// the driver itself (and its heavy dependencies: ssh2, grpc) is imported only when a router uses it.
import type { RouterDriver } from './driver.types.ts';
import { frrInfo } from './frr/frr.info.ts';
import { birdInfo } from './bird/bird.info.ts';
import { gobgpInfo } from './gobgp/gobgp.info.ts';
import { junosInfo } from './junos/junos.info.ts';
import { eosInfo } from './eos/eos.info.ts';
import { iosxrInfo } from './iosxr/iosxr.info.ts';

/** What the registry knows about a driver without loading it. */
export type DriverInfo = Pick<RouterDriver, 'name' | 'label' | 'capabilities' | 'hostnameForms'>;

interface Registered {
  info: DriverInfo;
  load: () => Promise<RouterDriver>;
}

const REGISTERED: Registered[] = [
  // -- open-source daemons --
  { info: frrInfo, load: async () => (await import('./frr/frr.driver.ts')).frrDriver },
  { info: birdInfo, load: async () => (await import('./bird/bird.driver.ts')).birdDriver },
  { info: gobgpInfo, load: async () => (await import('./gobgp/gobgp.driver.ts')).gobgpDriver },
  // -- vendor platforms --
  { info: junosInfo, load: async () => (await import('./junos/junos.driver.ts')).junosDriver },
  { info: eosInfo, load: async () => (await import('./eos/eos.driver.ts')).eosDriver },
  { info: iosxrInfo, load: async () => (await import('./iosxr/iosxr.driver.ts')).iosxrDriver },
];

const BY_NAME = new Map(REGISTERED.map((r) => [r.info.name, r]));

/** Static facts of every registered driver, in registry order. */
export const DRIVER_INFO: readonly DriverInfo[] = REGISTERED.map((r) => r.info);

/** Driver names that can poll (list neighbours). */
export const POLLABLE_DRIVERS: string[] = REGISTERED.filter((r) => r.info.capabilities.includes('list_neighbors')).map(
  (r) => r.info.name,
);

/** Static facts of one driver, or null. */
export function driverInfo(name: string | null | undefined): DriverInfo | null {
  return (name && BY_NAME.get(name)?.info) || null;
}

/** The driver for a platform's driver name (loaded on first use), or null when Peerdesk has none. */
export async function driverFor(name: string | null | undefined): Promise<RouterDriver | null> {
  const r = name ? BY_NAME.get(name) : undefined;
  return r ? r.load() : null;
}
