// The five-step create-session wizard: type & exchange → router → peer → AS-SET → confirm.
import { useEffect, useMemo, useState } from 'react';
import { Alert, Badge, Button, Checkbox, Group, Paper, PasswordInput, SegmentedControl, Select, SimpleGrid, Stack, Stepper, Table, Text, TextInput, Textarea } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, listResource, unwrap, type Row } from '../api/client';
import { RefSelect } from '../components/RefSelect';
import { RelationshipBadge } from '../components/badges';
import { irrErrorText, looksLikeIp, parseAsn } from '../components/format';
import { Unavailable, unavailableText } from '../components/Unavailable';
import { navigate, useLocation } from '../app/router';
import { useCapabilities } from '../app/session';
import { ErrorBox, PageHeader } from './ResourcePages';
import { IrrReport, ImportResult } from './IrrPages';

interface WizardState {
  relationship: string | null;
  relationshipRow: Row | null;
  exchangeMode: 'exchange' | 'none';
  fabric: string | null;
  fabricRow: Row | null;
  networks: string[];
  notes: string;
  service_reference: string;
  router: string | null;
  routerRow: Row | null;
  peer_group: string | null;
  peerGroupRow: Row | null;
  local_asn: string;
  md5: string;
  peerSource: 'peeringdb' | 'local' | 'manual';
  name: string;
  asn: string;
  ipv4: string;
  ipv6: string;
  source_ipv4: string;
  source_ipv6: string;
  peeringdb_id: number | null;
  /** Further chosen addresses (beyond ipv4/ipv6): one session each. */
  addresses: string[];
  /** The picked PeeringDB member's addresses on the exchange, offered as a choice. */
  choices: Row[];
  irr_as_set: string;
  /** Import the AS-SET into the new peer ASN's prefix lists right after Create. */
  irrImport: boolean;
  enabled: boolean;
}

const EMPTY: WizardState = {
  relationship: null, relationshipRow: null, exchangeMode: 'exchange', fabric: null, fabricRow: null, networks: [], notes: '', service_reference: '',
  router: null, routerRow: null, peer_group: null, peerGroupRow: null, local_asn: '', md5: '',
  peerSource: 'manual', name: '', asn: '', ipv4: '', ipv6: '', source_ipv4: '', source_ipv6: '', peeringdb_id: null, addresses: [], choices: [], irr_as_set: '', irrImport: false, enabled: true,
};

// Which step owns each API field, to send the user back to the right place on a server error.
const STEP_OF: Record<string, number> = { relationship: 0, network: 0, networks: 0, notes: 0, service_reference: 0, router: 1, peer_group: 1, local_asn: 1, md5: 1, peer: 2, irr_as_set: 3, enabled: 4 };
const ASSET = /^([A-Za-z0-9-]+::)?(AS\d+|AS\d+:AS-[\w:-]+|AS-[\w:-]+)$/i;

/** Checks one step; returns errors keyed by API field name. */
function validateStep(step: number, s: WizardState): Record<string, string> {
  const e: Record<string, string> = {};
  if (step === 0 && s.exchangeMode === 'exchange') {
    if (!s.fabric) e.network = 'choose an exchange, or "No Exchange"';
    else if (!s.networks.length) e.network = 'choose at least one network (LAN) of the exchange';
  }
  if (step === 1) {
    if (!s.router) e.router = 'is required';
    if (s.local_asn && parseAsn(s.local_asn) === null) e.local_asn = 'must be an ASN between 0 and 4294967295';
    if (s.md5.length > 80) e.md5 = 'at most 80 characters';
  }
  if (step === 2) {
    if (!s.name.trim()) e['peer.name'] = 'is required';
    if (parseAsn(s.asn) === null) e['peer.asn'] = 'must be an ASN between 0 and 4294967295 (asdot like 1.10 accepted)';
    if (!s.ipv4.trim() && !s.ipv6.trim() && !s.addresses.length) e['peer.ipv4'] = 'give the peer at least one IPv4 or IPv6 address';
    for (const [k, fam] of [['ipv4', 4], ['ipv6', 6], ['source_ipv4', 4], ['source_ipv6', 6]] as const) {
      const v = s[k].trim();
      if (!v) continue;
      const got = looksLikeIp(v);
      if (!got) e[`peer.${k}`] = `"${v}" is not a valid IPv4 or IPv6 address`;
      else if (got !== fam) e[`peer.${k}`] = `${v} is not an IPv${fam} address`;
    }
  }
  if (step === 3 && s.irr_as_set.trim() && !ASSET.test(s.irr_as_set.trim())) e.irr_as_set = 'must be an AS-SET like AS-EXAMPLE, AS64500:AS-CUSTOMERS or RIPE::AS-EXAMPLE, or an ASN like AS64500';
  return e;
}

