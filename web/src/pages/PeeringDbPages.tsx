// PeeringDB screens: mirror status and sync, exchange search with "create fabric from this IX",
// a fabric's PeeringDB tabs (re-sync, candidates with hide/bulk-create, IX-F comparison), and the
// peer ASN's "where could we peer" panel.
import { useState, type ReactNode } from 'react';
import {
  Alert,
  Badge,
  Button,
  Checkbox,
  Group,
  Modal,
  Paper,
  SegmentedControl,
  SimpleGrid,
  Stack,
  Table,
  Tabs,
  Text,
  TextInput,
  Textarea,
  Title,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, type paths, type Schemas } from '../api/client';
import { DataTable } from '../components/DataTable';
import { RefSelect } from '../components/RefSelect';
import { JobStatus } from '../components/JobStatus';
import { Unavailable } from '../components/Unavailable';
import { fmtTime } from '../components/format';
import { Link, navigate } from '../app/router';
import { roleAtLeast, useCapabilities, useMe } from '../app/session';
import { ErrorBox, PageHeader } from './ResourcePages';
import { BulkResult, RequestStatusBadge, bulkPeeringRequest, composeLink, useRequestStatuses } from './EmailPages';

type ResyncAnswer =
  paths['/api/fabrics/{id}/resync-peeringdb']['post']['responses'][200]['content']['application/json'];
type CreateSessionsAnswer =
  paths['/api/fabrics/{id}/candidates/create-sessions']['post']['responses'][201]['content']['application/json'];
type IxfImportBody = paths['/api/fabrics/{id}/ixf']['post']['requestBody']['content']['application/json'];
type IxfImportAnswer = paths['/api/fabrics/{id}/ixf']['post']['responses'][201]['content']['application/json'];
type CandidatesQuery = NonNullable<paths['/api/fabrics/{id}/candidates']['get']['parameters']['query']>;
/** A candidate as the table holds it: keyed by ASN, which the table's selection reads as its id. */
type Candidate = Schemas['PeeringCandidate'] & { id: number };

const RUN_COLOURS: Record<Schemas['PeeringDbSyncRun']['status'], string> = {
  succeeded: 'green',
  failed: 'red',
  running: 'blue',
};

/** Per-type counts of a sync run as compact text: "net +3 ~12 −1". */
function runCounts(counts: Schemas['PeeringDbSyncRun']['counts'] | null | undefined): string {
  if (!counts) return '—';
  const parts = Object.entries(counts)
    .filter(([, c]) => c && (c.created || c.updated || c.deleted))
    .map(([t, c]) => `${t} +${c.created} ~${c.updated} −${c.deleted}`);
  return parts.length ? parts.join(' · ') : 'no changes';
}

