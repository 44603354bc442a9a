// Deployment pages: the list (router, action, status, who, when; filtered by status), one deployment
// (diff, log, why it ended, Approve / Reject for admins) and the session's Configure dialog (dry run →
// diff → Apply → result) and the start of a delete that also removes the session from its router.
import { useEffect, useState } from 'react';
import { Alert, Badge, Button, Group, Modal, Paper, Select, Stack, Table, Text, Textarea, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, type Page, type Schemas } from '../api/client';
import { DeploymentStatus } from '../api/enums';
import { UnifiedDiff } from '../components/Diff';
import { JobStatus } from '../components/JobStatus';
import { ago, fmtTime } from '../components/format';
import { Link, navigate, useLocation } from '../app/router';
import { useMe, roleAtLeast } from '../app/session';
import { ErrorBox, PageHeader } from './ResourcePages';
import { CancelButton } from './deploy/CancelButton';
import type { Started } from './deploy/deployApi';

/** A deployment in a list (no candidate, diff or log). */
type Deployment = Schemas['Deployment'];
/** One deployment with its candidate, diff and log. */
type DeploymentDetail = Schemas['DeploymentDetail'];
/** What the status words need: a rollout row's deployment has no `run_at` of its own. */
type StatusFacts = Pick<Deployment, 'status' | 'needs_approval' | 'rollout_id'> & { run_at?: string | null };

const FINAL = new Set<string>(['done', 'rolled_back', 'failed', 'rejected', 'cancelled'] satisfies DeploymentStatus[]);
const STATUS_COLOURS: Record<DeploymentStatus, string> = {
  planned: 'yellow',
  approved: 'cyan',
  applying: 'blue',
  confirming: 'blue',
  done: 'green',
  rolled_back: 'orange',
  failed: 'red',
  rejected: 'gray',
  cancelled: 'gray',
};
const STATUS_LABELS: Partial<Record<string, string>> = { planned: 'waiting for approval', rolled_back: 'rolled back' };

/** True once a deployment can change no more (the pages stop polling). */
export const isFinal = (status: string | undefined) => Boolean(status && FINAL.has(status));

/** One deployment's status as a coloured badge ("planned" reads "waiting for approval", or what else it waits for when `d` says so). */
export function DeploymentStatusBadge({ status, d }: { status: DeploymentStatus; d?: StatusFacts }) {
  return (
    <Badge
      size="sm"
      variant="light"
      color={STATUS_COLOURS[status] ?? 'gray'}
      styles={{ root: { textTransform: 'none' } }}
      data-testid="deployment-status"
      data-status={status}
    >
      {d ? statusText(d) : (STATUS_LABELS[status] ?? status)}
    </Badge>
  );
}

/** A deployment's status in words: a planned one waits for its rollout, its scheduled time or an approval. */
export function statusText(d: StatusFacts): string {
  if (d.status === 'planned' && !d.needs_approval) {
    if (d.rollout_id) return 'waiting for its rollout';
    if (d.run_at) return 'scheduled';
  }
  return STATUS_LABELS[d.status] ?? d.status;
}

/** Reads one deployment with its candidate, diff and log. */
const getDeployment = async (id: number): Promise<DeploymentDetail> =>
  unwrap(await api.GET('/api/deployments/{id}/', { params: { path: { id } } }));

/** A deployment, re-read every second until it is final. */
export function useDeployment(id: number | null) {
  return useQuery({
    queryKey: ['deployment', id],
    queryFn: () => getDeployment(id!),
    enabled: id != null,
    refetchInterval: (q) => (isFinal(q.state.data?.status) ? false : 1000),
  });
}

/** What a deployment did, in words: its action, the session and the router. */
export function whatText(d: Pick<Deployment, 'action' | 'dry_run'>): string {
  const kind = d.action === 'deploy' ? 'Deploy' : d.action === 'configure' ? 'Configure' : 'Remove from router';
  return `${kind}${d.dry_run ? ' (dry run)' : ''}`;
}

