// A promise-based confirmation dialog for destructive actions (with an optional extra checkbox).
import { useState, type ReactNode } from 'react';
import { Button, Checkbox, Group, Modal, Stack, Text, TextInput } from '@mantine/core';

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
  /** An optional free-text field (e.g. the RFC 8203 shutdown message); its value comes back as `text`. */
  input?: { label: string; placeholder?: string; maxLength?: number; description?: string };
}
export interface ConfirmResult {
  ok: boolean;
  checked: boolean;
  /** The text field's value (trimmed; empty when there is no field or the dialog was cancelled). */
  text: string;
}

/** Returns the dialog element to render and an `ask` function resolving with the user's answer. */
export function useConfirm(): [ReactNode, (o: ConfirmOptions) => Promise<ConfirmResult>] {
  const [state, setState] = useState<{ opts: ConfirmOptions; resolve: (r: ConfirmResult) => void } | null>(null);
  const [checked, setChecked] = useState(false);
  const [text, setText] = useState('');
  const close = (ok: boolean) => {
    state?.resolve({ ok, checked: ok && checked, text: ok ? text.trim() : '' });
    setState(null);
    setChecked(false);
    setText('');
  };
  const el = (
    <Modal opened={Boolean(state)} onClose={() => close(false)} title={<b>{state?.opts.title}</b>} size="md" centered>
      <Stack gap="sm" data-testid="confirm-dialog">
        <Text size="sm">{state?.opts.message}</Text>
        {state?.opts.input && (
          <TextInput
            label={state.opts.input.label}
            description={state.opts.input.description}
            placeholder={state.opts.input.placeholder}
            maxLength={state.opts.input.maxLength}
            value={text}
            onChange={(e) => setText(e.currentTarget.value)}
            data-testid="confirm-input"
          />
        )}
        {state?.opts.checkbox && (
          <Checkbox
            label={state.opts.checkbox}
            checked={checked}
            onChange={(e) => setChecked(e.currentTarget.checked)}
            data-testid="confirm-checkbox"
          />
        )}
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
