// Template versions: every save of a config or e-mail template is kept with its diff.
import type { Kysely } from 'kysely';

type Db = Kysely<any>;

function isPg(db: Db): boolean {
  return (db.getExecutor().adapter as object).constructor.name.toLowerCase().includes('postgres');
}

export async function up(db: Db): Promise<void> {
  const pg = isPg(db);
  await db.schema
    .createTable('config_template_versions')
    .addColumn('id', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('template_id', pg ? 'bigint' : 'integer', (c) =>
      c.notNull().references('config_templates.id').onDelete('cascade'),
    )
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('options', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('diff', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addUniqueConstraint('config_template_versions_unique', ['template_id', 'version'])
    .execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('config_template_versions').ifExists().execute();
}
