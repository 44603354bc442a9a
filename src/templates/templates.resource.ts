// Config templates: stored Jinja2 templates (router configs and e-mails); every save is a version.
import { z } from 'zod';
import type { Updateable } from 'kysely';
import { recordTemplateVersion } from './template-versions.service.ts';
import { baseOutput, optText } from '../platform/fields.ts';
import {
  assertUnique,
  json,
  resourceQuery,
  textFilter,
  enumFilter,
  idFilter,
  type Resource,
  type RowOf,
} from '../platform/crud.ts';
import { storedEnum, type Executor } from '../platform/db.ts';
import type { ConfigTemplatesTable } from '../platform/db.types.ts';
import { ConflictError, ValidationError } from '../platform/errors.ts';
import { TemplateSyntaxError } from './engine/index.ts';
import { createPeerdeskEnvironment } from './environment.ts';
import { checkSyntaxIsolated } from './render-pool.ts';

/** What a stored template renders: a router's configuration, or an e-mail. */
export const TEMPLATE_KINDS = ['router', 'email'] as const;

export const templateOptions = z
  .object({
    trim_blocks: z.boolean().optional(),
    lstrip_blocks: z.boolean().optional(),
    keep_trailing_newline: z.boolean().optional(),
    undefined: z
      .enum(['default', 'strict'])
      .optional()
      .describe('strict: an undefined name is an error (default for new jinja2 templates)'),
    dialect: z
      .enum(['jinja2', 'netbox', 'peering-manager'])
      .optional()
      .describe(
        'filter set: jinja2 (default for new templates), netbox, peering-manager (stored templates without one)',
      ),
  })
  .strict()
  .meta({ id: 'TemplateOptions' });

export type TemplateOptions = z.infer<typeof templateOptions>;

/**
 * Engine options from stored template options. Options without a dialect are those of templates stored
 * before dialects existed: they keep what they had (Peering Manager's filters, undefined renders empty).
 */
export function engineOptions(o: TemplateOptions) {
  return {
    trimBlocks: o.trim_blocks ?? false,
    lstripBlocks: o.lstrip_blocks ?? false,
    keepTrailingNewline: o.keep_trailing_newline ?? false,
    undefined: o.undefined ?? 'default',
    dialect: o.dialect ?? 'peering-manager',
  } as const;
}

/**
 * Options of a new template: dialect `jinja2` unless given; strict undefined for jinja2 templates and
 * lenient for those imported from NetBox or Peering Manager (dialect netbox / peering-manager), which
 * rendered undefined names as empty strings where they came from.
 */
export function newTemplateOptions(o: TemplateOptions = {}): TemplateOptions {
  const dialect = o.dialect ?? 'jinja2';
  return { ...o, dialect, undefined: o.undefined ?? (dialect === 'jinja2' ? 'strict' : 'default') };
}

/** Options the shipped templates render with. */
export const SHIPPED_TEMPLATE_OPTIONS: TemplateOptions = { dialect: 'jinja2', undefined: 'strict' };

/** Compiles a template body and turns a syntax error into a field error with line and column. */
export function checkSyntax(
  body: string,
  options: TemplateOptions,
  field = 'body',
  loader?: (name: string) => string | undefined,
): void {
  try {
    createPeerdeskEnvironment({ ...engineOptions(options), loader }).fromString(body);
  } catch (err) {
    if (err instanceof TemplateSyntaxError) {
      throw new ValidationError([
        {
          field,
          message: `line ${err.line}, column ${err.column}: ${err.message.replace(/ \(<template>, line \d+, column \d+\)$/, '')}`,
        },
      ]);
    }
    throw err;
  }
}

/** checkSyntax, compiled in the render pool (a huge or deeply nested body cannot stall the server). */
export async function checkSyntaxIsolatedField(
  body: string,
  options: TemplateOptions,
  field = 'body',
  templates: Record<string, string> = {},
): Promise<void> {
  try {
    await checkSyntaxIsolated({ body, name: '<template>', options: engineOptions(options), templates });
  } catch (err) {
    if (err instanceof TemplateSyntaxError) {
      throw new ValidationError([
        {
          field,
          message: `line ${err.line}, column ${err.column}: ${err.message.replace(/ \(<template>, line \d+, column \d+\)$/, '')}`,
        },
      ]);
    }
    throw err;
  }
}

