// Router drivers by platform driver name; a platform whose driver is absent cannot be polled yet.
import type { RouterDriver } from './driver.types.ts';

const DRIVERS: Record<string, () => Promise<RouterDriver>> = {
  bird2: async () => (await import('./bird.driver.ts')).birdDriver,
};

/** The driver for a platform's driver name, or null when Peerdesk has none for it yet. */
export async function driverFor(name: string | null | undefined): Promise<RouterDriver | null> {
  const load = name ? DRIVERS[name] : undefined;
  return load ? load() : null;
}

/** Driver names that can poll. */
export const POLLABLE_DRIVERS = Object.keys(DRIVERS);
