// A resource over one table with flat columns: covers the simple catalogue objects.
import { z } from 'zod';
import type { Selectable } from 'kysely';
import { dynamic, type Executor } from './db.ts';
import type { Database } from './db.types.ts';
import {
  assertUnique,
  bool,
  json,
  type Filter,
  type Query,
  type Resource,
  type Row,
  type WriteContext,
} from './crud.ts';
import { baseOutput } from './fields.ts';

/** A stored row of table `T`. */
export type TableRow<T extends keyof Database> = Selectable<Database[T]> & { id: number };

export interface SimpleSpec<T extends keyof Database & string> {
  path: string;
  objectType: string;
  table: T;
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
  repr(row: TableRow<T>): string;
  /** Fills defaults and checks cross-field rules on the merged object (input names are column names). */
  check?(merged: Row, ctx: WriteContext, existing: TableRow<T> | null): Promise<void> | void;
  defaults?(input: Row): Row;
  beforeDelete?(row: TableRow<T>, ctx: WriteContext): Promise<void>;
}

/** Builds a Resource from a flat table description. */
export function simpleResource<T extends keyof Database & string>(spec: SimpleSpec<T>): Resource<TableRow<T>> {
  const boolSet = new Set(spec.boolFields ?? []);
  const jsonSet = new Set(spec.jsonFields ?? []);
  const present = (stored: TableRow<T>): Row => {
    const row: Row = stored;
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
    // The table's own columns, as its generated type describes them (the query names it at run time).
    query: (db: Executor) =>
      dynamic(db).selectFrom(`${spec.table} as t`).selectAll() as Query<Row> as Query<TableRow<T>>,
    present,
    brief: (stored) => {
      const row: Row = stored;
      return Object.fromEntries([['id', Number(row.id)], ...spec.brief.map((k) => [k, row[k] ?? null])]);
    },
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
