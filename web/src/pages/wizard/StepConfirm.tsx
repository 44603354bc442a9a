// Step 5: review before Create.
import { Badge, Group, Stack, Table, Text } from '@mantine/core';
import { RelationshipBadge } from '../../components/badges';
import { ErrorBox } from '../ResourcePages';
import { type WizardState } from './state';

export function StepConfirm({ s, error }: { s: WizardState; error: unknown }) {
  const rows: [string, React.ReactNode][] = [
    ['Type', s.relationshipRow ? <RelationshipBadge rel={s.relationshipRow} /> : '—'],
    [
      'Exchange',
      s.exchangeMode === 'none' ? 'No Exchange' : `${s.fabricRow?.name ?? s.fabric} (${s.networks.length} network(s))`,
    ],
    ['Router', s.routerRow ? `${s.routerRow.name}` : s.router],
    ['Peer group', s.peerGroupRow?.name ?? '—'],
    ['Local ASN', s.local_asn ? `AS${s.local_asn}` : 'router default'],
    ['MD5', s.md5 ? 'set' : 'none'],
    ['Peer', `${s.name} (AS${s.asn})`],
    ['Peer IPv4', s.ipv4 || '—'],
    ['Peer IPv6', s.ipv6 || '—'],
    ...(s.addresses.length
      ? ([['Further addresses', <span className="mono">{s.addresses.join(', ')}</span>]] as [string, React.ReactNode][])
      : []),
    ['AS-SET', s.irr_as_set ? `${s.irr_as_set}${s.irrImport ? ' (imported from the IRR after create)' : ''}` : '—'],
    ['Service reference', s.service_reference || '—'],
    ['Notes', s.notes || '—'],
  ];
  const count = new Set([s.ipv4.trim(), s.ipv6.trim(), ...s.addresses].filter(Boolean)).size;
  return (
    <Stack gap="sm">
      {error ? <ErrorBox error={error} /> : null}
      <Text size="sm">
        Review the session details. <b>Create Session</b> makes the peer ASN if it is new, {count} BGP peer
        {count === 1 ? '' : 's'} and {count} peering session{count === 1 ? '' : 's'} in one transaction.
      </Text>
      <Table withTableBorder withColumnBorders className="dt confirm" data-testid="wizard-summary">
        <Table.Tbody>
          {rows.map(([k, v]) => (
            <Table.Tr key={k}>
              <Table.Th w={180}>{k}</Table.Th>
              <Table.Td>{v}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Group gap={6}>
        <Badge variant="light">{s.enabled ? 'Admin up after create' : 'Created admin down'}</Badge>
      </Group>
    </Stack>
  );
}
