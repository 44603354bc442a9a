// Changing your own password; shown as a banner while the one-time password of the first start is in use.
import { useState } from 'react';
import { Alert, Button, Group, PasswordInput } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';

/** A banner asking the user to replace a one-time password, with the form inline. */
export function PasswordChangeBanner() {
  const qc = useQueryClient();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    setBusy(true);
    setErrors({});
    const r = await api.POST('/api/auth/password', { body: { current_password: current, new_password: next } });
    setBusy(false);
    if (r.response.ok) {
      await qc.invalidateQueries({ queryKey: ['me'] });
      return;
    }
    const problem = r.error as { errors?: { field: string; message: string }[]; detail?: string } | undefined;
    const byField: Record<string, string> = {};
    for (const e of problem?.errors ?? []) byField[e.field] = e.message;
    if (!Object.keys(byField).length) byField.new_password = problem?.detail ?? 'could not change the password';
    setErrors(byField);
  };
  return (
    <Alert color="orange" title="You are using a one-time password" mb="sm" data-testid="password-banner">
      Choose your own password now.
      <Group align="flex-start" mt="xs">
        <PasswordInput
          size="xs"
          label="Current password"
          value={current}
          onChange={(e) => setCurrent(e.currentTarget.value)}
          error={errors.current_password}
          autoComplete="current-password"
        />
        <PasswordInput
          size="xs"
          label="New password (8+ characters)"
          value={next}
          onChange={(e) => setNext(e.currentTarget.value)}
          error={errors.new_password}
          autoComplete="new-password"
        />
        <Button
          size="xs"
          mt={22}
          loading={busy}
          onClick={submit}
          disabled={!current || next.length < 8}
          data-testid="password-change"
        >
          Change password
        </Button>
      </Group>
    </Alert>
  );
}
