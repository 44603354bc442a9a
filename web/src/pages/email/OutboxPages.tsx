// The outbox: every message with its status, and one message with headers, body, error, replies and Retry.
import { Alert, Badge, Button, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, type Schemas } from '../../api/client';
import { OutboxMessageStatus } from '../../api/enums';
import { DataTable } from '../../components/DataTable';
import { fmtTime } from '../../components/format';
import { Link, navigate } from '../../app/router';
import { roleAtLeast, useMe } from '../../app/session';
import { ErrorBox, PageHeader } from '../ResourcePages';
import { fmtAddress, listOutbox, OUTBOX_STATUS_COLOR } from './mailApi';

/** A coloured outbox status. */
export function OutboxStatus({ status }: { status: OutboxMessageStatus }) {
  return (
    <Badge size="sm" variant="light" color={OUTBOX_STATUS_COLOR[status] ?? 'gray'} data-testid="outbox-status">
      {status}
    </Badge>
  );
}

/** Every message sent or queued, newest first. */
export function OutboxListPage() {
  return (
    <>
      <PageHeader
        title="Outbox"
        subtitle="Every message Peerdesk sent or will send, with its delivery status"
        actions={
          <Button variant="default" onClick={() => navigate('/email/compose')}>
            Compose
          </Button>
        }
      />
      <DataTable
        id="outbox"
        queryKey={['list', 'outbox']}
        fetch={listOutbox}
        urlState
        refetchInterval={5000}
        columns={[
          { id: 'status', header: 'Status', cell: (r) => <OutboxStatus status={r.status} /> },
          { id: 'subject', header: 'Subject', cell: (r) => <Link to={`/outbox/${r.id}`}>{r.subject}</Link> },
          {
            id: 'to',
            header: 'To',
            cell: (r) => r.to.map((a) => a.address).join(', '),
            csv: (r) => r.to.map((a) => a.address).join(' '),
          },
          {
            id: 'peer',
            header: 'Peer',
            cell: (r) =>
              r.asn ? (
                r.peer_asn ? (
                  <Link to={`/peer-asns/${r.peer_asn.id}`}>AS{r.asn}</Link>
                ) : (
                  `AS${r.asn}`
                )
              ) : (
                <span className="muted">—</span>
              ),
          },
          { id: 'fabric', header: 'Fabric', cell: (r) => r.fabric?.name ?? <span className="muted">—</span> },
          {
            id: 'request',
            header: 'Request',
            cell: (r) =>
              r.request ? <Link to={`/requests/${r.request}`}>#{r.request}</Link> : <span className="muted">—</span>,
            hidden: true,
          },
          { id: 'replies', header: 'Replies', cell: (r) => r.reply_count, align: 'right' },
          { id: 'created_by', header: 'By', cell: (r) => r.created_by ?? 'system' },
          { id: 'created_at', header: 'Queued', cell: (r) => fmtTime(r.created_at), sort: 'created_at' },
          { id: 'sent_at', header: 'Sent', cell: (r) => fmtTime(r.sent_at), sort: 'sent_at' },
          { id: 'error', header: 'Error', cell: (r) => r.error ?? '', hidden: true },
        ]}
        filters={[
          {
            name: 'status',
            label: 'Status',
            kind: 'select',
            options: OutboxMessageStatus.map((s) => ({ value: s, label: s })),
          },
          {
            name: 'kind',
            label: 'Kind',
            kind: 'select',
            options: ['request', 'manual', 'bulk', 'maintenance', 'reminder'].map((s) => ({ value: s, label: s })),
          },
        ]}
        rowHref={(r) => `/outbox/${r.id}`}
        selectable={false}
        emptyText="Nothing sent yet. Compose from a session, a peer ASN or a candidate."
      />
    </>
  );
}

