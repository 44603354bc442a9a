// Step 3: the peer, from PeeringDB, a local peer ASN, or typed by hand.
import { useMemo, useState } from 'react';
import {
  Button,
  Checkbox,
  Group,
  Paper,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { api, listResource, unwrap, type Schemas } from '../../api/client';
import { RefSelect } from '../../components/RefSelect';
import { ipFamily } from '../../lib/validate';
import { Unavailable } from '../../components/Unavailable';
import { firstAsSet, spread, type MemberAddress, type StepProps, type WizardState } from './state';

/** A PeeringDB network the lookup lists: a member of the exchange (with its addresses there) or a search hit. */
interface PdbNetwork {
  asn: number;
  name: string;
  /** Its PeeringDB network id. */
  peeringdbId: number | null;
  irr_as_set: string | null;
  policy: string | null;
  /** Its addresses on the exchange (none for a search hit). */
  addresses: MemberAddress[];
}
const fromMember = (c: Schemas['PeeringCandidate']): PdbNetwork => ({
  asn: c.asn,
  name: c.name,
  peeringdbId: c.peeringdb_net_id,
  irr_as_set: c.irr_as_set,
  policy: c.policy,
  addresses: c.addresses,
});
const fromSearch = (n: Schemas['PeeringDbNetwork']): PdbNetwork => ({
  asn: n.asn,
  name: n.name,
  peeringdbId: n.id,
  irr_as_set: n.irr_as_set,
  policy: n.policy_general,
  addresses: [],
});

export function StepPeer({ s, set, errors, peeringdb }: StepProps & { peeringdb: boolean }) {
  return (
    <Stack gap="sm">
      <SegmentedControl
        data={[
          { value: 'peeringdb', label: 'PeeringDB lookup' },
          { value: 'local', label: 'Local peer lookup' },
          { value: 'manual', label: 'Manual' },
        ]}
        value={s.peerSource}
        onChange={(v) => set({ peerSource: v as WizardState['peerSource'] })}
        data-testid="wizard-peer-source"
      />
      {s.peerSource === 'peeringdb' &&
        (peeringdb ? <PeeringDbLookup s={s} set={set} /> : <Unavailable cap="peeringdb" what="PeeringDB lookup" />)}
      {s.peerSource === 'local' && <LocalPeerLookup s={s} set={set} />}
      <Text size="xs" fw={600} c="dimmed" tt="uppercase" mt={4}>
        Session details
      </Text>
      <SimpleGrid cols={2}>
        <TextInput
          label="Peer name"
          value={s.name}
          onChange={(e) => set({ name: e.currentTarget.value })}
          error={errors['peer.name']}
          required
          data-testid="wizard-peer-name"
        />
        <TextInput
          label="Peer ASN"
          value={s.asn}
          onChange={(e) => set({ asn: e.currentTarget.value })}
          error={errors['peer.asn']}
          required
          className="mono-input"
          data-testid="wizard-peer-asn"
        />
        <TextInput
          label="Peer IPv4"
          value={s.ipv4}
          onChange={(e) => set({ ipv4: e.currentTarget.value })}
          error={errors['peer.ipv4']}
          className="mono-input"
          data-testid="wizard-peer-ipv4"
        />
        <TextInput
          label="Peer IPv6"
          value={s.ipv6}
          onChange={(e) => set({ ipv6: e.currentTarget.value })}
          error={errors['peer.ipv6']}
          className="mono-input"
          data-testid="wizard-peer-ipv6"
        />
        <TextInput
          label="Source IPv4 (optional)"
          description="our address; defaults to the connection's on that LAN"
          value={s.source_ipv4}
          onChange={(e) => set({ source_ipv4: e.currentTarget.value })}
          error={errors['peer.source_ipv4']}
          className="mono-input"
        />
        <TextInput
          label="Source IPv6 (optional)"
          description="our address; defaults to the connection's on that LAN"
          value={s.source_ipv6}
          onChange={(e) => set({ source_ipv6: e.currentTarget.value })}
          error={errors['peer.source_ipv6']}
          className="mono-input"
        />
      </SimpleGrid>
    </Stack>
  );
}

/** Networks present on the chosen exchange (from PeeringDB), or a network search without one. */
function PeeringDbLookup({ s, set }: Omit<StepProps, 'errors'>) {
  const [q, setQ] = useState('');
  const [dq] = useDebouncedValue(q, 250);
  const fabricId = s.exchangeMode === 'exchange' && s.fabric ? Number(s.fabric) : null;
  // Per router: another router's session with a member does not make its address taken here.
  const members = useQuery({
    queryKey: ['wizard-pdb-members', fabricId, s.router, dq],
    queryFn: async () =>
      unwrap(
        await api.GET('/api/fabrics/{id}/candidates', {
          params: {
            path: { id: fabricId! },
            query: {
              q: dq || undefined,
              include_hidden: 'true',
              limit: 50,
              router: s.router ? Number(s.router) : undefined,
            },
          },
        }),
      ),
    enabled: fabricId !== null,
  });
  const search = useQuery({
    queryKey: ['wizard-pdb-search', dq],
    queryFn: async () => unwrap(await api.GET('/api/peeringdb/networks', { params: { query: { q: dq, limit: 30 } } })),
    enabled: fabricId === null && dq.trim().length > 0,
  });
  const rows: PdbNetwork[] =
    fabricId !== null ? (members.data?.results ?? []).map(fromMember) : (search.data?.results ?? []).map(fromSearch);
  const pick = (r: PdbNetwork) => {
    // Every address of the member on this exchange is offered; those without a session start checked.
    const choices = fabricId !== null ? r.addresses : [];
    set({
      name: r.name,
      asn: String(r.asn),
      choices,
      ...spread(
        choices.filter((a) => !a.has_session).map((a) => a.address),
        choices,
      ),
      peeringdb_id: r.peeringdbId,
      ...(firstAsSet(r.irr_as_set) && !s.irr_as_set ? { irr_as_set: firstAsSet(r.irr_as_set)! } : {}),
    });
  };
  const checked = new Set([s.ipv4.trim(), s.ipv6.trim(), ...s.addresses].filter(Boolean));
  const toggle = (address: string) => {
    const next = s.choices.map((c) => c.address).filter((a) => (a === address ? !checked.has(a) : checked.has(a)));
    set(spread(next, s.choices));
  };
  const err = members.error ?? search.error;
  return (
    <Stack gap={6}>
      <TextInput
        placeholder={
          fabricId !== null
            ? `Filter networks on ${s.fabricRow?.name ?? 'the exchange'} by name or ASN`
            : 'Search PeeringDB networks by name or ASN'
        }
        value={q}
        onChange={(e) => setQ(e.currentTarget.value)}
        data-testid="wizard-pdb-search"
      />
      {fabricId === null && (
        <Text size="xs" c="dimmed">
          No exchange chosen: PeeringDB fills the name and ASN; type the IPs.
        </Text>
      )}
      {err ? (
        <Text size="xs" c="red">
          {(err as Error).message}
        </Text>
      ) : null}
      <div className="table-wrap" style={{ maxHeight: 240 }}>
        <table className="dt">
          <thead>
            <tr>
              <th />
              <th>ASN</th>
              <th>Name</th>
              {fabricId !== null && <th>Addresses on this LAN</th>}
              <th>Policy</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.asn} onDoubleClick={() => pick(r)} data-testid={`wizard-pdb-row-${r.asn}`}>
                {/* First column: the Use button never scrolls out of sight behind long address lists. */}
                <td style={{ position: 'sticky', left: 0, background: 'var(--mantine-color-body)', zIndex: 1 }}>
                  <Button
                    size="compact-xs"
                    variant="light"
                    onClick={() => pick(r)}
                    data-testid={`wizard-pdb-use-${r.asn}`}
                  >
                    Use
                  </Button>
                </td>
                <td>AS{r.asn}</td>
                <td>{r.name}</td>
                {fabricId !== null && (
                  <td className="mono small" style={{ whiteSpace: 'normal' }}>
                    {r.addresses.map((a) => a.address + (a.has_session ? ' (session)' : '')).join(', ')}
                  </td>
                )}
                <td>{r.policy ?? '—'}</td>
              </tr>
            ))}
            {!rows.length && (
              <tr>
                <td colSpan={5} className="empty">
                  {members.isFetching || search.isFetching
                    ? 'Loading…'
                    : fabricId !== null
                      ? 'No PeeringDB networks on this exchange (sync PeeringDB and set the fabric’s IX id).'
                      : 'Type to search.'}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {s.choices.length > 0 && (
        <Paper withBorder p="xs" data-testid="wizard-pdb-addresses">
          <Text size="xs" fw={600} mb={4}>
            {s.name} on {s.fabricRow?.name ?? 'this exchange'}: a session per checked address
          </Text>
          <Group gap="md">
            {s.choices.map((c) => (
              <Checkbox
                key={c.address}
                size="xs"
                label={
                  <span className="mono">
                    {c.address}
                    {c.has_session ? ' (has a session on this router)' : ''}
                  </span>
                }
                checked={checked.has(c.address)}
                disabled={c.has_session}
                onChange={() => toggle(c.address)}
                data-testid={`wizard-pdb-address-${c.address}`}
              />
            ))}
          </Group>
        </Paper>
      )}
    </Stack>
  );
}
/** An existing peer ASN and one of its known IPs. */
function LocalPeerLookup({ s, set }: Omit<StepProps, 'errors'>) {
  const [asnId, setAsnId] = useState<string | null>(null);
  const [asnRow, setAsnRow] = useState<Schemas['PeerAsn'] | null>(null);
  const peers = useQuery({
    queryKey: ['wizard-local-peers', asnRow?.asn],
    queryFn: ({ signal }) => listResource('bgp-peers', { remote_asn: asnRow!.asn, limit: 200 }, signal),
    enabled: Boolean(asnRow),
  });
  // Known addresses, with what Create will do with each on the chosen router: wrap its BGP peer, or refuse.
  const ips = useMemo(() => {
    const out = new Map<string, { value: string; label: string; disabled: boolean }>();
    for (const p of peers.data?.results ?? []) {
      const here = s.router !== null && String(p.router.id) === s.router;
      const prev = out.get(p.peer_ip);
      if (prev && !here) continue;
      const label = here
        ? p.peering_session
          ? `${p.peer_ip} — has session #${p.peering_session} on ${p.router.name}`
          : `${p.peer_ip} — BGP peer on ${p.router.name} without a session: will be wrapped`
        : `${p.peer_ip} — known on ${p.router.name}`;
      out.set(p.peer_ip, { value: p.peer_ip, label, disabled: here && Boolean(p.peering_session) });
    }
    return [...out.values()];
  }, [peers.data, s.router]);
  return (
    <SimpleGrid cols={2}>
      <RefSelect
        label="Peer name / ASN"
        res="peer-asns"
        value={asnId}
        onChange={(v, row) => {
          setAsnId(v);
          setAsnRow(row);
          if (row)
            set({
              name: row.name,
              asn: String(row.asn),
              peeringdb_id: row.peeringdb_id ?? null,
              ...(row.irr_as_set && !s.irr_as_set ? { irr_as_set: row.irr_as_set } : {}),
            });
        }}
        labelOf={(r) => `${r.name} (AS${r.asn})`}
        data-testid="wizard-local-peer"
      />
      <Select
        label="Peer IP"
        data={ips}
        placeholder={
          asnRow
            ? ips.length
              ? 'Choose a known address'
              : 'No known addresses; type one below'
            : 'Choose a peer first'
        }
        disabled={!asnRow}
        onChange={(v) =>
          v &&
          set(ipFamily(v) === 6 ? { ipv6: v, choices: [], addresses: [] } : { ipv4: v, choices: [], addresses: [] })
        }
        data-testid="wizard-local-ip"
      />
    </SimpleGrid>
  );
}