function toBody(s: WizardState): Row {
  const opt = (v: string) => (v.trim() ? v.trim() : null);
  return {
    relationship: s.relationship ? Number(s.relationship) : null,
    ...(s.exchangeMode === 'exchange' && s.networks.length ? (s.networks.length === 1 ? { network: Number(s.networks[0]) } : { networks: s.networks.map(Number) }) : { network: null }),
    notes: opt(s.notes),
    service_reference: opt(s.service_reference),
    router: Number(s.router),
    peer_group: s.peer_group ? Number(s.peer_group) : null,
    ...(s.local_asn.trim() ? { local_asn: parseAsn(s.local_asn) } : {}),
    md5: opt(s.md5),
    peer: {
      asn: parseAsn(s.asn),
      name: s.name.trim(),
      ipv4: opt(s.ipv4),
      ipv6: opt(s.ipv6),
      source_ipv4: opt(s.source_ipv4),
      source_ipv6: opt(s.source_ipv6),
      ...(s.addresses.length ? { addresses: s.addresses } : {}),
      peeringdb_id: s.peeringdb_id,
    },
    irr_as_set: opt(s.irr_as_set),
    enabled: s.enabled,
  };
}

/** Builds the new peer ASN's IRR prefix lists; the session exists either way, so failures only warn. */
async function importAfterCreate(peerAsnId: number, asSet: string): Promise<void> {
  try {
    const r = unwrap(await api.POST('/api/peer-asns/{id}/irr-import/', { params: { path: { id: peerAsnId } }, body: { as_set: asSet } })) as Row;
    const lists = r.lists.map((l: Row) => `${l.prefix_list.name} v${l.version} (${l.prefix_count} prefixes, ${l.status})`).join(', ');
    notifications.show({ title: `Imported ${asSet}`, message: lists || 'no prefixes', color: r.lists.some((l: Row) => l.status === 'held') ? 'orange' : 'green' });
  } catch (e) {
    notifications.show({ title: `IRR import of ${asSet} failed`, message: `${(e as Error).message} — retry from the peer ASN page.`, color: 'red', autoClose: false });
  }
}

/** The wizard's start state: `?asn=` and `&fabric=` (a peering request's "Open the session wizard") prefill it. */
function initialState(search: URLSearchParams): WizardState {
  const asn = search.get('asn') ?? '';
  const fabric = search.get('fabric');
  return {
    ...EMPTY,
    ...(/^\d+$/.test(asn) ? { asn, peerSource: 'manual' as const } : {}),
    ...(fabric && /^\d+$/.test(fabric) ? { fabric, exchangeMode: 'exchange' as const } : {}),
  };
}

