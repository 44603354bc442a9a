// Catalogue objects of the BGP layer: platforms, BFD profiles, routing policies and communities.
import { z } from 'zod';
import { simpleResource } from '../platform/simple-resource.ts';
import { name, optText, slug, slugify } from '../platform/fields.ts';
import { containsFilter, idFilter, textFilter } from '../platform/crud.ts';
import { ConflictError, ValidationError } from '../platform/errors.ts';
import { protectOrReplace } from '../relationships/references.ts';

/** A routing policy's direction. */
export const POLICY_DIRECTIONS = ['import', 'export', 'import-export'] as const;
/** A community's kind (RFC 1997 standard, RFC 4360 extended, RFC 8092 large). */
export const COMMUNITY_KINDS = ['standard', 'extended', 'large'] as const;

export const DRIVERS = [
  'frr',
  'bird2',
  'gobgp',
  'junos',
  'eos',
  'iosxr',
  'sros',
  'ios',
  'nxos',
  'openbgpd',
  'manual',
] as const;

export const platforms = simpleResource({
  path: 'platforms',
  objectType: 'platform',
  table: 'platforms',
  tag: 'routing',
  writeRole: 'admin',
  fields: { name, slug: slug.optional(), driver: z.enum(DRIVERS), description: optText },
  outputFields: { name: z.string(), slug: z.string(), driver: z.string(), description: z.string().nullable() },
  unique: ['name', 'slug'],
  defaults: (i) => ({ slug: slugify(String(i.name ?? '')) }),
  filters: { id: idFilter('t.id'), driver: textFilter('t.driver'), slug: textFilter('t.slug') },
  search: ['t.name', 't.driver'],
  ordering: { name: 't.name', driver: 't.driver', id: 't.id' },
  defaultOrdering: 'name',
  brief: ['name', 'slug', 'driver'],
  repr: (r) => String(r.name),
  async beforeDelete(row, ctx) {
    const used = await ctx.db
      .selectFrom('routers')
      .select('id')
      .where('platform_id', '=', Number(row.id))
      .executeTakeFirst();
    if (used) throw new ConflictError(`platform ${row.name} is used by routers`, [], 'protected');
  },
});

export const bfdProfiles = simpleResource({
  path: 'bfd-profiles',
  objectType: 'bfd-profile',
  table: 'bfd_profiles',
  tag: 'routing',
  fields: {
    name,
    min_rx_ms: z.number().int().min(10).max(60_000).optional(),
    min_tx_ms: z.number().int().min(10).max(60_000).optional(),
    multiplier: z.number().int().min(1).max(255).optional(),
    description: optText,
  },
  outputFields: {
    name: z.string(),
    min_rx_ms: z.number().int(),
    min_tx_ms: z.number().int(),
    multiplier: z.number().int(),
    description: z.string().nullable(),
  },
  unique: ['name'],
  filters: { id: idFilter('t.id'), name: containsFilter('t.name') },
  search: ['t.name', 't.description'],
  ordering: { name: 't.name', id: 't.id' },
  defaultOrdering: 'name',
  brief: ['name'],
  repr: (r) => String(r.name),
  beforeDelete: (row, ctx) =>
    protectOrReplace(ctx, { table: 'bfd_profiles', noun: 'BFD profile', row }, [
      {
        table: 'peer_groups',
        column: 'bfd_profile_id',
        label: 'peer groups',
        one: 'peer group',
        objectType: 'peer-group',
      },
      { table: 'bgp_peers', column: 'bfd_profile_id', label: 'BGP peers', one: 'BGP peer', objectType: 'bgp-peer' },
    ]),
});

