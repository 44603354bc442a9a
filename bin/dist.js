// Which code the `peerdesk` command runs: the compiled JavaScript in dist/ when it was built from exactly
// the TypeScript sources now in src/, else the sources themselves. Plain JavaScript so that deciding costs
// no type stripping; shared by bin/peerdesk.js (checks the stamp) and scripts/build-server.ts (writes it).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';

/** Name of the stamp file that scripts/build-server.ts writes last into the output directory. */
export const STAMP = '.peerdesk-build.json';
/** Bump when the build's output changes for the same sources (compiler options, layout): older builds go stale. */
export const BUILD_FORMAT = 1;

/** Whether a path under src/ is part of the runtime (tests and test-only helpers are not compiled). */
export function isRuntimeSource(rel) {
  return rel.endsWith('.ts') && !rel.endsWith('.d.ts') && !/\.(test|test-helper|cases|fixtures)\.ts$/.test(rel);
}

/**
 * Every runtime source file under `srcDir` as [size, mtime ms], keyed by its path relative to `srcDir`
 * with forward slashes. Cheap: one directory walk and a stat per file, no reads.
 * @param {string} srcDir
 * @returns {Record<string, [number, number]>}
 */
export function sourceStats(srcDir) {
  const out = {};
  for (const rel of readdirSync(srcDir, { recursive: true })) {
    const name = String(rel);
    if (!isRuntimeSource(name)) continue;
    const st = statSync(join(srcDir, name));
    if (!st.isFile()) continue;
    out[sep === '/' ? name : name.split(sep).join('/')] = [st.size, Math.trunc(st.mtimeMs)];
  }
  return out;
}

/** SHA-256 (hex) of a file's bytes. */
export async function fileHash(file) {
  const { createHash } = await import('node:crypto');
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/**
 * Why `distDir` must not be run for the sources in `srcDir`, or null when it is fresh. Fresh means its stamp
 * lists exactly the runtime files now in src/, each with the same size and either the same modification time
 * or (when that differs: a checkout, an unpacked tarball, a touch) the same SHA-256. Any added, removed or
 * edited source makes it stale; so does a stamp from another BUILD_FORMAT or a build that did not finish.
 * @param {string} distDir
 * @param {string} srcDir
 * @returns {Promise<string | null>}
 */
export async function staleReason(distDir, srcDir) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(join(distDir, STAMP), 'utf8'));
  } catch {
    return 'it has no build stamp (not built, or the build did not finish)';
  }
  if (stamp.format !== BUILD_FORMAT || typeof stamp.sources !== 'object' || stamp.sources === null)
    return 'it was built by another version of the build';
  const built = stamp.sources;
  const now = sourceStats(srcDir);
  for (const [rel, [size, mtime]] of Object.entries(now)) {
    const was = built[rel];
    if (!Array.isArray(was)) return `src/${rel} was added after the build`;
    if (was[0] !== size) return `src/${rel} changed after the build`;
    if (was[1] !== mtime && was[2] !== (await fileHash(join(srcDir, rel)))) return `src/${rel} changed after the build`;
  }
  for (const rel of Object.keys(built)) if (!(rel in now)) return `src/${rel} was removed after the build`;
  return null;
}
