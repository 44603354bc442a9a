// Extra panels of detail pages: PeeringDB data, router state summary, deployments, candidates, requests.
import { lazy, Suspense } from 'react';
import { Anchor, Button, Group, Paper, Table, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, listResource, unwrap, type Schemas } from '../api/client';

// Capability panels live with their pages and load on first use, keeping them out of the first bundle.
const irr = () => import('../pages/IrrPages');
const pdb = () => import('../pages/PeeringDbPages');
const LazyPeerAsnIrr = lazy(() => irr().then((m) => ({ default: m.PeerAsnIrr })));
const LazyPrefixListVersions = lazy(() => irr().then((m) => ({ default: m.PrefixListVersions })));
const LazyFabricPeeringDb = lazy(() => pdb().then((m) => ({ default: m.FabricPeeringDb })));
const LazyOpportunities = lazy(() => pdb().then((m) => ({ default: m.PeeringOpportunities })));
const mail = () => import('../pages/MailPanels');
const LazyPeerAsnMail = lazy(() => mail().then((m) => ({ default: m.PeerAsnMail })));
const LazyMaintenanceMailLink = lazy(() => mail().then((m) => ({ default: m.MaintenanceMailLink })));
const later = (el: React.ReactNode) => <Suspense fallback={<Text size="xs">Loading…</Text>}>{el}</Suspense>;

/** The peer ASN's IRR section (import, refresh, prefix lists, AS-path list). */
export const PeerAsnIrr = ({ row }: { row: Schemas['PeerAsn'] }) => later(<LazyPeerAsnIrr row={row} />);
/** Versions of a prefix list with diffs and review. */
export const PrefixListVersions = ({ row }: { row: Schemas['PrefixList'] }) =>
  later(<LazyPrefixListVersions row={row} />);
/** The fabric's PeeringDB section: re-sync, candidates, IX-F. */
export const FabricPeeringDb = ({ row }: { row: Schemas['Fabric'] }) => later(<LazyFabricPeeringDb row={row} />);
/** Where this peer ASN could be peered with. */
export const PeeringOpportunities = ({ row }: { row: Schemas['PeerAsn'] }) => later(<LazyOpportunities row={row} />);
import { useCapabilities } from '../app/session';
import { Link, navigate } from '../app/router';
import { Unavailable } from '../components/Unavailable';
import { StateBadge } from '../components/badges';
import { POLLED_STATES } from '../lib/bgp-state';
import { fmtTime } from '../components/format';

/** A titled box on a detail page. */
export function Panel({
  title,
  children,
  right,
}: {
  title: string;
  children: React.ReactNode;
  right?: React.ReactNode;
}) {
  return (
    <Paper withBorder p="sm" className="panel">
      <Group justify="space-between" mb={6}>
        <Title order={5}>{title}</Title>
        {right}
      </Group>
      {children}
    </Paper>
  );
}

