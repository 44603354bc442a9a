// IRR screens: the lookup tool (expand an AS-SET like bgpq4), the held-for-review queue, prefix-list
// versions with their diffs, and the peer ASN's IRR section (import, refresh, lists, AS-path list).
import { Fragment, useState } from 'react';
import {
  Alert,
  Badge,
  Button,
  Checkbox,
  Group,
  NumberInput,
  Paper,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, listResource, unwrap, type paths, type Schemas } from '../api/client';
import {
  IrrExpandFamily,
  IrrExpandFormat,
  type PeerAsnsIrrImportListsStatus,
  type PrefixListVersionStatus,
} from '../api/enums';
import { PrefixDiff } from '../components/Diff';
import { JobStatus } from '../components/JobStatus';
import { Unavailable } from '../components/Unavailable';
import { fmtTime, irrErrorText } from '../components/format';
import { Link } from '../app/router';
import { roleAtLeast, useCapabilities, useMe } from '../app/session';
import { ErrorBox, PageHeader } from './ResourcePages';

type ExpandAnswer = paths['/api/irr/expand/']['post']['responses'][200]['content']['application/json'];
type ValidateAnswer = paths['/api/irr/validate/']['post']['responses'][200]['content']['application/json'];
/** What an IRR import stored (POST /api/peer-asns/{id}/irr-import/). */
export type IrrImportAnswer =
  paths['/api/peer-asns/{id}/irr-import/']['post']['responses'][200]['content']['application/json'];
/** A version in the review queue: a prefix-list version with its list's name. */
type HeldVersion =
  paths['/api/prefix-list-versions/']['get']['responses'][200]['content']['application/json']['results'][number];
type Version = Schemas['PrefixListVersion'] & Partial<Pick<HeldVersion, 'prefix_list_name'>>;

/** An AS-SET validation report: existence, members, depth, loops, missing and empty sets, prefix counts. */
export type IrrSetReport = Schemas['IrrSetReport'];

/** A stored version's status, or `unchanged` for an import that found nothing new. */
type VersionStatusValue = PrefixListVersionStatus | PeerAsnsIrrImportListsStatus;
const VERSION_COLOURS: Record<VersionStatusValue, string> = {
  active: 'green',
  held: 'orange',
  rejected: 'red',
  superseded: 'gray',
  unchanged: 'gray',
};
/** A prefix-list version status as a badge (active, held, rejected, superseded). */
export function VersionStatus({ status }: { status: VersionStatusValue }) {
  return (
    <Badge
      size="sm"
      radius="sm"
      variant={status === 'held' ? 'filled' : 'light'}
      color={VERSION_COLOURS[status]}
      styles={{ root: { textTransform: 'none' } }}
      data-testid="version-status"
    >
      {status}
    </Badge>
  );
}

const splitSources = (s: string) =>
  s
    .split(/[\s,]+/)
    .map((x) => x.trim().toUpperCase())
    .filter(Boolean);

/** One-line summary of an AS-SET validation report (exists, members, depth, loops, missing, prefixes). */
export function IrrReport({ report }: { report: IrrSetReport }) {
  return (
    <Stack gap={4} data-testid="irr-report">
      <Group gap={6}>
        <Badge color={report.exists ? 'green' : 'red'} variant="light" styles={{ root: { textTransform: 'none' } }}>
          {report.exists ? 'exists in the IRR' : 'not found in the IRR'}
        </Badge>
        {report.kind === 'as-set' && (
          <Text size="sm">
            {report.members.length} direct member(s) · depth {report.depth} · {report.nestedSets.length} nested set(s)
          </Text>
        )}
        <Text size="sm" data-testid="irr-prefix-counts">
          {report.prefixCount.ipv4} IPv4 / {report.prefixCount.ipv6} IPv6 prefixes · {report.origins.length} origin
          AS(es)
        </Text>
      </Group>
      {report.members.length ? (
        <Text size="xs" className="mono" data-testid="irr-members">
          members: {report.members.join(' ')}
        </Text>
      ) : null}
      {report.loops.length ? (
        <Text size="xs" c="orange">
          loops: {report.loops.map((l) => l.join(' → ')).join('; ')}
        </Text>
      ) : null}
      {report.missing.length ? (
        <Text size="xs" c="orange">
          missing sets: {report.missing.join(', ')}
        </Text>
      ) : null}
      {report.empty.length ? (
        <Text size="xs" c="orange">
          empty sets: {report.empty.join(', ')}
        </Text>
      ) : null}
      {report.warnings.length ? (
        <Text size="xs" c="dimmed">
          {report.warnings.join(' · ')}
        </Text>
      ) : null}
    </Stack>
  );
}

