// Rollouts: the list (route `/rollouts`, filtered by status) and one rollout (route `/rollouts/:id`):
// its status, when it runs, and its routers in order (the canary marked) with each one's deployment,
// status and reason. The page re-reads the rollout while it is scheduled or running.
import { Alert, Badge, Group, Paper, Select, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import type { Schemas } from '../../api/client';
import { RolloutStatus } from '../../api/enums';
import { JobStatus } from '../../components/JobStatus';
import { ago, fmtTime } from '../../components/format';
import { Link, navigate, useLocation } from '../../app/router';
import { ErrorBox, PageHeader } from '../ResourcePages';
import { DeploymentStatusBadge } from '../DeployPages';
import { useMe, roleAtLeast } from '../../app/session';
import { CancelButton } from './CancelButton';
import { getRollout, listRollouts, untilText } from './deployApi';

type Rollout = Schemas['Rollout'];

const COLOURS: Record<RolloutStatus, string> = {
  scheduled: 'yellow',
  running: 'blue',
  done: 'green',
  stopped: 'orange',
  failed: 'red',
};

/** A rollout's status as a badge. */
export function RolloutStatusBadge({ status }: { status: RolloutStatus }) {
  return (
    <Badge
      size="sm"
      variant="light"
      color={COLOURS[status] ?? 'gray'}
      styles={{ root: { textTransform: 'none' } }}
      data-testid="rollout-status"
      data-status={status}
    >
      {status}
    </Badge>
  );
}

/** When a rollout runs (or ran): the time, and "in 59 min" while it is to come. */
function RunAt({ r }: { r: Pick<Rollout, 'status' | 'run_at'> }) {
  const future = r.status === 'scheduled' && new Date(r.run_at).getTime() > Date.now();
  return (
    <span title={r.run_at} data-testid="rollout-run-at">
      {fmtTime(r.run_at)}
      {future && <span className="muted"> ({untilText(r.run_at)})</span>}
    </span>
  );
}

/** What the rollout does, in words: dry run, canary, forced. */
const modeText = (r: Pick<Rollout, 'dry_run' | 'canary' | 'force'>) =>
  [r.dry_run ? 'dry run' : 'apply', r.canary ? 'canary first' : 'all at once', r.force ? 'forced' : '']
    .filter(Boolean)
    .join(' · ');

/** The rollouts list, newest first. */
export function RolloutsPage() {
  const { search } = useLocation();
  const status = search.get('status');
  const q = useQuery({
    queryKey: ['list', 'rollouts', status],
    // The status as the address has it: the API refuses an unknown one (shown as the error).
    queryFn: () => listRollouts({ limit: 100, offset: 0, ...(status ? { status: status as RolloutStatus } : {}) }),
    refetchInterval: (query) => (query.state.data?.results.some((r) => r.status === 'running') ? 2000 : 10_000),
  });
  return (
    <Stack gap="sm">
      <PageHeader
        title="Rollouts"
        subtitle={
          q.data
            ? `${q.data.count} rollout(s), newest first · a rollout configures several routers: the canary first, then the rest, stopping at the first that does not end done`
            : undefined
        }
      />
      <Group gap={6}>
        <Select
          size="xs"
          w={200}
          placeholder="Any status"
          clearable
          data={[...RolloutStatus]}
          value={status}
          onChange={(v) => navigate(`/rollouts${v ? `?status=${v}` : ''}`)}
          data-testid="rollouts-status-filter"
        />
      </Group>
      {q.error ? (
        <ErrorBox error={q.error} />
      ) : !q.data ? (
        <Text size="sm">Loading…</Text>
      ) : !q.data.results.length ? (
        <Text size="sm" c="dimmed" data-testid="rollouts-empty">
          No rollouts{status ? ` with status ${status}` : ''}. Start one from the Sessions list: select sessions, then
          Actions → Configure.
        </Text>
      ) : (
        <Paper withBorder className="panel">
          <Table fz="xs" striped highlightOnHover data-testid="rollouts-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>#</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Runs at</Table.Th>
                <Table.Th>Routers</Table.Th>
                <Table.Th>Mode</Table.Th>
                <Table.Th>Reason</Table.Th>
                <Table.Th>By</Table.Th>
                <Table.Th>Created</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {q.data.results.map((r) => (
                <Table.Tr key={r.id} data-testid="rollout-row" data-id={r.id}>
                  <Table.Td>
                    <Link to={`/rollouts/${r.id}`}>#{r.id}</Link>
                  </Table.Td>
                  <Table.Td>
                    <RolloutStatusBadge status={r.status} />
                  </Table.Td>
                  <Table.Td>
                    <RunAt r={r} />
                  </Table.Td>
                  <Table.Td data-testid="rollout-routers">
                    {r.routers.map((x) => `${x.router.name}${x.canary ? ' (canary)' : ''}`).join(', ')}
                  </Table.Td>
                  <Table.Td>{modeText(r)}</Table.Td>
                  <Table.Td>{r.reason ?? ''}</Table.Td>
                  <Table.Td>{r.created_by ?? '—'}</Table.Td>
                  <Table.Td title={fmtTime(r.created_at)}>{ago(r.created_at)} ago</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Paper>
      )}
    </Stack>
  );
}

/** One rollout: status, run time, the routers in order with their deployments; re-read while it is live. */
export function RolloutPage({ id }: { id: number }) {
  const me = useMe().data;
  const q = useQuery({
    queryKey: ['rollout', id],
    queryFn: () => getRollout(id),
    refetchInterval: (query) => {
      const r = query.state.data;
      if (!r) return false;
      if (r.status === 'running') return 1000;
      // Scheduled: slowly until its time, then quickly (the worker picks it up).
      if (r.status === 'scheduled') return new Date(r.run_at).getTime() - Date.now() > 60_000 ? 10_000 : 1000;
      return false;
    },
  });
  if (q.error) return <ErrorBox error={q.error} />;
  const r = q.data;
  if (!r) return <Text size="sm">Loading…</Text>;
  const routers = r.routers;
  // Not started yet: its creator or an admin may cancel it (and its deployments).
  const canCancel =
    r.status === 'scheduled' &&
    me?.can_write !== false &&
    (roleAtLeast(me?.role, 'admin') || (roleAtLeast(me?.role, 'operator') && r.created_by === me?.username));
  return (
    <Stack gap="sm" data-testid="rollout-page" data-status={r.status}>
      <PageHeader
        title={
          <Group gap={8}>
            <span>Rollout #{r.id}</span>
            <RolloutStatusBadge status={r.status} />
          </Group>
        }
        subtitle={
          <>
            <Link to="/rollouts">Rollouts</Link> · {routers.length} router(s) · {modeText(r)} · by {r.created_by ?? '—'}{' '}
            {ago(r.created_at)} ago
          </>
        }
      />
      {canCancel && (
        <Group gap={6} data-testid="rollout-cancel-panel">
          <CancelButton
            kind="rollout"
            id={r.id}
            queryKey={['rollout', id]}
            hint={`The rollout has not started (it runs at ${fmtTime(r.run_at)}): cancelling it removes its queued job and cancels its ${routers.length} deployment(s). Nothing was or will be changed on the routers.`}
          />
        </Group>
      )}
      {r.reason && (
        <Alert
          color={r.status === 'done' ? 'green' : r.reason.startsWith('cancelled') ? 'gray' : 'red'}
          variant="light"
          p="xs"
          data-testid="rollout-reason"
        >
          {r.reason}
        </Alert>
      )}
      <Paper withBorder p="sm" className="panel">
        <Group gap="lg" align="flex-start">
          <Stack gap={2}>
            <Text size="xs" c="dimmed">
              {r.status === 'scheduled' ? 'Runs at' : r.reason?.startsWith('cancelled') ? 'Was to run at' : 'Ran at'}
            </Text>
            <Text size="sm">
              <RunAt r={r} />
            </Text>
          </Stack>
          <Stack gap={2}>
            <Text size="xs" c="dimmed">
              Canary
            </Text>
            <Text size="sm">
              {r.canary && routers.length > 1
                ? `${routers[0]!.router.name} first, then the rest`
                : r.canary
                  ? 'on (one router only)'
                  : 'off: every router at once'}
            </Text>
          </Stack>
          <Stack gap={2}>
            <Text size="xs" c="dimmed">
              Finished
            </Text>
            <Text size="sm">{fmtTime(r.finished_at)}</Text>
          </Stack>
          {r.session_ids.length > 0 && (
            <Stack gap={2}>
              <Text size="xs" c="dimmed">
                Sessions
              </Text>
              <Text size="sm">
                {r.session_ids.map((sid, i) => (
                  <span key={sid}>
                    {i ? ', ' : ''}
                    <Link to={`/peering-sessions/${sid}`}>#{sid}</Link>
                  </span>
                ))}
              </Text>
            </Stack>
          )}
          {r.job_id && (
            <Stack gap={2}>
              <Text size="xs" c="dimmed">
                Job
              </Text>
              {r.status === 'scheduled' ? (
                <Link to={`/jobs/${r.job_id}`}>job #{r.job_id}</Link>
              ) : (
                <JobStatus id={r.job_id} />
              )}
            </Stack>
          )}
        </Group>
      </Paper>
      <Paper withBorder p="sm" className="panel">
        <Title order={5} mb={6}>
          Routers, in order
        </Title>
        <Table fz="xs" data-testid="rollout-routers-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Order</Table.Th>
              <Table.Th>Router</Table.Th>
              <Table.Th>Deployment</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Reason</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {routers.map((x) => (
              <Table.Tr
                key={x.deployment_id}
                data-testid="rollout-router-row"
                data-router={x.router.name}
                data-canary={x.canary ? 'true' : 'false'}
              >
                <Table.Td>{x.order}</Table.Td>
                <Table.Td>
                  <Link to={`/routers/${x.router.id}`}>{x.router.name}</Link>
                  {x.canary && (
                    <Badge size="xs" ml={6} color="grape" variant="light" data-testid="rollout-canary">
                      canary
                    </Badge>
                  )}
                </Table.Td>
                <Table.Td>
                  <Link to={`/deployments/${x.deployment_id}`}>#{x.deployment_id}</Link>
                </Table.Td>
                <Table.Td>
                  <Link
                    to={`/deployments/${x.deployment_id}`}
                    aria-label={`deployment #${x.deployment_id}: ${x.status}`}
                  >
                    <DeploymentStatusBadge
                      status={x.status}
                      d={{ status: x.status, rollout_id: r.id, needs_approval: false }}
                    />
                  </Link>
                  {x.has_changes === false && <span className="muted"> · no changes</span>}
                </Table.Td>
                <Table.Td>
                  {x.reason ??
                    (r.status === 'scheduled' ? <span className="muted">waits for {fmtTime(r.run_at)}</span> : '')}
                  {x.failed_check && (
                    <span className="muted">
                      {' '}
                      (check: <span className="mono">{x.failed_check}</span>)
                    </span>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Paper>
    </Stack>
  );
}