/** The wizard page. */
export function SessionWizardPage() {
  const qc = useQueryClient();
  const caps = useCapabilities();
  const { search } = useLocation();
  const [step, setStep] = useState(0);
  const [s, setS] = useState<WizardState>(() => initialState(search));
  // A prefilled ASN known locally brings its name and AS-SET along (the user can still change them).
  useEffect(() => {
    const asn = s.asn;
    if (!asn || s.name) return;
    const ctl = new AbortController();
    listResource('peer-asns', { q: asn, limit: 20 }, ctl.signal)
      .then((p) => {
        const row = p.results.find((r) => String(r.asn) === asn);
        if (row) setS((x) => (x.asn === asn && !x.name ? { ...x, name: row.name, peeringdb_id: row.peeringdb_id ?? null, irr_as_set: x.irr_as_set || (row.irr_as_set ?? '') } : x));
      })
      .catch(() => {});
    return () => ctl.abort();
    // Once, for the prefilled ASN only (an empty dependency list on purpose).
  }, []);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [serverError, setServerError] = useState<unknown>(null);
  const [creating, setCreating] = useState(false);
  const set = (patch: Partial<WizardState>) => {
    setS((x) => ({ ...x, ...patch }));
    setErrors((e) => {
      const next = { ...e };
      for (const k of Object.keys(patch)) {
        delete next[k];
        delete next[`peer.${k}`];
      }
      if ('networks' in patch || 'fabric' in patch || 'exchangeMode' in patch) delete next.network;
      return next;
    });
  };

  const next = () => {
    const e = validateStep(step, s);
    setErrors(e);
    if (!Object.keys(e).length) setStep((x) => Math.min(4, x + 1));
  };
  const prev = () => setStep((x) => Math.max(0, x - 1));

  const create = async () => {
    for (let i = 0; i < 4; i++) {
      const e = validateStep(i, s);
      if (Object.keys(e).length) {
        setErrors(e);
        setStep(i);
        return;
      }
    }
    setCreating(true);
    setServerError(null);
    try {
      const rows = unwrap(await api.POST('/api/peering-sessions/wizard/', { body: toBody(s) as any })) as Row[];
      notifications.show({ message: `Created ${rows.length} session(s)`, color: 'green' });
      if (s.irrImport && s.irr_as_set.trim()) await importAfterCreate(rows[0]!.peer_asn.id, s.irr_as_set.trim());
      qc.invalidateQueries();
      // Several sessions (one per address): the first opens, with links to all of them.
      navigate(`/peering-sessions/${rows[0]!.id}${rows.length > 1 ? `?created=${rows.map((r) => r.id).join(',')}` : ''}`);
    } catch (err) {
      const e = err as ApiError;
      const byField = e.byField?.() ?? {};
      setErrors(byField);
      const steps = Object.keys(byField).map((k) => STEP_OF[k.split('.')[0]!] ?? 4);
      if (steps.length) setStep(Math.min(...steps));
      setServerError(err);
    } finally {
      setCreating(false);
    }
  };

  return (
    <Stack gap="sm" maw={1000}>
      <PageHeader
        title="Create New Session"
        subtitle="Peering → Sessions → Add Session"
        actions={
          <Button variant="subtle" size="xs" onClick={() => navigate('/peering-sessions/wrap')} data-testid="wizard-wrap-link">
            Wrap an existing BGP peer instead
          </Button>
        }
      />
      <Stepper active={step} onStepClick={(i) => i < step && setStep(i)} size="xs" data-testid="wizard-stepper">
        <Stepper.Step label="Common settings" description="Type & exchange" />
        <Stepper.Step label="Router settings" description="Router, group, ASN, MD5" />
        <Stepper.Step label="Peer settings" description="PeeringDB, local or manual" />
        <Stepper.Step label="AS-SET" description="Optional" />
        <Stepper.Step label="Confirmation" description="Review & create" />
      </Stepper>
      <Paper withBorder p="md" className="panel" data-testid={`wizard-step-${step}`}>
        {serverError && step !== 4 ? <ErrorBox error={serverError} /> : null}
        {step === 0 && <StepCommon s={s} set={set} errors={errors} />}
        {step === 1 && <StepRouter s={s} set={set} errors={errors} />}
        {step === 2 && <StepPeer s={s} set={set} errors={errors} peeringdb={caps.peeringdb} />}
        {step === 3 && <StepAsSet s={s} set={set} errors={errors} irr={caps.irr} />}
        {step === 4 && <StepConfirm s={s} error={serverError} />}
      </Paper>
      <Group justify="space-between">
        <Button variant="default" onClick={() => navigate('/')}>
          Cancel
        </Button>
        <Group gap={6}>
          <Button variant="default" onClick={prev} disabled={step === 0} data-testid="wizard-previous">
            Previous
          </Button>
          {step < 4 ? (
            <Button onClick={next} data-testid="wizard-next">
              Next
            </Button>
          ) : (
            <Button color="green" onClick={create} loading={creating} data-testid="wizard-create">
              Create Session
            </Button>
          )}
        </Group>
      </Group>
    </Stack>
  );
}