/** The IRR lookup tool: expand an AS-SET or ASN into prefix lists, optionally in a router's syntax. */
export function IrrLookupPage() {
  const caps = useCapabilities();
  const [target, setTarget] = useState('');
  const [family, setFamily] = useState<IrrExpandFamily>('both');
  const [aggregate, setAggregate] = useState(true);
  const [maxLength, setMaxLength] = useState<number | string>('');
  const [sources, setSources] = useState('');
  const [format, setFormat] = useState<IrrExpandFormat | null>('json');
  const [name, setName] = useState('');
  const [result, setResult] = useState<ExpandAnswer | null>(null);
  const [validation, setValidation] = useState<ValidateAnswer | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  if (!caps.irr)
    return (
      <>
        <PageHeader title="IRR lookup" />
        <Unavailable cap="irr" what="IRR lookup" />
      </>
    );
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      const src = splitSources(sources);
      const body = {
        target: target.trim(),
        family,
        aggregate,
        ...(maxLength !== '' ? { max_length: Number(maxLength) } : {}),
        ...(src.length ? { sources: src } : {}),
        ...(format && format !== 'json' ? { format, name: name.trim() || undefined } : {}),
      };
      const [ex, val] = await Promise.all([
        api.POST('/api/irr/expand/', { body }).then(unwrap),
        // Validation adds the set's structure (members, loops) and who uses it here; its failure is not the lookup's.
        /^AS-|::|:AS-/i.test(target.trim())
          ? api
              .POST('/api/irr/validate/', { body: { as_set: target.trim(), ...(src.length ? { sources: src } : {}) } })
              .then(unwrap)
              .catch(() => null)
          : Promise.resolve(null),
      ]);
      setResult(ex);
      setValidation(val);
    } catch (e) {
      setError(e);
      setResult(null);
    } finally {
      setBusy(false);
    }
  };
  const rep = result?.report;
  const irrReport = validation?.irr;
  return (
    <Stack gap="sm">
      <PageHeader
        title="IRR lookup"
        subtitle="Expand an AS-SET or ASN from the IRR the way bgpq4 does"
        actions={<Link to="/irr/held">Held for review →</Link>}
      />
      <Paper withBorder p="sm" className="panel" component="form" onSubmit={(e) => (e.preventDefault(), void run())}>
        <Group align="flex-end" gap="sm">
          <TextInput
            label="AS-SET or ASN"
            placeholder="AS-EXAMPLE, RIPE::AS-EXAMPLE, AS64500"
            value={target}
            onChange={(e) => setTarget(e.currentTarget.value)}
            w={280}
            className="mono-input"
            required
            data-testid="irr-target"
          />
          <div>
            <Text size="xs" fw={500} mb={4}>
              Family
            </Text>
            <SegmentedControl
              size="xs"
              data={[
                { value: '4', label: 'IPv4' },
                { value: '6', label: 'IPv6' },
                { value: 'both', label: 'Both' },
              ]}
              value={family}
              onChange={(v) => setFamily(v as IrrExpandFamily)}
            />
          </div>
          <TextInput
            label="Sources"
            placeholder="RIPE,ARIN (default: server's)"
            value={sources}
            onChange={(e) => setSources(e.currentTarget.value)}
            w={200}
          />
          <NumberInput label="Max length" value={maxLength} onChange={setMaxLength} min={0} max={128} w={110} />
          <Select
            label="Format"
            data={IrrExpandFormat}
            value={format}
            onChange={(v) => setFormat(v as IrrExpandFormat | null)}
            w={120}
            allowDeselect={false}
          />
          {format !== 'json' && (
            <TextInput
              label="List name"
              placeholder="NN"
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
              w={160}
            />
          )}
          <Checkbox
            label="Aggregate"
            checked={aggregate}
            onChange={(e) => setAggregate(e.currentTarget.checked)}
            mb={8}
          />
          <Button type="submit" loading={busy} disabled={!target.trim()} data-testid="irr-expand">
            Expand
          </Button>
        </Group>
      </Paper>
      <ErrorBox error={error} />
      {result && rep && (
        <Paper withBorder p="sm" className="panel" data-testid="irr-result">
          <Group gap={8} mb={6}>
            <Title order={5}>{result.target}</Title>
            <Badge variant="light" color={rep.exists ? 'green' : 'red'} styles={{ root: { textTransform: 'none' } }}>
              {rep.exists ? rep.kind : 'not found'}
            </Badge>
            <Text size="sm">
              {result.prefixes.ipv4.length} IPv4 · {result.prefixes.ipv6.length} IPv6 · {result.origins.length} origins
              · {rep.queries} queries in {rep.elapsedMs} ms
            </Text>
          </Group>
          {irrReport && <IrrReport report={irrReport} />}
          {validation?.known?.length ? (
            <Text size="xs" mt={4}>
              Used by:{' '}
              {validation.known.map((k) => (
                <Fragment key={k.id}>
                  <Link to={`/peer-asns/${k.id}`}>
                    AS{k.asn} {k.name}
                  </Link>{' '}
                </Fragment>
              ))}
            </Text>
          ) : null}
          {rep.warnings.length ? (
            <Text size="xs" c="orange">
              {rep.warnings.join(' · ')}
            </Text>
          ) : null}
          <Text size="xs" c="dimmed" mt={6} className="mono">
            origins:{' '}
            {result.origins
              .slice(0, 200)
              .map((o) => `AS${o}`)
              .join(' ')}
            {result.origins.length > 200 ? ` … (${result.origins.length - 200} more)` : ''}
          </Text>
          <SimpleGrid cols={family === 'both' ? 2 : 1} mt="sm">
            {(['ipv4', 'ipv6'] as const)
              .filter((f) => family === 'both' || f === `ipv${family}`)
              .map((f) => (
                <div key={f}>
                  <Text size="xs" fw={600} c="dimmed" tt="uppercase">
                    {f} ({result.prefixes[f].length})
                  </Text>
                  <pre className="config" style={{ maxHeight: 360 }} data-testid={`irr-${f}`}>
                    {result.text?.[f] ?? result.prefixes[f].join('\n')}
                  </pre>
                </div>
              ))}
          </SimpleGrid>
        </Paper>
      )}
    </Stack>
  );
}

