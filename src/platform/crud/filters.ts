// Part of the shared REST machinery (see ../crud.ts): query-string filters and the helpers that read stored values.
import { z } from 'zod';
import { icontains } from '../db.ts';
import { INT32_MAX, str } from '../fields.ts';
import { ASN_MAX } from '../ip.ts';
import type { Filter } from './types.ts';

const list = <T extends z.ZodType>(item: T) =>
  z.preprocess(
    (v) =>
      (Array.isArray(v) ? v.flatMap((x) => String(x).split(',')) : String(v).split(','))
        .map((s) => s.trim())
        .filter(Boolean),
    z.array(item).min(1),
  );

// Integer filters are bounded to their column on both engines: ASN columns are bigint holding
// 32-bit unsigned ASNs, every other integer column (ids, VLANs, PeeringDB ids) fits 32 bits signed.
const intItem = (column: string, max?: number) =>
  z.coerce
    .number()
    .int('must be whole numbers')
    .min(0)
    .max(
      max ?? (/asn$/.test(column) ? ASN_MAX : INT32_MAX),
      `must be at most ${max ?? (/asn$/.test(column) ? ASN_MAX : INT32_MAX)}`,
    );

/** Filter on a column equal to one of a comma-separated list of integers (bounded to the column's type). */
export function idFilter(column: string, max?: number): Filter {
  return { schema: list(intItem(column, max)), apply: (q, v: number[]) => q.where(column, 'in', v) };
}
/** Filter on a column equal to one of a comma-separated list of strings. */
export function textFilter(column: string): Filter {
  return { schema: list(str().max(200)), apply: (q, v: string[]) => q.where(column, 'in', v) };
}
/** Filter on a stored enum column: one of its values (documented as the enum in the list's query). */
export function enumFilter(column: string, values: readonly [string, ...string[]]): Filter {
  return { schema: z.enum(values), apply: (q, v: string) => q.where(column, '=', v) };
}
/** Case-insensitive substring filter. */
export function containsFilter(column: string): Filter {
  return { schema: str().max(200), apply: (q, v: string) => q.where(icontains(column, v)) };
}
/** Boolean filter accepting true/false/1/0. */
export function boolFilter(column: string): Filter {
  return {
    schema: z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1'),
    apply: (q, v: boolean) => q.where(column, '=', v),
  };
}
/** Filter on a nullable reference: an id list, or `null` for "none". */
export function nullableIdFilter(column: string): Filter {
  return {
    schema: z.union([z.literal('null'), list(intItem(column))]),
    apply: (q, v: 'null' | number[]) => (v === 'null' ? q.where(column, 'is', null) : q.where(column, 'in', v)),
  };
}

// ---------- stored values -------------------------------------------------------------------

/** Normalises SQLite's 0/1 to booleans (PostgreSQL already returns booleans). */
export function bool(v: unknown): boolean {
  return v === true || v === 1 || v === '1' || v === 't';
}
/** Parses a stored JSON text column. */
export function json<T = unknown>(v: unknown, fallback: T): T {
  if (v === null || v === undefined || v === '') return fallback;
  if (typeof v !== 'string') return v as T;
  try {
    return JSON.parse(v) as T;
  } catch {
    return fallback;
  }
}
