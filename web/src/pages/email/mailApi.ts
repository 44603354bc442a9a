// Calls to the mail API (typed by the generated contract) and the mail pages' small helpers.
import { api, unwrap, type ListParams, type Page, type paths, type Schemas } from '../../api/client';
import { ContactRole, EmailTemplatePurpose, OutboxMessageStatus, PeeringRequestStatus } from '../../api/enums';

/** A list endpoint's query as its spec types it. */
type ListQuery<P extends '/api/outbox/' | '/api/peering-requests/' | '/api/contacts/' | '/api/email-templates/'> =
  NonNullable<paths[P]['get']['parameters']['query']>;

/**
 * A table's list parameters without the empty ones (filters a user cleared), as the endpoint's query.
 * The table's filters are the page's own (`status`, `role`, `peer_asn`…); the API checks each value.
 */
const listQuery = <Q>(q: ListParams = {}): Q =>
  Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined && v !== '')) as Q;

/**
 * A list page without the brief rows: the spec types every list answer as full-or-brief (`brief=1`
 * answers id and name only), and these calls never ask for the brief shape.
 */
const fullRows = <T>(page: { count: number; results: (T | { id: number })[] }): Page<T> => page as Page<T>;

/** One page of the outbox. */
export async function listOutbox(params: ListParams, signal?: AbortSignal): Promise<Page<Schemas['OutboxMessage']>> {
  return unwrap(
    await api.GET('/api/outbox/', { params: { query: listQuery<ListQuery<'/api/outbox/'>>(params) }, signal }),
  );
}

/** One page of peering requests (`asn=1,2`, `fabric=ID|null`, `status`, `reminder_due`…). */
export async function listPeeringRequests(
  params: ListParams,
  signal?: AbortSignal,
): Promise<Page<Schemas['PeeringRequest']>> {
  return unwrap(
    await api.GET('/api/peering-requests/', {
      params: { query: listQuery<ListQuery<'/api/peering-requests/'>>(params) },
      signal,
    }),
  );
}

/** One page of local contacts. */
export async function listContacts(params: ListParams, signal?: AbortSignal): Promise<Page<Schemas['Contact']>> {
  return fullRows<Schemas['Contact']>(
    unwrap(
      await api.GET('/api/contacts/', { params: { query: listQuery<ListQuery<'/api/contacts/'>>(params) }, signal }),
    ),
  );
}

/** One page of stored e-mail templates. */
export async function listEmailTemplates(
  params: ListParams,
  signal?: AbortSignal,
): Promise<Page<Schemas['EmailTemplate']>> {
  return fullRows<Schemas['EmailTemplate']>(
    unwrap(
      await api.GET('/api/email-templates/', {
        params: { query: listQuery<ListQuery<'/api/email-templates/'>>(params) },
        signal,
      }),
    ),
  );
}

/** A shipped e-mail template (usable by name; a stored one of the same name overrides it). */
export type ShippedEmailTemplate =
  paths['/api/email-templates/shipped/']['get']['responses'][200]['content']['application/json'][number];

/** The e-mail templates shipped with Peerdesk. */
export async function shippedEmailTemplates(signal?: AbortSignal): Promise<ShippedEmailTemplate[]> {
  return unwrap(await api.GET('/api/email-templates/shipped/', { signal }));
}

/** A template rendered for a peer: recipients, subject and body to edit before sending. */
export type RenderedEmail = paths['/api/email/render/']['post']['responses'][200]['content']['application/json'];
type RenderBody = paths['/api/email/render/']['post']['requestBody']['content']['application/json'];

/** Renders an e-mail template for a peer. */
export async function renderEmail(body: RenderBody): Promise<RenderedEmail> {
  return unwrap(await api.POST('/api/email/render/', { body }));
}

/** What a bulk mail queued (one message per peer) and skipped. */
export type BulkAnswer = paths['/api/email/bulk/']['post']['responses'][202]['content']['application/json'];
type BulkBody = paths['/api/email/bulk/']['post']['requestBody']['content']['application/json'];

/** Queues one message per peer (of a router's or fabric's sessions, or the given networks). */
export async function sendBulkEmail(body: BulkBody): Promise<BulkAnswer> {
  return unwrap(await api.POST('/api/email/bulk/', { body }));
}

/** The peering-request actions: each marks the request (`reset` back to none). */
const REQUEST_ACTION_PATHS = {
  accept: '/api/peering-requests/{id}/accept/',
  existing: '/api/peering-requests/{id}/existing/',
  'not-qualified': '/api/peering-requests/{id}/not-qualified/',
  reject: '/api/peering-requests/{id}/reject/',
  reset: '/api/peering-requests/{id}/reset/',
} as const;
export type RequestAction = keyof typeof REQUEST_ACTION_PATHS;

/** One peering request with its history, messages and replies (what the actions answer too). */
export type PeeringRequestDetail =
  paths['/api/peering-requests/{id}/']['get']['responses'][200]['content']['application/json'];

/** Marks a peering request (accepted, existing, not qualified, rejected) or resets it. */
export async function markRequest(
  id: number,
  action: RequestAction,
  body: { note?: string | null },
): Promise<PeeringRequestDetail> {
  return unwrap(await api.POST(REQUEST_ACTION_PATHS[action], { params: { path: { id } }, body }));
}

export const REQUEST_STATUS_LABEL: Record<PeeringRequestStatus, string> = {
  none: 'Not sent',
  sent: 'Sent',
  replied: 'Replied',
  accepted: 'Accepted',
  rejected: 'Rejected',
  existing: 'Existing',
  not_qualified: 'Not qualified',
};
export const REQUEST_STATUS_COLOR: Record<PeeringRequestStatus, string> = {
  none: 'gray',
  sent: 'blue',
  replied: 'teal',
  accepted: 'green',
  rejected: 'red',
  existing: 'grape',
  not_qualified: 'orange',
};
export const OUTBOX_STATUS_COLOR: Record<OutboxMessageStatus, string> = {
  queued: 'gray',
  sending: 'blue',
  sent: 'green',
  failed: 'red',
  test: 'yellow',
};

const isRequestStatus = (s: string | null): s is PeeringRequestStatus => PeeringRequestStatus.some((x) => x === s);

/** A request status in words (an unknown one as it is: the history's statuses are plain strings). */
export const requestStatusLabel = (status: string | null): string | null =>
  isRequestStatus(status) ? REQUEST_STATUS_LABEL[status] : status;

/** A contact role from a select's value (the first role when it is none). */
export const asContactRole = (v: string | null | undefined): ContactRole =>
  ContactRole.find((r) => r === v) ?? 'Policy';

/** A template purpose from a select's value or the API's plain string ("other" when it is none). */
export const asPurpose = (v: string | null | undefined): EmailTemplatePurpose =>
  EmailTemplatePurpose.find((p) => p === v) ?? 'other';

/** The roles of a list that are contact roles (the API presents a template's roles as plain strings). */
export const asContactRoles = (v: string[]): ContactRole[] => v.flatMap((r) => ContactRole.filter((c) => c === r));

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