type StepProps = { s: WizardState; set: (p: Partial<WizardState>) => void; errors: Record<string, string> };

function StepCommon({ s, set, errors }: StepProps) {
  const nets = useQuery({
    queryKey: ['wizard-networks', s.fabric],
    queryFn: ({ signal }) => listResource('peering-networks', { fabric: s.fabric!, limit: 100 }, signal),
    enabled: Boolean(s.fabric),
  });
  // Pick one active LAN per family by default: a v4 and a v6 session when the peer has both.
  useEffect(() => {
    if (!nets.data || s.networks.length) return;
    const chosen: string[] = [];
    for (const fam of [4, 6]) {
      const n = nets.data.results.find((x) => x.family === fam && x.status === 'active') ?? nets.data.results.find((x) => x.family === fam);
      if (n) chosen.push(String(n.id));
    }
    if (chosen.length) set({ networks: chosen });
  }, [nets.data]);
  return (
    <Stack gap="sm">
      <SimpleGrid cols={2}>
        <RefSelect label="Session type (relationship)" res="relationships" value={s.relationship} onChange={(v, row) => set({ relationship: v, relationshipRow: row })} labelOf={(r) => r.name} error={errors.relationship} data-testid="wizard-relationship" placeholder="Choose a type" />
        <div>
          <Text size="xs" fw={500} mb={4}>
            Exchange
          </Text>
          <SegmentedControl
            data={[
              { value: 'exchange', label: 'Exchange' },
              { value: 'none', label: 'No Exchange' },
            ]}
            value={s.exchangeMode}
            onChange={(v) => set({ exchangeMode: v as 'exchange' | 'none' })}
            data-testid="wizard-exchange-mode"
          />
        </div>
      </SimpleGrid>
      {s.exchangeMode === 'exchange' ? (
        <SimpleGrid cols={2}>
          <RefSelect label="Exchange (fabric)" res="fabrics" value={s.fabric} onChange={(v, row) => set({ fabric: v, fabricRow: row, networks: [] })} labelOf={(r) => `${r.name} (${r.type})`} error={errors.network && !s.fabric ? errors.network : null} data-testid="wizard-fabric" required />
          <div>
            <Text size="xs" fw={500} mb={4}>
              Networks (LANs) on this exchange
            </Text>
            {!s.fabric && <Text size="xs" c="dimmed">Choose an exchange first.</Text>}
            {nets.data?.results.map((n) => (
              <Checkbox
                key={n.id}
                mb={4}
                label={`${n.name} — ${n.prefix} (IPv${n.family})`}
                checked={s.networks.includes(String(n.id))}
                onChange={(e) => set({ networks: e.currentTarget.checked ? [...s.networks.filter((id) => nets.data!.results.find((x) => String(x.id) === id)?.family !== n.family), String(n.id)] : s.networks.filter((x) => x !== String(n.id)) })}
                data-testid={`wizard-network-${n.id}`}
              />
            ))}
            {nets.data && !nets.data.results.length && <Text size="xs" c="orange">This exchange has no networks yet.</Text>}
            {errors.network && s.fabric && <Text size="xs" c="red">{errors.network}</Text>}
            {errors.networks && <Text size="xs" c="red">{errors.networks}</Text>}
          </div>
        </SimpleGrid>
      ) : (
        <Alert variant="light" color="gray">
          No Exchange: a private or local peer (for example a customer or transit session) not on an exchange LAN.
        </Alert>
      )}
      <SimpleGrid cols={2}>
        <Textarea label="Notes" value={s.notes} onChange={(e) => set({ notes: e.currentTarget.value })} autosize minRows={2} error={errors.notes} data-testid="wizard-notes" />
        <TextInput label="Service reference" value={s.service_reference} onChange={(e) => set({ service_reference: e.currentTarget.value })} error={errors.service_reference} description="ticket or order id, e.g. NOC-12345" data-testid="wizard-service-reference" />
      </SimpleGrid>
    </Stack>
  );
}

