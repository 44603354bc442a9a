// The router page: its fields (the generic detail screen) plus what the router says live — state
// summary, last poll (time, error, job), max-prefix warnings, maintenance, the drift report, import of
// the sessions it already has (preview, then import) and its recent jobs.
import { useState, type ReactNode } from 'react';
import { Alert, Badge, Button, Checkbox, Group, Paper, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, type Schemas } from '../api/client';
import { StateBadge } from '../components/badges';
import { ago, asText, fmtTime } from '../components/format';
import { JobStatus } from '../components/JobStatus';
import { Link } from '../app/router';
import { useCapabilities, useMe, roleAtLeast } from '../app/session';
import { RouterDeployPanel } from './deploy/RouterDeploy';
import { ErrorBox, resourceRoute } from './ResourcePages';

type ImportResult = Schemas['ImportResult'];
/** What the router page reads of a finished poll job (JobStatus hands it over, typed loosely: every field optional). */
type PolledJob = Partial<Pick<Schemas['Job'], 'status' | 'error' | 'result'>>;

/** The routers of a `bgp.poll` job's result (the spec leaves Job.result open: unknown). */
export function pollResultRouters(result: unknown): Schemas['RouterPollResult'][] {
  const routers = result && typeof result === 'object' && 'routers' in result ? result.routers : undefined;
  return Array.isArray(routers) ? (routers as Schemas['RouterPollResult'][]) : [];
}

/** One poll outcome per router, as the poll job's result lists them (for toasts and the router page). */
export function pollOutcomeText(routers: Schemas['RouterPollResult'][]): string {
  return routers
    .map((r) =>
      r.ok ? `${r.name}: reached, ${r.neighbors} neighbours, ${r.changed} changed` : `${r.name}: failed — ${r.error}`,
    )
    .join('; ');
}

/** The router page (route `/routers/:id`): the generic detail screen and the live panels below it. */
export default function RouterPage({ id }: { id: number }) {
  return (
    <Stack gap="sm">
      {resourceRoute(`/routers/${id}`)}
      <RouterLivePanels id={id} />
    </Stack>
  );
}

