// Mail panels of detail pages (loaded on first use with the mail pages): the peer ASN's request status,
// Email action and contacts; the fabric's and router's maintenance-mail links.
import { Button, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { listPeeringRequests } from './email/mailApi';
import type { Schemas } from '../api/client';
import { Link, navigate } from '../app/router';
import { ContactsPage, RequestStatusBadge, composeLink, useRequestStatuses } from './EmailPages';

/** The peer ASN's peering request (any exchange), an Email button and its local contacts. */
export function PeerAsnMail({ row }: { row: Pick<Schemas['PeerAsn'], 'id' | 'asn'> }) {
  const requests = useRequestStatuses([row.asn]);
  const request = requests.get(row.asn);
  return (
    <Paper withBorder p="sm" className="panel" data-testid="peer-asn-mail">
      <Group justify="space-between" mb={6}>
        <Group gap={8}>
          <Title order={5}>Requests and contacts</Title>
          <RequestStatusBadge request={request} />
          {request?.fabric && (
            <Text size="xs" c="dimmed">
              at {request.fabric.name}
            </Text>
          )}
        </Group>
        <Group gap={6}>
          <Button
            size="xs"
            variant="default"
            onClick={() => navigate(composeLink({ peer_asn: row.id }))}
            data-testid="peer-asn-email"
          >
            Email
          </Button>
          <Button size="xs" variant="subtle" onClick={() => navigate('/requests')}>
            All requests
          </Button>
        </Group>
      </Group>
      <ContactsPage peerAsn={row.id} />
    </Paper>
  );
}

/** A "Maintenance mail" link to bulk mail for the peers of a fabric or a router. */
export function MaintenanceMailLink({ scope, id }: { scope: 'fabric' | 'router'; id: number }) {
  return (
    <Paper withBorder p="sm" className="panel">
      <Group justify="space-between">
        <Text size="sm">
          Tell every peer {scope === 'fabric' ? 'on this exchange' : 'of this router'} about a maintenance.
        </Text>
        <Link to={`/email/bulk?${scope}=${id}`} data-testid="maintenance-mail">
          Maintenance mail
        </Link>
      </Group>
      {scope === 'fabric' && <FabricRequests fabric={id} />}
    </Paper>
  );
}

/** The peering requests at one exchange, newest first, with their status (the exchange's side of the tracker). */
function FabricRequests({ fabric }: { fabric: number }) {
  const q = useQuery({
    queryKey: ['peering-requests', 'fabric', fabric],
    staleTime: 10_000,
    queryFn: ({ signal }) => listPeeringRequests({ fabric, limit: 50 }, signal),
  });
  const rows = q.data?.results ?? [];
  return (
    <Stack gap={4} mt="sm" data-testid="fabric-requests">
      <Text size="sm" fw={600}>
        Peering requests at this exchange{q.data ? ` (${q.data.count})` : ''}
      </Text>
      {rows.length === 0 && (
        <Text size="sm" c="dimmed">
          {q.isLoading ? 'Loading…' : 'None yet: request peering from the candidates.'}
        </Text>
      )}
      {rows.map((r) => (
        <Group key={r.id} gap="xs">
          <RequestStatusBadge request={r} />
          <Link to={`/requests/${r.id}`}>
            AS{r.asn}
            {r.network_name ? ` ${r.network_name}` : ''}
          </Link>
        </Group>
      ))}
    </Stack>
  );
}
