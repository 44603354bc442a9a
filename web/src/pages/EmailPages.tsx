// Peer communications in the UI: compose, outbox, peering requests, contacts, e-mail templates, bulk
// mail. `emailRoute(path)` maps the app's paths to these pages; the components other pages mount
// (request status badges, the Email action link, bulk request) are exported from here too.
import type { ReactNode } from 'react';
import { match, useLocation } from '../app/router';
import { ComposePage } from './email/ComposePage';
import { OutboxListPage, OutboxMessagePage } from './email/OutboxPages';
import { PeeringRequestPage, PeeringRequestsPage } from './email/RequestPages';
import { EmailTemplateEditorPage, EmailTemplatesPage } from './email/TemplateEditor';
import { ContactsPage } from './email/ContactsPage';
import { BulkMailPage } from './email/BulkPage';

export {
  ComposePage,
  OutboxListPage,
  OutboxMessagePage,
  PeeringRequestPage,
  PeeringRequestsPage,
  EmailTemplateEditorPage,
  EmailTemplatesPage,
  ContactsPage,
  BulkMailPage,
};
export { RequestStatusBadge, useRequestStatuses } from './email/RequestStatus';
export { bulkPeeringRequest, BulkResult } from './email/BulkPage';
export { composeLinkFor, wizardLinkFor } from './email/RequestPages';

/** The compose link for a session (the session page's Email action), a peer ASN or a PeeringDB network. */
export function composeLink(o: {
  session?: number;
  peer_asn?: number;
  peeringdb_net?: number;
  fabric?: number | null;
  template?: string;
}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null) p.set(k, String(v));
  return `/email/compose?${p}`;
}

function ContactsRoute() {
  const { search } = useLocation();
  const id = Number(search.get('peer_asn'));
  return <ContactsPage peerAsn={Number.isInteger(id) && id > 0 ? id : undefined} />;
}

/** The page for a mail path, or null when the path is not one of ours. */
export function emailRoute(path: string): ReactNode | null {
  let m: Record<string, string> | null;
  const isId = (x: Record<string, string> | null): x is Record<string, string> => !!x && /^\d+$/.test(x.id ?? '');
  if (path === '/email/compose') return <ComposePage />;
  if (path === '/email/bulk') return <BulkMailPage />;
  if (path === '/outbox') return <OutboxListPage />;
  if (isId((m = match('/outbox/:id', path)))) return <OutboxMessagePage key={m.id} id={Number(m.id)} />;
  if (path === '/requests') return <PeeringRequestsPage />;
  if (isId((m = match('/requests/:id', path)))) return <PeeringRequestPage key={m.id} id={Number(m.id)} />;
  if (path === '/contacts') return <ContactsRoute />;
  if (path === '/email-templates') return <EmailTemplatesPage />;
  if (path === '/email-templates/new') return <EmailTemplateEditorPage key="new" id={null} />;
  if (isId((m = match('/email-templates/:id', path)))) return <EmailTemplateEditorPage key={m.id} id={Number(m.id)} />;
  return null;
}
