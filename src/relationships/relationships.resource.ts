// Relationship types (transit, customer, peer, IX route server…) shown as coloured badges.
import { z } from 'zod';
import { simpleResource } from '../platform/simple-resource.ts';
import { color, name, optText, slug, slugify } from '../platform/fields.ts';
import { containsFilter, idFilter, textFilter } from '../platform/crud.ts';
import { protectOrReplace } from './references.ts';

export const relationships = simpleResource({
  path: 'relationships',
  objectType: 'relationship',
  table: 'relationships',
  tag: 'peering',
  fields: { slug: slug.optional(), name, color: color.optional(), description: optText },
  outputFields: { slug: z.string(), name: z.string(), color: z.string(), description: z.string().nullable() },
  unique: ['slug', 'name'],
  defaults: (i) => ({ slug: slugify(String(i.name ?? '')), color: '9e9e9e' }),
  filters: { id: idFilter('t.id'), slug: textFilter('t.slug'), name: containsFilter('t.name') },
  search: ['t.name', 't.slug', 't.description'],
  ordering: { name: 't.name', slug: 't.slug', id: 't.id' },
  defaultOrdering: 'name',
  brief: ['slug', 'name', 'color'],
  repr: (r) => String(r.name),
  // Sessions would silently lose their type (ON DELETE SET NULL): refuse, or move them to replace_with.
  beforeDelete: (row, ctx) =>
    protectOrReplace(ctx, { table: 'relationships', noun: 'relationship', row }, [
      {
        table: 'peering_sessions',
        column: 'relationship_id',
        label: 'peering sessions',
        one: 'peering session',
        objectType: 'peering-session',
      },
    ]),
});