function StepRouter({ s, set, errors }: StepProps) {
  return (
    <SimpleGrid cols={2}>
      <RefSelect
        label="Router"
        res="routers"
        value={s.router}
        onChange={(v, row) => set({ router: v, routerRow: row, peer_group: null, peerGroupRow: null, local_asn: row ? String(row.local_asn) : s.local_asn })}
        labelOf={(r) => `${r.name} (AS${r.local_asn})`}
        error={errors.router}
        required
        data-testid="wizard-router"
      />
      <RefSelect
        label="Peer group"
        res="peer-groups"
        value={s.peer_group}
        onChange={(v, row) => set({ peer_group: v, peerGroupRow: row })}
        labelOf={(r) => r.name}
        query={s.router ? { router: s.router } : undefined}
        disabled={!s.router}
        error={errors.peer_group}
        placeholder={s.router ? 'None' : 'Choose a router first'}
        data-testid="wizard-peer-group"
      />
      <TextInput label="Local ASN" value={s.local_asn} onChange={(e) => set({ local_asn: e.currentTarget.value })} description="defaults to the router's ASN" error={errors.local_asn} data-testid="wizard-local-asn" />
      <PasswordInput label="MD5 password (optional)" value={s.md5} onChange={(e) => set({ md5: e.currentTarget.value })} error={errors.md5} autoComplete="new-password" data-testid="wizard-md5" />
    </SimpleGrid>
  );
}

