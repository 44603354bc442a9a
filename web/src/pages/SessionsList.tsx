// The home page: every peering session with live state, prefixes vs max, Refresh and bulk actions.
import { lazy, Suspense, useState } from 'react';
import { Alert, Button, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, listResource, unwrap, type Schemas } from '../api/client';
import { DataTable, type Column, type FilterDef } from '../components/DataTable';
import { RelationshipBadge, StateWithSince } from '../components/badges';
import { asText } from '../components/format';
import { BGP_STATES, stateLabel } from '../lib/bgp-state';
import { useConfirm, type ConfirmOptions } from '../components/confirm';
import { unavailableText } from '../components/Unavailable';
import { Link, navigate } from '../app/router';
import { useCapabilities, useMe, roleAtLeast } from '../app/session';
import { ObjLink } from '../resources/configs';
import { PageHeader } from './ResourcePages';
import { pollOutcomeText } from './RouterPage';
import { MaintenanceModal } from './Maintenance';

// The bulk Configure dialog (a rollout) loads with the deploy pages, on first use.
const RolloutDialog = lazy(() => import('./deploy/RolloutDialog'));

/** Prefixes received against the limit; warns at 90 % and above. */
export function PrefixUsage({ received, max }: { received: number | null; max: number | null }) {
  if (received === null || received === undefined) return <span className="muted">{max ? `— / ${max}` : '—'}</span>;
  const ratio = max ? received / max : 0;
  const cls = ratio >= 1 ? 'pfx-over' : ratio >= 0.9 ? 'pfx-warn' : '';
  return (
    <span
      className={`mono ${cls}`}
      data-testid="prefix-usage"
      data-warn={ratio >= 0.9 ? '1' : undefined}
      title={max ? `${Math.round(ratio * 100)} % of the max-prefix limit` : 'no max-prefix limit'}
    >
      {received.toLocaleString()} / {max ? max.toLocaleString() : '∞'}
    </span>
  );
}

type Session = Schemas['PeeringSession'];
/** The result of a `bgp.poll` job (GET /api/jobs/{id}/): one outcome per router. */
type PollJobResult = { routers?: Schemas['RouterPollResult'][] } | null;

const col = (
  id: string,
  header: string,
  cell: Column<Session>['cell'],
  extra: Partial<Column<Session>> = {},
): Column<Session> => ({
  id,
  header,
  cell,
  ...extra,
});
const dash = <span className="muted">—</span>;