/** The live panels of a router (usable on their own). */
export function RouterLivePanels({ id }: { id: number }) {
  const qc = useQueryClient();
  const me = useMe().data;
  const canWrite = roleAtLeast(me?.role, 'operator') && me?.can_write !== false;
  const caps = useCapabilities();
  const live = useQuery({
    queryKey: ['router-live', id],
    queryFn: async () => unwrap(await api.GET('/api/routers/{id}/live/', { params: { path: { id } } })),
    refetchInterval: 10_000,
  });
  const [pollJob, setPollJob] = useState<number | null>(null);
  const [maintMessage, setMaintMessage] = useState('');
  const refresh = () => qc.invalidateQueries({ queryKey: ['router-live', id] });

  const pollNow = async () => {
    try {
      const q = unwrap(await api.POST('/api/routers/{id}/poll/', { params: { path: { id } } }));
      setPollJob(q.job_id);
    } catch (e) {
      notifications.show({ title: 'Poll failed', message: (e as Error).message, color: 'red' });
    }
  };
  const onPolled = (job: PolledJob) => {
    refresh();
    qc.invalidateQueries({ queryKey: ['list'] });
    const routers = pollResultRouters(job.result);
    const failed = routers.filter((r) => !r.ok).length;
    notifications.show({
      message: routers.length ? pollOutcomeText(routers) : `Poll ${job.status}${job.error ? `: ${job.error}` : ''}`,
      color: job.status !== 'succeeded' || failed ? 'red' : 'green',
    });
  };
  const maintenance = async (start: boolean) => {
    try {
      const l = live.data!;
      const res = start
        ? unwrap(await api.POST('/api/maintenances/', { body: { router: id, message: maintMessage || null } }))
        : unwrap(await api.POST('/api/maintenances/{id}/end/', { params: { path: { id: l.maintenance!.id } } }));
      const a = res.action;
      notifications.show({
        message: `${start ? 'Maintenance started' : 'Maintenance ended'}: ${a.results.length} session(s) ${start ? 'down' : 'restored'}${a.failed ? `, ${a.failed} failed` : ''}${a.applied_on_device ? '' : ' (not every change reached the router)'}`,
        color: a.failed ? 'orange' : 'green',
      });
    } catch (e) {
      notifications.show({ title: 'Maintenance failed', message: (e as Error).message, color: 'red' });
    }
    refresh();
    qc.invalidateQueries({ queryKey: ['list'] });
  };

  if (live.error) return <ErrorBox error={live.error} />;
  const l = live.data;
  if (!l) return <Text size="sm">Loading live state…</Text>;
  return (
    <Stack gap="sm" data-testid="router-live">
      <RouterDeployPanel
        routerId={id}
        routerName={l.router?.name ?? `router #${id}`}
        canDeploy={canWrite && caps.templates && caps.drivers}
      />
      <Paper withBorder p="sm" className="panel">
        <Group justify="space-between" mb={6}>
          <Title order={5}>Live state</Title>
          <Group gap={6}>
            {pollJob && <JobStatus key={pollJob} id={pollJob} onDone={onPolled} />}
            {canWrite && (
              <Button
                size="xs"
                variant="default"
                onClick={pollNow}
                disabled={!l.pollable}
                title={l.not_pollable_reason ?? undefined}
                data-testid="router-poll"
              >
                Poll now
              </Button>
            )}
          </Group>
        </Group>
        <Group gap="lg" align="flex-start">
          <Stack gap={2}>
            <Text size="xs" c="dimmed">
              Last polled
            </Text>
            <Text size="sm" data-testid="router-last-polled" title={fmtTime(l.last_polled_at)}>
              {l.last_polled_at ? ago(l.last_polled_at) : 'never'}
              {l.last_poll_job_id && (
                <>
                  {' '}
                  · <Link to={`/jobs/${l.last_poll_job_id}`}>job #{l.last_poll_job_id}</Link>
                </>
              )}
            </Text>
          </Stack>
          <Stack gap={2}>
            <Text size="xs" c="dimmed">
              Driver
            </Text>
            <Text size="sm">
              {l.driver ? `${l.driver.label}` : 'none'}
              {l.driver && (
                <span className="muted">
                  {' '}
                  · admin up/down {l.admin_on_device ? 'on the device' : 'in Peerdesk only'}
                </span>
              )}
            </Text>
          </Stack>
          <Stack gap={2}>
            <Text size="xs" c="dimmed">
              Sessions ({l.sessions})
            </Text>
            <Group gap={4} data-testid="router-by-state">
              {Object.entries(l.by_state).map(([state, n]) => (
                <Link key={state} to={`/?router=${id}&state=${state}`}>
                  <Group gap={2}>
                    <StateBadge state={state} /> <Text size="xs">{n}</Text>
                  </Group>
                </Link>
              ))}
              {!l.sessions && (
                <Text size="xs" c="dimmed">
                  none
                </Text>
              )}
            </Group>
          </Stack>
        </Group>
        {!l.pollable && (
          <Alert color="gray" variant="light" p="xs" mt={6}>
            Not pollable: {l.not_pollable_reason}
          </Alert>
        )}
        {l.last_poll_error && (
          <Alert color="red" variant="light" p="xs" mt={6} title="Last poll failed" data-testid="router-last-error">
            {l.last_poll_error}
          </Alert>
        )}
        {l.max_prefix_warnings.length > 0 && (
          <Alert
            color="orange"
            variant="light"
            p="xs"
            mt={6}
            title="At or above 90% of max-prefix"
            data-testid="router-max-prefix"
          >
            {l.max_prefix_warnings.map((w) => (
              <div key={w.bgp_peer_id} className="mono">
                {w.peer_ip} {asText(w.remote_asn)}: {w.received} / {w.limit} ({w.percent}%)
              </div>
            ))}
          </Alert>
        )}
      </Paper>

      <Paper withBorder p="sm" className="panel">
        <Group justify="space-between">
          <Title order={5}>Maintenance</Title>
          {l.maintenance ? (
            <Badge color="orange">in maintenance since {fmtTime(l.maintenance.started_at)}</Badge>
          ) : (
            <Badge color="gray">none</Badge>
          )}
        </Group>
        {canWrite && (
          <Group gap={6} mt={6}>
            {l.maintenance ? (
              <Button size="xs" variant="default" onClick={() => maintenance(false)} data-testid="maintenance-end">
                End maintenance (restore each session)
              </Button>
            ) : (
              <>
                <TextInput
                  size="xs"
                  placeholder="Shutdown message (RFC 8203, optional)"
                  value={maintMessage}
                  onChange={(e) => setMaintMessage(e.currentTarget.value)}
                  maxLength={255}
                  w={320}
                />
                <Button
                  size="xs"
                  color="orange"
                  variant="light"
                  onClick={() => maintenance(true)}
                  disabled={!l.sessions}
                  data-testid="maintenance-start"
                >
                  Start maintenance (all sessions down)
                </Button>
              </>
            )}
          </Group>
        )}
      </Paper>

      <DriftPanel id={id} enabled={l.pollable} />
      {canWrite && <ImportPanel id={id} enabled={l.pollable} onDone={refresh} />}

      <Paper withBorder p="sm" className="panel">
        <Title order={5} mb={6}>
          Recent jobs
        </Title>
        {l.recent_jobs.length ? (
          <Table fz="xs" data-testid="router-jobs">
            <Table.Tbody>
              {l.recent_jobs.map((j) => (
                <Table.Tr key={j.id}>
                  <Table.Td>
                    <Link to={`/jobs/${j.id}`}>#{j.id}</Link>
                  </Table.Td>
                  <Table.Td className="mono">{j.kind}</Table.Td>
                  <Table.Td>{j.status}</Table.Td>
                  <Table.Td title={fmtTime(j.created_at)}>{ago(j.created_at)}</Table.Td>
                  <Table.Td c="red">{j.error ?? ''}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        ) : (
          <Text size="xs" c="dimmed">
            No jobs yet.
          </Text>
        )}
      </Paper>
    </Stack>
  );
}

/** Drift report: read on demand (it asks the router). */
function DriftPanel({ id, enabled }: { id: number; enabled: boolean }) {
  const [run, setRun] = useState(0);
  const drift = useQuery({
    queryKey: ['router-drift', id, run],
    queryFn: async () => unwrap(await api.GET('/api/routers/{id}/drift/', { params: { path: { id } } })),
    enabled: run > 0,
    retry: false,
  });
  const d = drift.data;
  return (
    <Paper withBorder p="sm" className="panel" data-testid="drift-panel">
      <Group justify="space-between" mb={6}>
        <Title order={5}>Drift</Title>
        <Button
          size="xs"
          variant="default"
          onClick={() => setRun((n) => n + 1)}
          disabled={!enabled}
          loading={drift.isFetching}
          data-testid="drift-check"
        >
          {run ? 'Check again' : 'Compare with the router'}
        </Button>
      </Group>
      {drift.error && <ErrorBox error={drift.error} />}
      {d && (
        <Stack gap={6}>
          <Text size="xs" c="dimmed" data-testid="drift-summary">
            {d.neighbors} neighbours on the router, {d.peers} BGP peers in Peerdesk, {d.in_sync} in sync · checked{' '}
            {fmtTime(d.checked_at)}
          </Text>
          {!d.unknown_on_router.length && !d.missing_on_router.length && !d.differences.length && (
            <Alert color="green" variant="light" p="xs">
              The router and Peerdesk agree.
            </Alert>
          )}
          {d.unknown_on_router.length > 0 && (
            <DriftTable
              title="On the router, unknown to Peerdesk (import them below)"
              testid="drift-unknown"
              rows={d.unknown_on_router.map((u) => [
                u.vrf ?? '',
                u.peer_ip,
                asText(u.remote_asn),
                u.state,
                u.description ?? '',
              ])}
            />
          )}
          {d.missing_on_router.length > 0 && (
            <DriftTable
              title="In Peerdesk, missing on the router"
              testid="drift-missing"
              rows={d.missing_on_router.map((m) => [
                m.vrf ?? '',
                m.session_id ? <Link to={`/peering-sessions/${m.session_id}`}>{m.peer_ip}</Link> : m.peer_ip,
                asText(m.remote_asn),
                m.enabled ? 'enabled' : 'disabled',
                m.description ?? '',
              ])}
            />
          )}
          {d.differences.length > 0 && (
            <DriftTable
              title="Different"
              testid="drift-differences"
              rows={d.differences.map((x) => [
                x.vrf ?? '',
                x.session_id ? <Link to={`/peering-sessions/${x.session_id}`}>{x.peer_ip}</Link> : x.peer_ip,
                x.field,
                `Peerdesk: ${String(x.peerdesk ?? '—')}`,
                `router: ${String(x.router ?? '—')}`,
              ])}
            />
          )}
        </Stack>
      )}
    </Paper>
  );
}

function DriftTable({ title, rows, testid }: { title: string; rows: ReactNode[][]; testid: string }) {
  return (
    <div>
      <Text size="xs" fw={600}>
        {title}
      </Text>
      <Table fz="xs" data-testid={testid}>
        <Table.Tbody>
          {rows.map((r, i) => (
            <Table.Tr key={i}>
              {r.map((c, j) => (
                <Table.Td key={j} className={j === 1 ? 'mono' : undefined}>
                  {c}
                </Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </div>
  );
}

/** Import of the router's existing sessions: preview (dry run), choose, import. */
function ImportPanel({ id, enabled, onDone }: { id: number; enabled: boolean; onDone: () => void }) {
  const qc = useQueryClient();
  const [preview, setPreview] = useState<ImportResult | null>(null);
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const importable = (preview?.items ?? []).filter((i) => i.action === 'create' || i.action === 'wrap');

  const run = async (dryRun: boolean) => {
    setBusy(true);
    setError(null);
    try {
      const body = dryRun ? { dry_run: true } : { dry_run: false, peer_ips: [...chosen] };
      const res = unwrap(await api.POST('/api/routers/{id}/import/', { params: { path: { id } }, body }));
      if (dryRun) {
        setPreview(res);
        setChosen(new Set(res.items.filter((i) => i.action === 'create' || i.action === 'wrap').map((i) => i.peer_ip)));
      } else {
        notifications.show({ message: `Imported ${res.created} session(s) (job #${res.job_id})`, color: 'green' });
        setPreview(null);
        onDone();
        qc.invalidateQueries({ queryKey: ['list'] });
        qc.invalidateQueries({ queryKey: ['router-drift', id] });
      }
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Paper withBorder p="sm" className="panel" data-testid="import-panel">
      <Group justify="space-between" mb={6}>
        <Title order={5}>Import existing sessions</Title>
        <Group gap={6}>
          <Button
            size="xs"
            variant="default"
            onClick={() => run(true)}
            disabled={!enabled}
            loading={busy && !preview}
            data-testid="import-preview"
          >
            Preview
          </Button>
          {preview && (
            <Button
              size="xs"
              onClick={() => run(false)}
              disabled={!chosen.size}
              loading={busy}
              data-testid="import-run"
            >
              Import {chosen.size} session(s)
            </Button>
          )}
        </Group>
      </Group>
      {error !== null && <ErrorBox error={error} />}
      {preview && (
        <>
          <Text size="xs" c="dimmed" mb={4} data-testid="import-summary">
            {preview.neighbors} neighbours: {preview.created} to import, {preview.existing} already in Peerdesk,{' '}
            {preview.skipped} skipped
          </Text>
          <Table fz="xs" data-testid="import-items">
            <Table.Thead>
              <Table.Tr>
                <Table.Th />
                <Table.Th>Neighbour</Table.Th>
                <Table.Th>Peer</Table.Th>
                <Table.Th>Exchange LAN</Table.Th>
                <Table.Th>State</Table.Th>
                <Table.Th>Action</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {preview.items.map((i) => {
                const can = i.action === 'create' || i.action === 'wrap';
                return (
                  <Table.Tr key={`${i.vrf ?? ''}|${i.peer_ip}`} data-action={i.action}>
                    <Table.Td>
                      <Checkbox
                        size="xs"
                        disabled={!can}
                        checked={can && chosen.has(i.peer_ip)}
                        onChange={(e) => {
                          const next = new Set(chosen);
                          if (e.currentTarget.checked) next.add(i.peer_ip);
                          else next.delete(i.peer_ip);
                          setChosen(next);
                        }}
                        aria-label={`import ${i.peer_ip}`}
                      />
                    </Table.Td>
                    <Table.Td className="mono">
                      {i.vrf ? `${i.vrf}/` : ''}
                      {i.peer_ip}
                    </Table.Td>
                    <Table.Td>
                      {i.peer_asn ? (
                        <>
                          {asText(i.peer_asn.asn)} {i.peer_asn.name}
                          {!i.peer_asn.exists && (
                            <span className="muted"> (new{i.peer_asn.from_peeringdb ? ', from PeeringDB' : ''})</span>
                          )}
                        </>
                      ) : (
                        asText(i.remote_asn)
                      )}
                    </Table.Td>
                    <Table.Td>
                      {i.network ? (
                        `${i.network.name} (${i.network.prefix})`
                      ) : (
                        <span className="muted">No Exchange</span>
                      )}
                    </Table.Td>
                    <Table.Td>
                      <StateBadge state={i.state} />
                    </Table.Td>
                    <Table.Td>
                      {i.session_id ? <Link to={`/peering-sessions/${i.session_id}`}>{i.action}</Link> : i.action}
                      {i.reason && <span className="muted"> — {i.reason}</span>}
                    </Table.Td>
                  </Table.Tr>
                );
              })}
              {preview.not_on_router.map((ip) => (
                <Table.Tr key={`missing-${ip}`}>
                  <Table.Td />
                  <Table.Td className="mono">{ip}</Table.Td>
                  <Table.Td colSpan={4}>not a neighbour on the router</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          {!importable.length && (
            <Text size="xs" c="dimmed">
              Nothing to import: every neighbour is in Peerdesk already or skipped.
            </Text>
          )}
        </>
      )}
    </Paper>
  );
}
