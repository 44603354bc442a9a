// BGP peers: one neighbour on one router (and VRF), with address families and live state.
import type { Schemas } from '../api/client';
import { StateWithSince, StatusBadge } from '../components/badges';
import { asText } from '../components/format';
import { Link } from '../app/router';
import { BgpPeerSession } from './panels';
import {
  FAMILY,
  ObjLink,
  refCell,
  refCsv,
  text,
  mono,
  col,
  idCol,
  descCol,
  routerField,
  descField,
  statusField,
  routerFilter,
} from './common';
import { defineConfig } from './types';

export const bgpPeers = defineConfig<Schemas['BgpPeer']>({
  path: 'bgp-peers',
  title: 'BGP peers',
  singular: 'BGP peer',
  label: (r) => `${r.router?.name} ${r.peer_ip}`,
  defaultOrdering: 'router,peer_ip',
  columns: [
    idCol,
    col('router', 'Router', refCell('router'), { sort: 'router', csv: refCsv('router') }),
    col(
      'peer_ip',
      'Peer IP',
      (r) => (
        <Link to={`/bgp-peers/${r.id}`} className="mono">
          {r.peer_ip}
        </Link>
      ),
      { sort: 'peer_ip' },
    ),
    col('source_ip', 'Source IP', mono('source_ip')),
    col('name', 'Name', text('name'), { sort: 'name' }),
    col('remote_asn', 'Remote AS', (r) => asText(r.remote_asn), { sort: 'remote_asn', csv: (r) => r.remote_asn }),
    col('local_asn', 'Local AS', (r) => asText(r.local_asn), { hidden: true, csv: (r) => r.local_asn }),
    col('peer_group', 'Peer group', refCell('peer_group'), { csv: refCsv('peer_group') }),
    col('vrf', 'VRF', text('vrf'), { hidden: true }),
    col('state', 'State', (r) => <StateWithSince state={r.enabled ? r.state : 'admin-down'} since={r.state_since} />, {
      sort: 'state',
    }),
    col('prefixes_received', 'Received', text('prefixes_received'), { align: 'right' }),
    col('peering_session', 'Session', (r) =>
      r.peering_session ? (
        <Link to={`/peering-sessions/${r.peering_session}`}>#{r.peering_session}</Link>
      ) : (
        <span className="muted">—</span>
      ),
    ),
    col('status', 'Status', (r) => <StatusBadge status={r.status} />, { hidden: true }),
    descCol,
  ],
  filters: [
    routerFilter,
    { name: 'remote_asn', label: 'Remote AS', kind: 'text', width: 110 },
    {
      name: 'peer_group',
      label: 'Peer group',
      kind: 'ref',
      ref: 'peer-groups',
      refLabel: (g) => `${g.router?.name} · ${g.name}`,
    },
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
    {
      name: 'peer_group',
      label: 'Peer group',
      kind: 'ref',
      ref: 'peer-groups',
      emptyAs: 'null',
      refLabel: (g) => `${g.router?.name} · ${g.name}`,
      refQuery: (v) => (typeof v.router === 'string' && v.router ? { router: v.router } : undefined),
    },
    { name: 'bfd_profile', label: 'BFD profile', kind: 'ref', ref: 'bfd-profiles', emptyAs: 'null' },
    { name: 'multihop', label: 'Multihop (TTL)', kind: 'int', min: 1, max: 255, emptyAs: 'null' },
    {
      name: 'password',
      label: 'MD5 password',
      kind: 'password',
      emptyAs: 'omit',
      help: 'leave empty to keep the current one',
    },
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
    peering_session: (r) =>
      r.peering_session ? <Link to={`/peering-sessions/${r.peering_session}`}>#{r.peering_session}</Link> : '—',
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
          {(r.address_families ?? []).map((a) => (
            <tr key={a.afi_safi}>
              <td>{a.afi_safi}</td>
              <td>{a.import_policy?.name ?? '—'}</td>
              <td>{a.export_policy?.name ?? '—'}</td>
              <td>
                {a.prefix_list_in ? (
                  <ObjLink res="prefix-lists" id={a.prefix_list_in.id}>
                    {a.prefix_list_in.name}
                  </ObjLink>
                ) : (
                  '—'
                )}
              </td>
              <td>
                {a.prefix_list_out ? (
                  <ObjLink res="prefix-lists" id={a.prefix_list_out.id}>
                    {a.prefix_list_out.name}
                  </ObjLink>
                ) : (
                  '—'
                )}
              </td>
              <td>{a.max_prefixes ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    ),
  },
});
