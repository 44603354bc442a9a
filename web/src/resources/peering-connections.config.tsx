// Connections: a router's port and addresses on a fabric network.
import type { Schemas } from '../api/client';
import { StatusBadge } from '../components/badges';
import { Link } from '../app/router';
import {
  refCell,
  refCsv,
  mono,
  col,
  descCol,
  routerField,
  descField,
  statusField,
  routerFilter,
  statusFilter,
} from './common';
import { defineConfig } from './types';

export const connections = defineConfig<Schemas['PeeringConnection']>({
  path: 'peering-connections',
  title: 'Connections',
  singular: 'Connection',
  label: (r) => `${r.router?.name} ${r.interface} → ${r.network?.name}`,
  columns: [
    col('id', 'ID', (r) => <Link to={`/peering-connections/${r.id}`}>#{r.id}</Link>, { sort: 'id', width: 60 }),
    col('router', 'Router', refCell('router'), { sort: 'router', csv: refCsv('router') }),
    col(
      'interface',
      'Interface',
      (r) => (
        <Link to={`/peering-connections/${r.id}`} className="mono">
          {r.interface}
        </Link>
      ),
      { sort: 'interface' },
    ),
    col('fabric', 'Fabric', refCell('fabric'), { csv: refCsv('fabric') }),
    col('network', 'Network', refCell('network'), { sort: 'network', csv: refCsv('network') }),
    col('ipv4_address', 'IPv4', mono('ipv4_address')),
    col('ipv6_address', 'IPv6', mono('ipv6_address')),
    col('status', 'Status', (r) => <StatusBadge status={r.status} />),
    descCol,
  ],
  filters: [
    routerFilter,
    { name: 'fabric', label: 'Fabric', kind: 'ref', ref: 'fabrics' },
    { name: 'network', label: 'Network', kind: 'ref', ref: 'peering-networks' },
    statusFilter,
  ],
  fields: [
    {
      name: 'network',
      label: 'Network',
      kind: 'ref',
      ref: 'peering-networks',
      required: true,
      refLabel: (n) => `${n.fabric?.name} · ${n.name} (${n.prefix})`,
    },
    routerField,
    { name: 'interface', label: 'Interface', kind: 'text', required: true },
    {
      name: 'ipv4_address',
      label: 'Local IPv4 address',
      kind: 'ip',
      emptyAs: 'null',
      help: "ours on the fabric's IPv4 LAN",
    },
    {
      name: 'ipv6_address',
      label: 'Local IPv6 address',
      kind: 'ip',
      emptyAs: 'null',
      help: "ours on the fabric's IPv6 LAN (one connection may carry both)",
    },
    statusField,
    descField,
  ],
  show: { status: (r) => <StatusBadge status={r.status} /> },
});