const input = z
  .object({
    name: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .regex(/^[A-Za-z0-9_.\- ]+$/, 'use letters, digits, space, _ . -'),
    kind: z.enum(TEMPLATE_KINDS).optional(),
    body: z.string().max(2_000_000),
    options: templateOptions.optional(),
    description: optText,
  })
  .strict();
/** A template write's validated input (PATCH gives a subset). */
type TemplateInput = z.infer<typeof input>;

const output = z
  .object({
    name: z.string(),
    kind: z.enum(TEMPLATE_KINDS),
    body: z.string(),
    options: templateOptions,
    description: z.string().nullable(),
    router_count: z.number().int(),
    ...baseOutput,
  })
  .meta({ id: 'ConfigTemplate' });

const templateQuery = (db: Executor) =>
  resourceQuery(
    db
      .selectFrom('config_templates as t')
      .selectAll('t')
      .select((eb) =>
        eb
          .selectFrom('routers as r')
          .select(eb.fn.countAll().as('c'))
          .whereRef('r.config_template_id', '=', 't.id')
          .as('router_count'),
      ),
  );

export const configTemplates: Resource<RowOf<typeof templateQuery>, TemplateInput> = {
  path: 'templates',
  objectType: 'config-template',
  table: 'config_templates',
  tag: 'templates',
  writeRole: 'admin',
  input,
  output,
  briefOutput: z.object({ id: z.number().int(), name: z.string(), kind: z.enum(TEMPLATE_KINDS) }),
  query: templateQuery,
  present: (r) => ({
    id: Number(r.id),
    name: r.name,
    kind: storedEnum(TEMPLATE_KINDS, r.kind, 'template kind'),
    body: r.body,
    options: json<TemplateOptions>(r.options, {}),
    description: r.description ?? null,
    router_count: Number(r.router_count ?? 0),
    created_at: r.created_at,
    updated_at: r.updated_at,
    version: Number(r.version),
  }),
  brief: (r) => ({ id: Number(r.id), name: r.name, kind: storedEnum(TEMPLATE_KINDS, r.kind, 'template kind') }),
  filters: { id: idFilter('t.id'), kind: enumFilter('t.kind', TEMPLATE_KINDS), name: textFilter('t.name') },
  search: ['t.name', 't.description'],
  ordering: { name: 't.name', kind: 't.kind', updated_at: 't.updated_at', id: 't.id' },
  defaultOrdering: 'name',
  async prepare(inp, ctx, existing) {
    if ('name' in inp)
      await assertUnique(ctx.db, 'config_templates', 'name', inp.name, existing ? Number(existing.id) : null);
    const old = json<TemplateOptions>(existing?.options, {});
    // A new template gets the new defaults; an update keeps the stored dialect and undefined unless given.
    const options: TemplateOptions = existing
      ? 'options' in inp
        ? {
            ...(old.dialect ? { dialect: old.dialect } : {}),
            ...(old.undefined ? { undefined: old.undefined } : {}),
            ...(inp.options ?? {}),
          }
        : old
      : newTemplateOptions(inp.options ?? {});
    const body = inp.body ?? existing?.body;
    // The schema requires a body on create; an update without one keeps the stored body.
    if (body === undefined) throw new ValidationError('body', 'a template body is required');
    // Includes resolve against other stored templates and the shipped ones.
    const others = await ctx.db.selectFrom('config_templates').select(['name', 'body']).execute();
    const byName = new Map(others.map((o) => [o.name, o.body]));
    await checkSyntaxIsolatedField(body, options, 'body', Object.fromEntries(byName));
    const values: Updateable<ConfigTemplatesTable> = {};
    if ('name' in inp) values.name = inp.name;
    if ('kind' in inp) values.kind = inp.kind;
    if ('body' in inp) values.body = inp.body;
    if ('description' in inp) values.description = inp.description;
    if ('options' in inp || !existing) values.options = JSON.stringify(options);
    return values;
  },
  async afterWrite(id, _inp, ctx) {
    await recordTemplateVersion(ctx.db, id, ctx.principal?.username ?? null);
  },
  async beforeDelete(row, ctx) {
    const used = await ctx.db
      .selectFrom('routers')
      .select('name')
      .where('config_template_id', '=', row.id)
      .executeTakeFirst();
    if (used) throw new ConflictError(`template ${row.name} is the default of router ${used.name}`, [], 'protected');
  },
  repr: (r) => r.name,
};
