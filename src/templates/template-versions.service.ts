// A template's history: every saved body and options as a numbered version with the unified diff
// from the one before (the shared versions machinery in platform/versions.ts).
import type { Selectable } from 'kysely';
import type { Executor } from '../platform/db.ts';
import { now } from '../platform/db.ts';
import type { ConfigTemplateVersionsTable } from '../platform/db.types.ts';
import { appendVersion, textDiff, type VersionHistory } from '../platform/versions.ts';

/** A template's saved versions, each with the unified diff from the one before. */
export const TEMPLATE_VERSIONS: VersionHistory = { table: 'config_template_versions', owner: 'template_id' };
/** One saved version of a template. */
export type TemplateVersion = Selectable<ConfigTemplateVersionsTable>;

/** Every saved version of a template, newest first. */
export async function listTemplateVersions(db: Executor, id: number): Promise<TemplateVersion[]> {
  return db
    .selectFrom('config_template_versions')
    .selectAll()
    .where('template_id', '=', id)
    .orderBy('version', 'desc')
    .execute();
}

/** Records a new version of a template with the diff from the previous one (nothing when unchanged). */
export async function recordTemplateVersion(db: Executor, id: number, username: string | null): Promise<void> {
  const t = await db.selectFrom('config_templates').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const prev = await db
    .selectFrom('config_template_versions')
    .selectAll()
    .where('template_id', '=', id)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (prev && prev.body === t.body && prev.options === t.options) return;
  const diff = prev
    ? textDiff(`${t.name} v${prev.version}`, `${t.name} v${Number(prev.version) + 1}`, prev.body, t.body)
    : null;
  await appendVersion(
    db,
    TEMPLATE_VERSIONS,
    id,
    { body: t.body, options: t.options, diff, created_at: now(), created_by: username },
    prev ?? null,
  );
}
