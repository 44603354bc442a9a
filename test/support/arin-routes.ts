// Real route data for IRR tests: ARIN's origin-AS export turned into route/route6 objects.
import { sharedData } from './shared-data.ts';
import { execFileSync } from 'node:child_process';

/** One route or route6 object as an IRR server holds it. */
export interface RouteObject {
  prefix: string;
  origin: number;
  source: string;
}

interface ArinRecord {
  prefix: string;
  originas: string;
}

/** Location of the shared data file (outside the repository, read in place). */
export const ARIN_ORIGINAS_PATH = sharedData('irr', 'arin-whois-originas.json.bz2');

let cached: { v4: RouteObject[]; v6: RouteObject[] } | null = null;

/**
 * Loads the ARIN records once per process (bzip2 -dc + JSON.parse take ~0.5 s; every
 * later caller gets the same arrays, so treat them as read-only).
 */
export function loadArinRoutes(source = 'ARIN'): { v4: RouteObject[]; v6: RouteObject[] } {
  if (cached && (cached.v4[0]?.source ?? source) === source) return cached;
  // The system bzip2 keeps the project free of a decompression dependency.
  const json = execFileSync('bzip2', ['-dc', ARIN_ORIGINAS_PATH], { maxBuffer: 256 * 1024 * 1024 }).toString('utf8');
  const doc = JSON.parse(json) as { whois_records: { v4: ArinRecord[]; v6: ArinRecord[] } };
  const convert = (records: ArinRecord[]): RouteObject[] => {
    const out: RouteObject[] = [];
    for (const r of records) {
      const origin = Number(r.originas.replace(/^AS/i, ''));
      if (!Number.isInteger(origin)) continue;
      out.push({ prefix: r.prefix, origin, source });
    }
    return out;
  };
  cached = { v4: convert(doc.whois_records.v4), v6: convert(doc.whois_records.v6) };
  return cached;
}

/** Origins sorted by how many IPv4 routes they have, largest first (handy for building big sets). */
export function originsByRouteCount(routes: RouteObject[]): Array<{ origin: number; count: number }> {
  const counts = new Map<number, number>();
  for (const r of routes) counts.set(r.origin, (counts.get(r.origin) ?? 0) + 1);
  return [...counts]
    .map(([origin, count]) => ({ origin, count }))
    .sort((a, b) => b.count - a.count || a.origin - b.origin);
}
