// Cancel for a deployment or a rollout that has not started (the proposer / creator or an admin): a
// button opening a dialog with an optional reason; the answer (or the API's 409, e.g. "it has started")
// is shown as a notification, and the page re-reads the object.
import { useState } from 'react';
import { Button, Group, Modal, Stack, Text, Textarea } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { cancelDeployment, cancelRollout } from './deployApi';

/** The Cancel button and its dialog; `what` names the object, `queryKey` is re-read afterwards. */
export function CancelButton({
  kind,
  id,
  queryKey,
  hint,
}: {
  kind: 'deployment' | 'rollout';
  id: number;
  queryKey: unknown[];
  hint?: string;
}) {
  const qc = useQueryClient();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    setBusy(true);
    try {
      const body = reason.trim() ? { reason: reason.trim() } : {};
      if (kind === 'deployment') await cancelDeployment(id, body);
      else await cancelRollout(id, body);
      notifications.show({
        message: `${kind === 'deployment' ? 'Deployment' : 'Rollout'} #${id} cancelled`,
        color: 'gray',
      });
      setOpen(false);
      setReason('');
    } catch (e) {
      notifications.show({ title: 'Cancel failed', message: (e as Error).message, color: 'red' });
    } finally {
      setBusy(false);
      qc.invalidateQueries({ queryKey });
      qc.invalidateQueries({ queryKey: ['job'] });
      qc.invalidateQueries({ queryKey: ['list', kind === 'deployment' ? 'deployments' : 'rollouts'] });
    }
  };
  return (
    <>
      <Button size="xs" color="red" variant="light" onClick={() => setOpen(true)} data-testid={`${kind}-cancel-button`}>
        Cancel {kind}
      </Button>
      <Modal opened={open} onClose={() => setOpen(false)} title={`Cancel ${kind} #${id}`} size="md">
        <Stack gap="xs" data-testid={`${kind}-cancel-dialog`}>
          <Text size="sm">
            {hint ??
              `The ${kind} has not started: cancelling it removes its queued job. Nothing was or will be changed on the router.`}
          </Text>
          <Textarea
            size="xs"
            label="Reason (optional, written to the log)"
            value={reason}
            onChange={(e) => setReason(e.currentTarget.value)}
            maxLength={2000}
            autosize
            minRows={2}
            data-testid={`${kind}-cancel-reason`}
          />
          <Group gap={6} justify="flex-end">
            <Button size="xs" variant="default" onClick={() => setOpen(false)}>
              Keep it
            </Button>
            <Button size="xs" color="red" loading={busy} onClick={submit} data-testid={`${kind}-cancel-confirm`}>
              Cancel {kind}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
