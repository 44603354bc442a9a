// The sessions list's bulk Configure: a rollout of the selected sessions' routers, now or scheduled
// (in one hour by default), the first router alone first (canary, on by default), optionally a dry
// run; it creates the rollout (POST /api/rollouts/) and opens its page.
import { useState } from 'react';
import {
  Alert,
  Button,
  Checkbox,
  Group,
  Modal,
  NumberInput,
  SegmentedControl,
  Stack,
  Text,
  TextInput,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import type { Schemas } from '../../api/client';
import { navigate } from '../../app/router';
import { ErrorBox } from '../ResourcePages';
import { createRollout, formErrors, isoOfLocal, localInputValue, untilText, type RolloutBody } from './deployApi';

/** What the dialog reads of a selected session. */
type SelectedSession = Pick<Schemas['PeeringSession'], 'id' | 'router'>;

/** The routers of the selected sessions, each once, in the order the rollout takes them. */
function routersOf(rows: SelectedSession[]): { id: number; name: string; sessions: number }[] {
  const out: { id: number; name: string; sessions: number }[] = [];
  for (const r of rows) {
    const have = out.find((x) => x.id === r.router.id);
    if (have) have.sessions++;
    else out.push({ id: r.router.id, name: r.router.name, sessions: 1 });
  }
  return out;
}

/** The rollout dialog for the selected sessions (`rows`); closes with `onClose`. */
export default function RolloutDialog({ rows, onClose }: { rows: SelectedSession[]; onClose: () => void }) {
  const qc = useQueryClient();
  const [when, setWhen] = useState<'now' | 'scheduled'>('scheduled');
  const [at, setAt] = useState(() => localInputValue(new Date(Date.now() + 3600_000)));
  const [canary, setCanary] = useState(true);
  const [dryRun, setDryRun] = useState(false);
  const [force, setForce] = useState(false);
  const [timeout, setTimeoutValue] = useState<string | number>('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const routers = routersOf(rows);
  const atIso = isoOfLocal(at);

  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      const body: RolloutBody = { session_ids: rows.map((r) => r.id), canary, dry_run: dryRun };
      if (when === 'scheduled') body.at = atIso ?? at;
      if (force) body.force = true;
      if (timeout !== '') body.confirm_timeout = Number(timeout);
      const out = await createRollout(body);
      notifications.show({
        message: `Rollout #${out.rollout.id}: ${out.rollout.routers.length} router(s), ${when === 'scheduled' ? `runs ${untilText(out.rollout.run_at)}` : 'started'}`,
        color: 'blue',
      });
      qc.invalidateQueries({ queryKey: ['list', 'rollouts'] });
      qc.invalidateQueries({ queryKey: ['list', 'deployments'] });
      onClose();
      navigate(`/rollouts/${out.rollout.id}`);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const { byField, rest } = formErrors(error, ['at', 'confirm_timeout', 'force', 'canary', 'dry_run']);
  return (
    <Modal opened onClose={onClose} title={<b>Configure {rows.length} session(s): a rollout</b>} size="lg" centered>
      <Stack gap="sm" data-testid="rollout-dialog">
        <Text size="sm">
          Deploys the routers of the selected sessions, one deployment per router:{' '}
          <span data-testid="rollout-dialog-routers">
            {routers.map((r, i) => (
              <span key={r.id}>
                {i ? ', ' : ''}
                <b>{r.name}</b>
                {canary && i === 0 && routers.length > 1 ? ' (canary)' : ''}
                <span className="muted">
                  {' '}
                  ({r.sessions} session{r.sessions === 1 ? '' : 's'})
                </span>
              </span>
            ))}
          </span>
          . Each deployment renders its router's whole configuration, checks the health gate and rolls back on failure;
          the rollout stops at the first one that does not end done.
        </Text>
        <ErrorBox error={rest} />
        <div>
          <Text size="sm" fw={500} mb={4}>
            When
          </Text>
          <SegmentedControl
            size="xs"
            value={when}
            onChange={(v) => setWhen(v as 'now' | 'scheduled')}
            data={[
              { value: 'now', label: 'Now' },
              { value: 'scheduled', label: 'Scheduled' },
            ]}
            data-testid="rollout-when"
          />
        </div>
        {when === 'scheduled' && (
          <TextInput
            type="datetime-local"
            label="Run at"
            description={atIso ? `${untilText(atIso)} (your local time)` : 'not a time'}
            value={at}
            onChange={(e) => setAt(e.currentTarget.value)}
            error={byField.at}
            w={300}
            data-testid="rollout-at"
          />
        )}
        <Checkbox
          label="Canary: the first router alone, then the rest"
          description={
            routers.length > 1
              ? `${routers[0]!.name} first; the others only if it ends done`
              : 'One router: nothing to stage'
          }
          checked={canary}
          onChange={(e) => setCanary(e.currentTarget.checked)}
          error={byField.canary}
          data-testid="rollout-canary"
        />
        <Checkbox
          label="Dry run: only the diffs, nothing applied"
          checked={dryRun}
          onChange={(e) => setDryRun(e.currentTarget.checked)}
          error={byField.dry_run}
          data-testid="rollout-dry-run"
        />
        <NumberInput
          size="xs"
          w={300}
          label="Confirm timeout (seconds)"
          placeholder="300 (the server's default)"
          value={timeout}
          onChange={setTimeoutValue}
          allowDecimal={false}
          error={byField.confirm_timeout}
          data-testid="rollout-confirm-timeout"
        />
        <Checkbox
          label="Force"
          description="Skip the guards that refuse removing many sessions or shrinking a prefix list a lot"
          checked={force}
          onChange={(e) => setForce(e.currentTarget.checked)}
          error={byField.force}
          data-testid="rollout-force"
        />
        {force && (
          <Alert color="orange" variant="light" p="xs">
            Forced on every router of the rollout: a change that removes sessions or shrinks prefix lists is applied
            without the guards. Consider a dry run first.
          </Alert>
        )}
        <Group justify="flex-end" gap={6}>
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button onClick={submit} loading={busy} data-testid="rollout-submit">
            {when === 'scheduled' ? 'Schedule rollout' : dryRun ? 'Start dry run' : 'Start rollout'}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