/** Approve/Reject buttons of a held version. */
function Decide({ v, onDone }: { v: Version; onDone: () => void }) {
  const me = useMe().data;
  const [busy, setBusy] = useState(false);
  if (v.status !== 'held' || !roleAtLeast(me?.role, 'operator')) return null;
  const decide = async (what: 'approve' | 'reject') => {
    setBusy(true);
    try {
      const path =
        what === 'approve' ? '/api/prefix-list-versions/{id}/approve/' : '/api/prefix-list-versions/{id}/reject/';
      unwrap(await api.POST(path, { params: { path: { id: v.id } } }));
      notifications.show({
        message: `Version ${v.version} ${what === 'approve' ? 'approved: it is now the active list' : 'rejected: the list stays as it was'}`,
        color: 'green',
      });
      onDone();
    } catch (e) {
      notifications.show({ title: 'Failed', message: irrErrorText((e as Error).message), color: 'red' });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Group gap={4} wrap="nowrap">
      <Button
        size="compact-xs"
        color="green"
        onClick={() => decide('approve')}
        loading={busy}
        data-testid="version-approve"
      >
        Approve
      </Button>
      <Button
        size="compact-xs"
        color="red"
        variant="light"
        onClick={() => decide('reject')}
        loading={busy}
        data-testid="version-reject"
      >
        Reject
      </Button>
    </Group>
  );
}

/** A table of prefix-list versions with expandable diffs (one list, or the held queue across lists). */
function VersionsTable({ rows, showList, onChanged }: { rows: Version[]; showList?: boolean; onChanged: () => void }) {
  const [open, setOpen] = useState<number | null>(rows.find((r) => r.status === 'held')?.id ?? null);
  if (!rows.length)
    return (
      <Text size="sm" c="dimmed">
        No versions.
      </Text>
    );
  return (
    <table className="dt" data-testid="versions-table">
      <thead>
        <tr>
          {showList && <th>Prefix list</th>}
          <th>Version</th>
          <th>Status</th>
          <th>Created</th>
          <th style={{ textAlign: 'right' }}>Prefixes</th>
          <th>Change</th>
          <th>Reason</th>
          <th>Decided</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {rows.map((v) => (
          <Fragment key={v.id}>
            <tr
              onClick={() => setOpen(open === v.id ? null : v.id)}
              style={{ cursor: 'pointer' }}
              data-testid={`version-row-${v.version}`}
            >
              {showList && (
                <td>
                  <Link to={`/prefix-lists/${v.prefix_list}`} onClick={(e) => e.stopPropagation()}>
                    {v.prefix_list_name ?? `#${v.prefix_list}`}
                  </Link>
                </td>
              )}
              <td>v{v.version}</td>
              <td>
                <VersionStatus status={v.status} />
              </td>
              <td>{fmtTime(v.created_at)}</td>
              <td style={{ textAlign: 'right' }}>{v.prefix_count}</td>
              <td className="mono">
                <span style={{ color: 'var(--mantine-color-green-7)' }}>+{v.added.length}</span>{' '}
                <span style={{ color: 'var(--mantine-color-red-7)' }}>−{v.removed.length}</span>{' '}
                {open === v.id ? '▾' : '▸'}
              </td>
              <td className="small">{v.reason ?? ''}</td>
              <td className="small">{v.decided_by ? `${v.decided_by}, ${fmtTime(v.decided_at)}` : ''}</td>
              <td onClick={(e) => e.stopPropagation()}>
                <Decide v={v} onDone={onChanged} />
              </td>
            </tr>
            {open === v.id && (
              <tr>
                <td colSpan={showList ? 9 : 8} style={{ whiteSpace: 'normal', height: 'auto', padding: 8 }}>
                  <Text size="xs" c="dimmed" mb={4}>
                    {v.query ? `query ${v.query}` : ''} {v.irr_server ? `· server ${v.irr_server}` : ''}{' '}
                    {v.sources ? `· sources ${v.sources}` : ''}
                  </Text>
                  <PrefixDiff added={v.added} removed={v.removed} testid={`version-diff-${v.version}`} />
                </td>
              </tr>
            )}
          </Fragment>
        ))}
      </tbody>
    </table>
  );
}

/** Versions panel of a prefix-list page. */
export function PrefixListVersions({ row }: { row: Schemas['PrefixList'] }) {
  const qc = useQueryClient();
  const q = useQuery({
    queryKey: ['pl-versions', row.id],
    queryFn: async () =>
      unwrap(await api.GET('/api/prefix-lists/{id}/versions/', { params: { path: { id: row.id } } })),
  });
  const changed = () => {
    qc.invalidateQueries({ queryKey: ['pl-versions', row.id] });
    qc.invalidateQueries({ queryKey: ['one', 'prefix-lists', row.id] });
    qc.invalidateQueries({ queryKey: ['held'] });
  };
  if (row.source !== 'irr' && !q.data?.length) return null;
  return (
    <Paper withBorder p="sm" className="panel" data-testid="prefix-list-versions">
      <Group justify="space-between" mb={6}>
        <Title order={5}>Versions</Title>
        <Text size="xs" c="dimmed">
          Each IRR refresh that changes the list makes a version; large shrinks are held for review.
        </Text>
      </Group>
      {q.error ? <ErrorBox error={q.error} /> : null}
      {q.data && <VersionsTable rows={q.data} onChanged={changed} />}
    </Paper>
  );
}

/** The review queue: refreshes held because they changed a list too much. */
export function HeldVersionsPage() {
  const caps = useCapabilities();
  const qc = useQueryClient();
  // The queue changes behind the page (scheduled refreshes): always re-read it on arrival.
  const q = useQuery({
    queryKey: ['held'],
    queryFn: async () =>
      unwrap(await api.GET('/api/prefix-list-versions/', { params: { query: { status: 'held', limit: 500 } } })),
    enabled: caps.irr,
    staleTime: 0,
  });
  if (!caps.irr)
    return (
      <>
        <PageHeader title="Held for review" />
        <Unavailable cap="irr" what="IRR review queue" />
      </>
    );
  return (
    <Stack gap="sm">
      <PageHeader
        title="Held for review"
        subtitle="IRR refreshes that removed too much of a prefix list wait here; the list keeps its active version until you decide"
        actions={<RefreshAllButton />}
      />
      <Paper withBorder p="sm" className="panel">
        {q.error ? <ErrorBox error={q.error} /> : null}
        {q.data &&
          (q.data.results.length ? (
            <VersionsTable
              rows={q.data.results}
              showList
              onChanged={() => qc.invalidateQueries({ queryKey: ['held'] })}
            />
          ) : (
            <Text size="sm" c="dimmed" data-testid="held-empty">
              Nothing held for review.
            </Text>
          ))}
      </Paper>
    </Stack>
  );
}

/** Queues the IRR refresh job for every peer with an AS-SET (or the given ones). */
function RefreshAllButton({ ids, label = 'Refresh all from IRR' }: { ids?: number[]; label?: string }) {
  const me = useMe().data;
  const qc = useQueryClient();
  // A finished refresh may have made versions or held some: everything showing lists is stale.
  const done = () => {
    for (const key of ['held', 'pl-versions', 'as-path-lists', 'list']) qc.invalidateQueries({ queryKey: [key] });
  };
  const [job, setJob] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    try {
      const r = unwrap(await api.POST('/api/irr/refresh/', { body: ids ? { peer_asn_ids: ids } : {} }));
      setJob(r.job_id);
    } catch (e) {
      notifications.show({ title: 'Refresh failed', message: irrErrorText((e as Error).message), color: 'red' });
    } finally {
      setBusy(false);
    }
  };
  if (!roleAtLeast(me?.role, 'operator')) return null;
  return (
    <Group gap={6}>
      {job !== null && <JobStatus id={job} onDone={done} />}
      <Button size={ids ? 'compact-xs' : 'sm'} variant="default" onClick={run} loading={busy} data-testid="irr-refresh">
        {label}
      </Button>
    </Group>
  );
}

