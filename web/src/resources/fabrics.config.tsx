// Fabrics: exchanges, private interconnects and transit where sessions run.
import type { Schemas } from '../api/client';
import { StatusBadge } from '../components/badges';
import { FabricPeeringDb, MaintenanceMail } from './panels';
import { FabricType } from '../api/enums';
import { text, mono, nameLink, col, idCol, descCol, descField, statusField, statusFilter, options } from './common';
import { defineConfig } from './types';

const FABRIC_TYPES = options(FabricType);
export const fabrics = defineConfig<Schemas['Fabric']>({
  path: 'fabrics',
  title: 'Fabrics',
  singular: 'Fabric',
  label: (r) => r.name,
  columns: [
    idCol,
    col('name', 'Name', nameLink('fabrics'), { sort: 'name' }),
    col('slug', 'Slug', mono('slug')),
    col('type', 'Type', text('type'), { sort: 'type' }),
    col('status', 'Status', (r) => <StatusBadge status={r.status} />),
    col('peeringdb_ix_id', 'PeeringDB IX', text('peeringdb_ix_id')),
    col('default_peer_group', 'Default peer group', text('default_peer_group'), { hidden: true }),
    descCol,
  ],
  filters: [{ name: 'type', label: 'Type', kind: 'multi', options: FABRIC_TYPES }, statusFilter],
  fields: [
    { name: 'name', label: 'Name', kind: 'text', required: true },
    { name: 'slug', label: 'Slug', kind: 'slug', emptyAs: 'omit', help: 'derived from the name when empty' },
    { name: 'type', label: 'Type', kind: 'select', options: FABRIC_TYPES },
    statusField,
    { name: 'peeringdb_ix_id', label: 'PeeringDB IX id', kind: 'int', min: 1, emptyAs: 'null' },
    { name: 'default_peer_group', label: 'Default peer group (name)', kind: 'text', emptyAs: 'null' },
    descField,
  ],
  show: { status: (r) => <StatusBadge status={r.status} /> },
  related: (r) => [
    { title: 'Networks', res: 'peering-networks', fixed: { fabric: r.id }, addQuery: `fabric=${r.id}` },
    { title: 'Connections', res: 'peering-connections', fixed: { fabric: r.id } },
    { title: 'Sessions', res: 'peering-sessions', fixed: { fabric: r.id } },
  ],
  panels: (r) => (
    <>
      <MaintenanceMail scope="fabric" row={r} />
      <FabricPeeringDb row={r} />
    </>
  ),
});
