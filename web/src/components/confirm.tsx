// A promise-based confirmation dialog for destructive actions (with an optional extra checkbox).
import { useState, type ReactNode } from 'react';
import { Button, Checkbox, Group, Modal, Stack, Text } from '@mantine/core';

export interface ConfirmOptions {
  title: string;
  message: ReactNode;
  confirmLabel?: string;
  color?: string;
  /** An extra choice shown as a checkbox (e.g. "also delete the BGP peer"). */
  checkbox?: string;
  /** The checkbox's initial state (default unchecked). */
  checkboxDefault?: boolean;
  /** Text under the checkbox that follows its state (what exactly will happen). */
  checkboxHint?: (checked: boolean) => ReactNode;
}
export interface ConfirmResult {
  ok: boolean;
  checked: boolean;
}

/** Returns the dialog element to render and an `ask` function resolving with the user's answer. */
export function useConfirm(): [ReactNode, (o: ConfirmOptions) => Promise<ConfirmResult>] {
  const [state, setState] = useState<{ opts: ConfirmOptions; resolve: (r: ConfirmResult) => void } | null>(null);
  const [checked, setChecked] = useState(false);
  const close = (ok: boolean) => {
    state?.resolve({ ok, checked: ok && checked });
    setState(null);
    setChecked(false);
  };
  const el = (
    <Modal opened={Boolean(state)} onClose={() => close(false)} title={<b>{state?.opts.title}</b>} size="md" centered>
      <Stack gap="sm" data-testid="confirm-dialog">
        <Text size="sm">{state?.opts.message}</Text>
        {state?.opts.checkbox && <Checkbox label={state.opts.checkbox} checked={checked} onChange={(e) => setChecked(e.currentTarget.checked)} data-testid="confirm-checkbox" />}
        {state?.opts.checkboxHint && (
          <Text size="xs" c="dimmed" data-testid="confirm-hint">
            {state.opts.checkboxHint(checked)}
          </Text>
        )}
        <Group justify="flex-end" gap={6}>
          <Button variant="default" onClick={() => close(false)}>
            Cancel
          </Button>
          <Button color={state?.opts.color ?? 'red'} onClick={() => close(true)} data-testid="confirm-ok" autoFocus>
            {state?.opts.confirmLabel ?? 'Confirm'}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
  const ask = (opts: ConfirmOptions) =>
    new Promise<ConfirmResult>((resolve) => {
      setChecked(opts.checkboxDefault ?? false);
      setState({ opts, resolve });
    });
  return [el, ask];
}