/** The diff of a deployment, or why there is none yet. */
export function DeploymentDiff({ d, testid }: { d: DeploymentDetail; testid: string }) {
  if (d.has_changes === null || d.diff == null)
    return (
      <Text size="xs" c="dimmed">
        No diff yet{isFinal(d.status) ? ' (it ended before the diff was taken)' : ''}.
      </Text>
    );
  if (!d.has_changes || !d.diff)
    return (
      <Text size="xs" c="dimmed" data-testid={testid}>
        No changes: the router already has this configuration.
      </Text>
    );
  return <UnifiedDiff text={d.diff} testid={testid} />;
}

/** Why the deployment ended as it did (reason and the failed check). */
export function Outcome({ d }: { d: Pick<Deployment, 'reason' | 'failed_check' | 'status'> }) {
  if (!d.reason && !d.failed_check) return null;
  const bad = ['failed', 'rolled_back', 'rejected'].includes(d.status);
  return (
    <Alert
      color={bad ? 'red' : d.status === 'cancelled' ? 'gray' : 'green'}
      variant="light"
      p="xs"
      data-testid="deployment-reason"
    >
      {d.reason}
      {d.failed_check && (
        <span className="muted">
          {' '}
          (check: <span className="mono">{d.failed_check}</span>)
        </span>
      )}
    </Alert>
  );
}