/** The PeeringDB page: mirror status, last runs, Sync now, Sync all peer ASNs, and exchanges. */
export function PeeringDbPage() {
  const caps = useCapabilities();
  const me = useMe().data;
  const qc = useQueryClient();
  const canWrite = roleAtLeast(me?.role, 'operator');
  const [jobs, setJobs] = useState<{ id: number; label: string }[]>([]);
  const status = useQuery({
    queryKey: ['pdb-status'],
    queryFn: async () => unwrap(await api.GET('/api/peeringdb/status')),
    enabled: caps.peeringdb,
  });
  const runs = useQuery({
    queryKey: ['pdb-runs'],
    queryFn: async () => unwrap(await api.GET('/api/peeringdb/sync-runs', { params: { query: { limit: 10 } } })),
    enabled: caps.peeringdb,
  });
  if (!caps.peeringdb)
    return (
      <>
        <PageHeader title="PeeringDB" />
        <Unavailable cap="peeringdb" what="PeeringDB" />
      </>
    );
  const refresh = () => {
    qc.invalidateQueries({ queryKey: ['pdb-status'] });
    qc.invalidateQueries({ queryKey: ['pdb-runs'] });
    qc.invalidateQueries({ queryKey: ['pdb-exchanges'] });
  };
  const queue = async (what: 'sync' | 'full' | 'peer-asns') => {
    try {
      const r =
        what === 'peer-asns'
          ? unwrap(await api.POST('/api/peer-asns/sync-peeringdb', { body: {} }))
          : unwrap(await api.POST('/api/peeringdb/sync', { body: { full: what === 'full' } }));
      setJobs((j) =>
        [
          { id: r.job_id, label: what === 'peer-asns' ? 'Sync all peer ASNs' : what === 'full' ? 'Full sync' : 'Sync' },
          ...j,
        ].slice(0, 3),
      );
    } catch (e) {
      notifications.show({ title: 'Failed', message: (e as Error).message, color: 'red' });
    }
  };
  const s = status.data;
  const types = Object.entries(s?.types ?? {});
  return (
    <Stack gap="sm">
      <PageHeader
        title="PeeringDB"
        subtitle={
          s ? (
            <>
              Mirror of <span className="mono">{s.url}</span> · API key{' '}
              {s.api_key_configured ? 'configured' : 'not configured (anonymous, rate-limited)'}
            </>
          ) : (
            'Local mirror of PeeringDB'
          )
        }
        actions={
          canWrite && (
            <>
              <Button variant="default" onClick={() => queue('peer-asns')} data-testid="pdb-sync-peer-asns">
                Sync all peer ASNs
              </Button>
              <Button variant="default" onClick={() => queue('full')}>
                Full sync
              </Button>
              <Button onClick={() => queue('sync')} data-testid="pdb-sync">
                Sync now
              </Button>
            </>
          )
        }
      />
      {jobs.map((j) => (
        <Paper key={j.id} withBorder p="xs" className="panel">
          <Group gap={8}>
            <Text size="sm" fw={500}>
              {j.label}:
            </Text>
            <JobStatus id={j.id} onDone={refresh} />
          </Group>
        </Paper>
      ))}
      <SimpleGrid cols={2}>
        <Paper withBorder p="sm" className="panel" data-testid="pdb-status">
          <Title order={5} mb={6}>
            Mirror
          </Title>
          <Text size="xs" c="dimmed" mb={4}>
            Last run:{' '}
            {s?.last_run ? `${s.last_run.mode} ${s.last_run.status} at ${fmtTime(s.last_run.started_at)}` : 'never'} ·
            last success: {s?.last_success ? fmtTime(s.last_success.finished_at) : 'never'}
          </Text>
          <table className="dt mini">
            <thead>
              <tr>
                <th>Type</th>
                <th style={{ textAlign: 'right' }}>Rows</th>
                <th>Newest object</th>
                <th>Synced</th>
              </tr>
            </thead>
            <tbody>
              {types.map(([t, v]) => (
                <tr key={t}>
                  <td>{t}</td>
                  <td style={{ textAlign: 'right' }} data-testid={`pdb-count-${t}`}>
                    {v.count}
                  </td>
                  <td>{fmtTime(v.last_updated)}</td>
                  <td>{fmtTime(v.last_sync_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Paper>
        <Paper withBorder p="sm" className="panel" data-testid="pdb-runs">
          <Title order={5} mb={6}>
            Last sync runs
          </Title>
          <table className="dt mini">
            <thead>
              <tr>
                <th>Started</th>
                <th>Mode</th>
                <th>Status</th>
                <th>Requests</th>
                <th>Changes per type</th>
              </tr>
            </thead>
            <tbody>
              {(runs.data?.results ?? []).map((r) => (
                <tr key={r.id}>
                  <td>
                    {r.job_id ? <Link to={`/jobs/${r.job_id}`}>{fmtTime(r.started_at)}</Link> : fmtTime(r.started_at)}
                  </td>
                  <td>{r.mode}</td>
                  <td>
                    <Badge
                      size="sm"
                      variant="light"
                      color={RUN_COLOURS[r.status] ?? 'gray'}
                      styles={{ root: { textTransform: 'none' } }}
                    >
                      {r.status}
                    </Badge>
                  </td>
                  <td>{r.requests}</td>
                  <td style={{ whiteSpace: 'normal' }} className="small">
                    {r.error ? (
                      <span style={{ color: 'var(--mantine-color-red-7)' }}>{r.error}</span>
                    ) : (
                      runCounts(r.counts)
                    )}
                  </td>
                </tr>
              ))}
              {runs.data && !runs.data.results.length && (
                <tr>
                  <td colSpan={5} className="empty">
                    No sync yet: press Sync now.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </Paper>
      </SimpleGrid>
      <ExchangeSearch />
    </Stack>
  );
}

/** Exchanges in the mirror, each with "Create fabric" (or a link to the fabric made from it). */
function ExchangeSearch() {
  const me = useMe().data;
  const [q, setQ] = useState('');
  const [dq] = useDebouncedValue(q, 250);
  const [chosen, setChosen] = useState<number | null>(null);
  const list = useQuery({
    queryKey: ['pdb-exchanges', dq],
    queryFn: async () =>
      unwrap(await api.GET('/api/peeringdb/exchanges', { params: { query: { q: dq || undefined, limit: 25 } } })),
  });
  return (
    <Paper withBorder p="sm" className="panel" data-testid="pdb-exchanges">
      <Group justify="space-between" mb={6}>
        <Title order={5}>Exchanges</Title>
        <TextInput
          placeholder="Search by name, city or id"
          value={q}
          onChange={(e) => setQ(e.currentTarget.value)}
          w={300}
          size="xs"
          data-testid="pdb-exchange-search"
        />
      </Group>
      <table className="dt">
        <thead>
          <tr>
            <th>ID</th>
            <th>Name</th>
            <th>City</th>
            <th>Country</th>
            <th style={{ textAlign: 'right' }} title="member networks in the local PeeringDB mirror">
              Members
            </th>
            <th>Fabric</th>
          </tr>
        </thead>
        <tbody>
          {(list.data?.results ?? []).map((x) => (
            <tr key={x.id} data-testid={`pdb-exchange-${x.id}`}>
              <td>{x.id}</td>
              <td>
                {x.name}{' '}
                {x.name_long && x.name_long !== x.name ? <span className="muted small">{x.name_long}</span> : null}
              </td>
              <td>{x.city ?? '—'}</td>
              <td>{x.country ?? '—'}</td>
              <td
                style={{ textAlign: 'right' }}
                title={
                  x.net_count != null
                    ? `PeeringDB lists ${x.net_count} networks at this exchange; ${x.member_count} are in the local mirror`
                    : undefined
                }
                data-testid="pdb-member-count"
              >
                {x.member_count ?? '—'}
              </td>
              <td>
                {x.fabric_id ? (
                  <Link to={`/fabrics/${x.fabric_id}`}>Open fabric →</Link>
                ) : roleAtLeast(me?.role, 'operator') ? (
                  <Button
                    size="compact-xs"
                    variant="light"
                    onClick={() => setChosen(x.id)}
                    data-testid="pdb-create-fabric"
                  >
                    Create fabric…
                  </Button>
                ) : null}
              </td>
            </tr>
          ))}
          {list.data && !list.data.results.length && (
            <tr>
              <td colSpan={6} className="empty">
                {dq ? 'No exchange matches.' : 'The mirror has no exchanges yet: sync PeeringDB first.'}
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {chosen !== null && <FabricFromIxModal ixId={chosen} onClose={() => setChosen(null)} />}
    </Paper>
  );
}

/** Shows an exchange's LANs and prefixes and creates a fabric with one network per prefix. */
function FabricFromIxModal({ ixId, onClose }: { ixId: number; onClose: () => void }) {
  const qc = useQueryClient();
  const ix = useQuery({
    queryKey: ['pdb-exchange', ixId],
    queryFn: async () => unwrap(await api.GET('/api/peeringdb/exchanges/{id}', { params: { path: { id: ixId } } })),
  });
  const [name, setName] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const x = ix.data;
  const create = async () => {
    setBusy(true);
    setError(null);
    try {
      const r = unwrap(
        await api.POST('/api/fabrics/from-peeringdb', {
          body: { ix_id: ixId, ...(name?.trim() ? { name: name.trim() } : {}) },
        }),
      );
      notifications.show({ message: `Created ${r.fabric.name} with ${r.networks.length} network(s)`, color: 'green' });
      qc.invalidateQueries();
      onClose();
      navigate(`/fabrics/${r.fabric.id}`);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal opened onClose={onClose} title={<b>Create a fabric from {x?.name ?? `exchange #${ixId}`}</b>} size="lg">
      <Stack gap="sm" data-testid="fabric-from-ix">
        <ErrorBox error={error} />
        {x && (
          <>
            <Text size="sm">
              {x.name_long ?? x.name} · {x.city}, {x.country} ·{' '}
              <span data-testid="fabric-from-ix-members">
                {x.member_count} member network{x.member_count === 1 ? '' : 's'} in the mirror
              </span>
              {x.net_count != null && x.net_count !== x.member_count ? (
                <span className="muted"> (PeeringDB: {x.net_count})</span>
              ) : null}
              {x.website ? (
                <>
                  {' '}
                  ·{' '}
                  <a href={x.website} target="_blank" rel="noreferrer">
                    {x.website}
                  </a>
                </>
              ) : null}
            </Text>
            <TextInput
              label="Fabric name"
              value={name ?? x.name}
              onChange={(e) => setName(e.currentTarget.value)}
              data-testid="fabric-from-ix-name"
            />
            <div className="table-wrap">
              <table className="dt mini">
                <thead>
                  <tr>
                    <th>LAN</th>
                    <th>Prefixes (one network each)</th>
                    <th>MTU</th>
                    <th>RS ASN</th>
                    <th style={{ textAlign: 'right' }}>Members</th>
                  </tr>
                </thead>
                <tbody>
                  {x.ixlans.map((l) => (
                    <tr key={l.id}>
                      <td>{l.name ?? `#${l.id}`}</td>
                      <td className="mono">{l.prefixes.map((p) => p.prefix).join(', ') || '—'}</td>
                      <td>{l.mtu ?? '—'}</td>
                      <td>{l.rs_asn ? `AS${l.rs_asn}` : '—'}</td>
                      <td style={{ textAlign: 'right' }}>{l.member_count}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
        {ix.error ? <ErrorBox error={ix.error} /> : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button onClick={create} loading={busy} disabled={!x} data-testid="fabric-from-ix-create">
            Create fabric
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** The fabric page's PeeringDB section: re-sync and tabs for candidates and IX-F. */
export function FabricPeeringDb({ row }: { row: Schemas['Fabric'] }) {
  const caps = useCapabilities();
  const me = useMe().data;
  const qc = useQueryClient();
  const [resync, setResync] = useState<ResyncAnswer | null>(null);
  const [busy, setBusy] = useState(false);
  if (!caps.peeringdb)
    return (
      <Paper withBorder p="sm" className="panel">
        <Title order={5} mb={6}>
          PeeringDB
        </Title>
        <Unavailable cap="peeringdb" what="Candidates and IX-F" />
      </Paper>
    );
  const canWrite = roleAtLeast(me?.role, 'operator');
  const doResync = async () => {
    setBusy(true);
    try {
      const r = unwrap(await api.POST('/api/fabrics/{id}/resync-peeringdb', { params: { path: { id: row.id } } }));
      setResync(r);
      qc.invalidateQueries({ queryKey: ['list', 'peering-networks'] });
    } catch (e) {
      notifications.show({ title: 'Re-sync failed', message: (e as Error).message, color: 'red' });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Paper withBorder p="sm" className="panel" data-testid="fabric-peeringdb">
      <Group justify="space-between" mb={6}>
        <Title order={5}>
          PeeringDB {row.peeringdb_ix_id ? <span className="muted small">exchange #{row.peeringdb_ix_id}</span> : null}
        </Title>
        {canWrite && row.peeringdb_ix_id && (
          <Button size="compact-xs" variant="default" onClick={doResync} loading={busy} data-testid="fabric-resync">
            Re-sync networks from PeeringDB
          </Button>
        )}
      </Group>
      {resync && (
        <Alert variant="light" color="green" p="xs" mb={6} withCloseButton onClose={() => setResync(null)}>
          Networks: {resync.created} created, {resync.updated} updated, {resync.decommissioned} decommissioned,{' '}
          {resync.unchanged} unchanged.
        </Alert>
      )}
      {!row.peeringdb_ix_id ? (
        <Text size="sm" c="dimmed">
          Set the PeeringDB IX id of this fabric (Edit), or create fabrics from the{' '}
          <Link to="/peeringdb">PeeringDB page</Link>, to see candidates.
        </Text>
      ) : (
        <Tabs defaultValue="candidates" keepMounted={false}>
          <Tabs.List>
            <Tabs.Tab value="candidates" data-testid="tab-candidates">
              Candidates
            </Tabs.Tab>
            <Tabs.Tab value="ixf" data-testid="tab-ixf">
              IX-F comparison
            </Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="candidates" pt="xs">
            <CandidatesTable fabricId={row.id} />
          </Tabs.Panel>
          <Tabs.Panel value="ixf" pt="xs">
            <IxfTab fabricId={row.id} />
          </Tabs.Panel>
        </Tabs>
      )}
    </Paper>
  );
}

/** Candidates of one fabric: hide (optionally until a date), unhide, and bulk-create sessions. */
export function CandidatesTable({ fabricId }: { fabricId: number }) {
  const me = useMe().data;
  const qc = useQueryClient();
  const canWrite = roleAtLeast(me?.role, 'operator');
  const [hideFor, setHideFor] = useState<number[] | null>(null);
  const [createFor, setCreateFor] = useState<Candidate[] | null>(null);
  // Candidates are per router: another router's session with a member does not hide it here.
  const [router, setRouter] = useState<string | null>(null);
  const caps = useCapabilities();
  // The ASNs on the page shown: their peering-request statuses at this fabric load in one call.
  const [pageAsns, setPageAsns] = useState<number[]>([]);
  const requests = useRequestStatuses(caps.email ? pageAsns : [], fabricId);
  const [bulkResult, setBulkResult] = useState<Awaited<ReturnType<typeof bulkPeeringRequest>> | null>(null);
  const requestPeering = async (rows: Candidate[]) => {
    const nets = rows.map((r) => r.peeringdb_net_id).filter((n): n is number => typeof n === 'number');
    if (!nets.length) {
      notifications.show({
        message: 'None of the selected networks is in the PeeringDB mirror: nothing to send.',
        color: 'orange',
      });
      return;
    }
    try {
      setBulkResult(await bulkPeeringRequest(nets, fabricId));
      qc.invalidateQueries({ queryKey: ['peering-requests'] });
    } catch (e) {
      notifications.show({ title: 'Request peering failed', message: (e as Error).message, color: 'red' });
    }
  };
  const unhide = async (asns: number[]) => {
    try {
      unwrap(
        await api.POST('/api/fabrics/{id}/candidates/unhide', { params: { path: { id: fabricId } }, body: { asns } }),
      );
      notifications.show({ message: `Showing ${asns.length} candidate(s) again`, color: 'green' });
    } catch (e) {
      notifications.show({ title: 'Failed', message: (e as Error).message, color: 'red' });
    }
    qc.invalidateQueries({ queryKey: ['candidates', fabricId] });
  };
  return (
    <>
      <Group mb={6} gap="xs" align="flex-end">
        <RefSelect
          label="Candidates of router"
          res="routers"
          value={router}
          onChange={(v) => setRouter(v)}
          labelOf={(r) => `${r.name} (AS${r.local_asn})`}
          placeholder="Any router (sessions from any router count)"
          clearable
          w={320}
          data-testid="candidates-router"
        />
      </Group>
      <DataTable
        key={router ?? 'any'}
        id="candidates"
        queryKey={['candidates', fabricId, router]}
        fetch={async (p, signal) => {
          const r = unwrap(
            await api.GET('/api/fabrics/{id}/candidates', {
              params: {
                path: { id: fabricId },
                query: { ...p, ...(router ? { router: Number(router) } : {}) } as CandidatesQuery,
              },
              signal,
            }),
          );
          setPageAsns(r.results.map((c) => c.asn));
          // Candidates are keyed by ASN; the table's selection wants an id.
          return { ...r, results: r.results.map((c): Candidate => ({ ...c, id: c.asn })) };
        }}
        columns={[
          { id: 'score', header: 'Score', cell: (r) => Math.round(r.score), align: 'right', width: 60 },
          {
            id: 'asn',
            header: 'ASN',
            cell: (r) => (r.peer_asn_id ? <Link to={`/peer-asns/${r.peer_asn_id}`}>AS{r.asn}</Link> : `AS${r.asn}`),
          },
          {
            id: 'name',
            header: 'Name',
            cell: (r) => (
              <span className="clip" title={r.name}>
                {r.name}
              </span>
            ),
          },
          { id: 'policy', header: 'Policy', cell: (r) => r.policy ?? '—' },
          { id: 'info_type', header: 'Type', cell: (r) => r.info_type ?? '—', hidden: true },
          {
            id: 'prefixes',
            header: 'Prefixes v4/v6',
            cell: (r) => `${r.info_prefixes4 ?? '—'} / ${r.info_prefixes6 ?? '—'}`,
            align: 'right',
          },
          {
            id: 'ipv4',
            header: 'IPv4',
            cell: (r) => <span className="mono small">{r.ipv4.join(', ')}</span>,
            csv: (r) => r.ipv4.join(' '),
          },
          {
            id: 'ipv6',
            header: 'IPv6',
            cell: (r) => <span className="mono small">{r.ipv6.join(', ')}</span>,
            csv: (r) => r.ipv6.join(' '),
          },
          { id: 'missing', header: 'Missing', cell: (r) => r.missing, align: 'right' },
          {
            id: 'irr_as_set',
            header: 'AS-SET',
            cell: (r) => <span className="mono small">{r.irr_as_set ?? '—'}</span>,
          },
          { id: 'is_rs_peer', header: 'RS', cell: (r) => (r.is_rs_peer ? 'yes' : '') },
          {
            id: 'hidden',
            header: 'Hidden',
            cell: (r) =>
              r.hidden ? (
                <Badge size="xs" color="gray" variant="light">
                  until {r.hidden_until ? r.hidden_until.slice(0, 10) : 'unhidden'}
                </Badge>
              ) : (
                ''
              ),
          },
          ...(caps.email
            ? [
                {
                  id: 'request',
                  header: 'Request',
                  cell: (r: Candidate) => <RequestStatusBadge request={requests.get(r.asn)} />,
                  csv: (r: Candidate) => requests.get(r.asn)?.status ?? 'none',
                },
                {
                  id: 'email',
                  header: '',
                  cell: (r: Candidate) =>
                    r.peeringdb_net_id ? (
                      <Link
                        to={composeLink({ peeringdb_net: r.peeringdb_net_id, fabric: fabricId })}
                        data-testid="candidate-email"
                      >
                        Email
                      </Link>
                    ) : (
                      ''
                    ),
                  csv: () => '',
                },
              ]
            : []),
        ]}
        filters={[{ name: 'include_hidden', label: 'Hidden too', kind: 'bool', width: 110 }]}
        pageSize={25}
        emptyText="No candidates: everyone on this fabric already has a session with us (or the mirror is empty)."
        actions={
          canWrite
            ? [
                { label: 'Create sessions…', run: (_ids, rows) => setCreateFor(rows) },
                ...(caps.email
                  ? [
                      {
                        label: 'Request peering',
                        tooltip:
                          'E-mail each selected network the peering-request template (tracked as requests at this fabric)',
                        run: (_ids: number[], rows: Candidate[]) => requestPeering(rows),
                      },
                    ]
                  : []),
                { label: 'Hide…', run: (ids) => setHideFor(ids) },
                { label: 'Unhide', run: (ids) => unhide(ids) },
              ]
            : undefined
        }
      />
      {bulkResult && (
        <Modal opened onClose={() => setBulkResult(null)} title={<b>Request peering</b>} size="lg">
          <BulkResult result={bulkResult} />
        </Modal>
      )}
      {hideFor && <HideModal fabricId={fabricId} asns={hideFor} onClose={() => setHideFor(null)} />}
      {createFor && (
        <CreateSessionsModal
          fabricId={fabricId}
          rows={createFor}
          initialRouter={router}
          onClose={() => setCreateFor(null)}
        />
      )}
    </>
  );
}

function HideModal({ fabricId, asns, onClose }: { fabricId: number; asns: number[]; onClose: () => void }) {
  const qc = useQueryClient();
  const [until, setUntil] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>(null);
  const hide = async () => {
    try {
      unwrap(
        await api.POST('/api/fabrics/{id}/candidates/hide', {
          params: { path: { id: fabricId } },
          body: { asns, until: until || null, reason: reason.trim() || null },
        }),
      );
      notifications.show({
        message: `Hid ${asns.length} candidate(s)${until ? ` until ${until}` : ''}`,
        color: 'green',
      });
      qc.invalidateQueries({ queryKey: ['candidates', fabricId] });
      onClose();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Modal opened onClose={onClose} title={<b>Hide {asns.length} candidate(s)</b>}>
      <Stack gap="sm">
        <ErrorBox error={error} />
        <TextInput
          type="date"
          label="Until (optional)"
          description="empty = until unhidden"
          value={until}
          onChange={(e) => setUntil(e.currentTarget.value)}
          data-testid="hide-until"
        />
        <TextInput
          label="Reason (optional)"
          value={reason}
          onChange={(e) => setReason(e.currentTarget.value)}
          placeholder="e.g. declined, restrictive policy"
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button onClick={hide} data-testid="hide-confirm">
            Hide
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function CreateSessionsModal({
  fabricId,
  rows,
  initialRouter,
  onClose,
}: {
  fabricId: number;
  rows: Candidate[];
  initialRouter: string | null;
  onClose: () => void;
}) {
  const qc = useQueryClient();
  const [router, setRouter] = useState<string | null>(initialRouter);
  const [peerGroup, setPeerGroup] = useState<string | null>(null);
  const [relationship, setRelationship] = useState<string | null>(null);
  const [enabled, setEnabled] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<CreateSessionsAnswer | null>(null);
  const create = async () => {
    setBusy(true);
    setError(null);
    try {
      const r = unwrap(
        await api.POST('/api/fabrics/{id}/candidates/create-sessions', {
          params: { path: { id: fabricId } },
          body: {
            router_id: Number(router),
            peer_group_id: peerGroup ? Number(peerGroup) : null,
            relationship_id: relationship ? Number(relationship) : null,
            enabled,
            candidates: rows.map((c) => ({ asn: c.asn })),
          },
        }),
      );
      setResult(r);
      qc.invalidateQueries({ queryKey: ['candidates', fabricId] });
      qc.invalidateQueries({ queryKey: ['list'] });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const addrs = rows.reduce((n, c) => n + c.missing, 0);
  return (
    <Modal opened onClose={onClose} title={<b>Create sessions with {rows.length} network(s)</b>} size="lg">
      <Stack gap="sm" data-testid="create-sessions-modal">
        <Text size="sm">
          {rows.map((c) => `AS${c.asn} ${c.name}`).join(', ')} — one BGP peer and session per address without a session
          ({addrs} address(es)), in one transaction. Missing peer ASNs are created from PeeringDB.
        </Text>
        <ErrorBox error={error} />
        {result ? (
          <Alert
            color={result.skipped.length ? 'orange' : 'green'}
            variant="light"
            data-testid="create-sessions-result"
          >
            Created {result.created.length} session(s)
            {result.peer_asns_created.length ? ` and ${result.peer_asns_created.length} peer ASN(s)` : ''}.
            {result.created.map((c) => (
              <div key={c.session_id}>
                <Link to={`/peering-sessions/${c.session_id}`}>
                  AS{c.asn} {c.address}
                </Link>
              </div>
            ))}
            {result.skipped.map((s) => (
              <div key={s.address} className="small">
                skipped AS{s.asn} {s.address}: {s.reason}
              </div>
            ))}
          </Alert>
        ) : (
          <SimpleGrid cols={2}>
            <RefSelect
              label="Router"
              res="routers"
              value={router}
              onChange={(v) => (setRouter(v), setPeerGroup(null))}
              labelOf={(r) => `${r.name} (AS${r.local_asn})`}
              required
              data-testid="cs-router"
            />
            <RefSelect
              label="Peer group"
              res="peer-groups"
              value={peerGroup}
              onChange={setPeerGroup}
              labelOf={(r) => r.name}
              query={router ? { router } : undefined}
              disabled={!router}
              placeholder={router ? 'None' : 'Choose a router first'}
              data-testid="cs-peer-group"
            />
            <RefSelect
              label="Relationship"
              res="relationships"
              value={relationship}
              onChange={setRelationship}
              labelOf={(r) => r.name}
              data-testid="cs-relationship"
            />
            <Checkbox
              label="Admin up after create"
              checked={enabled}
              onChange={(e) => setEnabled(e.currentTarget.checked)}
              mt={24}
            />
          </SimpleGrid>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {result ? 'Close' : 'Cancel'}
          </Button>
          {!result && (
            <Button color="green" onClick={create} loading={busy} disabled={!router} data-testid="cs-create">
              Create sessions
            </Button>
          )}
        </Group>
      </Stack>
    </Modal>
  );
}

/** IX-F tab: import a member export (URL or pasted JSON) and compare it with PeeringDB. */
function IxfTab({ fabricId }: { fabricId: number }) {
  const qc = useQueryClient();
  const me = useMe().data;
  const [mode, setMode] = useState<'url' | 'paste'>('url');
  const [url, setUrl] = useState('');
  const [json, setJson] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [imported, setImported] = useState<IxfImportAnswer | null>(null);
  const cmp = useQuery({
    queryKey: ['ixf', fabricId],
    queryFn: async () => {
      const r = await api.GET('/api/fabrics/{id}/ixf', { params: { path: { id: fabricId } } });
      // 404 = nothing imported yet: an empty state, not an error.
      if (r.response.status === 404) return null;
      return unwrap(r);
    },
    retry: false,
  });
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      let body: IxfImportBody;
      if (mode === 'url') body = { url: url.trim() };
      else {
        try {
          // The export is checked by the API; here it only has to be JSON.
          body = { data: JSON.parse(json) as IxfImportBody['data'] };
        } catch (e) {
          throw new Error(`The pasted text is not JSON: ${(e as Error).message}`);
        }
      }
      setImported(unwrap(await api.POST('/api/fabrics/{id}/ixf', { params: { path: { id: fabricId } }, body })));
      // The comparison below is what matters now; a pasted export would only push it down.
      setJson('');
      qc.invalidateQueries({ queryKey: ['ixf', fabricId] });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const c = cmp.data;
  return (
    <Stack gap="sm" data-testid="ixf-tab">
      {roleAtLeast(me?.role, 'operator') && (
        <Paper withBorder p="xs">
          <Group align="flex-end" gap="sm">
            <SegmentedControl
              size="xs"
              data={[
                { value: 'url', label: 'From URL' },
                { value: 'paste', label: 'Paste JSON' },
              ]}
              value={mode}
              onChange={(v) => setMode(v as 'url' | 'paste')}
            />
            {mode === 'url' ? (
              <TextInput
                placeholder="https://…/members.json (the IXP's IX-F member export)"
                value={url}
                onChange={(e) => setUrl(e.currentTarget.value)}
                style={{ flex: 1 }}
                size="xs"
                data-testid="ixf-url"
              />
            ) : (
              <Textarea
                placeholder='{"version": "1.0", "ixp_list": [...], "member_list": [...]}'
                value={json}
                onChange={(e) => setJson(e.currentTarget.value)}
                style={{ flex: 1 }}
                autosize
                minRows={2}
                maxRows={8}
                styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 11 } }}
                data-testid="ixf-json"
              />
            )}
            <Button
              size="xs"
              onClick={run}
              loading={busy}
              disabled={mode === 'url' ? !url.trim() : !json.trim()}
              data-testid="ixf-import"
            >
              Import
            </Button>
          </Group>
        </Paper>
      )}
      <ErrorBox error={error} />
      {imported && (
        <Alert variant="light" color="green" p="xs">
          Imported IX-F {imported.version} export{' '}
          {imported.ixp ? `for ${imported.ixp.shortname ?? imported.ixp.name}` : ''}: {imported.member_count} members,{' '}
          {imported.address_count} addresses.
          {imported.warnings?.length ? ` Warnings: ${imported.warnings.join('; ')}` : ''}
        </Alert>
      )}
      {cmp.error ? <ErrorBox error={cmp.error} /> : null}
      {c === null && (
        <Text size="sm" c="dimmed">
          No IX-F export imported for this fabric yet.
        </Text>
      )}
      {c && (
        <>
          <Text size="sm" data-testid="ixf-summary">
            IX-F ({c.ixf.source}, {c.ixf.version}, imported {fmtTime(c.ixf.imported_at)}): {c.ixf.member_count} members
            · PeeringDB: {c.peeringdb.member_count} members · {c.matching} match exactly
          </Text>
          <SimpleGrid cols={2}>
            <CompareTable
              title={`Only in IX-F (${c.only_in_ixf.length})`}
              rows={c.only_in_ixf}
              cols={[['Addresses', (r) => r.addresses.join(', ')]]}
            />
            <CompareTable
              title={`Only in PeeringDB (${c.only_in_peeringdb.length})`}
              rows={c.only_in_peeringdb}
              cols={[['Addresses', (r) => r.addresses.join(', ')]]}
            />
            <CompareTable
              title={`Different addresses (${c.address_differences.length})`}
              rows={c.address_differences}
              cols={[
                ['IX-F only', (r) => r.ixf_only.join(', ')],
                ['PeeringDB only', (r) => r.peeringdb_only.join(', ')],
              ]}
            />
            <CompareTable
              title={`Route-server flag differs (${c.routeserver_differences.length})`}
              rows={c.routeserver_differences}
              cols={[
                ['Address', (r) => r.address],
                ['IX-F', (r) => (r.ixf ? 'yes' : 'no')],
                ['PeeringDB', (r) => (r.peeringdb ? 'yes' : 'no')],
              ]}
            />
          </SimpleGrid>
        </>
      )}
    </Stack>
  );
}

function CompareTable<R extends { asn: number; name: string }>({
  title,
  rows,
  cols,
}: {
  title: string;
  rows: R[];
  cols: [string, (r: R) => ReactNode][];
}) {
  return (
    <div>
      <Text size="xs" fw={600} c="dimmed" tt="uppercase" mb={2}>
        {title}
      </Text>
      <div className="table-wrap" style={{ maxHeight: 240 }}>
        <table className="dt mini">
          <thead>
            <tr>
              <th>ASN</th>
              <th>Name</th>
              {cols.map(([h]) => (
                <th key={h}>{h}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={`${r.asn}-${i}`}>
                <td>AS{r.asn}</td>
                <td>
                  <span className="clip" title={r.name}>
                    {r.name}
                  </span>
                </td>
                {cols.map(([h, f]) => (
                  <td key={h} className="mono small">
                    {f(r)}
                  </td>
                ))}
              </tr>
            ))}
            {!rows.length && (
              <tr>
                <td colSpan={cols.length + 2} className="empty">
                  none
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/** "Where could we peer": every fabric of ours where this ASN is present, and shared exchanges without a fabric. */
export function PeeringOpportunities({ row }: { row: Schemas['PeerAsn'] }) {
  const caps = useCapabilities();
  const q = useQuery({
    queryKey: ['opportunities', row.asn],
    queryFn: async () =>
      unwrap(await api.GET('/api/asns/{asn}/peering-opportunities', { params: { path: { asn: String(row.asn) } } })),
    enabled: caps.peeringdb,
  });
  if (!caps.peeringdb) return null;
  const d = q.data;
  return (
    <Paper withBorder p="sm" className="panel" data-testid="peering-opportunities">
      <Title order={5} mb={6}>
        Where could we peer?
      </Title>
      {q.error ? <ErrorBox error={q.error} /> : null}
      {d && !d.fabrics.length && !d.other_exchanges.length && (
        <Text size="sm" c="dimmed">
          AS{row.asn} is on none of our fabrics or shared exchanges in the PeeringDB mirror.
        </Text>
      )}
      {d?.fabrics.length ? (
        <Table className="dt mini" withTableBorder={false}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Fabric</Table.Th>
              <Table.Th>Addresses (✓ = session exists)</Table.Th>
              <Table.Th style={{ textAlign: 'right' }}>Missing</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {d.fabrics.map((f) => (
              <Table.Tr key={f.fabric.id}>
                <Table.Td>
                  <Link to={`/fabrics/${f.fabric.id}`}>{f.fabric.name}</Link>
                </Table.Td>
                <Table.Td className="mono small" style={{ whiteSpace: 'normal' }}>
                  {f.addresses
                    .map((a) => `${a.address}${a.has_session ? ' ✓' : ''}${a.is_rs_peer ? ' (RS)' : ''}`)
                    .join(', ')}
                </Table.Td>
                <Table.Td style={{ textAlign: 'right' }}>{f.missing}</Table.Td>
                <Table.Td>
                  {f.hidden ? (
                    <Badge size="xs" color="gray" variant="light">
                      hidden
                    </Badge>
                  ) : null}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : null}
      {d?.other_exchanges.length ? (
        <Text size="xs" mt={6}>
          Also on exchanges we share but have no fabric for:{' '}
          {d.other_exchanges.map((x) => `${x.name} (${x.city ?? x.country ?? '—'})`).join(', ')} —{' '}
          <Link to="/peeringdb">create fabrics from PeeringDB</Link>.
        </Text>
      ) : null}
    </Paper>
  );
}