export const routingPolicies = simpleResource({
  path: 'routing-policies',
  objectType: 'routing-policy',
  table: 'routing_policies',
  tag: 'routing',
  fields: {
    name,
    slug: slug.optional(),
    direction: z.enum(POLICY_DIRECTIONS),
    weight: z.number().int().min(0).max(32767).optional(),
    address_family: z.union([z.literal(0), z.literal(4), z.literal(6)]).optional(),
    description: optText,
    config: z.record(z.string(), z.unknown()).optional(),
  },
  outputFields: {
    name: z.string(),
    slug: z.string(),
    direction: z.string(),
    weight: z.number().int(),
    address_family: z.number().int(),
    description: z.string().nullable(),
    config: z.record(z.string(), z.unknown()),
  },
  jsonFields: ['config'],
  unique: ['name', 'slug'],
  defaults: (i) => ({ slug: slugify(String(i.name ?? '')) }),
  filters: { id: idFilter('t.id'), direction: textFilter('t.direction'), slug: textFilter('t.slug') },
  search: ['t.name', 't.slug', 't.description'],
  ordering: { name: 't.name', weight: 't.weight', id: 't.id' },
  defaultOrdering: 'name',
  brief: ['name', 'slug', 'direction'],
  repr: (r) => String(r.name),
  beforeDelete: (row, ctx) =>
    protectOrReplace(ctx, { table: 'routing_policies', noun: 'routing policy', row }, [
      {
        table: 'peer_groups',
        column: 'import_policy_id',
        label: 'peer groups (import)',
        one: 'peer group (import)',
        objectType: 'peer-group',
      },
      {
        table: 'peer_groups',
        column: 'export_policy_id',
        label: 'peer groups (export)',
        one: 'peer group (export)',
        objectType: 'peer-group',
      },
      {
        table: 'bgp_peer_address_families',
        column: 'import_policy_id',
        label: 'BGP peer address families (import)',
        one: 'BGP peer address family (import)',
      },
      {
        table: 'bgp_peer_address_families',
        column: 'export_policy_id',
        label: 'BGP peer address families (export)',
        one: 'BGP peer address family (export)',
      },
    ]),
});

const WELL_KNOWN = [
  'no-export',
  'no-advertise',
  'no-export-subconfed',
  'local-as',
  'blackhole',
  'graceful-shutdown',
  'no-peer',
  'accept-own',
  'llgr-stale',
  'no-llgr',
];

/** Validates a community value of the given kind; returns an error message or null. */
export function communityError(kind: string, value: string): string | null {
  const u16 = (s: string) => /^\d{1,5}$/.test(s) && Number(s) <= 65535;
  const u32 = (s: string) => /^\d{1,10}$/.test(s) && Number(s) <= 4294967295;
  if (kind === 'standard') {
    if (WELL_KNOWN.includes(value.toLowerCase())) return null;
    const p = value.split(':');
    return p.length === 2 && u16(p[0]) && u16(p[1])
      ? null
      : 'a standard community is ASN:VALUE with both parts 0..65535 (or a well-known name such as no-export)';
  }
  if (kind === 'large') {
    const p = value.split(':');
    return p.length === 3 && p.every(u32)
      ? null
      : 'a large community is GLOBAL:LOCAL1:LOCAL2 with each part 0..4294967295';
  }
  const m = /^(rt|soo|target|origin):(.+):(\d+)$/i.exec(value);
  if (!m) return 'an extended community is TYPE:ADMIN:VALUE with TYPE rt or soo (e.g. rt:65000:100)';
  const [, , admin, val] = m;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(admin))
    return admin.split('.').every((o) => Number(o) <= 255) && u16(val)
      ? null
      : 'IP-based extended community needs a valid IPv4 address and a value 0..65535';
  if (u16(admin)) return u32(val) ? null : 'value must be 0..4294967295 for a 2-byte ASN';
  if (u32(admin)) return u16(val) ? null : 'value must be 0..65535 for a 4-byte ASN';
  return 'administrator must be an ASN or an IPv4 address';
}

export const communities = simpleResource({
  path: 'communities',
  objectType: 'community',
  table: 'communities',
  tag: 'routing',
  fields: {
    name,
    slug: slug.optional(),
    kind: z.enum(COMMUNITY_KINDS),
    value: z.string().trim().min(1).max(100),
    role: z.enum(['ingress', 'egress', 'informational']).nullable().optional(),
    description: optText,
  },
  outputFields: {
    name: z.string(),
    slug: z.string(),
    kind: z.string(),
    value: z.string(),
    role: z.string().nullable(),
    description: z.string().nullable(),
  },
  unique: ['slug'],
  defaults: (i) => ({ slug: slugify(String(i.name ?? '')) }),
  check(m) {
    // The merged object has the validated input over the stored row: both text.
    const err = communityError(String(m.kind), String(m.value));
    if (err) throw new ValidationError('value', err);
  },
  filters: {
    id: idFilter('t.id'),
    kind: textFilter('t.kind'),
    value: textFilter('t.value'),
    role: textFilter('t.role'),
  },
  search: ['t.name', 't.value', 't.description'],
  ordering: { name: 't.name', value: 't.value', kind: 't.kind', id: 't.id' },
  defaultOrdering: 'name',
  brief: ['name', 'kind', 'value'],
  repr: (r) => `${r.name} (${r.value})`,
});