export const SESSION_LIST_COLUMNS: Column<Session>[] = [
  col('id', 'ID', (r) => r.id, { sort: 'id', hidden: true, width: 50 }),
  col(
    'router',
    'Router',
    (r) => (
      <ObjLink res="routers" id={r.router.id}>
        {r.router.name}
      </ObjLink>
    ),
    { sort: 'router', csv: (r) => r.router.name },
  ),
  col(
    'local_ip',
    'Source',
    (r) =>
      r.local_ip && !r.warnings?.length ? (
        <span className="mono">{r.local_ip}</span>
      ) : (
        <span
          className="warn-cell"
          title={(r.warnings ?? []).join('\n') || 'no source address'}
          data-testid="source-warning"
        >
          ⚠ {r.local_ip ? <span className="mono">{r.local_ip}</span> : 'none'}
        </span>
      ),
    { csv: (r) => r.local_ip ?? '' },
  ),
  col(
    'peer',
    'Peer',
    (r) => (
      <Link to={`/peer-asns/${r.peer_asn.id}`}>
        {r.peer_asn.name} <span className="muted">{asText(r.peer_asn.asn)}</span>
      </Link>
    ),
    { sort: 'peer', csv: (r) => r.peer_asn.name },
  ),
  col('asn', 'ASN', (r) => asText(r.peer_asn.asn), { sort: 'asn', hidden: true, csv: (r) => r.peer_asn.asn }),
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
  col(
    'peer_group',
    'Group',
    (r) =>
      r.peer_group ? (
        <ObjLink res="peer-groups" id={r.peer_group.id}>
          {r.peer_group.name}
        </ObjLink>
      ) : (
        dash
      ),
    { csv: (r) => r.peer_group?.name ?? '' },
  ),
  col('relationship', 'Type', (r) => <RelationshipBadge rel={r.relationship} />, {
    sort: 'relationship',
    csv: (r) => r.relationship?.name ?? '',
  }),
  col(
    'exchange',
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
  col('prefixes', 'Pfx rcvd / max', (r) => <PrefixUsage received={r.prefixes_received} max={r.max_prefixes} />, {
    sort: 'prefixes_received',
    align: 'right',
    csv: (r) => `${r.prefixes_received ?? ''}/${r.max_prefixes ?? ''}`,
  }),
  col('state', 'State / since', (r) => <StateWithSince state={r.state} since={r.state_since} />, {
    sort: 'state',
    csv: (r) => `${r.state} ${r.state_since ?? ''}`,
  }),
  col('service_reference', 'Service ref', (r) => r.service_reference ?? dash, { sort: 'service_reference' }),
  col('notes', 'Notes', (r) =>
    r.notes ? (
      <span className="clip narrow" title={r.notes}>
        {r.notes}
      </span>
    ) : (
      dash
    ),
  ),
  col('local_asn', 'Local ASN', (r) => asText(r.local_asn), { hidden: true, csv: (r) => r.local_asn }),
  col('family', 'Family', (r) => `IPv${r.family}`, { hidden: true }),
];

const STATES = BGP_STATES.map((s) => ({ value: s, label: stateLabel(s) }));
export const SESSION_FILTERS: FilterDef[] = [
  {
    name: 'peer_asn',
    label: 'Peer',
    kind: 'ref',
    ref: 'peer-asns',
    refLabel: (a: Schemas['PeerAsn']) => `${a.name} (AS${a.asn})`,
    width: 160,
  },
  { name: 'local_asn', label: 'Local ASN', kind: 'text', width: 90 },
  { name: 'asn', label: 'Remote ASN', kind: 'text', width: 90 },
  {
    name: 'family',
    label: 'IP version',
    kind: 'select',
    options: [
      { value: '4', label: 'IPv4' },
      { value: '6', label: 'IPv6' },
    ],
    width: 90,
  },
  {
    name: 'relationship',
    label: 'Type',
    kind: 'refmulti',
    ref: 'relationships',
    refValue: (r: Schemas['Relationship']) => r.slug,
    width: 150,
  },
  { name: 'state', label: 'State', kind: 'multi', options: STATES, width: 150 },
  { name: 'fabric', label: 'Exchange', kind: 'ref', ref: 'fabrics', width: 140 },
  { name: 'router', label: 'Router', kind: 'ref', ref: 'routers', width: 130 },
  { name: 'has_source', label: 'Has source', kind: 'bool', width: 110 },
];

/** The admin endpoints' answer (also the `action` of a maintenance start/end, which carries no sessions). */
export type AdminAnswer = Omit<Schemas['AdminActionResult'], 'sessions'>;

/** Admin up/down for sessions on their routers (shared by the list and the session page); `message` is the RFC 8203 shutdown text. */
export async function setAdmin(
  ids: number[],
  enabled: boolean,
  message?: string,
): Promise<Schemas['AdminActionResult']> {
  const body = !enabled && message ? { message } : {};
  if (ids.length === 1) {
    const path = enabled ? '/api/peering-sessions/{id}/admin-up/' : '/api/peering-sessions/{id}/admin-down/';
    return unwrap(await api.POST(path, { params: { path: { id: ids[0]! } }, body }));
  }
  return unwrap(await api.POST('/api/peering-sessions/bulk-admin/', { body: { ids, enabled, ...body } }));
}

/** The toast of an admin action: what reached the routers, what only changed in Peerdesk and why, what failed. */
export function showAdminResult(what: string, a: AdminAnswer): void {
  const notOnDevice = a.results.filter((r) => r.ok && !r.applied_on_device);
  const failed = a.results.filter((r) => !r.ok);
  const lines = [
    `${what}: ${a.results.length - failed.length} of ${a.results.length} done${a.failed ? `, ${a.failed} failed` : ''}${a.job_id ? ` (job #${a.job_id})` : ''}.`,
    ...failed.map((r) => `${r.peer_ip} on ${r.router.name}: failed — ${r.error ?? r.reason ?? 'unknown error'}`),
    // One line per distinct reason keeps a bulk action's toast short.
    ...[...new Set(notOnDevice.map((r) => `${r.router.name}: ${r.reason ?? 'not applied on the router'}`))],
    ...(a.error ? [a.error] : []),
  ];
  notifications.show({
    title: a.failed || a.status !== 'succeeded' ? `${what} failed for some sessions` : undefined,
    message: lines.join('\n'),
    color: a.failed || a.status !== 'succeeded' ? 'red' : notOnDevice.length ? 'orange' : 'green',
    autoClose: a.failed || notOnDevice.length ? 15_000 : 5_000,
    style: { whiteSpace: 'pre-line' },
  });
}

/** Deletes sessions, optionally with their BGP peers. */
export async function deleteSessions(ids: number[], withPeers: boolean): Promise<void> {
  unwrap(await api.POST('/api/peering-sessions/bulk-delete/', { body: { ids, delete_bgp_peers: withPeers } }));
}

/** The delete dialog: exactly what goes, and that the routers are not changed (yet). */
export function deleteSessionsDialog(count: number, what: string): ConfirmOptions {
  const n = (k: number, one: string, many: string) => `${k} ${k === 1 ? one : many}`;
  return {
    title: count === 1 ? 'Delete this session?' : `Delete ${count} sessions?`,
    message: `${what} The routers are not changed: their running BGP configuration stays until a config without ${count === 1 ? 'this peer' : 'these peers'} is deployed. This cannot be undone (the change log keeps the old values).`,
    confirmLabel: 'Delete',
    checkbox:
      count === 1 ? 'Also delete the BGP peer this session wraps' : 'Also delete the BGP peers these sessions wrap',
    checkboxDefault: true,
    checkboxHint: (checked) =>
      checked
        ? `Deletes ${n(count, 'session', 'sessions')} and ${n(count, 'BGP peer', 'BGP peers')} from Peerdesk.`
        : `Deletes ${n(count, 'session', 'sessions')} only; ${count === 1 ? 'its BGP peer stays' : 'their BGP peers stay'} in Peerdesk without a session (BGP peers → Has session: no), ready to wrap again.`,
  };
}

export const ADMIN_TOOLTIP =
  'Runs on the router through its driver (Admin Down can carry an RFC 8203 shutdown message), then re-polls it. Where the driver cannot set the admin state, only Peerdesk’s flag changes and the result says why.';

/** The Admin Down dialog: what happens, plus the optional RFC 8203 shutdown message. */
export const adminDownDialog = (what: string): ConfirmOptions => ({
  title: `Admin down ${what}?`,
  message: 'The BGP peers are shut down on their routers (where the driver can) and disabled in Peerdesk.',
  confirmLabel: 'Admin Down',
  color: 'orange',
  input: {
    label: 'Shutdown message (RFC 8203, optional)',
    placeholder: 'e.g. maintenance until 14:00 UTC, ticket #123',
    maxLength: 255,
    description: 'Sent to the peer in the BGP Cease notification',
  },
});

/** Sessions list page. */
export function SessionsListPage() {
  const qc = useQueryClient();
  const caps = useCapabilities();
  const me = useMe().data;
  const canWrite = roleAtLeast(me?.role, 'operator') && me?.can_write !== false;
  const caps2 = caps;
  // Polling reads live state through the routers' drivers; without it Refresh re-reads the stored state.
  const canPoll = caps2.polling;
  const [dialog, ask] = useConfirm();
  const [polling, setPolling] = useState(false);
  const [maint, setMaint] = useState<Session[] | null>(null);
  const [rollout, setRollout] = useState<Session[] | null>(null);

  const invalidate = () => qc.invalidateQueries({ queryKey: ['list', 'peering-sessions'] });

  // Refresh: start a poll job and re-fetch the visible page while it runs, so rows change in place.
  const refresh = async () => {
    if (!canPoll) {
      await invalidate();
      notifications.show({
        message: 'Reloaded the stored state. Live polling needs router polling, which this installation lacks.',
        color: 'gray',
      });
      return;
    }
    setPolling(true);
    try {
      // Every router with polling enabled; rows update as the job stores each router's results.
      const job = unwrap(await api.POST('/api/peering-sessions/refresh/', { body: {} }));
      if (!job.job_id) throw new Error('no poll job was queued');
      for (let i = 0; i < 600; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        const j = unwrap(await api.GET('/api/jobs/{id}/', { params: { path: { id: job.job_id } } }));
        await invalidate();
        if (['succeeded', 'failed', 'cancelled'].includes(j.status)) {
          // Each router's outcome: a poll whose routers failed is not a success, whatever the job says.
          // The spec leaves Job.result open (unknown): a poll job's result is PollJobResult.
          const rs = (j.result as PollJobResult)?.routers ?? [];
          const bad = j.status !== 'succeeded' || rs.some((r) => !r.ok);
          const text = rs.length ? pollOutcomeText(rs) : `Poll ${j.status}`;
          notifications.show({
            title: bad ? `Poll: ${rs.filter((r) => !r.ok).length || 'some'} router(s) failed` : 'Poll done',
            message: `${text}${j.error ? ` — ${j.error}` : ''}`,
            color: bad ? 'red' : 'green',
            autoClose: 15_000,
            'data-testid': 'poll-toast',
          } as Parameters<typeof notifications.show>[0]);
          break;
        }
      }
    } catch (e) {
      notifications.show({ title: 'Refresh failed', message: (e as Error).message, color: 'red' });
    } finally {
      setPolling(false);
    }
  };

  const admin = async (ids: number[], enabled: boolean, message?: string) => {
    const what = `Admin ${enabled ? 'up' : 'down'}: ${ids.length} session(s)`;
    try {
      showAdminResult(what, await setAdmin(ids, enabled, message));
    } catch (e) {
      notifications.show({ title: 'Failed', message: (e as Error).message, color: 'red' });
    }
    await invalidate();
  };

  const run = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
      notifications.show({ message: what, color: 'green' });
    } catch (e) {
      notifications.show({ title: 'Failed', message: (e as Error).message, color: 'red' });
    }
    await invalidate();
  };

  const configureUnavailable =
    caps.templates && caps.drivers ? null : unavailableText(caps.templates ? 'drivers' : 'templates');
  return (
    <>
      {dialog}
      {maint && <MaintenanceModal rows={maint} onClose={() => setMaint(null)} onDone={invalidate} />}
      {rollout && (
        <Suspense fallback={null}>
          <RolloutDialog rows={rollout} onClose={() => setRollout(null)} />
        </Suspense>
      )}
      <PageHeader title="Sessions" subtitle="Peering sessions with live BGP state" />
      <NoSourceBanner />
      <DataTable
        id="sessions"
        queryKey={['list', 'peering-sessions']}
        fetch={(p, signal) => listResource('peering-sessions', p, signal)}
        columns={SESSION_LIST_COLUMNS}
        filters={SESSION_FILTERS}
        urlState
        refetchInterval={polling ? 1500 : 60_000}
        rowHref={(r) => `/peering-sessions/${r.id}`}
        toolbar={
          <>
            <Tooltip
              label={
                canPoll
                  ? 'Poll every router with polling enabled and update rows as results arrive'
                  : 'Reload the stored state (this installation has no router polling)'
              }
            >
              <Button variant="default" onClick={refresh} loading={polling} data-testid="refresh-button">
                ⟳ Refresh
              </Button>
            </Tooltip>
            {canWrite && (
              <Button variant="default" onClick={() => setMaint([])} data-testid="maintenance-button">
                Maintenance
              </Button>
            )}
            {canWrite && (
              <Button onClick={() => navigate('/peering-sessions/new')} data-testid="add-session">
                + Add Session
              </Button>
            )}
          </>
        }
        actions={
          canWrite
            ? [
                { label: 'Admin Up', tooltip: ADMIN_TOOLTIP, run: (ids) => admin(ids, true) },
                {
                  label: 'Admin Down',
                  tooltip: ADMIN_TOOLTIP,
                  run: async (ids) => {
                    const r = await ask(adminDownDialog(`${ids.length} session(s)`));
                    if (r.ok) await admin(ids, false, r.text || undefined);
                  },
                },
                {
                  label: 'Maintenance…',
                  tooltip:
                    'Take every session of the selected sessions’ router or exchange down, and restore each one afterwards',
                  run: (_ids, rows) => setMaint(rows),
                },
                {
                  label: 'Configure',
                  tooltip: 'A rollout to the selected sessions’ routers: now or scheduled, the canary first',
                  unavailable: configureUnavailable,
                  run: (_ids, rows) => setRollout(rows),
                },
                {
                  label: 'Delete',
                  color: 'red',
                  run: async (ids) => {
                    const r = await ask(
                      deleteSessionsDialog(ids.length, `${ids.length} selected session${ids.length === 1 ? '' : 's'}.`),
                    );
                    if (r.ok) await run(`Deleted ${ids.length} session(s)`, () => deleteSessions(ids, r.checked));
                  },
                },
              ]
            : undefined
        }
      />
    </>
  );
}

/** Warns when sessions have no source address (their rendered config would lack one). */
function NoSourceBanner() {
  const q = useQuery({
    queryKey: ['list', 'peering-sessions', 'no-source'],
    queryFn: ({ signal }) => listResource('peering-sessions', { has_source: 'false', limit: 1, brief: 1 }, signal),
    refetchInterval: 60_000,
  });
  const count = q.data?.count ?? 0;
  if (!count) return null;
  return (
    <Alert color="orange" variant="light" p="xs" mb="xs" data-testid="no-source-banner">
      ⚠ {count} session{count === 1 ? ' has' : 's have'} no source address: add our address on the LAN to the router's
      connection (a connection may carry both IPv4 and IPv6), then set it on the BGP peer.{' '}
      {/* A full load: the table reads its filters from the URL when it mounts. */}
      <a href="/?has_source=false">Show {count === 1 ? 'it' : 'them'}</a>
    </Alert>
  );
}
