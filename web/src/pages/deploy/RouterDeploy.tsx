// The router page's deployments panel: a "Deploy" button (a dialog that runs the dry run at once and
// shows its diff, then Apply with a confirm timeout and an optional, warned-about force) and the
// router's last deployments (status badges linking to each deployment's page).
import { useEffect, useState } from 'react';
import { Alert, Button, Checkbox, Group, Modal, NumberInput, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { ago, fmtTime } from '../../components/format';
import { Link } from '../../app/router';
import { DeploymentStatusBadge, RunView, isFinal, useDeployment, whatText } from '../DeployPages';
import { ErrorBox } from '../ResourcePages';
import { formErrors, routerDeployments, startRouterDeploy, type Started } from './deployApi';

const LAST = 10;

/** The router's deployments: Deploy (for writers) and the last ones. */
export function RouterDeployPanel({
  routerId,
  routerName,
  canDeploy,
}: {
  routerId: number;
  routerName: string;
  canDeploy: boolean;
}) {
  const [open, setOpen] = useState(false);
  const q = useQuery({
    queryKey: ['list', 'deployments', 'router', routerId],
    queryFn: () => routerDeployments(routerId, LAST),
    // Quick while one of them is still running, slow otherwise.
    refetchInterval: (query) => (query.state.data?.results.some((d) => !isFinal(d.status)) ? 2000 : 15_000),
  });
  return (
    <Paper withBorder p="sm" className="panel" data-testid="router-deployments">
      <DeployDialog routerId={routerId} routerName={routerName} opened={open} onClose={() => setOpen(false)} />
      <Group justify="space-between" mb={6}>
        <Title order={5}>Last deployments</Title>
        <Group gap={6}>
          {q.data && q.data.count > 0 && (
            <Link to={`/deployments?router=${routerId}`} className="small">
              all {q.data.count}
            </Link>
          )}
          {canDeploy && (
            <Button size="xs" onClick={() => setOpen(true)} data-testid="router-deploy">
              Deploy
            </Button>
          )}
        </Group>
      </Group>
      {q.error ? (
        <ErrorBox error={q.error} />
      ) : !q.data ? (
        <Text size="xs">Loading…</Text>
      ) : !q.data.results.length ? (
        <Text size="xs" c="dimmed" data-testid="router-deployments-empty">
          Nothing deployed to this router yet.
        </Text>
      ) : (
        <Table fz="xs" data-testid="router-deployments-table">
          <Table.Tbody>
            {q.data.results.map((d) => (
              <Table.Tr key={d.id} data-testid="router-deployment-row" data-id={d.id}>
                <Table.Td>
                  <Link to={`/deployments/${d.id}`}>#{d.id}</Link>
                </Table.Td>
                <Table.Td>
                  <Link to={`/deployments/${d.id}`} aria-label={`deployment #${d.id}: ${d.status}`}>
                    <DeploymentStatusBadge status={d.status} d={d} />
                  </Link>
                </Table.Td>
                <Table.Td>
                  {whatText(d)}
                  {d.session && (
                    <>
                      {' '}
                      ·{' '}
                      <Link to={`/peering-sessions/${d.session.id}`}>
                        {d.session.name ?? `session #${d.session.id}`}
                      </Link>
                    </>
                  )}
                  {d.rollout_id && (
                    <>
                      {' '}
                      · <Link to={`/rollouts/${d.rollout_id}`}>rollout #{d.rollout_id}</Link>
                    </>
                  )}
                </Table.Td>
                <Table.Td>{d.reason ?? ''}</Table.Td>
                <Table.Td>{d.proposed_by ?? ''}</Table.Td>
                <Table.Td title={fmtTime(d.created_at)}>{ago(d.created_at)} ago</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Paper>
  );
}

/** Deploy a router: the dry run runs when the dialog opens; its diff, then Apply (confirm timeout, force). */
export function DeployDialog({
  routerId,
  routerName,
  opened,
  onClose,
}: {
  routerId: number;
  routerName: string;
  opened: boolean;
  onClose: () => void;
}) {
  const qc = useQueryClient();
  const [dry, setDry] = useState<Started | null>(null);
  const [applied, setApplied] = useState<Started | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [timeout, setTimeoutValue] = useState<string | number>('');
  const [force, setForce] = useState(false);
  const dryDeployment = useDeployment(dry?.deployment.id ?? null).data;

  const start = async (dryRun: boolean) => {
    setBusy(true);
    setError(null);
    try {
      const out = await startRouterDeploy(routerId, {
        dry_run: dryRun,
        ...(dryRun
          ? {}
          : { ...(force ? { force: true } : {}), ...(timeout !== '' ? { confirm_timeout: Number(timeout) } : {}) }),
      });
      (dryRun ? setDry : setApplied)(out);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
      qc.invalidateQueries({ queryKey: ['list', 'deployments'] });
    }
  };
  // Opening runs the dry run; closing forgets the runs and the options (the next Deploy starts afresh).
  useEffect(() => {
    if (opened) void start(true);
    else {
      setDry(null);
      setApplied(null);
      setError(null);
      setForce(false);
      setTimeoutValue('');
    }
  }, [opened]);

  const { byField, rest } = formErrors(error, ['confirm_timeout', 'force']);
  const dryDone = dryDeployment?.status === 'done';
  const canApply = dryDone && dryDeployment.has_changes === true && !applied;
  return (
    <Modal opened={opened} onClose={onClose} title={<b>Deploy {routerName}</b>} size="xl" centered>
      <Stack gap="sm" data-testid="deploy-dialog">
        <Text size="xs" c="dimmed">
          The dry run renders the router's template over its inventory and shows the diff against its running
          configuration; nothing changes until you apply it (a confirmed commit, then the health gate; a failed check
          rolls it back by itself).
        </Text>
        <ErrorBox error={rest} />
        {!dry && !error && <Text size="sm">Starting the dry run…</Text>}
        {dry && <RunView started={dry} label="dry-run" prefix="deploy" />}
        {dryDone && dryDeployment.has_changes === false && (
          <Text size="xs" c="dimmed">
            Nothing to apply.
          </Text>
        )}
        {canApply && (
          <Paper withBorder p="xs">
            <Stack gap={6}>
              <NumberInput
                size="xs"
                w={300}
                label="Confirm timeout (seconds)"
                description="The router reverts by itself unless confirmed within this time"
                placeholder="300 (the server's default)"
                value={timeout}
                onChange={setTimeoutValue}
                allowDecimal={false}
                error={byField.confirm_timeout}
                data-testid="deploy-confirm-timeout"
              />
              <Checkbox
                label="Force"
                description="Skip the guards that refuse removing many sessions or shrinking a prefix list a lot"
                checked={force}
                onChange={(e) => setForce(e.currentTarget.checked)}
                error={byField.force}
                data-testid="deploy-force"
              />
              {force && (
                <Alert color="orange" variant="light" p="xs" data-testid="deploy-force-warning">
                  Forced: sessions the diff removes and prefix lists it shrinks go as they are. Check the diff above
                  line by line before applying.
                </Alert>
              )}
            </Stack>
          </Paper>
        )}
        {applied && <RunView started={applied} label="apply" prefix="deploy" />}
        <Group justify="flex-end" gap={6}>
          <Button variant="default" onClick={onClose} data-testid="deploy-close">
            Close
          </Button>
          {dry && (
            <Button
              color={force ? 'orange' : 'blue'}
              onClick={() => start(false)}
              disabled={!canApply}
              loading={busy && Boolean(dry) && !applied}
              data-testid="deploy-apply"
            >
              {force ? 'Apply (forced)' : 'Apply'}
            </Button>
          )}
        </Group>
      </Stack>
    </Modal>
  );
}
