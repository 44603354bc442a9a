// Relationships: the session types (transit, peering…) with their badge colour.
import type { Schemas } from '../api/client';
import { RelationshipBadge, colourOf } from '../components/badges';
import { text, mono, nameLink, col, idCol, descField } from './common';
import { defineConfig } from './types';

export const relationships = defineConfig<Schemas['Relationship']>({
  path: 'relationships',
  title: 'Relationships',
  singular: 'Relationship',
  label: (r) => r.name,
  columns: [
    idCol,
    col('name', 'Name', nameLink('relationships'), { sort: 'name' }),
    col('slug', 'Slug', mono('slug'), { sort: 'slug' }),
    col('badge', 'Badge', (r) => <RelationshipBadge rel={r} />, { csv: (r) => r.color }),
    col(
      'color',
      'Colour',
      (r) => (
        <span className="mono">
          <span className="swatch" style={{ background: colourOf(r.color).bg }} /> {r.color}
        </span>
      ),
      { hidden: true },
    ),
    col('description', 'Description', text('description')),
  ],
  filters: [{ name: 'slug', label: 'Slug', kind: 'text' }],
  fields: [
    { name: 'name', label: 'Name', kind: 'text', required: true },
    { name: 'slug', label: 'Slug', kind: 'slug', help: 'derived from the name when empty', emptyAs: 'omit' },
    {
      name: 'color',
      label: 'Colour',
      kind: 'color',
      help: 'six hex digits (4caf50) or a colour name',
      emptyAs: 'omit',
    },
    descField,
  ],
  show: { color: (r) => <RelationshipBadge rel={r} /> },
  related: (r) => [{ title: 'Sessions', res: 'peering-sessions', fixed: { relationship_id: r.id } }],
});
