// Peer groups: shared neighbour settings on one router.
import type { Schemas } from '../api/client';
import { BoolBadge } from '../components/badges';
import { asText } from '../components/format';
import { refCell, refCsv, nameLink, col, idCol, descCol, routerField, descField, routerFilter } from './common';
import { defineConfig } from './types';

export const peerGroups = defineConfig<Schemas['PeerGroup']>({
  path: 'peer-groups',
  title: 'Peer groups',
  singular: 'Peer group',
  label: (r) => `${r.router?.name} · ${r.name}`,
  columns: [
    idCol,
    col('name', 'Name', nameLink('peer-groups'), { sort: 'name' }),
    col('router', 'Router', refCell('router'), { sort: 'router', csv: refCsv('router') }),
    col('remote_asn', 'Remote AS', (r) => (r.remote_asn ? asText(r.remote_asn) : '—')),
    col('import_policy', 'Import', refCell('import_policy'), { csv: refCsv('import_policy') }),
    col('export_policy', 'Export', refCell('export_policy'), { csv: refCsv('export_policy') }),
    col('peer_count', 'Peers', (r) => r.peer_count, { align: 'right' }),
    descCol,
  ],
  filters: [routerFilter],
  fields: [
    routerField,
    { name: 'name', label: 'Name', kind: 'text', required: true },
    { name: 'remote_asn', label: 'Remote ASN', kind: 'asn', emptyAs: 'null' },
    { name: 'local_asn', label: 'Local ASN', kind: 'asn', emptyAs: 'null' },
    { name: 'import_policy', label: 'Import policy', kind: 'ref', ref: 'routing-policies', emptyAs: 'null' },
    { name: 'export_policy', label: 'Export policy', kind: 'ref', ref: 'routing-policies', emptyAs: 'null' },
    { name: 'bfd_profile', label: 'BFD profile', kind: 'ref', ref: 'bfd-profiles', emptyAs: 'null' },
    { name: 'multihop', label: 'Multihop (TTL)', kind: 'int', min: 1, max: 255, emptyAs: 'null' },
    { name: 'ttl_security', label: 'TTL security', kind: 'bool' },
    { name: 'ipv4_max_prefixes', label: 'IPv4 max prefixes', kind: 'int', min: 0, emptyAs: 'null' },
    { name: 'ipv6_max_prefixes', label: 'IPv6 max prefixes', kind: 'int', min: 0, emptyAs: 'null' },
    { name: 'keepalive', label: 'Keepalive (s)', kind: 'int', min: 0, emptyAs: 'null' },
    { name: 'hold_time', label: 'Hold time (s)', kind: 'int', min: 0, emptyAs: 'null' },
    {
      name: 'password',
      label: 'MD5 password',
      kind: 'password',
      emptyAs: 'omit',
      help: 'leave empty to keep the current one',
    },
    descField,
  ],
  hideOnDetail: ['password'],
  show: { password_set: (r) => <BoolBadge value={r.password_set} /> },
  related: (r) => [{ title: 'BGP peers', res: 'bgp-peers', fixed: { peer_group: r.id } }],
});
