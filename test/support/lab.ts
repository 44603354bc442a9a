// Lab helpers: tests that need a Debian package skip with a reason, or fail under PEERDESK_REQUIRE_LAB=1.
import { execFileSync } from 'node:child_process';

/** True when CI demands that every lab dependency is present. */
export const labRequired = process.env.PEERDESK_REQUIRE_LAB === '1';

/** Absolute path of an executable on PATH (or common sbin dirs), or null. */
export function findTool(name: string): string | null {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/lib/frr', '/sbin', '/usr/bin']) {
    if (!dir) continue;
    try {
      execFileSync('test', ['-x', `${dir}/${name}`]);
      return `${dir}/${name}`;
    } catch {
      /* not here */
    }
  }
  return null;
}

/**
 * Returns a skip reason when `tool` is missing (for `describe.skipIf`), or throws when
 * PEERDESK_REQUIRE_LAB=1 so a missing lab package fails CI instead of hiding.
 */
export function labSkipReason(tool: string, pkg = tool): string | null {
  if (findTool(tool)) return null;
  const reason = `${tool} not installed (Debian package ${pkg})`;
  if (labRequired) throw new Error(`PEERDESK_REQUIRE_LAB=1 but ${reason}`);
  console.warn(`skipping: ${reason}`);
  return reason;
}
