// Per-resource configs: columns, filters, form fields and related tables of every inventory object.
import type { Row } from '../api/client';
import type { Column, FilterDef } from '../components/DataTable';
import { BoolBadge, RelationshipBadge, StateWithSince, StatusBadge, colourOf } from '../components/badges';
import { asText, fmtTime } from '../components/format';
import { Link } from '../app/router';
import type { FieldSpec, ResourceConfig } from './types';
import { PeerAsnPeeringDb, RouterStateSummary, RouterDeployments, FabricPeeringDb, PeerAsnRequests, PeerAsnIrr, PeeringOpportunities, PrefixListVersions, BgpPeerSession, NetworkWarnings, MaintenanceMail } from './panels';

const STATUS = ['active', 'planned', 'maintenance', 'disabled', 'decommissioned'].map((v) => ({ value: v, label: v }));
const FAMILY = [
  { value: '4', label: 'IPv4' },
  { value: '6', label: 'IPv6' },
];
/** Which resource a nested `{id, name}` field points to (for links). */
export const REF_TARGET: Record<string, string> = {
  router: 'routers', fabric: 'fabrics', network: 'peering-networks', peer_group: 'peer-groups', platform: 'platforms', bgp_peer: 'bgp-peers',
  peer_asn: 'peer-asns', relationship: 'relationships', bfd_profile: 'bfd-profiles', import_policy: 'routing-policies', export_policy: 'routing-policies',
  prefix_list_in: 'prefix-lists', prefix_list_out: 'prefix-lists', peering_session: 'peering-sessions', config_template: 'templates',
};

/** A link to an object. */
export function ObjLink({ res, id, children }: { res: string; id: number | null | undefined; children: React.ReactNode }) {
  if (id === null || id === undefined) return <span className="muted">—</span>;
  return <Link to={`/${res}/${id}`}>{children}</Link>;
}
const refCell = (field: string, label: (v: Row) => string = (v) => v.name) => (r: Row) => {
  const v = r[field];
  return v ? <ObjLink res={REF_TARGET[field]!} id={v.id}>{label(v)}</ObjLink> : <span className="muted">—</span>;
};
const refCsv = (field: string, label: (v: Row) => string = (v) => v.name) => (r: Row) => (r[field] ? label(r[field]) : '');
const text = (field: string) => (r: Row) => (r[field] === null || r[field] === undefined || r[field] === '' ? <span className="muted">—</span> : String(r[field]));
const mono = (field: string) => (r: Row) => (r[field] ? <span className="mono">{r[field]}</span> : <span className="muted">—</span>);
const nameLink = (res: string, field = 'name') => (r: Row) => <Link to={`/${res}/${r.id}`}>{r[field]}</Link>;
const col = (id: string, header: string, cell: Column['cell'], extra: Partial<Column> = {}): Column => ({ id, header, cell, ...extra });
const idCol: Column = col('id', 'ID', (r) => r.id, { sort: 'id', hidden: true, width: 60 });
const descCol: Column = col('description', 'Description', text('description'), { hidden: true });

const routerField: FieldSpec = { name: 'router', label: 'Router', kind: 'ref', ref: 'routers', required: true };
const descField: FieldSpec = { name: 'description', label: 'Description', kind: 'textarea', emptyAs: 'null', span: 2 };
const statusField: FieldSpec = { name: 'status', label: 'Status', kind: 'select', options: STATUS };
const routerFilter: FilterDef = { name: 'router', label: 'Router', kind: 'ref', ref: 'routers' };
const statusFilter: FilterDef = { name: 'status', label: 'Status', kind: 'multi', options: STATUS };

