// Peering requests per (peer, fabric): the list with status and dates, and one request with its
// history (who, when), messages and replies, and the actions Resend, Mark …, Reset.
import { useState } from 'react';
import { Alert, Button, Group, Paper, Stack, Table, Text, Textarea, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, type Schemas } from '../../api/client';
import type { PeeringRequestStatus } from '../../api/enums';
import { DataTable, type BulkAction } from '../../components/DataTable';
import { fmtTime } from '../../components/format';
import { Link, navigate } from '../../app/router';
import { roleAtLeast, useMe } from '../../app/session';
import { ErrorBox, PageHeader } from '../ResourcePages';
import {
  listPeeringRequests,
  markRequest,
  requestStatusLabel,
  REQUEST_STATUS_LABEL,
  type RequestAction,
} from './mailApi';
import { RequestStatusBadge } from './RequestStatus';
import { OutboxStatus, ReplyList } from './OutboxPages';

type PeeringRequest = Schemas['PeeringRequest'];

const ACTIONS: { action: RequestAction; label: string; color?: string; status: PeeringRequestStatus }[] = [
  { action: 'accept', label: 'Mark approved', color: 'green', status: 'accepted' },
  { action: 'existing', label: 'Mark existing', status: 'existing' },
  { action: 'not-qualified', label: 'Mark not qualified', color: 'orange', status: 'not_qualified' },
  { action: 'reject', label: 'Mark rejected', color: 'red', status: 'rejected' },
  { action: 'reset', label: 'Reset', color: 'gray', status: 'none' },
];

/** Where the compose page opens for a request (same peer and fabric). */
export function composeLinkFor(r: Pick<PeeringRequest, 'peer_asn' | 'peeringdb_net' | 'fabric'>): string {
  const p = new URLSearchParams({ template: 'peering-request' });
  if (r.peer_asn) p.set('peer_asn', String(r.peer_asn.id));
  else if (r.peeringdb_net) p.set('peeringdb_net', String(r.peeringdb_net));
  if (r.fabric) p.set('fabric', String(r.fabric.id));
  return `/email/compose?${p}`;
}

/** The session wizard prefilled with the request's peer and exchange. */
export function wizardLinkFor(r: Pick<PeeringRequest, 'asn' | 'fabric'>): string {
  const p = new URLSearchParams({ asn: String(r.asn) });
  if (r.fabric) p.set('fabric', String(r.fabric.id));
  return `/peering-sessions/new?${p}`;
}

/** Every request, filterable by status, with bulk marks. */
export function PeeringRequestsPage() {
  const qc = useQueryClient();
  const canAct = roleAtLeast(useMe().data?.role, 'operator');
  const bulk = (action: RequestAction, label: string): BulkAction<PeeringRequest> => ({
    label,
    unavailable: canAct ? null : 'requires the operator role',
    run: async (ids) => {
      let failed = 0;
      for (const id of ids) await markRequest(id, action, {}).catch(() => failed++);
      notifications.show({
        color: failed ? 'orange' : undefined,
        message: `${ids.length - failed} updated${failed ? `, ${failed} unchanged` : ''}`,
      });
      await qc.invalidateQueries({ queryKey: ['list', 'peering-requests'] });
    },
  });
  return (
    <>
      <PageHeader
        title="Peering requests"
        subtitle="Who we asked, where, and what they answered"
        actions={
          <Button variant="default" onClick={() => navigate('/outbox')}>
            Outbox
          </Button>
        }
      />
      <DataTable
        id="peering-requests"
        queryKey={['list', 'peering-requests']}
        fetch={listPeeringRequests}
        urlState
        columns={[
          {
            id: 'asn',
            header: 'Peer',
            cell: (r) => (
              <Link to={`/requests/${r.id}`}>
                AS{r.asn}
                {r.network_name ? ` ${r.network_name}` : ''}
              </Link>
            ),
            sort: 'asn',
          },
          { id: 'fabric', header: 'Fabric', cell: (r) => r.fabric?.name ?? <span className="muted">any</span> },
          {
            id: 'status',
            header: 'Status',
            cell: (r) => <RequestStatusBadge request={r} />,
            sort: 'status',
            csv: (r) => r.status,
          },
          { id: 'sent_count', header: 'Sent', cell: (r) => r.sent_count, align: 'right' },
          { id: 'last_sent_at', header: 'Last sent', cell: (r) => fmtTime(r.last_sent_at), sort: 'last_sent_at' },
          { id: 'replied_at', header: 'Replied', cell: (r) => fmtTime(r.replied_at) },
          { id: 'reminder', header: 'Follow-up due', cell: (r) => (r.reminder_due_at ? 'yes' : '') },
        ]}
        filters={[
          {
            name: 'status',
            label: 'Status',
            kind: 'select',
            options: Object.entries(REQUEST_STATUS_LABEL).map(([value, label]) => ({ value, label })),
          },
          { name: 'reminder_due', label: 'Follow-up due', kind: 'bool' },
        ]}
        actions={[
          bulk('accept', 'Mark approved'),
          bulk('existing', 'Mark existing'),
          bulk('not-qualified', 'Mark not qualified'),
          bulk('reject', 'Mark rejected'),
          bulk('reset', 'Reset'),
        ]}
        rowHref={(r) => `/requests/${r.id}`}
        emptyText="No requests yet: send one from a candidate, a peer ASN or a session."
      />
    </>
  );
}

