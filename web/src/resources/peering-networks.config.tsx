// Networks: the LANs (prefixes) of a fabric.
import type { Schemas } from '../api/client';
import { StatusBadge } from '../components/badges';
import { asText } from '../components/format';
import { NetworkWarnings } from './panels';
import {
  FAMILY,
  refCell,
  refCsv,
  text,
  mono,
  nameLink,
  col,
  idCol,
  descCol,
  descField,
  statusField,
  statusFilter,
} from './common';
import { defineConfig } from './types';

export const networks = defineConfig<Schemas['PeeringNetwork']>({
  path: 'peering-networks',
  title: 'Networks',
  singular: 'Network',
  label: (r) => `${r.fabric?.name ?? ''} · ${r.name}`,
  columns: [
    idCol,
    col('name', 'Name', nameLink('peering-networks'), { sort: 'name' }),
    col('fabric', 'Fabric', refCell('fabric'), { sort: 'fabric', csv: refCsv('fabric') }),
    col('prefix', 'Prefix', mono('prefix'), { sort: 'prefix' }),
    col('family', 'Family', (r) => `IPv${r.family}`),
    col('vlan', 'VLAN', text('vlan'), { sort: 'vlan' }),
    col('status', 'Status', (r) => <StatusBadge status={r.status} />),
    col('session_count', 'Sessions', (r) => r.session_count, { align: 'right' }),
    col(
      'sessions_without_source',
      'No source',
      (r) =>
        r.sessions_without_source ? (
          <span className="warn-cell" title={(r.warnings ?? []).join('\n')}>
            ⚠ {r.sessions_without_source}
          </span>
        ) : (
          ''
        ),
      { align: 'right', csv: (r) => r.sessions_without_source ?? 0 },
    ),
    col('route_server_asn', 'RS ASN', (r) => (r.route_server_asn ? asText(r.route_server_asn) : '—'), { hidden: true }),
    col('mtu', 'MTU', text('mtu'), { hidden: true }),
    col('peeringdb_ixlan_id', 'PeeringDB LAN', text('peeringdb_ixlan_id'), { hidden: true }),
    descCol,
  ],
  filters: [
    { name: 'fabric', label: 'Fabric', kind: 'ref', ref: 'fabrics' },
    { name: 'family', label: 'Family', kind: 'select', options: FAMILY, width: 100 },
    statusFilter,
  ],
  fields: [
    { name: 'fabric', label: 'Fabric', kind: 'ref', ref: 'fabrics', required: true },
    { name: 'name', label: 'Name', kind: 'text', required: true },
    { name: 'prefix', label: 'Prefix', kind: 'prefix', required: true, help: 'e.g. 198.51.100.0/24 or 2001:db8::/64' },
    { name: 'vlan', label: 'VLAN', kind: 'int', min: 1, max: 4094, emptyAs: 'null' },
    statusField,
    { name: 'route_server_asn', label: 'Route-server ASN', kind: 'asn', emptyAs: 'null' },
    { name: 'mtu', label: 'MTU', kind: 'int', min: 576, max: 65535, emptyAs: 'null' },
    { name: 'peeringdb_ixlan_id', label: 'PeeringDB IX-LAN id', kind: 'int', min: 1, emptyAs: 'null' },
    { name: 'peeringdb_ixpfx_id', label: 'PeeringDB IX prefix id', kind: 'int', min: 1, emptyAs: 'null' },
    descField,
  ],
  show: { status: (r) => <StatusBadge status={r.status} /> },
  hideOnDetail: ['warnings'],
  panels: (r) => <NetworkWarnings row={r} />,
  related: (r) => [
    { title: 'Sessions', res: 'peering-sessions', fixed: { network: r.id } },
    { title: 'Connections', res: 'peering-connections', fixed: { network: r.id }, addQuery: `network=${r.id}` },
  ],
});