/** The deployments list (route `/deployments`): newest first, filtered by status (`?status=`). */
export function DeploymentsPage() {
  const { search } = useLocation();
  const status = search.get('status');
  const router = search.get('router');
  const q = useQuery({
    queryKey: ['list', 'deployments', status, router],
    queryFn: async (): Promise<Page<Deployment>> =>
      unwrap(
        await api.GET('/api/deployments/', {
          params: {
            query: {
              limit: 100,
              offset: 0,
              // As the address has it: the API refuses an unknown status (shown as the error).
              ...(status ? { status: status as DeploymentStatus } : {}),
              ...(router ? { router: Number(router) } : {}),
            },
          },
        }),
      ),
    refetchInterval: 5000,
  });
  const setStatus = (v: string | null) => {
    const qs = new URLSearchParams({ ...(v ? { status: v } : {}), ...(router ? { router } : {}) }).toString();
    navigate(`/deployments${qs ? `?${qs}` : ''}`);
  };
  return (
    <Stack gap="sm">
      <PageHeader
        title="Deployments"
        subtitle={
          q.data
            ? `${q.data.count} deployment(s)${router && q.data.results[0] ? ` on ${q.data.results[0].router.name}` : ''}, newest first`
            : undefined
        }
      />
      <Group gap={6}>
        <Select
          size="xs"
          w={220}
          placeholder="Any status"
          clearable
          data={DeploymentStatus.map((s) => ({ value: s, label: STATUS_LABELS[s] ?? s }))}
          value={status}
          onChange={setStatus}
          data-testid="deployments-status-filter"
        />
        <Button
          size="xs"
          variant={status === 'planned' ? 'filled' : 'default'}
          onClick={() => setStatus(status === 'planned' ? null : 'planned')}
          data-testid="deployments-waiting"
        >
          Waiting for approval
        </Button>
      </Group>
      {q.error ? (
        <ErrorBox error={q.error} />
      ) : !q.data ? (
        <Text size="sm">Loading…</Text>
      ) : q.data.results.length === 0 ? (
        <Text size="sm" c="dimmed" data-testid="deployments-empty">
          No deployments{status ? ` with status ${STATUS_LABELS[status] ?? status}` : ''}.
        </Text>
      ) : (
        <Paper withBorder className="panel">
          <Table fz="xs" striped highlightOnHover data-testid="deployments-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>#</Table.Th>
                <Table.Th>Router</Table.Th>
                <Table.Th>Action</Table.Th>
                <Table.Th>Session</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Reason</Table.Th>
                <Table.Th>Proposed by</Table.Th>
                <Table.Th>When</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {q.data.results.map((d) => (
                <Table.Tr key={d.id} data-testid="deployment-row" data-id={d.id}>
                  <Table.Td>
                    <Link to={`/deployments/${d.id}`}>#{d.id}</Link>
                  </Table.Td>
                  <Table.Td>
                    <Link to={`/routers/${d.router.id}`}>{d.router.name}</Link>
                  </Table.Td>
                  <Table.Td>{whatText(d)}</Table.Td>
                  <Table.Td>
                    {d.session ? (
                      <Link to={`/peering-sessions/${d.session.id}`}>{d.session.name ?? `#${d.session.id}`}</Link>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <DeploymentStatusBadge status={d.status} d={d} />
                  </Table.Td>
                  <Table.Td>{d.reason ?? ''}</Table.Td>
                  <Table.Td>{d.proposed_by ?? <span className="muted">—</span>}</Table.Td>
                  <Table.Td title={fmtTime(d.created_at)}>{ago(d.created_at)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Paper>
      )}
    </Stack>
  );
}

/** One deployment (route `/deployments/:id`): diff, log, outcome, and Approve / Reject while it waits. */
export function DeploymentPage({ id }: { id: number }) {
  const qc = useQueryClient();
  const me = useMe().data;
  const q = useDeployment(id);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const review = async (verdict: 'approve' | 'reject') => {
    setBusy(true);
    try {
      const init = { params: { path: { id } }, body: comment.trim() ? { comment: comment.trim() } : {} };
      unwrap(
        verdict === 'approve'
          ? await api.POST('/api/deployments/{id}/approve/', init)
          : await api.POST('/api/deployments/{id}/reject/', init),
      );
      notifications.show({
        message: verdict === 'approve' ? 'Approved: the deployment runs now' : 'Rejected',
        color: verdict === 'approve' ? 'green' : 'gray',
      });
      setComment('');
    } catch (e) {
      notifications.show({
        title: `${verdict === 'approve' ? 'Approve' : 'Reject'} failed`,
        message: (e as Error).message,
        color: 'red',
      });
    } finally {
      setBusy(false);
      qc.invalidateQueries({ queryKey: ['deployment', id] });
      qc.invalidateQueries({ queryKey: ['list', 'deployments'] });
    }
  };
  if (q.error) return <ErrorBox error={q.error} />;
  const d = q.data;
  if (!d) return <Text size="sm">Loading…</Text>;
  const canReview =
    d.status === 'planned' && d.needs_approval && roleAtLeast(me?.role, 'admin') && me?.can_write !== false;
  // Not started yet (scheduled, waiting for review or approved): its proposer or an admin may cancel it.
  const canCancel =
    ['planned', 'approved'].includes(d.status) &&
    !d.started_at &&
    me?.can_write !== false &&
    (roleAtLeast(me?.role, 'admin') || (roleAtLeast(me?.role, 'operator') && d.proposed_by === me?.username));
  return (
    <Stack gap="sm">
      <PageHeader
        title={
          <Group gap={8}>
            <span>
              Deployment #{d.id} · {whatText(d)}
            </span>
            <DeploymentStatusBadge status={d.status} d={d} />
          </Group>
        }
        subtitle={
          <>
            <Link to="/deployments">Deployments</Link> · on <Link to={`/routers/${d.router.id}`}>{d.router.name}</Link>
            {d.session && (
              <>
                {' '}
                · session <Link to={`/peering-sessions/${d.session.id}`}>{d.session.name ?? `#${d.session.id}`}</Link>
              </>
            )}{' '}
            · proposed by {d.proposed_by ?? '—'} {ago(d.created_at)}
          </>
        }
      />
      <Outcome d={d} />
      {canCancel && (
        <Group gap={6} data-testid="deployment-cancel-panel">
          <CancelButton kind="deployment" id={d.id} queryKey={['deployment', id]} />
          <Text size="xs" c="dimmed">
            {d.run_at
              ? `Scheduled for ${fmtTime(d.run_at)}`
              : d.status === 'planned'
                ? 'Waiting for approval'
                : 'Approved, not started'}
            : it can still be cancelled.
          </Text>
        </Group>
      )}
      <Paper withBorder p="sm" className="panel">
        <Group gap="lg" align="flex-start">
          <Stack gap={2}>
            <Text size="xs" c="dimmed">
              Template
            </Text>
            <Text size="sm">
              {d.template ? `${d.template.name}${d.template.version != null ? ` v${d.template.version}` : ''}` : '—'}
            </Text>
          </Stack>
          <Stack gap={2}>
            <Text size="xs" c="dimmed">
              Mode / confirm timeout
            </Text>
            <Text size="sm">
              {d.mode ?? '—'} · {d.confirm_timeout} s{d.force ? ' · forced' : ''}
            </Text>
          </Stack>
          <Stack gap={2}>
            <Text size="xs" c="dimmed">
              On the router
            </Text>
            <Text size="sm">{d.committed ? 'committed' : 'not committed'}</Text>
          </Stack>
          {d.run_at && (
            <Stack gap={2}>
              <Text size="xs" c="dimmed">
                Scheduled for
              </Text>
              <Text size="sm" data-testid="deployment-run-at">
                {fmtTime(d.run_at)}
              </Text>
            </Stack>
          )}
          {d.rollout_id && (
            <Stack gap={2}>
              <Text size="xs" c="dimmed">
                Rollout
              </Text>
              <Link to={`/rollouts/${d.rollout_id}`}>rollout #{d.rollout_id}</Link>
            </Stack>
          )}
          <Stack gap={2}>
            <Text size="xs" c="dimmed">
              Started / finished
            </Text>
            <Text size="sm">
              {fmtTime(d.started_at)} / {fmtTime(d.finished_at)}
            </Text>
          </Stack>
          {d.job_id && (
            <Stack gap={2}>
              <Text size="xs" c="dimmed">
                Job
              </Text>
              <JobStatus id={d.job_id} />
            </Stack>
          )}
          {d.reviewed_by && (
            <Stack gap={2}>
              <Text size="xs" c="dimmed">
                Reviewed
              </Text>
              <Text size="sm" data-testid="deployment-review" title={fmtTime(d.reviewed_at)}>
                by {d.reviewed_by}
                {d.review_comment ? `: ${d.review_comment}` : ''}
              </Text>
            </Stack>
          )}
        </Group>
        {(d.edited || d.one_time_credentials) && (
          <Text size="xs" c="dimmed" mt={6}>
            {d.edited ? 'The Config Manager edited the candidate or added one-time commands. ' : ''}
            {d.one_time_credentials ? 'Uses one-time credentials (never stored).' : ''}
          </Text>
        )}
      </Paper>
      {canReview && (
        <Paper withBorder p="sm" className="panel" data-testid="deployment-review-panel">
          <Title order={5} mb={6}>
            Waiting for approval
          </Title>
          <Textarea
            size="xs"
            placeholder="Comment (optional)"
            value={comment}
            onChange={(e) => setComment(e.currentTarget.value)}
            maxLength={2000}
            autosize
            minRows={2}
            data-testid="review-comment"
          />
          <Group gap={6} mt={6}>
            <Button
              size="xs"
              color="green"
              loading={busy}
              onClick={() => review('approve')}
              data-testid="approve-button"
            >
              Approve
            </Button>
            <Button
              size="xs"
              color="red"
              variant="light"
              loading={busy}
              onClick={() => review('reject')}
              data-testid="reject-button"
            >
              Reject
            </Button>
          </Group>
        </Paper>
      )}
      <Paper withBorder p="sm" className="panel">
        <Title order={5} mb={6}>
          Diff (running → candidate)
        </Title>
        <DeploymentDiff d={d} testid="deployment-diff" />
      </Paper>
      <Paper withBorder p="sm" className="panel">
        <Title order={5} mb={6}>
          Log
        </Title>
        {d.log ? (
          <pre className="diff" data-testid="deployment-log">
            {d.log}
          </pre>
        ) : (
          <Text size="xs" c="dimmed">
            Nothing logged yet.
          </Text>
        )}
      </Paper>
    </Stack>
  );
}

/** One step of a deploy dialog: the deployment it shows (dry run or apply), its job, its outcome and (dry run) its diff. `prefix` names the test ids (`configure-run-dry-run`, `configure-diff`, …). */
export function RunView({
  started,
  label,
  prefix = 'configure',
}: {
  started: Started;
  label: 'dry-run' | 'apply';
  prefix?: string;
}) {
  const d = useDeployment(started.deployment.id).data ?? started.deployment;
  return (
    <Stack gap={6} data-testid={`${prefix}-run-${label}`} data-status={d.status} data-id={d.id}>
      <Group gap={6}>
        <Text size="sm" fw={500}>
          {label === 'dry-run' ? 'Dry run' : 'Apply'} · <Link to={`/deployments/${d.id}`}>deployment #{d.id}</Link>
        </Text>
        <DeploymentStatusBadge status={d.status} d={d} />
        {started.job_id && <JobStatus id={started.job_id} />}
      </Group>
      {d.run_at && !isFinal(d.status) && new Date(d.run_at).getTime() > Date.now() && (
        <Text size="xs" c="dimmed">
          Scheduled for {fmtTime(d.run_at)}.
        </Text>
      )}
      {d.status === 'planned' && !d.run_at && (
        <Text size="xs" c="dimmed">
          Waiting for an admin to approve it (Deployments → waiting for approval).
        </Text>
      )}
      {isFinal(d.status) && <Outcome d={d} />}
      {label === 'dry-run' && isFinal(d.status) && <DeploymentDiff d={d} testid={`${prefix}-diff`} />}
    </Stack>
  );
}

/** The session's Configure dialog: a dry run first, its diff, then Apply and the result. */
export function ConfigureDialog({
  sessionId,
  opened,
  onClose,
}: {
  sessionId: number;
  opened: boolean;
  onClose: () => void;
}) {
  const qc = useQueryClient();
  const [dry, setDry] = useState<Started | null>(null);
  const [applied, setApplied] = useState<Started | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const dryDeployment = useDeployment(dry?.deployment.id ?? null).data;
  const start = async (dryRun: boolean) => {
    setBusy(true);
    setError(null);
    try {
      const out: Started = unwrap(
        await api.POST('/api/peering-sessions/{id}/configure/', {
          params: { path: { id: sessionId } },
          body: { dry_run: dryRun },
        }),
      );
      (dryRun ? setDry : setApplied)(out);
      qc.invalidateQueries({ queryKey: ['list', 'deployments'] });
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  // Opening the dialog runs the dry run; closing forgets both runs (the next Configure starts afresh).
  useEffect(() => {
    if (opened) void start(true);
    else {
      setDry(null);
      setApplied(null);
      setError(null);
    }
  }, [opened]);
  const dryDone = dryDeployment?.status === 'done';
  const canApply = dryDone && dryDeployment.has_changes === true && !applied;
  return (
    <Modal opened={opened} onClose={onClose} title={<b>Configure this session on its router</b>} size="xl" centered>
      <Stack gap="sm" data-testid="configure-dialog">
        <Text size="xs" c="dimmed">
          A dry run renders the router's configuration and shows the diff against the running configuration; nothing
          changes until you apply it (a confirmed commit, rolled back by itself when the router's health check fails).
        </Text>
        {error && (
          <Alert color="red" variant="light" p="xs" data-testid="configure-error">
            {error}
          </Alert>
        )}
        {!dry && !error && <Text size="sm">Starting the dry run…</Text>}
        {dry && <RunView started={dry} label="dry-run" />}
        {applied && <RunView started={applied} label="apply" />}
        <Group justify="flex-end" gap={6}>
          <Button variant="default" onClick={onClose} data-testid="configure-close">
            Close
          </Button>
          {dry && (
            <Button
              color="blue"
              onClick={() => start(false)}
              disabled={!canApply}
              loading={busy && Boolean(dry)}
              data-testid="configure-apply"
            >
              Apply
            </Button>
          )}
        </Group>
      </Stack>
    </Modal>
  );
}

/** Starts "delete, also removing it from the router": a deployment without the session; its job deletes the session (and its BGP peer) once the deployment ends done. */
export async function removeFromRouter(sessionId: number): Promise<Started> {
  return unwrap(
    await api.POST('/api/peering-sessions/{id}/remove-from-router/', { params: { path: { id: sessionId } }, body: {} }),
  );
}
