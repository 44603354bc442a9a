// Part of the shared REST machinery (see ../crud.ts): what a resource is and what its writes see.
import type { SelectQueryBuilder } from 'kysely';
import type { z } from 'zod';
import type { Executor } from '../db.ts';
import type { SecretBox } from '../crypto.ts';
import type { Config } from '../config.ts';
import type { Principal, Role } from '../principal.ts';

/** A row as the machinery handles it: column names to values it does not look into. */
export type Row = Record<string, unknown>;
/** The tables a resource's query may name: any table, columns read as unknown (filters name columns at run time). */
type Tables = Record<string, Record<string, unknown>>;
/** A resource's base query, selecting rows of type `R`. */
export type Query<R extends Row = Row> = SelectQueryBuilder<Tables, string, R>;

/** A typed Kysely query as a resource's base query (filters and ordering then name its columns by string). */
export function resourceQuery<DB, TB extends keyof DB, O extends Row>(q: SelectQueryBuilder<DB, TB, O>): Query<O> {
  return q as unknown as Query<O>;
}

/** The row type a resource's `query` selects. */
export type RowOf<F> = F extends (db: Executor) => Query<infer O> ? O : never;

/** What a write sees: the transaction, the caller and the secret box. */
export interface WriteContext {
  db: Executor;
  principal: Principal | null;
  secrets: SecretBox;
  requestId?: string;
  /** The server's configuration (e.g. PEERDESK_SOCKET_DIRS for router addresses), when known. */
  config?: Config;
  /** On delete: move references to this object of the same type instead of refusing (`?replace_with=`). */
  replaceWith?: number | null;
}

/** How an object is shown: secrets only when asked for by a role allowed to see them. */
export interface PresentOptions {
  includeSecrets: boolean;
  secrets: SecretBox;
}

/** A query-string filter: its schema (for docs and parsing) and how it narrows the query. */
export interface Filter {
  schema: z.ZodType;
  apply<R extends Row>(q: Query<R>, value: unknown): Query<R>;
}

/**
 * Everything the machinery needs to serve one kind of object. `R` is the row its query selects (what
 * `present`, `repr` and the write hooks read), `In` the validated create input (PATCH gives a subset).
 */
export interface Resource<R extends Row = Row, In extends Row = Row> {
  /** URL segment under /api/, plural kebab-case. */
  path: string;
  /** Name in the change log and errors, e.g. `peer-asn`. */
  objectType: string;
  table: string;
  tag: string;
  writeRole?: Role;
  /** The full create body (strict); PATCH accepts any subset. */
  input: z.ZodObject;
  output: z.ZodType;
  briefOutput: z.ZodType;
  /** Base select (with joins) whose rows `present` understands; the main table is aliased `t`. */
  query(db: Executor): Query<R>;
  present(row: R, opts: PresentOptions): Row;
  brief(row: R): Row;
  filters: Record<string, Filter>;
  /** The main table alone (aliased `t`) for counting, when every filter is written on `t`. */
  countQuery?(db: Executor): Query;
  /** Qualified columns searched by `q`. */
  search: string[];
  /** Ordering names to qualified columns. */
  ordering: Record<string, string>;
  defaultOrdering: string;
  /** Turns validated input into column values, checking references and invariants. */
  prepare(input: Partial<In>, ctx: WriteContext, existing: R | null): Promise<Row>;
  /** Writes dependent rows (e.g. address families) after the main row. */
  afterWrite?(id: number, input: Partial<In>, ctx: WriteContext, existing: R | null): Promise<void>;
  /** Refuses or prepares a delete (e.g. 409 when protected). */
  beforeDelete?(row: R, ctx: WriteContext): Promise<void>;
  /**
   * Extra query flags of this resource's DELETE and what they do instead of a plain delete: when
   * `handle` returns a body, the answer is 202 with it (e.g. a session removed from its router first).
   */
  deleteVariant?: {
    query: z.ZodObject;
    /** The 202 answer's body (documented, and checked like every response). */
    response: z.ZodType;
    handle(id: number, query: Record<string, unknown>, ctx: WriteContext): Promise<unknown | undefined>;
  };
  repr(row: R): string;
  /** Batch-loads related rows for a page of rows (one query per relation, never per row). */
  enrich?(db: Executor, rows: R[]): Promise<void>;
  /** Secret-bearing presenters: whether include_secrets is allowed (admin only by default). */
  hasSecrets?: boolean;
}
