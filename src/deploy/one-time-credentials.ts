// One-time router credentials (Config Manager): held in this process's memory for one job only, keyed
// by the job id, never written to the database, a job payload, a log or the change log. A job that
// runs in another worker process finds no entry and fails instead of using the stored credentials.
import type { RouterCredentials } from '../drivers/driver.types.ts';

// Entries nobody took (the job was cancelled, or ran elsewhere) are dropped after this long.
const TTL_MS = 6 * 3600_000;
const held = new Map<number, { credentials: RouterCredentials; expires: number }>();

function sweep(): void {
  const t = Date.now();
  for (const [k, v] of held) if (v.expires <= t) held.delete(k);
}

/** Holds credentials for the job `jobId` (until it takes them, or the TTL ends). */
export function holdCredentials(jobId: number, credentials: RouterCredentials): void {
  sweep();
  held.set(jobId, { credentials: { ...credentials }, expires: Date.now() + TTL_MS });
}

/** Takes (and forgets) the credentials held for a job; null when this process holds none. */
export function takeCredentials(jobId: number): RouterCredentials | null {
  sweep();
  const e = held.get(jobId);
  held.delete(jobId);
  return e ? e.credentials : null;
}

/** Forgets the credentials of a job that will not run (its transaction failed). */
export function dropCredentials(jobId: number): void {
  held.delete(jobId);
}

/** How many jobs hold credentials now (tests). */
export function heldCount(): number {
  sweep();
  return held.size;
}
