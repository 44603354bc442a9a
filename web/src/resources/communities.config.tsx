// BGP communities: standard, extended and large, with their role.
import type { Schemas } from '../api/client';
import { CommunityKind, CommunityRole } from '../api/enums';
import { text, mono, nameLink, col, idCol, descCol, descField, options } from './common';
import { defineConfig } from './types';

const KINDS = options(CommunityKind);
const ROLES = options(CommunityRole);

export const communities = defineConfig<Schemas['Community']>({
  path: 'communities',
  title: 'Communities',
  singular: 'Community',
  label: (r) => r.name,
  columns: [
    idCol,
    col('name', 'Name', nameLink('communities'), { sort: 'name' }),
    col('value', 'Value', mono('value'), { sort: 'value' }),
    col('kind', 'Kind', text('kind'), { sort: 'kind' }),
    col('role', 'Role', text('role')),
    descCol,
  ],
  filters: [
    { name: 'kind', label: 'Kind', kind: 'select', options: KINDS },
    { name: 'role', label: 'Role', kind: 'select', options: ROLES },
  ],
  fields: [
    { name: 'name', label: 'Name', kind: 'text', required: true },
    { name: 'slug', label: 'Slug', kind: 'slug', emptyAs: 'omit' },
    { name: 'kind', label: 'Kind', kind: 'select', required: true, options: KINDS },
    {
      name: 'value',
      label: 'Value',
      kind: 'text',
      required: true,
      help: 'e.g. 64500:100, target:64500:1 or 64500:1:2',
    },
    { name: 'role', label: 'Role', kind: 'select', emptyAs: 'null', options: ROLES },
    descField,
  ],
});
