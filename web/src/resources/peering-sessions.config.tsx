// Sessions: a BGP peer with its peering context (the full list and page are custom).
import type { Schemas } from '../api/client';
import type { Column } from '../components/DataTable';
import { RelationshipBadge, StateWithSince } from '../components/badges';
import { asText } from '../components/format';
import { Link } from '../app/router';
import { ObjLink, refCell, refCsv, text, mono, col } from './common';
import { defineConfig } from './types';

/** The sessions columns reused in related tables (the full sessions list is custom). */
export const sessionColumns: Column<Schemas['PeeringSession']>[] = [
  col('id', 'ID', (r) => <Link to={`/peering-sessions/${r.id}`}>#{r.id}</Link>, { sort: 'id', width: 60 }),
  col('router', 'Router', refCell('router'), { sort: 'router', csv: refCsv('router') }),
  col('local_ip', 'Source', mono('local_ip')),
  col(
    'peer',
    'Peer',
    (r) => (
      <Link to={`/peer-asns/${r.peer_asn.id}`}>
        {r.peer_asn.name} <span className="muted">{asText(r.peer_asn.asn)}</span>
      </Link>
    ),
    { sort: 'peer', csv: (r) => `${r.peer_asn.name} AS${r.peer_asn.asn}` },
  ),
  col(
    'peer_ip',
    'Destination',
    (r) => (
      <Link to={`/peering-sessions/${r.id}`} className="mono">
        {r.peer_ip}
      </Link>
    ),
    { sort: 'peer_ip' },
  ),
  col('relationship', 'Type', (r) => <RelationshipBadge rel={r.relationship} />, {
    sort: 'relationship',
    csv: refCsv('relationship'),
  }),
  col(
    'fabric',
    'Exchange',
    (r) =>
      r.network ? (
        <ObjLink res="peering-networks" id={r.network.id}>
          {r.fabric?.name ?? r.network.name}
        </ObjLink>
      ) : (
        <span className="muted">No exchange</span>
      ),
    { sort: 'fabric', csv: (r) => r.fabric?.name ?? '' },
  ),
  col('state', 'State', (r) => <StateWithSince state={r.state} since={r.state_since} />, { sort: 'state' }),
  col('service_reference', 'Service ref.', text('service_reference'), { sort: 'service_reference' }),
];

export const sessionsCfg = defineConfig<Schemas['PeeringSession']>({
  path: 'peering-sessions',
  title: 'Sessions',
  singular: 'Session',
  label: (r) => `AS${r.peer_asn?.asn} ${r.peer_ip}`,
  columns: sessionColumns,
  filters: [],
  fields: [
    {
      name: 'bgp_peer',
      label: 'BGP peer',
      kind: 'ref',
      ref: 'bgp-peers',
      required: true,
      createOnly: true,
      refLabel: (p) => `${p.router?.name} ${p.peer_ip} AS${p.remote_asn}`,
      refQuery: () => ({ has_session: 'false' }),
      help: 'a BGP peer without a session (each peer has at most one); its remote AS needs a peer ASN',
    },
    { name: 'relationship', label: 'Relationship (type)', kind: 'ref', ref: 'relationships', emptyAs: 'null' },
    {
      name: 'network',
      label: 'Exchange network',
      kind: 'ref',
      ref: 'peering-networks',
      emptyAs: 'null',
      refLabel: (n) => `${n.fabric?.name} · ${n.name} (${n.prefix})`,
      help: 'empty = No Exchange',
    },
    { name: 'service_reference', label: 'Service reference', kind: 'text', emptyAs: 'null' },
    { name: 'notes', label: 'Notes', kind: 'textarea', emptyAs: 'null', span: 2 },
  ],
});
