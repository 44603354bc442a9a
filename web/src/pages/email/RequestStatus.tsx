// Peering-request status for other pages: a badge, and a hook that loads the statuses of many ASNs at
// once (candidates list, peer ASN page, fabric page).
import { Badge, Tooltip } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import type { Schemas } from '../../api/client';
import { Link } from '../../app/router';
import { fmtTime } from '../../components/format';
import { listPeeringRequests, REQUEST_STATUS_COLOR, REQUEST_STATUS_LABEL } from './mailApi';

type PeeringRequest = Schemas['PeeringRequest'];

/** The status badge of one request (links to its page); "Not sent" when there is none. */
export function RequestStatusBadge({
  request,
}: {
  request: Pick<PeeringRequest, 'id' | 'status' | 'last_sent_at' | 'sent_count'> | null | undefined;
}) {
  const status = request?.status ?? 'none';
  const badge = (
    <Badge size="sm" variant="light" color={REQUEST_STATUS_COLOR[status] ?? 'gray'} data-testid="request-status">
      {REQUEST_STATUS_LABEL[status] ?? status}
    </Badge>
  );
  if (!request) return badge;
  return (
    <Tooltip
      label={
        request.last_sent_at ? `last sent ${fmtTime(request.last_sent_at)} (${request.sent_count}×)` : 'not sent yet'
      }
    >
      <Link to={`/requests/${request.id}`}>{badge}</Link>
    </Tooltip>
  );
}

/** Requests of the given ASNs (at one fabric, or every fabric when undefined), keyed by ASN. */
export function useRequestStatuses(asns: number[], fabric?: number | null): Map<number, PeeringRequest> {
  const key = [...new Set(asns)].sort((a, b) => a - b);
  const q = useQuery({
    queryKey: ['peering-requests', 'status', key, fabric ?? 'any'],
    enabled: key.length > 0,
    staleTime: 10_000,
    queryFn: ({ signal }) =>
      listPeeringRequests(
        {
          asn: key.join(','),
          fabric: fabric === undefined ? undefined : fabric === null ? 'null' : fabric,
          limit: 1000,
        },
        signal,
      ),
  });
  const out = new Map<number, PeeringRequest>();
  for (const r of q.data?.results ?? []) if (!out.has(r.asn)) out.set(r.asn, r);
  return out;
}
