// The session page: every field, live state, history charts and the session actions.
import { lazy, Suspense, useState } from 'react';
import { Alert, Button, Group, Paper, Stack, Text, Title, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, getResource, listResource, unwrap } from '../api/client';
import { RelationshipBadge, StateBadge, StatusBadge } from '../components/badges';
import { ago, asText, fmtTime } from '../components/format';
import { useConfirm } from '../components/confirm';
import { CapButton } from '../components/Unavailable';
import { Link, navigate, useLocation } from '../app/router';
import { useCapabilities, useMe, roleAtLeast } from '../app/session';
import { ObjLink } from '../resources/configs';
import { ErrorBox, FieldGrid, PageHeader } from './ResourcePages';
import { ConfigureDialog, removeFromRouter } from './DeployPages';
import {
  ADMIN_TOOLTIP,
  PrefixUsage,
  adminDownDialog,
  deleteSessions,
  deleteSessionsDialog,
  setAdmin,
  showAdminResult,
} from './SessionsList';

/** Opens the compose page for this session (the mail pages load on first use). */
const compose = (session: number, template?: string) =>
  import('./EmailPages').then((m) => navigate(m.composeLink({ session, template })));

const SessionCharts = lazy(() => import('./SessionCharts'));

/** Session detail page. */
export function SessionPage({ id }: { id: number }) {
  const qc = useQueryClient();
  const caps = useCapabilities();
  const me = useMe().data;
  const canWrite = roleAtLeast(me?.role, 'operator') && me?.can_write !== false;
  const [dialog, ask] = useConfirm();
  const [configuring, setConfiguring] = useState(false);
  // Live state: re-read every 10 s while the page is open.
  const q = useQuery({
    queryKey: ['one', 'peering-sessions', id],
    queryFn: () => getResource('peering-sessions', id),
    refetchInterval: 10_000,
  });
  const history = useQuery({
    queryKey: ['state-history', id],
    queryFn: async () =>
      unwrap(
        await api.GET('/api/peering-sessions/{id}/state-history/', { params: { path: { id }, query: { limit: 500 } } }),
      ),
    refetchInterval: 30_000,
  });
  // Everything to fix before deploying: no source or connection, families rendered without filters.
  const warnings = useQuery({
    queryKey: ['one', 'peering-sessions', id, 'warnings'],
    queryFn: async () => unwrap(await api.GET('/api/peering-sessions/{id}/warnings/', { params: { path: { id } } })),
  });
  // The wizard lands here with every session it created (one per address).
  const { search } = useLocation();
  const created = (search.get('created') ?? '')
    .split(',')
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
  const createdRows = useQuery({
    queryKey: ['list', 'peering-sessions', 'created', created.join(',')],
    queryFn: ({ signal }) =>
      listResource('peering-sessions', { id: created.join(','), ordering: 'id', limit: 50 }, signal),
    enabled: created.length > 1,
  });
  const s = q.data?.row;
  const refresh = () =>
    qc
      .invalidateQueries({ queryKey: ['one', 'peering-sessions', id] })
      .then(() => qc.invalidateQueries({ queryKey: ['list'] }));

  const admin = async (enabled: boolean) => {
    let message: string | undefined;
    if (!enabled) {
      const r = await ask(adminDownDialog(`the BGP peer ${s?.peer_ip} on ${s?.router.name}`));
      if (!r.ok) return;
      message = r.text || undefined;
    }
    try {
      showAdminResult(enabled ? 'Admin up' : 'Admin down', await setAdmin([id], enabled, message));
    } catch (e) {
      notifications.show({ title: 'Failed', message: (e as Error).message, color: 'red' });
    }
    refresh();
  };
  const del = async () => {
    const r = await ask(deleteSessionsDialog(1, `AS${s?.peer_asn.asn} ${s?.peer_ip} on ${s?.router.name}.`));
    if (!r.ok) return;
    try {
      await deleteSessions([id], r.checked);
      notifications.show({ message: 'Session deleted', color: 'green' });
      qc.invalidateQueries();
      navigate('/');
    } catch (e) {
      notifications.show({ title: 'Delete failed', message: (e as Error).message, color: 'red' });
    }
  };

  // Delete that also takes the peer off the router: a deployment without it, which deletes the session once done.
  const removeFromRouterAndDelete = async () => {
    const r = await ask({
      title: 'Remove from the router and delete?',
      message: `Deploys ${s?.router.name} without AS${s?.peer_asn.asn} ${s?.peer_ip}. The session and its BGP peer are deleted only when that deployment ends done; if it fails or rolls back, the session stays.`,
      confirmLabel: 'Remove and delete',
    });
    if (!r.ok) return;
    try {
      const out = await removeFromRouter(id);
      notifications.show({
        message: `Removing from ${s?.router.name}: deployment #${out.deployment.id}`,
        color: 'blue',
      });
      navigate(`/deployments/${out.deployment.id}`);
    } catch (e) {
      notifications.show({ title: 'Remove from router failed', message: (e as Error).message, color: 'red' });
    }
  };

  if (q.error) return <ErrorBox error={q.error} />;
  if (!s) return <Text size="sm">Loading…</Text>;
  const configureOk = caps.templates && caps.drivers;
  return (
    <Stack gap="sm">
      {dialog}
      <ConfigureDialog sessionId={id} opened={configuring} onClose={() => setConfiguring(false)} />
      <PageHeader
        title={
          <Group gap={8}>
            <span>
              {s.peer_asn.name} <span className="muted">{asText(s.peer_asn.asn)}</span> ·{' '}
              <span className="mono">{s.peer_ip}</span>
            </span>
            <StateBadge state={s.state} since={s.state_since} />
            <RelationshipBadge rel={s.relationship} />
          </Group>
        }
        subtitle={
          <>
            <Link to="/">Sessions</Link> · #{s.id} · on <Link to={`/routers/${s.router.id}`}>{s.router.name}</Link> ·{' '}
            <Link to={`/changes?object_type=peering-session&object_id=${s.id}`}>history</Link>
          </>
        }
      />
      {createdRows.data && createdRows.data.results.length > 1 && (
        <Alert color="green" variant="light" p="xs" data-testid="created-sessions">
          The wizard created {createdRows.data.results.length} sessions:{' '}
          {createdRows.data.results.map((c, i) => (
            <span key={c.id}>
              {i ? ', ' : ''}
              {c.id === id ? (
                <b className="mono">{c.peer_ip}</b>
              ) : (
                <Link to={`/peering-sessions/${c.id}?created=${created.join(',')}`} className="mono">
                  {c.peer_ip}
                </Link>
              )}
              <span className="muted">
                {' '}
                (IPv{c.family}
                {c.local_ip ? '' : ', no source'})
              </span>
            </span>
          ))}
        </Alert>
      )}
      {warnings.data && warnings.data.warnings.length > 0 && (
        <Alert color="orange" variant="light" p="xs" title="Before deploying" data-testid="session-warnings">
          <ul style={{ margin: 0, paddingLeft: 18 }}>
            {warnings.data.warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </Alert>
      )}
      <Group gap={6} className="session-actions" mt={-6}>
        <>
          {canWrite && (
            <Button
              variant="default"
              onClick={() => navigate('/peering-sessions/new')}
              data-testid="add-sessions-button"
            >
              Add Sessions
            </Button>
          )}
          {/* Configure pushes to the router in one click (needs drivers); the Config Manager shows the candidate, and with drivers edits and deploys it with one-time commands and credentials. */}
          <CapButton
            ok={configureOk}
            cap={caps.templates ? 'drivers' : 'templates'}
            variant="default"
            onClick={() => setConfiguring(true)}
            data-testid="configure-button"
          >
            Configure
          </CapButton>
          <CapButton
            ok={caps.templates}
            cap="templates"
            variant="default"
            onClick={() => navigate(`/peering-sessions/${id}/config-manager`)}
            data-testid="config-manager-button"
          >
            Config Manager
          </CapButton>
          <CapButton
            ok={caps.email}
            cap="email"
            variant="default"
            onClick={() => compose(id)}
            data-testid="email-button"
          >
            Email
          </CapButton>
          <CapButton
            ok={caps.email}
            cap="email"
            variant="default"
            onClick={() => compose(id, 'session-down')}
            data-testid="session-down-mail"
          >
            Session down mail
          </CapButton>
          {canWrite && (
            <>
              <Tooltip label={ADMIN_TOOLTIP} multiline w={280}>
                <Button
                  variant="default"
                  color="green"
                  onClick={() => admin(true)}
                  disabled={s.enabled}
                  data-testid="admin-up"
                >
                  Admin Up
                </Button>
              </Tooltip>
              <Tooltip label={ADMIN_TOOLTIP} multiline w={280}>
                <Button variant="default" onClick={() => admin(false)} disabled={!s.enabled} data-testid="admin-down">
                  Admin Down
                </Button>
              </Tooltip>
              <Button
                variant="default"
                onClick={() => navigate(`/peering-sessions/${id}/edit`)}
                data-testid="edit-button"
              >
                Edit
              </Button>
              <Button color="red" variant="light" onClick={del} data-testid="delete-button">
                Delete
              </Button>
              {caps.drivers && (
                <Button
                  color="red"
                  variant="subtle"
                  onClick={removeFromRouterAndDelete}
                  data-testid="remove-from-router-button"
                >
                  Delete from router
                </Button>
              )}
            </>
          )}
        </>
      </Group>
      <div className="session-top">
        <Paper withBorder p="sm" className="panel">
          <Title order={5} mb={6}>
            Live state
          </Title>
          <dl className="fields compact">
            <div>
              <dt>state</dt>
              <dd>
                <StateBadge state={s.state} />{' '}
                {s.state_since ? (
                  <span className="muted small">
                    for {ago(s.state_since)} (since {fmtTime(s.state_since)})
                  </span>
                ) : null}
              </dd>
            </div>
            <div>
              <dt>prefixes received / max</dt>
              <dd>
                <PrefixUsage received={s.prefixes_received} max={s.max_prefixes} />
              </dd>
            </div>
            <div>
              <dt>accepted / advertised</dt>
              <dd className="mono">
                {s.prefixes_accepted ?? '—'} / {s.prefixes_advertised ?? '—'}
              </dd>
            </div>
            <div>
              <dt>last error</dt>
              <dd>{s.last_error ?? <span className="muted">—</span>}</dd>
            </div>
            <div>
              <dt>polled at</dt>
              <dd>{fmtTime(s.polled_at)}</dd>
            </div>
          </dl>
        </Paper>
        <Paper withBorder p="sm" className="panel">
          <Suspense fallback={<Text size="xs">Loading charts…</Text>}>
            {history.data ? (
              <SessionCharts events={history.data} sessionId={id} />
            ) : (
              <Text size="xs">Loading history…</Text>
            )}
          </Suspense>
        </Paper>
      </div>
      <Paper withBorder p="sm" className="panel">
        <Title order={5} mb={6}>
          Session
        </Title>
        <FieldGrid
          row={s}
          hide={[
            'state',
            'state_since',
            'prefixes_received',
            'prefixes_accepted',
            'prefixes_advertised',
            'last_error',
            'polled_at',
          ]}
          order={[
            'router',
            'local_ip',
            'local_asn',
            'peer_asn',
            'peer_ip',
            'family',
            'peer_group',
            'relationship',
            'fabric',
            'network',
            'service_reference',
            'notes',
            'enabled',
            'status',
            'max_prefixes',
            'bgp_peer',
            'vrf',
          ]}
          show={{
            peer_asn: (r) => (
              <ObjLink res="peer-asns" id={r.peer_asn.id}>
                {r.peer_asn.name} (AS{r.peer_asn.asn})
              </ObjLink>
            ),
            relationship: (r) => <RelationshipBadge rel={r.relationship} />,
            status: (r) => <StatusBadge status={r.status} />,
            local_asn: (r) => asText(r.local_asn),
            family: (r) => `IPv${r.family}`,
            network: (r) =>
              r.network ? (
                <ObjLink res="peering-networks" id={r.network.id}>
                  {r.network.name} ({r.network.prefix})
                </ObjLink>
              ) : (
                'No Exchange'
              ),
            bgp_peer: (r) => (
              <ObjLink res="bgp-peers" id={r.bgp_peer.id}>
                {r.bgp_peer.name ?? `#${r.bgp_peer.id}`}
              </ObjLink>
            ),
            local_ip: (r) => <span className="mono">{r.local_ip ?? '—'}</span>,
            peer_ip: (r) => <span className="mono">{r.peer_ip}</span>,
            address_families: (r) =>
              r.address_families.length ? (
                r.address_families
                  .map((a) => `${a.afi_safi}${a.max_prefixes != null ? ` (max ${a.max_prefixes})` : ''}`)
                  .join(', ')
              ) : (
                <span className="muted">none</span>
              ),
          }}
        />
        <Text size="xs" c="dimmed" mt={6}>
          BGP settings (timers, policies, MD5, address families) live on the{' '}
          <Link to={`/bgp-peers/${s.bgp_peer.id}`}>BGP peer</Link>;{' '}
          <Link to={`/bgp-peers/${s.bgp_peer.id}/edit`}>edit them there</Link>.
        </Text>
      </Paper>
    </Stack>
  );
}
