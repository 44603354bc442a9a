// Offline import for air-gapped networks: a folder of API pages or a single PeeringDB JSON dump.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Db } from '../platform/db.ts';
import { ValidationError } from '../platform/errors.ts';
import {
  importBatches,
  type ApplyHooks,
  type LogFn,
  type ProgressFn,
  type SyncRun,
  type TypeBatch,
} from './peeringdb.sync.ts';
import { isPdbType, type PdbObject, type PdbType } from './peeringdb.table.ts';

function dataOf(body: unknown, where: string): PdbObject[] {
  const data = (body as { data?: unknown })?.data;
  if (!Array.isArray(data))
    throw new ValidationError('path', `${where} has no "data" list (expected a PeeringDB API page)`);
  return data as PdbObject[];
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new ValidationError('path', `${file}: ${(e as Error).message}`);
  }
}

/**
 * Reads PeeringDB objects from a path: a directory laid out like the API (`<type>/page-N.json`
 * or `<type>.json`), or a single dump `{ "net": {"data": [...]}, "ix": {...}, … }`.
 * Types found are complete sets; types absent are left untouched.
 */
export async function readPeeringDbSource(path: string): Promise<TypeBatch[]> {
  const abs = resolve(path);
  let st;
  try {
    st = await stat(abs);
  } catch {
    throw new ValidationError('path', `${path} does not exist`);
  }
  const batches: TypeBatch[] = [];
  if (st.isDirectory()) {
    for (const entry of (await readdir(abs, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const name = entry.name.replace(/\.json$/, '');
      if (!isPdbType(name)) continue;
      const objects: PdbObject[] = [];
      if (entry.isDirectory()) {
        const pages = (await readdir(join(abs, entry.name))).filter((f) => /^page-\d+\.json$/.test(f));
        pages.sort((a, b) => Number(/\d+/.exec(a)![0]) - Number(/\d+/.exec(b)![0]));
        for (const p of pages)
          for (const o of dataOf(await readJson(join(abs, entry.name, p)), join(entry.name, p))) objects.push(o);
        if (!pages.length) continue;
      } else if (entry.name.endsWith('.json')) {
        for (const o of dataOf(await readJson(join(abs, entry.name)), entry.name)) objects.push(o);
      } else continue;
      batches.push({ type: name as PdbType, objects, complete: true });
    }
    if (!batches.length)
      throw new ValidationError(
        'path',
        `${path} holds no PeeringDB pages (expected folders like net/page-1.json or files like net.json)`,
      );
    return batches;
  }
  const body = (await readJson(abs)) as Record<string, unknown>;
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new ValidationError('path', `${path} is not a PeeringDB dump object`);
  for (const [type, value] of Object.entries(body)) {
    if (!isPdbType(type)) continue;
    batches.push({ type, objects: dataOf(value, `${path} → ${type}`), complete: true });
  }
  if (!batches.length)
    throw new ValidationError(
      'path',
      `${path} holds no known PeeringDB types (org, net, ix, ixlan, ixpfx, netixlan, poc, fac, netfac, ixfac)`,
    );
  return batches;
}

/** Imports a folder of pages or a dump as one atomic run (mode `import`). */
export async function importPeeringDb(
  db: Db,
  path: string,
  opts: { progress?: ProgressFn; log?: LogFn; jobId?: number | null; userId?: number | null; hooks?: ApplyHooks } = {},
): Promise<SyncRun> {
  const batches = await readPeeringDbSource(path);
  await opts.log?.(`read ${batches.map((b) => `${b.objects.length} ${b.type}`).join(', ')} from ${path}`);
  return importBatches(db, batches, { source: resolve(path), ...opts });
}
