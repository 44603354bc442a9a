// Zod field types shared by every domain schema: they validate and normalise input once.
import { z } from 'zod';
import { ASN_MAX, parseAsn, parseIp, parsePrefix, isIrrSetName } from './ip.ts';

/** Largest value of a 32-bit signed integer column (PostgreSQL `integer`). */
export const INT32_MAX = 2_147_483_647;

/** Whether a string holds a NUL character (PostgreSQL text cannot store it; SQLite truncates in places). */
export function hasNul(s: string): boolean {
  return s.includes('\u0000');
}

/** Any string without NUL: the building block for every text input (both engines accept what it accepts). */
export const str = () => z.string().refine((v) => !hasNul(v), 'must not contain NUL characters');

/** An integer that fits a 32-bit `integer` column (ids, counts, VLANs, PeeringDB ids). */
export const int32 = () =>
  z
    .number()
    .int()
    .min(-INT32_MAX - 1)
    .max(INT32_MAX);

/** A 32-bit ASN: 65000, "AS65000" or asdot "1.10"; normalised to a number. AS 0 is reserved (RFC 7607). */
export const asn = z
  .union([z.number(), z.string()])
  .transform((v, ctx) => {
    const n = parseAsn(v);
    if (n === null) {
      ctx.addIssue({ code: 'custom', message: `must be an ASN between 1 and ${ASN_MAX} (asdot like 1.10 accepted)` });
      return z.NEVER;
    }
    if (n === 0) {
      ctx.addIssue({ code: 'custom', message: 'AS 0 is reserved and cannot be used by a BGP speaker (RFC 7607)' });
      return z.NEVER;
    }
    return n;
  })
  .meta({ description: 'ASN (asplain or asdot); 0 is refused (RFC 7607)', examples: [64512] });

/** An IPv4 or IPv6 address without length; normalised to canonical text. */
export const ipAddress = z
  .string()
  .max(64)
  .transform((v, ctx) => {
    const ip = parseIp(v);
    if (!ip) {
      ctx.addIssue({ code: 'custom', message: `"${v.slice(0, 64)}" is not a valid IPv4 or IPv6 address` });
      return z.NEVER;
    }
    return ip.text;
  })
  .meta({ description: 'IP address', examples: ['198.51.100.42'] });

/** A network prefix with host bits zero; normalised to canonical text. */
export const prefix = z
  .string()
  .max(64)
  .transform((v, ctx) => {
    const p = parsePrefix(v, { strict: true });
    if ('error' in p) {
      ctx.addIssue({ code: 'custom', message: `"${v.slice(0, 64)}" ${p.error}` });
      return z.NEVER;
    }
    return p.text;
  })
  .meta({ description: 'IP prefix', examples: ['198.51.100.0/24'] });

export const slug = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'use lower-case letters, digits, - and _');

export const name = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(200)
  .refine((v) => !hasNul(v), 'must not contain NUL characters');
export const text = z
  .string()
  .max(10_000)
  .refine((v) => !hasNul(v), 'must not contain NUL characters');
export const optText = text.nullable().optional();

/** A colour as six hex digits (NetBox style) or a CSS colour name. */
export const color = z
  .string()
  .transform((v) => v.trim().replace(/^#/, '').toLowerCase())
  .refine(
    (v) => /^[0-9a-f]{6}$/.test(v) || /^[a-z]{3,20}$/.test(v),
    'must be six hex digits (e.g. 4caf50) or a colour name',
  );

/** IRR AS-SET or ASN, optionally with a SOURCE:: prefix. */
export const irrAsSet = z
  .string()
  .trim()
  .max(200)
  .refine(
    isIrrSetName,
    'must be an AS-SET like AS-EXAMPLE, AS64500:AS-CUSTOMERS or RIPE::AS-EXAMPLE, or an ASN like AS64500',
  );

export const maxPrefixes = z.number().int().min(0).max(10_000_000);
export const vlan = z.number().int().min(1).max(4094);
export const id = z.number().int().min(1).max(INT32_MAX);
export const statusField = z.enum(['active', 'planned', 'maintenance', 'disabled', 'decommissioned']);

/** Slugifies a name for defaults. */
export function slugify(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 100) || 'x'
  );
}

const BASE = { id: z.number().int(), created_at: z.string(), updated_at: z.string(), version: z.number().int() };
/** Output fields every stored object carries. */
export const baseOutput = BASE;

type AnySchema = z.ZodType;

/**
 * Bounds every integer of an input schema that has no tighter upper bound to a 32-bit column
 * (deeply: objects, arrays, optional/nullable/default wrappers). Integer inputs that are not ASNs
 * (which use `asn`, a union) are ids, counts or 32-bit columns on both engines; without this,
 * PostgreSQL answers 2^31 and above with an "out of range" error, SQLite stores them.
 */
export function boundIntegers<T extends AnySchema>(schema: T): T {
  return bound(schema) as T;
}

function bound(s: AnySchema): AnySchema {
  // Each case narrows `s` to the class its def.type names.
  switch (s.def.type) {
    case 'number': {
      const n = s as z.ZodNumber;
      if (n.isInt && (n.maxValue ?? Infinity) > INT32_MAX)
        return n.max(INT32_MAX).min(Math.max(n.minValue ?? -INT32_MAX - 1, -INT32_MAX - 1));
      return s;
    }
    case 'optional':
    case 'nullable':
    case 'default': {
      const w = s as z.ZodOptional<AnySchema> | z.ZodNullable<AnySchema> | z.ZodDefault<AnySchema>;
      const innerType = w.def.innerType;
      const inner = bound(innerType);
      if (inner === innerType) return s;
      const wrapped =
        w.def.type === 'optional'
          ? inner.optional()
          : w.def.type === 'nullable'
            ? inner.nullable()
            : inner.default(w.def.defaultValue);
      return copyMeta(s, wrapped);
    }
    case 'array': {
      const arr = s as z.ZodArray<AnySchema>;
      const el = bound(arr.def.element);
      if (el === arr.def.element) return s;
      // The same array (its checks and error messages) around the bounded element.
      return copyMeta(s, arr.clone({ ...arr.def, element: el }));
    }
    case 'object': {
      const o = s as z.ZodObject;
      const shape: Record<string, AnySchema> = {};
      let changed = false;
      for (const [k, v] of Object.entries(o.shape)) {
        shape[k] = bound(v);
        if (shape[k] !== v) changed = true;
      }
      if (!changed) return s;
      // safeExtend() keeps the object's strictness, refinements and metadata.
      return o.safeExtend(shape);
    }
    default:
      return s;
  }
}

function copyMeta(from: AnySchema, to: AnySchema): AnySchema {
  const desc = from.description;
  return desc ? to.describe(desc) : to;
}
