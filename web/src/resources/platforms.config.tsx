// Platforms: router kinds and the driver that speaks to them.
import type { Schemas } from '../api/client';
import { PlatformDriver } from '../api/enums';
import { text, mono, nameLink, col, idCol, descCol, descField, options } from './common';
import { defineConfig } from './types';

export const platforms = defineConfig<Schemas['Platform']>({
  path: 'platforms',
  title: 'Platforms',
  singular: 'Platform',
  label: (r) => r.name,
  columns: [
    idCol,
    col('name', 'Name', nameLink('platforms'), { sort: 'name' }),
    col('slug', 'Slug', mono('slug')),
    col('driver', 'Driver', text('driver'), { sort: 'driver' }),
    descCol,
  ],
  filters: [{ name: 'driver', label: 'Driver', kind: 'text' }],
  fields: [
    { name: 'name', label: 'Name', kind: 'text', required: true },
    { name: 'slug', label: 'Slug', kind: 'slug', emptyAs: 'omit' },
    { name: 'driver', label: 'Driver', kind: 'select', required: true, options: options(PlatformDriver) },
    descField,
  ],
  related: (r) => [{ title: 'Routers', res: 'routers', fixed: { platform: r.id } }],
});
