// A template's history: every saved body and options as a numbered version with the unified diff
// from the one before (the shared versions machinery in platform/versions.ts).
import type { Selectable } from 'kysely';
import type { Executor } from '../platform/db.ts';
import { now } from '../platform/db.ts';
import type { ConfigTemplateVersionsTable } from '../platform/db.types.ts';
import { appendVersion, latestVersion, textDiff, type VersionHistory } from '../platform/versions.ts';

/** A template's saved versions, each with the unified diff from the one before. */
export const TEMPLATE_VERSIONS: VersionHistory<TemplateVersion> = {
  table: 'config_template_versions',
  owner: 'template_id',
};
/** One saved version of a template. */
export type TemplateVersion = Selectable<ConfigTemplateVersionsTable>;

/** Records a new version of a template with the diff from the previous one (nothing when unchanged). */
export async function recordTemplateVersion(db: Executor, id: number, username: string | null): Promise<void> {
  const t = await db.selectFrom('config_templates').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const prev = await latestVersion(db, TEMPLATE_VERSIONS, id);
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