/** One request: status, actions, history, messages and replies. */
export function PeeringRequestPage({ id }: { id: number }) {
  const qc = useQueryClient();
  const canAct = roleAtLeast(useMe().data?.role, 'operator');
  const [note, setNote] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [accepted, setAccepted] = useState(false);
  const q = useQuery({
    queryKey: ['peering-request', id],
    queryFn: async ({ signal }) =>
      unwrap(await api.GET('/api/peering-requests/{id}/', { params: { path: { id } }, signal })),
  });
  const r = q.data;
  const act = async (action: RequestAction) => {
    setError(null);
    try {
      await markRequest(id, action, { note: note || null });
      setNote('');
      setAccepted(action === 'accept');
      await qc.invalidateQueries({ queryKey: ['peering-request', id] });
    } catch (err) {
      setError(err);
    }
  };
  if (q.error) return <ErrorBox error={q.error} />;
  if (!r) return null;
  return (
    <Stack gap="sm">
      <PageHeader
        title={
          <>
            AS{r.asn}
            {r.network_name ? ` ${r.network_name}` : ''}
            {r.fabric ? ` at ${r.fabric.name}` : ''}
          </>
        }
        subtitle={
          <>
            Peering request · <RequestStatusBadge request={r} />
          </>
        }
        actions={
          canAct && (
            <Button onClick={() => navigate(composeLinkFor(r))} data-testid="resend-button">
              {r.sent_count ? 'Resend' : 'Send'}
            </Button>
          )
        }
      />
      {r.resend_warning && <Alert color="yellow">{r.resend_warning}</Alert>}
      {(accepted || r.status === 'accepted') && (
        <Alert color="green" title="Approved" data-testid="wizard-offer">
          Create the sessions now?{' '}
          <Link to={wizardLinkFor(r)}>
            Open the session wizard for AS{r.asn}
            {r.fabric ? ` at ${r.fabric.name}` : ''}
          </Link>
        </Alert>
      )}
      <ErrorBox error={error} />
      {canAct && (
        <Paper withBorder p="sm">
          <Textarea
            label="Note (kept in the history)"
            value={note}
            onChange={(e) => setNote(e.currentTarget.value)}
            autosize
            minRows={1}
          />
          <Group mt="xs" gap="xs">
            {ACTIONS.filter((a) => a.status !== r.status).map((a) => (
              <Button
                key={a.action}
                size="xs"
                variant="light"
                color={a.color}
                onClick={() => act(a.action)}
                data-testid={`request-${a.action}`}
              >
                {a.label}
              </Button>
            ))}
          </Group>
        </Paper>
      )}
      <Title order={5}>History</Title>
      <Table withTableBorder striped data-testid="request-history">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>When</Table.Th>
            <Table.Th>Who</Table.Th>
            <Table.Th>What</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Note</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {r.history.map((h) => (
            <Table.Tr key={h.id}>
              <Table.Td>{fmtTime(h.time)}</Table.Td>
              <Table.Td>{h.username ?? 'system'}</Table.Td>
              <Table.Td>
                {h.action.replace(/_/g, ' ')}
                {h.outbox_id ? (
                  <>
                    {' '}
                    (<Link to={`/outbox/${h.outbox_id}`}>message</Link>)
                  </>
                ) : null}
              </Table.Td>
              <Table.Td>
                {requestStatusLabel(h.from_status)} → {requestStatusLabel(h.to_status)}
              </Table.Td>
              <Table.Td>{h.note ?? ''}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Title order={5}>Messages</Title>
      {r.messages.length === 0 ? (
        <Text size="sm" c="dimmed">
          None.
        </Text>
      ) : (
        <Stack gap={4}>
          {r.messages.map((m) => (
            <Group key={m.id} gap="xs">
              <OutboxStatus status={m.status} />
              <Link to={`/outbox/${m.id}`}>{m.subject}</Link>
              <Text size="xs" c="dimmed">
                {fmtTime(m.sent_at ?? m.created_at)} · {m.to.map((a) => a.address).join(', ')}
              </Text>
            </Group>
          ))}
        </Stack>
      )}
      <Title order={5}>Replies</Title>
      <ReplyList replies={r.replies} />
    </Stack>
  );
}
