// BGP session states as the UI shows them. The list is the drivers' contract (src/drivers/driver.types.ts,
// bundled into the UI): the API presents `state` as a plain string, so the spec has no enum to generate
// it from yet. Every record below is keyed by it, so a new state fails to compile until it is styled.
import { BGP_STATE_NAMES, type BgpState } from '../../../src/drivers/driver.types.ts';

export const BGP_STATES = BGP_STATE_NAMES;
export type { BgpState };

/** Whether a string is a known BGP state. */
export function isBgpState(s: string): s is BgpState {
  return (BGP_STATES as readonly string[]).includes(s);
}

const LABELS: Partial<Record<BgpState, string>> = {
  'admin-down': 'Admin down',
  opensent: 'OpenSent',
  openconfirm: 'OpenConfirm',
  unknown: 'Unknown',
};

/** Display label of a BGP state ("Established", "OpenSent", "Admin down"). */
export function stateLabel(state: string): string {
  return (isBgpState(state) ? LABELS[state] : undefined) ?? state.charAt(0).toUpperCase() + state.slice(1);
}

/** Badge colour of each state: Established green, Idle/Active red, Admin down grey… */
export const STATE_BADGE_COLOURS: Record<BgpState, string> = {
  established: 'green',
  idle: 'red',
  active: 'red',
  connect: 'orange',
  opensent: 'yellow',
  openconfirm: 'yellow',
  'admin-down': 'gray',
  unknown: 'gray',
};

/** Chart level (0 down … 3 established) and colour of each state. */
export const STATE_CHART: Record<BgpState, { level: number; colour: string }> = {
  established: { level: 3, colour: 'green' },
  openconfirm: { level: 2, colour: 'yellow' },
  opensent: { level: 2, colour: 'yellow' },
  connect: { level: 1, colour: 'orange' },
  active: { level: 1, colour: 'orange' },
  idle: { level: 0, colour: 'red' },
  'admin-down': { level: 0, colour: 'gray' },
  unknown: { level: 0, colour: 'gray.4' },
};

/** The states a router reports for an enabled peer, in the order the router's state summary lists them. */
export const POLLED_STATES: readonly BgpState[] = [
  'established',
  'idle',
  'active',
  'connect',
  'opensent',
  'openconfirm',
  'unknown',
];
