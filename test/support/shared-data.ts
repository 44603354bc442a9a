// Where the real test data lives: ../shared/data next to the checkout, wherever CI clones it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The shared data folder: PEERDESK_SHARED_DATA, else ../shared/data beside the repo, else /work/shared/data. */
export const SHARED_DATA: string = (() => {
  const candidates = [
    process.env.PEERDESK_SHARED_DATA,
    resolve(repoRoot, '../shared/data'),
    '/work/shared/data',
  ].filter(Boolean) as string[];
  return candidates.find((c) => existsSync(join(c, 'README.md'))) ?? candidates[candidates.length - 1];
})();

/** A path inside the shared data folder. */
export function sharedData(...parts: string[]): string {
  return join(SHARED_DATA, ...parts);
}
