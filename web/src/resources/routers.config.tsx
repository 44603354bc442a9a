// Routers: where BGP peers live, polled and configured.
import type { Schemas } from '../api/client';
import { BoolBadge, StatusBadge } from '../components/badges';
import { asText, fmtTime } from '../components/format';
import { RouterStateSummary, RouterDeployments, MaintenanceMail } from './panels';
import { refCell, refCsv, mono, nameLink, col, idCol, descCol, descField, statusField, statusFilter } from './common';
import { defineConfig } from './types';

export const routers = defineConfig<Schemas['Router']>({
  path: 'routers',
  title: 'Routers',
  singular: 'Router',
  label: (r) => r.name,
  columns: [
    idCol,
    col('name', 'Name', nameLink('routers'), { sort: 'name' }),
    col('hostname', 'Management address', mono('hostname')),
    col('platform', 'Platform', refCell('platform'), { csv: refCsv('platform') }),
    col('local_asn', 'Local ASN', (r) => asText(r.local_asn), { sort: 'local_asn', csv: (r) => r.local_asn }),
    col('router_id', 'Router-ID', mono('router_id')),
    col('status', 'Status', (r) => <StatusBadge status={r.status} />, { sort: 'status' }),
    col('peers', 'Peers (up / total)', (r) => `${r.established_count} / ${r.peer_count}`, {
      csv: (r) => `${r.established_count}/${r.peer_count}`,
    }),
    col('polling_enabled', 'Polling', (r) => <BoolBadge value={r.polling_enabled} />, { hidden: true }),
    col('last_polled_at', 'Last polled', (r) => fmtTime(r.last_polled_at), { hidden: true }),
    descCol,
  ],
  filters: [
    { name: 'platform', label: 'Platform', kind: 'ref', ref: 'platforms' },
    { name: 'local_asn', label: 'Local ASN', kind: 'text', width: 120 },
    statusFilter,
  ],
  fields: [
    { name: 'name', label: 'Name', kind: 'text', required: true },
    { name: 'hostname', label: 'Management address', kind: 'text', emptyAs: 'null' },
    { name: 'platform', label: 'Platform', kind: 'ref', ref: 'platforms', emptyAs: 'null' },
    { name: 'local_asn', label: 'Local ASN', kind: 'asn', required: true },
    { name: 'router_id', label: 'Router-ID', kind: 'ip', emptyAs: 'null', help: 'an IPv4 address' },
    statusField,
    {
      name: 'config_template',
      label: 'Config template',
      kind: 'ref',
      ref: 'templates',
      emptyAs: 'null',
      help: 'rendered for this router by Config Manager and render-config',
    },
    { name: 'polling_enabled', label: 'Poll BGP state', kind: 'bool' },
    descField,
  ],
  hideOnDetail: ['credentials'],
  show: {
    status: (r) => <StatusBadge status={r.status} />,
    credentials_set: (r) => <BoolBadge value={r.credentials_set} />,
  },
  related: (r) => [
    { title: 'BGP peers', res: 'bgp-peers', fixed: { router: r.id }, addQuery: `router=${r.id}` },
    { title: 'Peer groups', res: 'peer-groups', fixed: { router: r.id }, addQuery: `router=${r.id}` },
    { title: 'Connections', res: 'peering-connections', fixed: { router: r.id }, addQuery: `router=${r.id}` },
  ],
  panels: (r) => (
    <>
      <RouterStateSummary row={r} />
      <MaintenanceMail scope="router" row={r} />
      <RouterDeployments row={r} />
    </>
  ),
});