/** The peer ASN's IRR section: AS-SET, Import now, queue a refresh, its IRR prefix lists and AS-path list. */
export function PeerAsnIrr({ row }: { row: Schemas['PeerAsn'] }) {
  const caps = useCapabilities();
  const me = useMe().data;
  const qc = useQueryClient();
  const [result, setResult] = useState<IrrImportAnswer | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const lists = useQuery({
    queryKey: ['list', 'prefix-lists', 'irr', row.id],
    queryFn: ({ signal }) => listResource('prefix-lists', { peer_asn: row.id, source: 'irr', limit: 20 }, signal),
    enabled: caps.irr,
  });
  const asPath = useQuery({
    queryKey: ['as-path-lists', row.id],
    queryFn: async () => unwrap(await api.GET('/api/as-path-lists/', { params: { query: { peer_asn: row.id } } })),
    enabled: caps.irr,
  });
  if (!caps.irr)
    return (
      <Paper withBorder p="sm" className="panel">
        <Title order={5} mb={6}>
          IRR
        </Title>
        <Unavailable cap="irr" what="IRR prefix lists" />
      </Paper>
    );
  const canWrite = roleAtLeast(me?.role, 'operator');
  const doImport = async (force = false) => {
    setBusy(true);
    setError(null);
    try {
      const r = unwrap(
        await api.POST('/api/peer-asns/{id}/irr-import/', {
          params: { path: { id: row.id } },
          body: force ? { force: true } : {},
        }),
      );
      setResult(r);
      qc.invalidateQueries({ queryKey: ['list', 'prefix-lists'] });
      qc.invalidateQueries({ queryKey: ['as-path-lists', row.id] });
      qc.invalidateQueries({ queryKey: ['held'] });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const apl = asPath.data?.results?.[0];
  return (
    <Paper withBorder p="sm" className="panel" data-testid="peer-asn-irr">
      <Group justify="space-between" mb={6}>
        <Title order={5}>
          IRR{' '}
          {row.irr_as_set ? (
            <span className="mono" style={{ fontWeight: 400 }}>
              {row.irr_as_set}
            </span>
          ) : null}
        </Title>
        {canWrite && row.irr_as_set && (
          <Group gap={6}>
            <Button
              size="compact-xs"
              variant="default"
              onClick={() => doImport(false)}
              loading={busy}
              data-testid="irr-import"
            >
              Import now
            </Button>
            <RefreshAllButton ids={[row.id]} label="Refresh (job)" />
          </Group>
        )}
      </Group>
      {!row.irr_as_set && (
        <Text size="sm" c="dimmed">
          Set an IRR AS-SET on this peer ASN to build its prefix lists.
        </Text>
      )}
      <ErrorBox error={error} />
      {result && (
        <ImportResult
          r={result}
          onForce={result.lists.some((l) => l.status === 'held') ? () => doImport(true) : undefined}
        />
      )}
      {lists.data?.results.length ? (
        <Table className="dt mini" withTableBorder={false} mt={4}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Prefix list</Table.Th>
              <Table.Th>Family</Table.Th>
              <Table.Th style={{ textAlign: 'right' }}>Entries</Table.Th>
              <Table.Th>Updated</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {lists.data.results.map((l) => (
              <Table.Tr key={l.id}>
                <Table.Td>
                  <Link to={`/prefix-lists/${l.id}`}>{l.name}</Link>
                </Table.Td>
                <Table.Td>IPv{l.family}</Table.Td>
                <Table.Td style={{ textAlign: 'right' }}>{l.entry_count ?? l.entries?.length ?? '—'}</Table.Td>
                <Table.Td>{fmtTime(l.updated_at)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : row.irr_as_set ? (
        <Text size="sm" c="dimmed">
          No IRR prefix lists yet: Import builds them.
        </Text>
      ) : null}
      {apl && (
        <Text size="xs" mt={6} data-testid="as-path-list">
          AS-path list <b>{apl.name}</b> ({apl.asns.length} origin ASNs, updated {fmtTime(apl.updated_at)}):{' '}
          <span className="mono">
            {apl.asns
              .slice(0, 60)
              .map((a) => `AS${a}`)
              .join(' ')}
            {apl.asns.length > 60 ? ' …' : ''}
          </span>
        </Text>
      )}
    </Paper>
  );
}

/** What an IRR import did, list by list. */
export function ImportResult({ r, onForce }: { r: IrrImportAnswer; onForce?: () => void }) {
  return (
    <Alert
      variant="light"
      color={r.lists.some((l) => l.status === 'held') ? 'orange' : 'green'}
      p="xs"
      mb={6}
      data-testid="irr-import-result"
    >
      <Stack gap={2}>
        <Text size="sm">
          Imported <span className="mono">{r.query}</span> for AS{r.peer_asn.asn}:
        </Text>
        {r.lists.map((l) => (
          <Group key={l.family} gap={6}>
            <Link to={`/prefix-lists/${l.prefix_list.id}`}>{l.prefix_list.name}</Link>
            <Text size="xs">version {l.version}</Text>
            <VersionStatus status={l.status} />
            <Text size="xs">
              {l.prefix_count} prefixes (+{l.added} −{l.removed}) {l.reason ?? ''}
            </Text>
          </Group>
        ))}
        {r.as_path_list && (
          <Text size="xs">
            AS-path list {r.as_path_list.name}: {r.as_path_list.asn_count} ASNs
          </Text>
        )}
        {r.warnings?.length ? (
          <Text size="xs" c="orange">
            {r.warnings.join(' · ')}
          </Text>
        ) : null}
        {onForce && (
          <Group>
            <Button size="compact-xs" color="orange" variant="light" onClick={onForce}>
              Import anyway (skip review)
            </Button>
          </Group>
        )}
      </Stack>
    </Alert>
  );
}
