// Zod field types shared by every domain schema: they validate and normalise input once.
import { z } from 'zod';
import { ASN_MAX, parseAsn, parseIp, parsePrefix, isIrrSetName } from './ip.ts';

/** A 32-bit ASN: 65000, "AS65000" or asdot "1.10"; normalised to a number. */
export const asn = z
  .union([z.number(), z.string()])
  .transform((v, ctx) => {
    const n = parseAsn(v);
    if (n === null) {
      ctx.addIssue({ code: 'custom', message: `must be an ASN between 0 and ${ASN_MAX} (asdot like 1.10 accepted)` });
      return z.NEVER;
    }
    return n;
  })
  .meta({ description: 'ASN (asplain or asdot)', examples: [64512] });

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

export const name = z.string().trim().min(1, 'must not be empty').max(200);
export const text = z.string().max(10_000);
export const optText = text.nullable().optional();

/** A colour as six hex digits (NetBox style) or a CSS colour name. */
export const color = z
  .string()
  .transform((v) => v.trim().replace(/^#/, '').toLowerCase())
  .refine((v) => /^[0-9a-f]{6}$/.test(v) || /^[a-z]{3,20}$/.test(v), 'must be six hex digits (e.g. 4caf50) or a colour name');

/** IRR AS-SET or ASN, optionally with a SOURCE:: prefix. */
export const irrAsSet = z
  .string()
  .trim()
  .max(200)
  .refine(isIrrSetName, 'must be an AS-SET like AS-EXAMPLE, AS64500:AS-CUSTOMERS or RIPE::AS-EXAMPLE, or an ASN like AS64500');

export const maxPrefixes = z.number().int().min(0).max(10_000_000);
export const vlan = z.number().int().min(1).max(4094);
export const id = z.number().int().min(1);
export const statusField = z.enum(['active', 'planned', 'maintenance', 'disabled', 'decommissioned']);

/** Slugifies a name for defaults. */
export function slugify(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 100) || 'x';
}

const BASE = { id: z.number().int(), created_at: z.string(), updated_at: z.string(), version: z.number().int() };
/** Output fields every stored object carries. */
export const baseOutput = BASE;