/** The sessions columns reused in related tables (the full sessions list is custom). */
export const sessionColumns: Column[] = [
  col('id', 'ID', (r) => <Link to={`/peering-sessions/${r.id}`}>#{r.id}</Link>, { sort: 'id', width: 60 }),
  col('router', 'Router', refCell('router'), { sort: 'router', csv: refCsv('router') }),
  col('local_ip', 'Source', mono('local_ip')),
  col('peer', 'Peer', (r) => <Link to={`/peer-asns/${r.peer_asn.id}`}>{r.peer_asn.name} <span className="muted">{asText(r.peer_asn.asn)}</span></Link>, { sort: 'peer', csv: (r) => `${r.peer_asn.name} AS${r.peer_asn.asn}` }),
  col('peer_ip', 'Destination', (r) => <Link to={`/peering-sessions/${r.id}`} className="mono">{r.peer_ip}</Link>, { sort: 'peer_ip' }),
  col('relationship', 'Type', (r) => <RelationshipBadge rel={r.relationship} />, { sort: 'relationship', csv: refCsv('relationship') }),
  col('fabric', 'Exchange', (r) => (r.network ? <ObjLink res="peering-networks" id={r.network.id}>{r.fabric?.name ?? r.network.name}</ObjLink> : <span className="muted">No exchange</span>), { sort: 'fabric', csv: (r) => r.fabric?.name ?? '' }),
  col('state', 'State', (r) => <StateWithSince state={r.state} since={r.state_since} />, { sort: 'state' }),
  col('service_reference', 'Service ref.', text('service_reference'), { sort: 'service_reference' }),
];

const relationships: ResourceConfig = {
  path: 'relationships',
  title: 'Relationships',
  singular: 'Relationship',
  label: (r) => r.name,
  columns: [
    idCol,
    col('name', 'Name', nameLink('relationships'), { sort: 'name' }),
    col('slug', 'Slug', mono('slug'), { sort: 'slug' }),
    col('badge', 'Badge', (r) => <RelationshipBadge rel={r} />, { csv: (r) => r.color }),
    col('color', 'Colour', (r) => <span className="mono"><span className="swatch" style={{ background: colourOf(r.color).bg }} /> {r.color}</span>, { hidden: true }),
    col('description', 'Description', text('description')),
  ],
  filters: [{ name: 'slug', label: 'Slug', kind: 'text' }],
  fields: [
    { name: 'name', label: 'Name', kind: 'text', required: true },
    { name: 'slug', label: 'Slug', kind: 'slug', help: 'derived from the name when empty', emptyAs: 'omit' },
    { name: 'color', label: 'Colour', kind: 'color', help: 'six hex digits (4caf50) or a colour name', emptyAs: 'omit' },
    descField,
  ],
  show: { color: (r) => <RelationshipBadge rel={r} /> },
  related: (r) => [{ title: 'Sessions', res: 'peering-sessions', fixed: { relationship_id: r.id } }],
};

const peerAsns: ResourceConfig = {
  path: 'peer-asns',
  title: 'Peer ASNs',
  singular: 'Peer ASN',
  label: (r) => `AS${r.asn} ${r.name}`,
  defaultOrdering: 'asn',
  columns: [
    idCol,
    col('asn', 'ASN', (r) => <Link to={`/peer-asns/${r.id}`}>{asText(r.asn)}</Link>, { sort: 'asn', csv: (r) => r.asn }),
    col('name', 'Name', nameLink('peer-asns'), { sort: 'name' }),
    col('irr_as_set', 'IRR AS-SET', mono('irr_as_set')),
    col('ipv4_max_prefixes', 'Max v4', text('ipv4_max_prefixes'), { align: 'right' }),
    col('ipv6_max_prefixes', 'Max v6', text('ipv6_max_prefixes'), { align: 'right' }),
    col('session_count', 'Sessions', (r) => r.session_count, { align: 'right' }),
    col('affiliated', 'Affiliated', (r) => <BoolBadge value={r.affiliated} />),
    col('peeringdb_id', 'PeeringDB', text('peeringdb_id'), { hidden: true }),
    col('peeringdb_synced_at', 'PeeringDB sync', (r) => fmtTime(r.peeringdb_synced_at), { hidden: true }),
  ],
  filters: [
    { name: 'asn', label: 'ASN', kind: 'text', width: 120 },
    { name: 'name', label: 'Name', kind: 'text' },
    { name: 'irr_as_set', label: 'AS-SET', kind: 'text' },
    { name: 'affiliated', label: 'Affiliated', kind: 'bool', width: 110 },
  ],
  fields: [
    { name: 'asn', label: 'ASN', kind: 'asn', required: true },
    { name: 'name', label: 'Name', kind: 'text', required: true },
    { name: 'irr_as_set', label: 'IRR AS-SET', kind: 'asset', emptyAs: 'null', help: 'e.g. AS-EXAMPLE or RIPE::AS-EXAMPLE' },
    { name: 'irr_sources', label: 'IRR sources', kind: 'text', emptyAs: 'null', help: 'comma list, e.g. RIPE,RADB' },
    { name: 'ipv4_max_prefixes', label: 'IPv4 max prefixes', kind: 'int', min: 0, max: 10_000_000, emptyAs: 'null' },
    { name: 'ipv6_max_prefixes', label: 'IPv6 max prefixes', kind: 'int', min: 0, max: 10_000_000, emptyAs: 'null' },
    { name: 'peeringdb_id', label: 'PeeringDB network id', kind: 'int', min: 1, emptyAs: 'null' },
    { name: 'affiliated', label: 'Affiliated (we operate this ASN)', kind: 'bool' },
    { name: 'follow_peeringdb_name', label: 'Follow PeeringDB: name', kind: 'bool' },
    { name: 'follow_peeringdb_irr_as_set', label: 'Follow PeeringDB: AS-SET', kind: 'bool' },
    { name: 'follow_peeringdb_max_prefixes', label: 'Follow PeeringDB: max-prefixes', kind: 'bool' },
    { name: 'comments', label: 'Comments', kind: 'textarea', emptyAs: 'null', span: 2 },
  ],
  related: (r) => [
    { title: 'Sessions (remote AS matches)', res: 'peering-sessions', fixed: { asn: r.asn } },
    { title: 'Prefix lists', res: 'prefix-lists', fixed: { peer_asn: r.id }, addQuery: `peer_asn=${r.id}` },
  ],
  panels: (r) => (
    <>
      <PeerAsnIrr row={r} />
      <PeerAsnPeeringDb row={r} />
      <PeeringOpportunities row={r} />
      <PeerAsnRequests row={r} />
    </>
  ),
};

const FABRIC_TYPES = ['ixp', 'private', 'transit', 'cloud', 'other'].map((v) => ({ value: v, label: v }));
const fabrics: ResourceConfig = {
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
  filters: [
    { name: 'type', label: 'Type', kind: 'multi', options: FABRIC_TYPES },
    statusFilter,
  ],
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
};

const networks: ResourceConfig = {
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
    col('sessions_without_source', 'No source', (r) => (r.sessions_without_source ? <span className="warn-cell" title={(r.warnings ?? []).join('\n')}>⚠ {r.sessions_without_source}</span> : ''), { align: 'right', csv: (r) => r.sessions_without_source ?? 0 }),
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
};

const connections: ResourceConfig = {
  path: 'peering-connections',
  title: 'Connections',
  singular: 'Connection',
  label: (r) => `${r.router?.name} ${r.interface} → ${r.network?.name}`,
  columns: [
    col('id', 'ID', (r) => <Link to={`/peering-connections/${r.id}`}>#{r.id}</Link>, { sort: 'id', width: 60 }),
    col('router', 'Router', refCell('router'), { sort: 'router', csv: refCsv('router') }),
    col('interface', 'Interface', (r) => <Link to={`/peering-connections/${r.id}`} className="mono">{r.interface}</Link>, { sort: 'interface' }),
    col('fabric', 'Fabric', refCell('fabric'), { csv: refCsv('fabric') }),
    col('network', 'Network', refCell('network'), { sort: 'network', csv: refCsv('network') }),
    col('ipv4_address', 'IPv4', mono('ipv4_address')),
    col('ipv6_address', 'IPv6', mono('ipv6_address')),
    col('status', 'Status', (r) => <StatusBadge status={r.status} />),
    descCol,
  ],
  filters: [routerFilter, { name: 'fabric', label: 'Fabric', kind: 'ref', ref: 'fabrics' }, { name: 'network', label: 'Network', kind: 'ref', ref: 'peering-networks' }, statusFilter],
  fields: [
    { name: 'network', label: 'Network', kind: 'ref', ref: 'peering-networks', required: true, refLabel: (n) => `${n.fabric?.name} · ${n.name} (${n.prefix})` },
    routerField,
    { name: 'interface', label: 'Interface', kind: 'text', required: true },
    { name: 'ipv4_address', label: 'Local IPv4 address', kind: 'ip', emptyAs: 'null', help: "ours on the fabric's IPv4 LAN" },
    { name: 'ipv6_address', label: 'Local IPv6 address', kind: 'ip', emptyAs: 'null', help: "ours on the fabric's IPv6 LAN (one connection may carry both)" },
    statusField,
    descField,
  ],
  show: { status: (r) => <StatusBadge status={r.status} /> },
};

const sessionsCfg: ResourceConfig = {
  path: 'peering-sessions',
  title: 'Sessions',
  singular: 'Session',
  label: (r) => `AS${r.peer_asn?.asn} ${r.peer_ip}`,
  columns: sessionColumns,
  filters: [],
  fields: [
    { name: 'bgp_peer', label: 'BGP peer', kind: 'ref', ref: 'bgp-peers', required: true, createOnly: true, refLabel: (p) => `${p.router?.name} ${p.peer_ip} AS${p.remote_asn}`, refQuery: () => ({ has_session: 'false' }), help: 'a BGP peer without a session (each peer has at most one); its remote AS needs a peer ASN' },
    { name: 'relationship', label: 'Relationship (type)', kind: 'ref', ref: 'relationships', emptyAs: 'null' },
    { name: 'network', label: 'Exchange network', kind: 'ref', ref: 'peering-networks', emptyAs: 'null', refLabel: (n) => `${n.fabric?.name} · ${n.name} (${n.prefix})`, help: 'empty = No Exchange' },
    { name: 'service_reference', label: 'Service reference', kind: 'text', emptyAs: 'null' },
    { name: 'notes', label: 'Notes', kind: 'textarea', emptyAs: 'null', span: 2 },
  ],
};

const platforms: ResourceConfig = {
  path: 'platforms',
  title: 'Platforms',
  singular: 'Platform',
  label: (r) => r.name,
  columns: [idCol, col('name', 'Name', nameLink('platforms'), { sort: 'name' }), col('slug', 'Slug', mono('slug')), col('driver', 'Driver', text('driver'), { sort: 'driver' }), descCol],
  filters: [{ name: 'driver', label: 'Driver', kind: 'text' }],
  fields: [
    { name: 'name', label: 'Name', kind: 'text', required: true },
    { name: 'slug', label: 'Slug', kind: 'slug', emptyAs: 'omit' },
    { name: 'driver', label: 'Driver', kind: 'select', required: true, options: ['frr', 'bird2', 'gobgp', 'junos', 'eos', 'iosxr', 'sros', 'ios', 'nxos', 'openbgpd', 'manual'].map((v) => ({ value: v, label: v })) },
    descField,
  ],
  related: (r) => [{ title: 'Routers', res: 'routers', fixed: { platform: r.id } }],
};

const routers: ResourceConfig = {
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
    col('peers', 'Peers (up / total)', (r) => `${r.established_count} / ${r.peer_count}`, { csv: (r) => `${r.established_count}/${r.peer_count}` }),
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
    { name: 'config_template', label: 'Config template', kind: 'ref', ref: 'templates', emptyAs: 'null', help: 'rendered for this router by Config Manager and render-config' },
    { name: 'polling_enabled', label: 'Poll BGP state', kind: 'bool' },
    descField,
  ],
  hideOnDetail: ['credentials'],
  show: { status: (r) => <StatusBadge status={r.status} />, credentials_set: (r) => <BoolBadge value={r.credentials_set} /> },
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
};

const peerGroups: ResourceConfig = {
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
    { name: 'password', label: 'MD5 password', kind: 'password', emptyAs: 'omit', help: 'leave empty to keep the current one' },
    descField,
  ],
  hideOnDetail: ['password'],
  show: { password_set: (r) => <BoolBadge value={r.password_set} /> },
  related: (r) => [{ title: 'BGP peers', res: 'bgp-peers', fixed: { peer_group: r.id } }],
};