function StepPeer({ s, set, errors, peeringdb }: StepProps & { peeringdb: boolean }) {
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
      {s.peerSource === 'peeringdb' && (peeringdb ? <PeeringDbLookup s={s} set={set} /> : <Unavailable cap="peeringdb" what="PeeringDB lookup" />)}
      {s.peerSource === 'local' && <LocalPeerLookup s={s} set={set} />}
      <Text size="xs" fw={600} c="dimmed" tt="uppercase" mt={4}>
        Session details
      </Text>
      <SimpleGrid cols={2}>
        <TextInput label="Peer name" value={s.name} onChange={(e) => set({ name: e.currentTarget.value })} error={errors['peer.name']} required data-testid="wizard-peer-name" />
        <TextInput label="Peer ASN" value={s.asn} onChange={(e) => set({ asn: e.currentTarget.value })} error={errors['peer.asn']} required className="mono-input" data-testid="wizard-peer-asn" />
        <TextInput label="Peer IPv4" value={s.ipv4} onChange={(e) => set({ ipv4: e.currentTarget.value })} error={errors['peer.ipv4']} className="mono-input" data-testid="wizard-peer-ipv4" />
        <TextInput label="Peer IPv6" value={s.ipv6} onChange={(e) => set({ ipv6: e.currentTarget.value })} error={errors['peer.ipv6']} className="mono-input" data-testid="wizard-peer-ipv6" />
        <TextInput label="Source IPv4 (optional)" description="our address; defaults to the connection's on that LAN" value={s.source_ipv4} onChange={(e) => set({ source_ipv4: e.currentTarget.value })} error={errors['peer.source_ipv4']} className="mono-input" />
        <TextInput label="Source IPv6 (optional)" description="our address; defaults to the connection's on that LAN" value={s.source_ipv6} onChange={(e) => set({ source_ipv6: e.currentTarget.value })} error={errors['peer.source_ipv6']} className="mono-input" />
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
    queryFn: async () => unwrap(await api.GET('/api/fabrics/{id}/candidates', { params: { path: { id: fabricId! }, query: { q: dq || undefined, include_hidden: 'true', limit: 50, router: s.router ?? undefined } as any } })) as Row,
    enabled: fabricId !== null,
  });
  const search = useQuery({
    queryKey: ['wizard-pdb-search', dq],
    queryFn: async () => unwrap(await api.GET('/api/peeringdb/networks', { params: { query: { q: dq, limit: 30 } as any } })) as Row,
    enabled: fabricId === null && dq.trim().length > 0,
  });
  const rows: Row[] = fabricId !== null ? (members.data?.results ?? []) : Array.isArray(search.data) ? search.data : (search.data?.results ?? []);
  const pick = (r: Row) => {
    // Every address of the member on this exchange is offered; those without a session start checked.
    const choices: Row[] = fabricId !== null ? (r.addresses ?? []) : [];
    set({ name: r.name, asn: String(r.asn), choices, ...spread(choices.filter((a) => !a.has_session).map((a) => a.address), choices), peeringdb_id: r.peeringdb_net_id ?? r.id ?? null, ...(firstAsSet(r.irr_as_set) && !s.irr_as_set ? { irr_as_set: firstAsSet(r.irr_as_set)! } : {}) });
  };
  const checked = new Set([s.ipv4.trim(), s.ipv6.trim(), ...s.addresses].filter(Boolean));
  const toggle = (address: string) => {
    const next = s.choices.map((c) => c.address as string).filter((a) => (a === address ? !checked.has(a) : checked.has(a)));
    set(spread(next, s.choices));
  };
  const err = members.error ?? search.error;
  return (
    <Stack gap={6}>
      <TextInput placeholder={fabricId !== null ? `Filter networks on ${s.fabricRow?.name ?? 'the exchange'} by name or ASN` : 'Search PeeringDB networks by name or ASN'} value={q} onChange={(e) => setQ(e.currentTarget.value)} data-testid="wizard-pdb-search" />
      {fabricId === null && <Text size="xs" c="dimmed">No exchange chosen: PeeringDB fills the name and ASN; type the IPs.</Text>}
      {err ? <Text size="xs" c="red">{(err as Error).message}</Text> : null}
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
                  <Button size="compact-xs" variant="light" onClick={() => pick(r)} data-testid={`wizard-pdb-use-${r.asn}`}>
                    Use
                  </Button>
                </td>
                <td>AS{r.asn}</td>
                <td>{r.name}</td>
                {fabricId !== null && <td className="mono small" style={{ whiteSpace: 'normal' }}>{(r.addresses ?? []).map((a: Row) => a.address + (a.has_session ? ' (session)' : '')).join(', ')}</td>}
                <td>{r.policy ?? r.policy_general ?? '—'}</td>
              </tr>
            ))}
            {!rows.length && (
              <tr>
                <td colSpan={5} className="empty">
                  {members.isFetching || search.isFetching ? 'Loading…' : fabricId !== null ? 'No PeeringDB networks on this exchange (sync PeeringDB and set the fabric’s IX id).' : 'Type to search.'}
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
                label={<span className="mono">{c.address}{c.has_session ? ' (has a session on this router)' : ''}</span>}
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

/** The first valid AS-SET of PeeringDB's free-text field ("RIPE::AS-MTU RIPE::AS-MTU-V6" → RIPE::AS-MTU). */
function firstAsSet(v: string | null | undefined): string | null {
  return (v ?? '').split(/[\s,]+/).find((t) => t && ASSET.test(t)) ?? null;
}

/** Splits chosen addresses into the IPv4/IPv6 fields (first of each family) and the further ones. */
function spread(chosen: string[], choices: Row[]): Pick<WizardState, 'ipv4' | 'ipv6' | 'addresses'> {
  const fam = (a: string) => choices.find((c) => c.address === a)?.family ?? looksLikeIp(a);
  const ipv4 = chosen.find((a) => fam(a) === 4) ?? '';
  const ipv6 = chosen.find((a) => fam(a) === 6) ?? '';
  return { ipv4, ipv6, addresses: chosen.filter((a) => a !== ipv4 && a !== ipv6) };
}

/** An existing peer ASN and one of its known IPs. */
function LocalPeerLookup({ s, set }: Omit<StepProps, 'errors'>) {
  const [asnId, setAsnId] = useState<string | null>(null);
  const [asnRow, setAsnRow] = useState<Row | null>(null);
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
      const label = here ? (p.peering_session ? `${p.peer_ip} — has session #${p.peering_session} on ${p.router.name}` : `${p.peer_ip} — BGP peer on ${p.router.name} without a session: will be wrapped`) : `${p.peer_ip} — known on ${p.router.name}`;
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
          if (row) set({ name: row.name, asn: String(row.asn), peeringdb_id: row.peeringdb_id ?? null, ...(row.irr_as_set && !s.irr_as_set ? { irr_as_set: row.irr_as_set } : {}) });
        }}
        labelOf={(r) => `${r.name} (AS${r.asn})`}
        data-testid="wizard-local-peer"
      />
      <Select
        label="Peer IP"
        data={ips}
        placeholder={asnRow ? (ips.length ? 'Choose a known address' : 'No known addresses; type one below') : 'Choose a peer first'}
        disabled={!asnRow}
        onChange={(v) => v && set(looksLikeIp(v) === 6 ? { ipv6: v, choices: [], addresses: [] } : { ipv4: v, choices: [], addresses: [] })}
        data-testid="wizard-local-ip"
      />
    </SimpleGrid>
  );
}

