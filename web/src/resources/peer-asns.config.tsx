// Peer ASNs: the networks we peer with, their IRR AS-SET and max-prefixes.
import type { Schemas } from '../api/client';
import { BoolBadge } from '../components/badges';
import { asText, fmtTime } from '../components/format';
import { Link } from '../app/router';
import { PeerAsnPeeringDb, PeerAsnRequests, PeerAsnIrr, PeeringOpportunities } from './panels';
import { text, mono, nameLink, col, idCol } from './common';
import { defineConfig } from './types';

export const peerAsns = defineConfig<Schemas['PeerAsn']>({
  path: 'peer-asns',
  title: 'Peer ASNs',
  singular: 'Peer ASN',
  label: (r) => `AS${r.asn} ${r.name}`,
  defaultOrdering: 'asn',
  columns: [
    idCol,
    col('asn', 'ASN', (r) => <Link to={`/peer-asns/${r.id}`}>{asText(r.asn)}</Link>, {
      sort: 'asn',
      csv: (r) => r.asn,
    }),
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
    {
      name: 'irr_as_set',
      label: 'IRR AS-SET',
      kind: 'asset',
      emptyAs: 'null',
      help: 'e.g. AS-EXAMPLE or RIPE::AS-EXAMPLE',
    },
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
});