const bgpPeers: ResourceConfig = {
  path: 'bgp-peers',
  title: 'BGP peers',
  singular: 'BGP peer',
  label: (r) => `${r.router?.name} ${r.peer_ip}`,
  defaultOrdering: 'router,peer_ip',
  columns: [
    idCol,
    col('router', 'Router', refCell('router'), { sort: 'router', csv: refCsv('router') }),
    col('peer_ip', 'Peer IP', (r) => <Link to={`/bgp-peers/${r.id}`} className="mono">{r.peer_ip}</Link>, { sort: 'peer_ip' }),
    col('source_ip', 'Source IP', mono('source_ip')),
    col('name', 'Name', text('name'), { sort: 'name' }),
    col('remote_asn', 'Remote AS', (r) => asText(r.remote_asn), { sort: 'remote_asn', csv: (r) => r.remote_asn }),
    col('local_asn', 'Local AS', (r) => asText(r.local_asn), { hidden: true, csv: (r) => r.local_asn }),
    col('peer_group', 'Peer group', refCell('peer_group'), { csv: refCsv('peer_group') }),
    col('vrf', 'VRF', text('vrf'), { hidden: true }),
    col('state', 'State', (r) => <StateWithSince state={r.enabled ? r.state : 'admin-down'} since={r.state_since} />, { sort: 'state' }),
    col('prefixes_received', 'Received', text('prefixes_received'), { align: 'right' }),
    col('peering_session', 'Session', (r) => (r.peering_session ? <Link to={`/peering-sessions/${r.peering_session}`}>#{r.peering_session}</Link> : <span className="muted">—</span>)),
    col('status', 'Status', (r) => <StatusBadge status={r.status} />, { hidden: true }),
    descCol,
  ],
  filters: [
    routerFilter,
    { name: 'remote_asn', label: 'Remote AS', kind: 'text', width: 110 },
    { name: 'peer_group', label: 'Peer group', kind: 'ref', ref: 'peer-groups', refLabel: (g) => `${g.router?.name} · ${g.name}` },
    { name: 'family', label: 'Family', kind: 'select', options: FAMILY, width: 100 },
    { name: 'enabled', label: 'Enabled', kind: 'bool', width: 100 },
    { name: 'has_session', label: 'Has session', kind: 'bool', width: 110 },
  ],
  fields: [
    routerField,
    { name: 'peer_ip', label: 'Peer IP', kind: 'ip', required: true },
    { name: 'source_ip', label: 'Source IP', kind: 'ip', emptyAs: 'null' },
    { name: 'remote_asn', label: 'Remote AS', kind: 'asn', required: true },
    { name: 'local_asn', label: 'Local AS', kind: 'asn', emptyAs: 'omit', help: "defaults to the router's" },
    { name: 'name', label: 'Name', kind: 'text', emptyAs: 'null' },
    { name: 'vrf', label: 'VRF', kind: 'text', emptyAs: 'null', help: 'empty = global table' },
    { name: 'peer_group', label: 'Peer group', kind: 'ref', ref: 'peer-groups', emptyAs: 'null', refLabel: (g) => `${g.router?.name} · ${g.name}`, refQuery: (v) => (v.router ? { router: v.router } : undefined) },
    { name: 'bfd_profile', label: 'BFD profile', kind: 'ref', ref: 'bfd-profiles', emptyAs: 'null' },
    { name: 'multihop', label: 'Multihop (TTL)', kind: 'int', min: 1, max: 255, emptyAs: 'null' },
    { name: 'password', label: 'MD5 password', kind: 'password', emptyAs: 'omit', help: 'leave empty to keep the current one' },
    statusField,
    { name: 'enabled', label: 'Enabled (admin up)', kind: 'bool' },
    { name: 'ttl_security', label: 'TTL security', kind: 'bool' },
    descField,
  ],
  hideOnDetail: ['password'],
  panels: (r) => <BgpPeerSession row={r} />,
  show: {
    state: (r) => <StateWithSince state={r.enabled ? r.state : 'admin-down'} since={r.state_since} />,
    status: (r) => <StatusBadge status={r.status} />,
    peering_session: (r) => (r.peering_session ? <Link to={`/peering-sessions/${r.peering_session}`}>#{r.peering_session}</Link> : '—'),
    address_families: (r) => (
      <table className="dt mini">
        <thead>
          <tr>
            <th>AFI/SAFI</th>
            <th>Import</th>
            <th>Export</th>
            <th>Prefix list in</th>
            <th>Prefix list out</th>
            <th>Max</th>
          </tr>
        </thead>
        <tbody>
          {(r.address_families ?? []).map((a: Row) => (
            <tr key={a.afi_safi}>
              <td>{a.afi_safi}</td>
              <td>{a.import_policy?.name ?? '—'}</td>
              <td>{a.export_policy?.name ?? '—'}</td>
              <td>{a.prefix_list_in ? <ObjLink res="prefix-lists" id={a.prefix_list_in.id}>{a.prefix_list_in.name}</ObjLink> : '—'}</td>
              <td>{a.prefix_list_out ? <ObjLink res="prefix-lists" id={a.prefix_list_out.id}>{a.prefix_list_out.name}</ObjLink> : '—'}</td>
              <td>{a.max_prefixes ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    ),
  },
};

const prefixLists: ResourceConfig = {
  path: 'prefix-lists',
  title: 'Prefix lists',
  singular: 'Prefix list',
  label: (r) => r.name,
  columns: [
    idCol,
    col('name', 'Name', nameLink('prefix-lists'), { sort: 'name' }),
    col('family', 'Family', (r) => `IPv${r.family}`, { sort: 'family' }),
    col('source', 'Source', text('source')),
    col('peer_asn', 'Peer ASN', refCell('peer_asn', (v) => `AS${v.asn} ${v.name}`), { csv: refCsv('peer_asn', (v) => `AS${v.asn}`) }),
    col('irr_query', 'IRR query', mono('irr_query')),
    col('entry_count', 'Entries', (r) => r.entry_count, { align: 'right' }),
    descCol,
  ],
  filters: [
    { name: 'family', label: 'Family', kind: 'select', options: FAMILY, width: 100 },
    { name: 'source', label: 'Source', kind: 'select', options: [{ value: 'manual', label: 'manual' }, { value: 'irr', label: 'IRR' }], width: 110 },
    { name: 'peer_asn', label: 'Peer ASN', kind: 'ref', ref: 'peer-asns', refLabel: (a) => `AS${a.asn} ${a.name}` },
  ],
  fields: [
    { name: 'name', label: 'Name', kind: 'text', required: true },
    { name: 'family', label: 'Family', kind: 'select', required: true, options: FAMILY },
    { name: 'source', label: 'Source', kind: 'select', options: [{ value: 'manual', label: 'manual' }, { value: 'irr', label: 'IRR' }] },
    { name: 'peer_asn', label: 'Peer ASN', kind: 'ref', ref: 'peer-asns', emptyAs: 'null', refLabel: (a) => `AS${a.asn} ${a.name}` },
    { name: 'irr_query', label: 'IRR query', kind: 'asset', emptyAs: 'null' },
    { name: 'entries', label: 'Entries (one per line: [permit|deny] PREFIX [ge N] [le N])', kind: 'json', span: 2, get: (r) => entriesToText(r.entries ?? []) },
    descField,
  ],
  panels: (r) => <PrefixListVersions row={r} />,
  show: {
    // Long IRR lists scroll inside their box so the versions panel below stays in reach.
    entries: (r) => (
      <div className="table-wrap" style={{ maxHeight: 280 }}>
      <table className="dt mini">
        <thead>
          <tr>
            <th>Seq</th>
            <th>Action</th>
            <th>Prefix</th>
            <th>ge</th>
            <th>le</th>
          </tr>
        </thead>
        <tbody>
          {(r.entries ?? []).slice(0, 2000).map((e: Row) => (
            <tr key={e.seq}>
              <td>{e.seq}</td>
              <td>{e.action}</td>
              <td className="mono">{e.prefix}</td>
              <td>{e.ge ?? ''}</td>
              <td>{e.le ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      </div>
    ),
  },
};

/** Prefix-list entries as editable text lines. */
export function entriesToText(entries: Row[]): string {
  return entries.map((e) => [e.action, e.prefix, e.ge != null ? `ge ${e.ge}` : '', e.le != null ? `le ${e.le}` : ''].filter(Boolean).join(' ')).join('\n');
}
/** Parses entry lines back; throws with the line number on a bad line. */
export function textToEntries(text: string): Row[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line, i) => {
      const m = /^(?:(permit|deny)\s+)?(\S+)(?:\s+ge\s+(\d+))?(?:\s+le\s+(\d+))?$/i.exec(line);
      if (!m) throw new Error(`line ${i + 1}: expected "[permit|deny] PREFIX [ge N] [le N]"`);
      return { seq: (i + 1) * 5, action: (m[1] ?? 'permit').toLowerCase(), prefix: m[2], ge: m[3] ? Number(m[3]) : null, le: m[4] ? Number(m[4]) : null };
    });
}

const policies: ResourceConfig = {
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
  filters: [{ name: 'direction', label: 'Direction', kind: 'select', options: ['import', 'export', 'import-export'].map((v) => ({ value: v, label: v })) }],
  fields: [
    { name: 'name', label: 'Name', kind: 'text', required: true },
    { name: 'slug', label: 'Slug', kind: 'slug', emptyAs: 'omit' },
    { name: 'direction', label: 'Direction', kind: 'select', required: true, options: ['import', 'export', 'import-export'].map((v) => ({ value: v, label: v })) },
    { name: 'weight', label: 'Weight', kind: 'int', min: 0, emptyAs: 'omit' },
    { name: 'address_family', label: 'Address family', kind: 'select', options: [{ value: '0', label: 'both' }, ...FAMILY] },
    { name: 'config', label: 'Config (JSON)', kind: 'json', span: 2, get: (r) => JSON.stringify(r.config ?? {}, null, 2) },
    descField,
  ],
};

const communities: ResourceConfig = {
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
    { name: 'kind', label: 'Kind', kind: 'select', options: ['standard', 'extended', 'large'].map((v) => ({ value: v, label: v })) },
    { name: 'role', label: 'Role', kind: 'select', options: ['ingress', 'egress', 'informational'].map((v) => ({ value: v, label: v })) },
  ],
  fields: [
    { name: 'name', label: 'Name', kind: 'text', required: true },
    { name: 'slug', label: 'Slug', kind: 'slug', emptyAs: 'omit' },
    { name: 'kind', label: 'Kind', kind: 'select', required: true, options: ['standard', 'extended', 'large'].map((v) => ({ value: v, label: v })) },
    { name: 'value', label: 'Value', kind: 'text', required: true, help: 'e.g. 64500:100, target:64500:1 or 64500:1:2' },
    { name: 'role', label: 'Role', kind: 'select', emptyAs: 'null', options: ['ingress', 'egress', 'informational'].map((v) => ({ value: v, label: v })) },
    descField,
  ],
};

const bfdProfiles: ResourceConfig = {
  path: 'bfd-profiles',
  title: 'BFD profiles',
  singular: 'BFD profile',
  label: (r) => r.name,
  columns: [
    idCol,
    col('name', 'Name', nameLink('bfd-profiles'), { sort: 'name' }),
    col('min_rx_ms', 'Min RX (ms)', text('min_rx_ms'), { align: 'right' }),
    col('min_tx_ms', 'Min TX (ms)', text('min_tx_ms'), { align: 'right' }),
    col('multiplier', 'Multiplier', text('multiplier'), { align: 'right' }),
    descCol,
  ],
  filters: [],
  fields: [
    { name: 'name', label: 'Name', kind: 'text', required: true },
    { name: 'min_rx_ms', label: 'Min RX (ms)', kind: 'int', min: 1, emptyAs: 'omit' },
    { name: 'min_tx_ms', label: 'Min TX (ms)', kind: 'int', min: 1, emptyAs: 'omit' },
    { name: 'multiplier', label: 'Multiplier', kind: 'int', min: 1, max: 255, emptyAs: 'omit' },
    descField,
  ],
};

/** Every generic resource screen, by URL segment. */
export const CONFIGS: Record<string, ResourceConfig> = Object.fromEntries(
  [relationships, peerAsns, fabrics, networks, connections, sessionsCfg, platforms, routers, peerGroups, bgpPeers, prefixLists, policies, communities, bfdProfiles].map((c) => [c.path, c]),
);
