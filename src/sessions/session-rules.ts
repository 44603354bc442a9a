// The rules that decide how a BGP session is shown, written once: the session list, the render
// context, search, the router summary and polling all call these instead of repeating them.
import { bool } from '../platform/crud.ts';
import { BGP_STATE_NAMES, type BgpState } from '../drivers/driver.types.ts';

/** The state shown for a disabled session, whatever the router last reported. */
export const ADMIN_DOWN = 'admin-down' satisfies BgpState;

/** Share of the max-prefix limit at which a session is flagged (90%). */
export const MAX_PREFIX_WARN_RATIO = 0.9;

/**
 * The state a session is shown in: a disabled session is `admin-down` (never Established, even if the
 * last poll saw it up); an enabled one shows its polled state, `unknown` before the first poll.
 * `enabled` is a stored boolean: true/false on PostgreSQL, 1/0 on SQLite.
 */
export function effectiveState(enabled: unknown, state: string | null | undefined): BgpState {
  if (!bool(enabled)) return ADMIN_DOWN;
  // The poller stores one of BGP_STATE_NAMES; anything else (a database written by hand) shows as unknown.
  return BGP_STATE_NAMES.find((s) => s === state) ?? 'unknown';
}

/** A max-prefix limit per address family, as peer ASNs and peer groups store them. */
export interface PerFamilyMaxPrefixes {
  ipv4_max_prefixes?: number | string | null;
  ipv6_max_prefixes?: number | string | null;
  /** Rows with more columns are accepted as they are. */
  [column: string]: unknown;
}

const num = (v: unknown): number | null => (v === null || v === undefined || v === '' ? null : Number(v));

/**
 * The max-prefix limit in force for one family of a session: the address family's own value, else
 * the peer ASN's for that family, else the peer group's; null when none sets one. 0 is a value (kept).
 */
export function effectiveMaxPrefixes(
  family: 4 | 6 | number,
  own: number | string | null | undefined,
  peerAsn?: PerFamilyMaxPrefixes | null,
  peerGroup?: PerFamilyMaxPrefixes | null,
): number | null {
  // Peer ASNs and groups hold limits for IPv4 and IPv6 only; any other family (EVPN) has just its own.
  const f = Number(family);
  const pick = (x?: PerFamilyMaxPrefixes | null) =>
    num(f === 4 ? x?.ipv4_max_prefixes : f === 6 ? x?.ipv6_max_prefixes : null);
  return num(own) ?? pick(peerAsn) ?? pick(peerGroup);
}

/** How full a session's max-prefix limit is; null when there is no positive limit or no count yet. */
export function maxPrefixUsage(
  limit: number | null,
  received: number | string | null | undefined,
  accepted?: number | string | null,
): { limit: number; received: number; percent: number; warning: boolean } | null {
  const count = num(received) ?? num(accepted);
  if (limit === null || !(limit > 0) || count === null) return null;
  const ratio = count / limit;
  return { limit, received: count, percent: Math.round(ratio * 1000) / 10, warning: ratio >= MAX_PREFIX_WARN_RATIO };
}