/** PeeringDB values next to the local ones, with "Sync now". */
export function PeerAsnPeeringDb({ row }: { row: Schemas['PeerAsn'] }) {
  const caps = useCapabilities();
  const qc = useQueryClient();
  const q = useQuery({
    queryKey: ['pdb-divergence', row.id, row.version],
    queryFn: async () => unwrap(await api.GET('/api/peer-asns/{id}/peeringdb', { params: { path: { id: row.id } } })),
    enabled: caps.peeringdb,
  });
  if (!caps.peeringdb) return <Panel title="PeeringDB">{<Unavailable cap="peeringdb" what="PeeringDB data" />}</Panel>;
  const sync = async () => {
    try {
      const r = unwrap(await api.POST('/api/peer-asns/{id}/peeringdb', { params: { path: { id: row.id } } }));
      const changed: string[] = r.result?.changed ?? [];
      notifications.show({
        message: !r.result?.found
          ? `AS${row.asn} is not in the PeeringDB mirror`
          : changed.length
            ? `Updated ${changed.join(', ')}`
            : 'Already in sync',
        color: r.result?.found ? 'green' : 'orange',
      });
      qc.invalidateQueries();
    } catch (e) {
      notifications.show({ message: (e as Error).message, color: 'red' });
    }
  };
  const d = q.data;
  return (
    <Panel
      title="PeeringDB"
      right={
        <Group gap={6}>
          {d?.peeringdb && (
            <Anchor size="xs" href={`https://www.peeringdb.com/net/${d.peeringdb.id}`} target="_blank" rel="noreferrer">
              peeringdb.com ↗
            </Anchor>
          )}
          <Button size="compact-xs" variant="default" onClick={sync} data-testid="pdb-peer-sync">
            Sync now
          </Button>
        </Group>
      }
    >
      {q.isLoading && <Text size="xs">Loading…</Text>}
      {q.error && (
        <Text size="xs" c="red">
          {(q.error as Error).message}
        </Text>
      )}
      {d && !d.peeringdb && (
        <Text size="sm" c="dimmed">
          AS{row.asn} is not in the PeeringDB mirror.
        </Text>
      )}
      {d?.peeringdb && (
        <>
          <Text size="xs" c="dimmed" mb={4}>
            PeeringDB #{d.peeringdb.id} · policy {d.peeringdb.policy_general ?? '—'} · updated{' '}
            {fmtTime(d.peeringdb.updated)} · {d.in_sync ? 'in sync' : `${d.pending_updates.length} pending update(s)`}
          </Text>
          <Table withTableBorder={false} className="dt mini">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Field</Table.Th>
                <Table.Th>Local</Table.Th>
                <Table.Th>PeeringDB</Table.Th>
                <Table.Th>Follow</Table.Th>
                <Table.Th>Note</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {d.fields.map((f) => (
                <Table.Tr key={f.field} className={f.differs ? 'diff-changed' : undefined}>
                  <Table.Td>{f.field}</Table.Td>
                  <Table.Td className="mono">{f.local ?? '—'}</Table.Td>
                  <Table.Td className="mono">{f.peeringdb ?? '—'}</Table.Td>
                  <Table.Td>{f.follow ? 'yes' : 'no'}</Table.Td>
                  <Table.Td className="small">{f.reason ?? (f.will_update ? 'will update on sync' : '')}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </>
      )}
    </Panel>
  );
}

/** The peering request with this network, its Email action and contacts (e-mail capability). */
export function PeerAsnRequests({ row }: { row: Schemas['PeerAsn'] }) {
  const caps = useCapabilities();
  if (!caps.email) return <Panel title="Requests">{<Unavailable cap="email" what="Peering requests" />}</Panel>;
  return later(<LazyPeerAsnMail row={row} />);
}

/** "Maintenance mail" to the peers of a fabric or router (e-mail capability; nothing without it). */
export function MaintenanceMail({ scope, row }: { scope: 'fabric' | 'router'; row: { id: number } }) {
  const caps = useCapabilities();
  return caps.email ? later(<LazyMaintenanceMailLink scope={scope} id={row.id} />) : null;
}

/** Counts of the router's BGP peers by state. */
export function RouterStateSummary({ row }: { row: Schemas['Router'] }) {
  const q = useQuery({
    queryKey: ['router-states', row.id],
    queryFn: async ({ signal }) => {
      const counts = await Promise.all([
        ...POLLED_STATES.map((s) =>
          listResource('bgp-peers', { router: row.id, state: s, enabled: 'true', limit: 1 }, signal).then(
            (p) => [s, p.count] as const,
          ),
        ),
        listResource('bgp-peers', { router: row.id, enabled: 'false', limit: 1 }, signal).then(
          (p) => ['admin-down', p.count] as const,
        ),
      ]);
      return counts.filter(([, c]) => c > 0);
    },
    refetchInterval: 30_000,
  });
  return (
    <Panel title="State summary">
      <Group gap={10}>
        <Text size="sm">
          {row.established_count} of {row.peer_count} peers established · last polled {fmtTime(row.last_polled_at)}
        </Text>
        {(q.data ?? []).map(([s, c]) => (
          <Link key={s} to={`/bgp-peers?router=${row.id}&${s === 'admin-down' ? 'enabled=false' : `state=${s}`}`}>
            <Group gap={4}>
              <StateBadge state={s} /> <Text size="sm">{c}</Text>
            </Group>
          </Link>
        ))}
      </Group>
    </Panel>
  );
}

/** The router's last configuration deployments (templates + drivers capabilities). */
export function RouterDeployments({ row }: { row: Schemas['Router'] }) {
  const caps = useCapabilities();
  void row;
  return (
    <Panel title="Last deployments">
      {caps.templates && caps.drivers ? (
        <Text size="sm">
          See <Link to="/deployments">Deployments</Link>.
        </Text>
      ) : (
        <Unavailable cap={caps.templates ? 'drivers' : 'templates'} what="Deployments" />
      )}
    </Panel>
  );
}

/** The BGP peer's session, or "wrap this BGP peer" when it has none (the first seed's step 4). */
export function BgpPeerSession({ row }: { row: Schemas['BgpPeer'] }) {
  if (row.peering_session) {
    return (
      <Panel title="Peering session">
        <Text size="sm">
          Wrapped by <Link to={`/peering-sessions/${row.peering_session}`}>session #{row.peering_session}</Link> (each
          BGP peer has at most one).
        </Text>
      </Panel>
    );
  }
  return (
    <Panel title="Peering session">
      <Group justify="space-between" data-testid="bgp-peer-unwrapped">
        <Text size="sm">
          This BGP peer has no peering session: it has no relationship, exchange or service reference, and the session
          list does not show it.
        </Text>
        <Button
          size="xs"
          onClick={() => navigate(`/peering-sessions/wrap?bgp_peer=${row.id}`)}
          data-testid="wrap-bgp-peer"
        >
          Wrap this BGP peer in a session
        </Button>
      </Group>
    </Panel>
  );
}

/** The network's warnings: sessions without a source address, routers without a connection here. */
export function NetworkWarnings({ row }: { row: Schemas['PeeringNetwork'] }) {
  if (!row.warnings?.length) return null;
  return (
    <Paper withBorder p="sm" className="panel" data-testid="network-warnings">
      <Text size="sm" c="orange.8" fw={600}>
        ⚠ Sessions on this network
      </Text>
      <ul style={{ margin: '4px 0 0', paddingLeft: 18 }}>
        {row.warnings.map((w) => (
          <li key={w}>
            <Text size="sm" span>
              {w}
            </Text>
          </li>
        ))}
      </ul>
      <Text size="xs" c="dimmed" mt={4}>
        Add our address on this LAN to the router's connection (one connection may carry both IPv4 and IPv6), then set
        it as the BGP peer's source IP.
      </Text>
    </Paper>
  );
}