function StepAsSet({ s, set, errors, irr }: StepProps & { irr: boolean }) {
  const [known, setKnown] = useState<{ ok: boolean; text: string } | null>(null);
  const [report, setReport] = useState<Row | null>(null);
  const [irrError, setIrrError] = useState<string | null>(null);
  const [imported, setImported] = useState<Row | null>(null);
  const [busy, setBusy] = useState<'validate' | 'import' | null>(null);
  const asSet = s.irr_as_set.trim();
  const reset = () => (setKnown(null), setReport(null), setIrrError(null), setImported(null));

  // The IRR half of validation: members, depth, loops and prefix counts (slower: a whois round trip).
  const [irrChecking, setIrrChecking] = useState(false);
  const checkIrr = async () => {
    if (!irr) return;
    setIrrChecking(true);
    try {
      const r = unwrap(await api.POST('/api/irr/validate/', { body: { as_set: asSet, check_irr: true } })) as Row;
      setReport(r.irr);
    } catch (e) {
      setIrrError((e as Error).message);
    } finally {
      setIrrChecking(false);
    }
  };
  const validate = async () => {
    if (!asSet) return;
    const e = validateStep(3, s);
    if (Object.keys(e).length) return setKnown({ ok: false, text: e.irr_as_set! });
    setBusy('validate');
    reset();
    // "Known to Peerdesk" answers at once from the database; the IRR report follows when it arrives.
    const local = (async () => {
      try {
        const r = unwrap(await api.POST('/api/irr/validate/', { body: { as_set: asSet, check_irr: false } })) as Row;
        if (r.known.length || r.prefix_lists.length) setKnown({ ok: true, text: `Known to Peerdesk: ${r.known.map((a: Row) => `AS${a.asn} ${a.name}`).join(', ') || 'no peer ASN'}${r.prefix_lists.length ? `; ${r.prefix_lists.length} IRR prefix list(s): ${r.prefix_lists.map((l: Row) => l.name).join(', ')}` : ''}.` });
        else setKnown({ ok: false, text: `${asSet} is not known to Peerdesk yet.${irr ? ' Use Import to build its prefix lists from the IRR.' : ''}` });
      } catch (err) {
        setKnown({ ok: false, text: irrErrorText((err as Error).message) });
      }
    })();
    // The button is done when the local answer is; the IRR report shows up below when it arrives.
    void checkIrr();
    await local;
    setBusy(null);
  };
  const doImport = async () => {
    const e = validateStep(3, s);
    if (Object.keys(e).length) return setKnown({ ok: false, text: e.irr_as_set! });
    setBusy('import');
    reset();
    try {
      const asn = parseAsn(s.asn);
      const existing = asn === null ? null : (await listResource('peer-asns', { asn, limit: 1 })).results.find((a) => a.asn === asn);
      if (existing) {
        // The peer ASN exists already: build its lists now.
        setImported(unwrap(await api.POST('/api/peer-asns/{id}/irr-import/', { params: { path: { id: existing.id } }, body: { as_set: asSet } })) as Row);
        set({ irrImport: false });
      } else {
        // A new peer ASN is made by Create: check the set now and import right after the session exists.
        await checkIrr();
        set({ irrImport: true });
      }
    } catch (err) {
      setKnown({ ok: false, text: irrErrorText((err as Error).message) });
    } finally {
      setBusy(null);
    }
  };
  return (
    <Stack gap="sm">
      <Text size="sm" c="dimmed">
        Optional: the AS-SET enables prefix filtering for this peer.
      </Text>
      <Group align="flex-end" gap={6}>
        <TextInput label="AS-SET" placeholder="AS-EXAMPLE or RIPE::AS-EXAMPLE" value={s.irr_as_set} onChange={(e) => (set({ irr_as_set: e.currentTarget.value, irrImport: false }), reset())} error={errors.irr_as_set} w={320} className="mono-input" data-testid="wizard-as-set" />
        <Button variant="default" onClick={validate} disabled={!asSet} loading={busy === 'validate'} data-testid="wizard-validate">
          Validate
        </Button>
        {irr ? (
          <Button variant="default" onClick={doImport} disabled={!asSet} loading={busy === 'import'} data-testid="wizard-import">
            Import
          </Button>
        ) : (
          <span title={unavailableText('irr')}>
            <Button variant="default" disabled data-testid="wizard-import">
              Import
            </Button>
          </span>
        )}
      </Group>
      {!irr && <Unavailable cap="irr" what="IRR import" />}
      {known && (
        <Alert color={known.ok ? 'green' : 'orange'} variant="light" p="xs" data-testid="wizard-asset-result">
          {known.text}
        </Alert>
      )}
      {irrChecking && (
        <Text size="xs" c="dimmed" data-testid="wizard-irr-checking">
          Checking {asSet} in the IRR…
        </Text>
      )}
      {report && (
        <Paper withBorder p="xs" data-testid="wizard-irr-report">
          <IrrReport report={report} />
        </Paper>
      )}
      {irrError && (
        <Alert color="red" variant="light" p="xs" data-testid="wizard-irr-error">
          IRR check failed: {irrErrorText(irrError)}
        </Alert>
      )}
      {imported && <ImportResult r={imported} />}
      {s.irrImport && (
        <Alert color="blue" variant="light" p="xs" data-testid="wizard-import-pending">
          <Group justify="space-between">
            <span>
              AS{s.asn} is new: <b>Create Session</b> will create it and then import <span className="mono">{asSet}</span> into its IRR prefix lists.
            </span>
            <Button size="compact-xs" variant="subtle" onClick={() => set({ irrImport: false })}>
              Don’t import
            </Button>
          </Group>
        </Alert>
      )}
    </Stack>
  );
}