/** One message: headers, body, delivery, replies, Retry when failed. */
export function OutboxMessagePage({ id }: { id: number }) {
  const qc = useQueryClient();
  const canSend = roleAtLeast(useMe().data?.role, 'operator');
  const q = useQuery({
    queryKey: ['outbox', id],
    queryFn: async ({ signal }) => unwrap(await api.GET('/api/outbox/{id}/', { params: { path: { id } }, signal })),
    refetchInterval: (query) => {
      const status = query.state.data?.status;
      return status === 'queued' || status === 'sending' ? 2000 : false;
    },
  });
  const m = q.data;
  const retry = async () => {
    try {
      unwrap(await api.POST('/api/outbox/{id}/retry/', { params: { path: { id } } }));
      notifications.show({ message: 'Queued for another attempt' });
      await qc.invalidateQueries({ queryKey: ['outbox', id] });
    } catch (err) {
      notifications.show({ color: 'red', message: (err as Error).message });
    }
  };
  if (q.error) return <ErrorBox error={q.error} />;
  if (!m) return null;
  return (
    <Stack gap="sm">
      <PageHeader
        title={m.subject}
        subtitle={<>Message {m.message_id}</>}
        actions={
          <>
            {m.status === 'failed' && canSend && (
              <Button onClick={retry} data-testid="retry-button">
                Retry
              </Button>
            )}
            {m.request && (
              <Button variant="default" onClick={() => navigate(`/requests/${m.request}`)}>
                Request
              </Button>
            )}
          </>
        }
      />
      {m.status === 'failed' && (
        <Alert color="red" title="Delivery failed" data-testid="outbox-error">
          {m.error}
        </Alert>
      )}
      <Paper withBorder p="sm">
        <Stack gap={4}>
          <Group gap="xs">
            <OutboxStatus status={m.status} />
            <Text size="sm">
              {m.attempts} attempt{m.attempts === 1 ? '' : 's'}
              {m.sent_at ? `, sent ${fmtTime(m.sent_at)}` : ''}
              {m.created_by ? ` by ${m.created_by}` : ''}
            </Text>
          </Group>
          <Text size="sm">
            <b>From:</b> {fmtAddress(m.from)}
          </Text>
          <Text size="sm">
            <b>To:</b> {m.to.map(fmtAddress).join(', ')}
          </Text>
          {m.cc.length > 0 && (
            <Text size="sm">
              <b>Cc:</b> {m.cc.map(fmtAddress).join(', ')}
            </Text>
          )}
          {m.in_reply_to && (
            <Text size="sm">
              <b>In-Reply-To:</b> {m.in_reply_to}
            </Text>
          )}
          <Text size="sm">
            <b>About:</b> {m.asn ? `AS${m.asn}` : '—'}
            {m.fabric ? ` at ${m.fabric.name}` : ''}
            {m.session ? (
              <>
                {' '}
                · <Link to={`/peering-sessions/${m.session}`}>session {m.session}</Link>
              </>
            ) : null}
            {m.job ? (
              <>
                {' '}
                · <Link to={`/jobs/${m.job}`}>job {m.job}</Link>
              </>
            ) : null}
          </Text>
          {m.smtp_response && (
            <Text size="xs" c="dimmed">
              SMTP: {m.smtp_response}
            </Text>
          )}
        </Stack>
      </Paper>
      <Paper withBorder p="sm">
        <pre style={{ margin: 0, whiteSpace: 'pre-wrap' }} data-testid="outbox-body">
          {m.body}
        </pre>
      </Paper>
      <Title order={5}>Replies ({m.replies.length})</Title>
      <ReplyList replies={m.replies} />
    </Stack>
  );
}

/** Replies read from the IMAP mailbox. */
export function ReplyList({ replies }: { replies: Schemas['EmailReply'][] }) {
  if (!replies.length)
    return (
      <Text size="sm" c="dimmed">
        No reply yet.
      </Text>
    );
  return (
    <Stack gap="xs">
      {replies.map((r) => (
        <Paper key={r.id} withBorder p="sm" data-testid="reply">
          <Text size="sm">
            <b>{r.from}</b> · {fmtTime(r.date ?? r.received_at)}
          </Text>
          <Text size="sm" fw={500}>
            {r.subject}
          </Text>
          <pre style={{ margin: '6px 0 0', whiteSpace: 'pre-wrap' }}>{r.body}</pre>
        </Paper>
      ))}
    </Stack>
  );
}
