// Calls to the mail API. The paths are typed once openapi.json and schema.d.ts are regenerated; until
// then (and for paths built at run time) they go through the same client, loosely typed.
import { api, unwrap, type Page, type Row } from '../../api/client';

type Query = Record<string, string | number | undefined>;
const loose = api as unknown as {
  GET(
    path: string,
    init: { params?: { query?: Query; path?: Record<string, number> }; signal?: AbortSignal },
  ): Promise<{ data?: unknown; error?: unknown; response: Response }>;
  POST(
    path: string,
    init: { body?: unknown; params?: { path?: Record<string, number> } },
  ): Promise<{ data?: unknown; error?: unknown; response: Response }>;
};
const clean = (q: Query = {}) =>
  Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined && v !== '')) as Query;

/** GET a mail endpoint (list pages and objects). */
export async function mailGet<T = Row>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
  return unwrap(await loose.GET(path, { params: { query: clean(query) }, signal })) as T;
}

/** POST to a mail endpoint (render, send, actions). */
export async function mailPost<T = Row>(path: string, body?: unknown): Promise<T> {
  return unwrap(await loose.POST(path, { body })) as T;
}

/** One page of a mail list endpoint. */
export function mailList(path: string) {
  return (params: Query, signal: AbortSignal) => mailGet<Page>(path, params, signal);
}

export const REQUEST_STATUS_LABEL: Record<string, string> = {
  none: 'Not sent',
  sent: 'Sent',
  replied: 'Replied',
  accepted: 'Accepted',
  rejected: 'Rejected',
  existing: 'Existing',
  not_qualified: 'Not qualified',
};
export const REQUEST_STATUS_COLOR: Record<string, string> = {
  none: 'gray',
  sent: 'blue',
  replied: 'teal',
  accepted: 'green',
  rejected: 'red',
  existing: 'grape',
  not_qualified: 'orange',
};
export const OUTBOX_STATUS_COLOR: Record<string, string> = {
  queued: 'gray',
  sending: 'blue',
  sent: 'green',
  failed: 'red',
  test: 'yellow',
};
export const CONTACT_ROLES = ['Policy', 'NOC', 'Technical', 'Maintenance', 'Abuse', 'Sales', 'Public Relations'];

/** "Name <addr>" or "addr", as shown in the compose form. */
export function fmtAddress(a: { name?: string; address: string }): string {
  return a.name ? `${a.name} <${a.address}>` : a.address;
}

/** Parses a comma/newline list of "Name <addr>" or "addr"; the server validates each address again. */
export function parseAddresses(s: string): { name?: string; address: string }[] {
  return s
    .split(/[,;\n]+(?=(?:[^"]*"[^"]*")*[^"]*$)/)
    .map((x) => x.trim())
    .filter(Boolean)
    .map((x) => {
      const m = /^(.*?)\s*<([^<>]+)>$/.exec(x);
      return m ? { name: m[1].replace(/^"|"$/g, '').trim() || undefined, address: m[2].trim() } : { address: x };
    });
}