function StepConfirm({ s, error }: { s: WizardState; error: unknown }) {
  const rows: [string, React.ReactNode][] = [
    ['Type', s.relationshipRow ? <RelationshipBadge rel={s.relationshipRow} /> : '—'],
    ['Exchange', s.exchangeMode === 'none' ? 'No Exchange' : `${s.fabricRow?.name ?? s.fabric} (${s.networks.length} network(s))`],
    ['Router', s.routerRow ? `${s.routerRow.name}` : s.router],
    ['Peer group', s.peerGroupRow?.name ?? '—'],
    ['Local ASN', s.local_asn ? `AS${s.local_asn}` : 'router default'],
    ['MD5', s.md5 ? 'set' : 'none'],
    ['Peer', `${s.name} (AS${s.asn})`],
    ['Peer IPv4', s.ipv4 || '—'],
    ['Peer IPv6', s.ipv6 || '—'],
    ...(s.addresses.length ? ([['Further addresses', <span className="mono">{s.addresses.join(', ')}</span>]] as [string, React.ReactNode][]) : []),
    ['AS-SET', s.irr_as_set ? `${s.irr_as_set}${s.irrImport ? ' (imported from the IRR after create)' : ''}` : '—'],
    ['Service reference', s.service_reference || '—'],
    ['Notes', s.notes || '—'],
  ];
  const count = new Set([s.ipv4.trim(), s.ipv6.trim(), ...s.addresses].filter(Boolean)).size;
  return (
    <Stack gap="sm">
      {error ? <ErrorBox error={error} /> : null}
      <Text size="sm">
        Review the session details. <b>Create Session</b> makes the peer ASN if it is new, {count} BGP peer{count === 1 ? '' : 's'} and {count} peering session{count === 1 ? '' : 's'} in one transaction.
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
