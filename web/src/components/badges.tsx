// Coloured badges shared by every table: relationship (its own colour), BGP state, object status.
import { Badge } from '@mantine/core';
import type { Schemas } from '../api/client';
import type { FabricStatus } from '../api/enums';
import { STATE_BADGE_COLOURS, isBgpState, stateLabel } from '../lib/bgp-state';
import { ago, fmtTime } from './format';

const NAMED: Record<string, string> = {
  red: 'f44336',
  blue: '2196f3',
  green: '4caf50',
  yellow: 'ffeb3b',
  orange: 'ff9800',
  purple: '9c27b0',
  grey: '9e9e9e',
  gray: '9e9e9e',
  black: '212121',
  white: 'fafafa',
  teal: '009688',
  cyan: '00bcd4',
  pink: 'e91e63',
  indigo: '3f51b5',
  lime: 'cddc39',
  brown: '795548',
  amber: 'ffc107',
};

/** Six hex digits of a colour name the badges know (red, blue, yellow…), or null. */
export function namedColourHex(name: string): string | null {
  return NAMED[name.trim().toLowerCase()] ?? null;
}

/** CSS colour and readable text colour for a NetBox-style colour (hex digits or name). */
export function colourOf(c: string | null | undefined): { bg: string; fg: string } {
  const hex = c && /^[0-9a-f]{6}$/i.test(c) ? c : (NAMED[(c ?? '').toLowerCase()] ?? '9e9e9e');
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16));
  const luminance = (0.299 * r! + 0.587 * g! + 0.114 * b!) / 255;
  return { bg: `#${hex}`, fg: luminance > 0.6 ? '#1a1b1e' : '#ffffff' };
}

/** A relationship as its coloured badge; "—" when the session has none. */
export function RelationshipBadge({
  rel,
}: {
  rel: Pick<Schemas['Relationship'], 'name' | 'color'> | null | undefined;
}) {
  if (!rel) return <span className="muted">—</span>;
  const { bg, fg } = colourOf(rel.color);
  return (
    <Badge
      size="sm"
      radius="sm"
      styles={{ root: { background: bg, color: fg, textTransform: 'none' } }}
      data-testid="relationship-badge"
    >
      {rel.name}
    </Badge>
  );
}

/** Display label of a BGP state (kept here for the pages importing it from the badges). */
export { stateLabel };

/** The BGP state as a coloured badge (Established green, Idle/Active red, Admin down grey…). */
export function StateBadge({ state, since }: { state: string; since?: string | null }) {
  const colour = isBgpState(state) ? STATE_BADGE_COLOURS[state] : 'gray';
  return (
    <Badge
      size="sm"
      radius="sm"
      color={colour}
      title={since ? `since ${fmtTime(since)}` : undefined}
      variant={state === 'admin-down' || state === 'unknown' ? 'light' : 'filled'}
      data-testid="state-badge"
      data-state={state}
      styles={{ root: { textTransform: 'none' } }}
    >
      {stateLabel(state)}
    </Badge>
  );
}

/** State badge followed by how long ago it changed. */
export function StateWithSince({ state, since }: { state: string; since?: string | null }) {
  return (
    <span style={{ display: 'inline-flex', gap: 6, alignItems: 'center', whiteSpace: 'nowrap' }}>
      <StateBadge state={state} since={since} />
      {since ? <span className="muted small">{ago(since)}</span> : null}
    </span>
  );
}

const STATUS_COLOURS: Record<FabricStatus, string> = {
  active: 'green',
  planned: 'blue',
  maintenance: 'orange',
  disabled: 'gray',
  decommissioned: 'red',
};
/** An object status (active, planned…) as a light badge. */
export function StatusBadge({ status }: { status: string | null | undefined }) {
  if (!status) return <span className="muted">—</span>;
  return (
    <Badge
      size="sm"
      radius="sm"
      variant="light"
      color={STATUS_COLOURS[status as FabricStatus] ?? 'gray'}
      styles={{ root: { textTransform: 'none' } }}
    >
      {status}
    </Badge>
  );
}

/** Yes/no as a small badge. */
export function BoolBadge({ value }: { value: boolean | null | undefined }) {
  return (
    <Badge
      size="sm"
      radius="sm"
      variant="light"
      color={value ? 'green' : 'gray'}
      styles={{ root: { textTransform: 'none' } }}
    >
      {value ? 'yes' : 'no'}
    </Badge>
  );
}
