// A resource over one table with flat columns: covers the simple catalogue objects.
import { z } from 'zod';
import type { Executor } from './db.ts';
import { assertUnique, bool, json, type Filter, type Resource, type Row, type WriteContext } from './crud.ts';
import { baseOutput } from './fields.ts';

export interface SimpleSpec {
  path: string;
  objectType: string;
  table: string;
  tag: string;
  writeRole?: Resource['writeRole'];
  /** Input fields; each maps to a column of the same name. */
  fields: Record<string, z.ZodType>;
  /** Output schema for each field (defaults to the input schema's output). */
  outputFields: Record<string, z.ZodType>;
  boolFields?: string[];
  jsonFields?: string[];
  unique?: string[];
  filters: Record<string, Filter>;
  search: string[];
  ordering: Record<string, string>;
  defaultOrdering: string;
  brief: string[];
  repr(row: Row): string;
  /** Fills defaults and checks cross-field rules on the merged object. */
  check?(merged: Row, ctx: WriteContext, existing: Row | null): Promise<void> | void;
  defaults?(input: Row): Row;
  beforeDelete?(row: Row, ctx: WriteContext): Promise<void>;
}

/** Builds a Resource from a flat table description. */
export function simpleResource(spec: SimpleSpec): Resource {
  const boolSet = new Set(spec.boolFields ?? []);
  const jsonSet = new Set(spec.jsonFields ?? []);
  const present = (row: Row): Row => {
    const out: Row = { id: Number(row.id) };
    for (const k of Object.keys(spec.outputFields)) {
      const v = row[k];
      out[k] = boolSet.has(k)
        ? bool(v)
        : jsonSet.has(k)
          ? json(v, {})
          : typeof v === 'bigint'
            ? Number(v)
            : (v ?? null);
    }
    out.created_at = row.created_at;
    out.updated_at = row.updated_at;
    out.version = Number(row.version);
    return out;
  };
  const briefSchema = z.object(
    Object.fromEntries([['id', z.number().int()], ...spec.brief.map((k) => [k, spec.outputFields[k] ?? z.unknown()])]),
  );
  return {
    path: spec.path,
    objectType: spec.objectType,
    table: spec.table,
    tag: spec.tag,
    writeRole: spec.writeRole,
    input: z.object(spec.fields).strict(),
    output: z
      .object({ ...spec.outputFields, ...baseOutput })
      .meta({ id: spec.objectType.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase()) }),
    briefOutput: briefSchema,
    query: (db: Executor) => db.selectFrom(`${spec.table} as t`).selectAll('t'),
    present,
    brief: (row) => Object.fromEntries([['id', Number(row.id)], ...spec.brief.map((k) => [k, row[k] ?? null])]),
    filters: spec.filters,
    search: spec.search,
    ordering: spec.ordering,
    defaultOrdering: spec.defaultOrdering,
    async prepare(input, ctx, existing) {
      const withDefaults = existing ? input : { ...(spec.defaults?.(input) ?? {}), ...input };
      const merged: Row = { ...(existing ?? {}), ...withDefaults };
      for (const u of spec.unique ?? [])
        if (u in withDefaults)
          await assertUnique(ctx.db, spec.table, u, merged[u], existing ? Number(existing.id) : null);
      await spec.check?.(merged, ctx, existing);
      const values: Row = {};
      for (const k of Object.keys(spec.fields))
        if (k in withDefaults) values[k] = jsonSet.has(k) ? JSON.stringify(withDefaults[k] ?? {}) : withDefaults[k];
      return values;
    },
    beforeDelete: spec.beforeDelete,
    repr: spec.repr,
  };
}
