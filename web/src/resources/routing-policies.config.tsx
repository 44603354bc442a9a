// Routing policies: import / export policies referenced by peers and groups.
import type { Schemas } from '../api/client';
import { RoutingPolicyDirection } from '../api/enums';
import { FAMILY, text, mono, nameLink, col, idCol, descCol, descField, options } from './common';
import { defineConfig } from './types';

const DIRECTIONS = options(RoutingPolicyDirection);

export const policies = defineConfig<Schemas['RoutingPolicy']>({
  path: 'routing-policies',
  title: 'Policies',
  singular: 'Routing policy',
  label: (r) => r.name,
  columns: [
    idCol,
    col('name', 'Name', nameLink('routing-policies'), { sort: 'name' }),
    col('slug', 'Slug', mono('slug')),
    col('direction', 'Direction', text('direction')),
    col('weight', 'Weight', text('weight'), { sort: 'weight', align: 'right' }),
    col('address_family', 'Family', (r) => (r.address_family ? `IPv${r.address_family}` : 'both')),
    descCol,
  ],
  filters: [{ name: 'direction', label: 'Direction', kind: 'select', options: DIRECTIONS }],
  fields: [
    { name: 'name', label: 'Name', kind: 'text', required: true },
    { name: 'slug', label: 'Slug', kind: 'slug', emptyAs: 'omit' },
    { name: 'direction', label: 'Direction', kind: 'select', required: true, options: DIRECTIONS },
    { name: 'weight', label: 'Weight', kind: 'int', min: 0, emptyAs: 'omit' },
    {
      name: 'address_family',
      label: 'Address family',
      kind: 'select',
      options: [{ value: '0', label: 'both' }, ...FAMILY],
    },
    {
      name: 'config',
      label: 'Config (JSON)',
      kind: 'json',
      span: 2,
      get: (r) => JSON.stringify(r.config ?? {}, null, 2),
    },
    descField,
  ],
});
