// Explains a feature whose back end belongs to another issue and is not installed yet.
import { Alert, Button, Tooltip, type ButtonProps } from '@mantine/core';
import type { ReactNode } from 'react';
import type { Capabilities } from '../api/client';
import { CAPABILITY_TEXT } from '../app/session';

/** Text used everywhere a capability is missing. */
export function unavailableText(cap: keyof Capabilities): string {
  return `Unavailable until ${CAPABILITY_TEXT[cap]} lands in this installation (GET /api/capabilities reports ${cap}: false).`;
}

/** A notice box for a missing capability. */
export function Unavailable({ cap, what, children }: { cap: keyof Capabilities; what: string; children?: ReactNode }) {
  return (
    <Alert variant="light" color="gray" title={`${what} — unavailable`} data-testid={`unavailable-${cap}`}>
      {unavailableText(cap)}
      {children}
    </Alert>
  );
}

/** A button that is disabled, with the reason in a tooltip, when its capability is missing. */
export function CapButton({
  ok,
  cap,
  reason,
  children,
  ...rest
}: { ok: boolean; cap: keyof Capabilities; reason?: string; children: ReactNode } & ButtonProps & {
    onClick?: () => void;
    'data-testid'?: string;
  }) {
  if (ok) return <Button {...rest}>{children}</Button>;
  return (
    <Tooltip label={reason ?? unavailableText(cap)} multiline w={280}>
      <span>
        <Button {...rest} disabled onClick={undefined}>
          {children}
        </Button>
      </span>
    </Tooltip>
  );
}
