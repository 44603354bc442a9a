// Jobs (with live log), change log (before/after diff), users, API tokens and capability placeholders.
import { useEffect, useRef, useState } from 'react';
import {
  Alert,
  Badge,
  Button,
  Code,
  Group,
  Modal,
  Paper,
  PasswordInput,
  Progress,
  Select,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Textarea,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, type Capabilities, type ListParams, type paths, type Schemas } from '../api/client';
import { UserRole } from '../api/enums';
import { DataTable, type Column } from '../components/DataTable';
import { fmtTime } from '../components/format';
import { Unavailable } from '../components/Unavailable';
import { useConfirm } from '../components/confirm';
import { Link, navigate, useLocation } from '../app/router';
import { useCapabilities, useMe } from '../app/session';
import { ErrorBox, PageHeader } from './ResourcePages';
import { RefSelect } from '../components/RefSelect';
import { CandidatesTable } from './PeeringDbPages';

type JobKind = paths['/api/job-kinds/']['get']['responses'][200]['content']['application/json'][number];
type JobLogLine = paths['/api/jobs/{id}/log/']['get']['responses'][200]['content']['application/json']['lines'][number];
type UserPatch = paths['/api/users/{id}/']['patch']['requestBody']['content']['application/json'];
// A table's filters as each list endpoint's query (the API checks the values).
type JobsQuery = NonNullable<paths['/api/jobs/']['get']['parameters']['query']>;
type ChangesQuery = NonNullable<paths['/api/changes/']['get']['parameters']['query']>;
type UsersQuery = NonNullable<paths['/api/users/']['get']['parameters']['query']>;
type TokensQuery = NonNullable<paths['/api/tokens/']['get']['parameters']['query']>;
/** An object's fields as the change log recorded them (the spec leaves `before`/`after` open). */
type ChangeValues = Record<string, unknown>;

const JOB_COLOURS: Record<string, string> = {
  queued: 'gray',
  running: 'blue',
  succeeded: 'green',
  failed: 'red',
  cancelled: 'orange',
};
/** A job status as a badge. */
export function JobStatus({ status }: { status: string }) {
  return (
    <Badge
      size="sm"
      radius="sm"
      color={JOB_COLOURS[status] ?? 'gray'}
      variant={status === 'running' ? 'filled' : 'light'}
      styles={{ root: { textTransform: 'none' } }}
    >
      {status}
    </Badge>
  );
}

/** Whether a job status is final. */
const isDone = (status: string | undefined) => ['succeeded', 'failed', 'cancelled'].includes(status ?? '');

const jobColumns: Column<Schemas['Job']>[] = [
  { id: 'id', header: 'ID', cell: (r) => <Link to={`/jobs/${r.id}`}>#{r.id}</Link>, width: 60 },
  { id: 'kind', header: 'Kind', cell: (r) => <span className="mono">{r.kind}</span> },
  { id: 'status', header: 'Status', cell: (r) => <JobStatus status={r.status} /> },
  {
    id: 'progress',
    header: 'Progress',
    cell: (r) =>
      r.progress !== null
        ? `${Math.round(r.progress * 100)} %${r.progress_message ? ` · ${r.progress_message}` : ''}`
        : '—',
  },
  { id: 'created_at', header: 'Created', cell: (r) => fmtTime(r.created_at) },
  { id: 'finished_at', header: 'Finished', cell: (r) => fmtTime(r.finished_at) },
  {
    id: 'error',
    header: 'Error',
    cell: (r) =>
      r.error ? (
        <span className="clip" style={{ color: 'var(--mantine-color-red-6)' }}>
          {r.error}
        </span>
      ) : (
        ''
      ),
  },
  { id: 'attempts', header: 'Attempts', cell: (r) => `${r.attempts}/${r.max_attempts}`, hidden: true },
];

/** Jobs list with a "Run job" dialog. */
export function JobsPage() {
  const [open, setOpen] = useState(false);
  const kinds = useQuery({
    queryKey: ['job-kinds'],
    queryFn: async () => unwrap(await api.GET('/api/job-kinds/')),
  });
  return (
    <>
      <PageHeader title="Jobs" subtitle="Background work: syncs, polls, deployments" />
      <DataTable
        id="jobs"
        queryKey={['jobs']}
        fetch={async (p, signal) => unwrap(await api.GET('/api/jobs/', { params: { query: p as JobsQuery }, signal }))}
        columns={jobColumns}
        filters={[
          {
            name: 'status',
            label: 'Status',
            kind: 'select',
            options: Object.keys(JOB_COLOURS).map((s) => ({ value: s, label: s })),
          },
          {
            name: 'kind',
            label: 'Kind',
            kind: 'select',
            options: (kinds.data ?? []).map((k) => ({ value: k.kind, label: k.kind })),
            width: 200,
          },
        ]}
        searchable={false}
        selectable={false}
        urlState
        refetchInterval={3000}
        rowHref={(r) => `/jobs/${r.id}`}
        toolbar={<Button onClick={() => setOpen(true)}>Run job…</Button>}
      />
      <RunJobDialog open={open} onClose={() => setOpen(false)} kinds={kinds.data ?? []} />
    </>
  );
}

function RunJobDialog({ open, onClose, kinds }: { open: boolean; onClose: () => void; kinds: JobKind[] }) {
  const [kind, setKind] = useState<string | null>(null);
  const [payload, setPayload] = useState('{}');
  const [err, setErr] = useState<unknown>(null);
  const run = async () => {
    try {
      const body = { kind: kind!, payload: JSON.parse(payload) as Record<string, unknown> };
      const job = unwrap(await api.POST('/api/jobs/', { body }));
      onClose();
      navigate(`/jobs/${job.id}`);
    } catch (e) {
      setErr(e);
    }
  };
  return (
    <Modal opened={open} onClose={onClose} title="Run a job">
      <Stack gap="sm">
        <ErrorBox error={err} />
        <Select
          label="Kind"
          data={kinds.map((k) => ({ value: k.kind, label: k.kind }))}
          value={kind}
          onChange={setKind}
          description={kinds.find((k) => k.kind === kind)?.description}
        />
        <Textarea
          label="Payload (JSON)"
          value={payload}
          onChange={(e) => setPayload(e.currentTarget.value)}
          autosize
          minRows={3}
          styles={{ input: { fontFamily: 'monospace' } }}
        />
        <Group justify="flex-end">
          <Button onClick={run} disabled={!kind}>
            Run
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** One job with its live log (tails the log while the job runs). */
export function JobPage({ id }: { id: number }) {
  const qc = useQueryClient();
  const job = useQuery({
    queryKey: ['job', id],
    queryFn: async () => unwrap(await api.GET('/api/jobs/{id}/', { params: { path: { id } } })),
    refetchInterval: (qq) => (isDone(qq.state.data?.status) ? false : 1000),
  });
  const [lines, setLines] = useState<JobLogLine[]>([]);
  const after = useRef(0);
  const logRef = useRef<HTMLDivElement>(null);
  const done = isDone(job.data?.status);
  useEffect(() => {
    let stop = false;
    const tick = async () => {
      try {
        const r = unwrap(
          await api.GET('/api/jobs/{id}/log/', { params: { path: { id }, query: { after: after.current } } }),
        );
        if (r.lines.length) {
          after.current = r.lines[r.lines.length - 1]!.id;
          setLines((l) => [...l, ...r.lines]);
        }
        if (!stop && !isDone(r.status)) setTimeout(tick, 1000);
        else qc.invalidateQueries({ queryKey: ['job', id] });
      } catch {
        if (!stop) setTimeout(tick, 3000);
      }
    };
    tick();
    return () => {
      stop = true;
    };
  }, [id]);
  useEffect(() => {
    logRef.current?.scrollTo({ top: logRef.current.scrollHeight });
  }, [lines.length]);
  const cancel = async () => {
    try {
      unwrap(await api.POST('/api/jobs/{id}/cancel/', { params: { path: { id } } }));
      qc.invalidateQueries({ queryKey: ['job', id] });
    } catch (e) {
      notifications.show({ message: (e as Error).message, color: 'red' });
    }
  };
  const j = job.data;
  if (job.error) return <ErrorBox error={job.error} />;
  if (!j) return <Text size="sm">Loading…</Text>;
  return (
    <Stack gap="sm">
      <PageHeader
        title={
          <Group gap={8}>
            Job #{j.id} <span className="mono">{j.kind}</span> <JobStatus status={j.status} />
          </Group>
        }
        subtitle={
          <>
            <Link to="/jobs">Jobs</Link> · created {fmtTime(j.created_at)} · started {fmtTime(j.started_at)} · finished{' '}
            {fmtTime(j.finished_at)}
          </>
        }
        actions={
          !done && (
            <Button color="orange" variant="light" onClick={cancel}>
              Cancel
            </Button>
          )
        }
      />
      {j.progress !== null && <Progress value={(j.progress ?? 0) * 100} animated={!done} size="lg" />}
      {j.progress_message && <Text size="xs">{j.progress_message}</Text>}
      {j.error && <Alert color="red">{j.error}</Alert>}
      <Paper withBorder className="panel log" ref={logRef} data-testid="job-log">
        {lines.map((l) => (
          <div key={l.id} className={`log-line ${l.level}`}>
            <span className="muted">{new Date(l.time).toLocaleTimeString()}</span> <b>{l.level}</b> {l.message}
          </div>
        ))}
        {!lines.length && (
          <Text size="xs" c="dimmed">
            No log lines yet.
          </Text>
        )}
      </Paper>
      <Group grow align="flex-start">
        <Paper withBorder p="sm" className="panel">
          <Text size="xs" fw={600}>
            Payload
          </Text>
          <Code block>{JSON.stringify(j.payload, null, 2)}</Code>
        </Paper>
        <Paper withBorder p="sm" className="panel">
          <Text size="xs" fw={600}>
            Result
          </Text>
          <Code block>{JSON.stringify(j.result ?? null, null, 2)}</Code>
        </Paper>
      </Group>
    </Stack>
  );
}

/** A field-by-field before/after diff of one change. */
export function ChangeDiff({ before, after }: { before: ChangeValues | null; after: ChangeValues | null }) {
  const show = (v: unknown) => (v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const all = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])].filter(
    (k) => !['updated_at', 'version'].includes(k),
  );
  // Changed fields first: they are what the reader came for.
  const differs = (k: string) => Boolean(before && after && show(before[k]) !== show(after[k]));
  const keys = [...all.filter(differs), ...all.filter((k) => !differs(k))];
  return (
    <Table className="dt mini diff" data-testid="change-diff">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Field</Table.Th>
          <Table.Th>Before</Table.Th>
          <Table.Th>After</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {keys.map((k) => {
          const b = show(before?.[k]);
          const a = show(after?.[k]);
          const changed = before && after && b !== a;
          return (
            <Table.Tr key={k} className={changed ? 'diff-changed' : undefined}>
              <Table.Td>{k}</Table.Td>
              <Table.Td className={`mono ${changed ? 'diff-old' : ''}`}>{b}</Table.Td>
              <Table.Td className={`mono ${changed ? 'diff-new' : ''}`}>{a}</Table.Td>
            </Table.Tr>
          );
        })}
      </Table.Tbody>
    </Table>
  );
}

const ACTION_COLOURS: Record<string, string> = { create: 'green', update: 'blue', delete: 'red' };
/** The change log with filters; a row opens its diff. */
export function ChangesPage() {
  const [open, setOpen] = useState<Schemas['Change'] | null>(null);
  const { search } = useLocation();
  const fixed: ListParams = {};
  for (const k of ['object_type', 'object_id']) if (search.get(k)) fixed[k] = search.get(k)!;
  return (
    <>
      <PageHeader
        title="Change log"
        subtitle={
          fixed.object_type ? `${fixed.object_type} #${fixed.object_id ?? ''}` : 'Every write, with before and after'
        }
      />
      <DataTable
        id="changes"
        queryKey={['changes']}
        fetch={async (p, signal) =>
          unwrap(await api.GET('/api/changes/', { params: { query: p as ChangesQuery }, signal }))
        }
        fixed={fixed}
        columns={[
          { id: 'time', header: 'Time', cell: (r) => fmtTime(r.time) },
          { id: 'user', header: 'User', cell: (r) => r.user?.username ?? 'system', csv: (r) => r.user?.username ?? '' },
          {
            id: 'action',
            header: 'Action',
            cell: (r) => (
              <Badge
                size="sm"
                variant="light"
                color={ACTION_COLOURS[r.action] ?? 'gray'}
                styles={{ root: { textTransform: 'none' } }}
              >
                {r.action}
              </Badge>
            ),
          },
          { id: 'object_type', header: 'Type', cell: (r) => r.object_type },
          { id: 'object_repr', header: 'Object', cell: (r) => r.object_repr ?? `#${r.object_id}` },
          {
            id: 'diff',
            header: '',
            cell: (r) => (
              <Button size="compact-xs" variant="subtle" onClick={() => setOpen(r)}>
                Diff
              </Button>
            ),
            csv: () => '',
          },
          {
            id: 'request_id',
            header: 'Request',
            cell: (r) => <span className="mono small">{r.request_id}</span>,
            hidden: true,
          },
        ]}
        filters={[
          {
            name: 'action',
            label: 'Action',
            kind: 'select',
            options: ['create', 'update', 'delete'].map((v) => ({ value: v, label: v })),
            width: 110,
          },
          { name: 'object_type', label: 'Object type', kind: 'text', width: 150 },
          { name: 'username', label: 'User', kind: 'text', width: 120 },
        ]}
        searchable={false}
        selectable={false}
        urlState
      />
      <Modal
        opened={Boolean(open)}
        onClose={() => setOpen(null)}
        size="xl"
        title={
          open
            ? `${open.action} ${open.object_type} ${open.object_repr ?? ''} — ${fmtTime(open.time)} by ${open.user?.username ?? 'system'}`
            : ''
        }
      >
        {open && (
          <ChangeDiff
            before={(open.before as ChangeValues | null) ?? null}
            after={(open.after as ChangeValues | null) ?? null}
          />
        )}
      </Modal>
    </>
  );
}

/** Users (admin). */
export function UsersPage() {
  const qc = useQueryClient();
  const [open, setOpen] = useState(false);
  const [form, setForm] = useState<{ username: string; password: string; role: UserRole; email: string }>({
    username: '',
    password: '',
    role: 'viewer',
    email: '',
  });
  const [err, setErr] = useState<unknown>(null);
  const create = async () => {
    try {
      unwrap(await api.POST('/api/users/', { body: { ...form, email: form.email || null } }));
      setOpen(false);
      qc.invalidateQueries({ queryKey: ['users'] });
    } catch (e) {
      setErr(e);
    }
  };
  const patch = async (id: number, body: UserPatch) => {
    try {
      unwrap(await api.PATCH('/api/users/{id}/', { params: { path: { id } }, body }));
      qc.invalidateQueries({ queryKey: ['users'] });
    } catch (e) {
      notifications.show({ message: (e as Error).message, color: 'red' });
    }
  };
  return (
    <>
      <PageHeader title="Users" subtitle="Admin" />
      <DataTable
        id="users"
        queryKey={['users']}
        fetch={async (p, signal) =>
          unwrap(await api.GET('/api/users/', { params: { query: p as UsersQuery }, signal }))
        }
        columns={[
          { id: 'username', header: 'Username', cell: (r) => r.username },
          { id: 'email', header: 'E-mail', cell: (r) => r.email ?? '—' },
          {
            id: 'role',
            header: 'Role',
            cell: (r) => (
              <Select
                size="xs"
                w={110}
                data={UserRole}
                value={r.role}
                onChange={(v) => v && patch(r.id, { role: v as UserRole })}
                allowDeselect={false}
              />
            ),
            csv: (r) => r.role,
          },
          {
            id: 'is_active',
            header: 'Active',
            cell: (r) => (
              <Switch checked={r.is_active} onChange={(e) => patch(r.id, { is_active: e.currentTarget.checked })} />
            ),
            csv: (r) => r.is_active,
          },
          { id: 'last_login_at', header: 'Last login', cell: (r) => fmtTime(r.last_login_at) },
        ]}
        selectable={false}
        toolbar={<Button onClick={() => (setErr(null), setOpen(true))}>+ Add user</Button>}
      />
      <Modal opened={open} onClose={() => setOpen(false)} title="Add user">
        <Stack gap="sm">
          <ErrorBox error={err} />
          <TextInput
            label="Username"
            value={form.username}
            onChange={(e) => setForm({ ...form, username: e.currentTarget.value })}
            required
          />
          <PasswordInput
            label="Password"
            value={form.password}
            onChange={(e) => setForm({ ...form, password: e.currentTarget.value })}
            required
            autoComplete="new-password"
          />
          <Select
            label="Role"
            data={UserRole}
            value={form.role}
            onChange={(v) => setForm({ ...form, role: (v as UserRole | null) ?? 'viewer' })}
          />
          <TextInput
            label="E-mail"
            value={form.email}
            onChange={(e) => setForm({ ...form, email: e.currentTarget.value })}
          />
          <Group justify="flex-end">
            <Button onClick={create}>Create</Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}

/** The user's API tokens: create (key shown once) and revoke. */
export function TokensPage() {
  const qc = useQueryClient();
  const me = useMe().data;
  const [dialog, ask] = useConfirm();
  const [open, setOpen] = useState(false);
  const [desc, setDesc] = useState('');
  const [write, setWrite] = useState(false);
  const [key, setKey] = useState<string | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const create = async () => {
    try {
      const r = unwrap(
        await api.POST('/api/tokens/', {
          body: { description: desc || null, write_enabled: write, expires_at: null, user: me!.id },
        }),
      );
      setKey(r.key);
      setOpen(false);
      qc.invalidateQueries({ queryKey: ['tokens'] });
    } catch (e) {
      setErr(e);
    }
  };
  return (
    <>
      {dialog}
      <PageHeader title="API tokens" subtitle={`for ${me?.username ?? ''}: use "Authorization: Token <key>"`} />
      {key && (
        <Alert
          color="green"
          title="New token — copy it now, it is shown only once"
          withCloseButton
          onClose={() => setKey(null)}
          mb="sm"
        >
          <Code data-testid="new-token">{key}</Code>
        </Alert>
      )}
      <DataTable
        id="tokens"
        queryKey={['tokens']}
        fetch={async (p, signal) =>
          unwrap(await api.GET('/api/tokens/', { params: { query: p as TokensQuery }, signal }))
        }
        columns={[
          { id: 'key_prefix', header: 'Key', cell: (r) => <span className="mono">{r.key_prefix}…</span> },
          { id: 'user', header: 'User', cell: (r) => r.user?.username, csv: (r) => r.user?.username },
          { id: 'description', header: 'Description', cell: (r) => r.description ?? '—' },
          { id: 'write_enabled', header: 'Write', cell: (r) => (r.write_enabled ? 'yes' : 'read-only') },
          { id: 'expires_at', header: 'Expires', cell: (r) => fmtTime(r.expires_at) },
          { id: 'last_used_at', header: 'Last used', cell: (r) => fmtTime(r.last_used_at) },
          {
            id: 'revoke',
            header: '',
            csv: () => '',
            cell: (r) => (
              <Button
                size="compact-xs"
                color="red"
                variant="subtle"
                onClick={async () => {
                  if (
                    !(
                      await ask({
                        title: 'Revoke this token?',
                        message: `${r.key_prefix}… stops working immediately.`,
                        confirmLabel: 'Revoke',
                      })
                    ).ok
                  )
                    return;
                  unwrap(await api.DELETE('/api/tokens/{id}/', { params: { path: { id: r.id } } }));
                  qc.invalidateQueries({ queryKey: ['tokens'] });
                }}
              >
                Revoke
              </Button>
            ),
          },
        ]}
        searchable={false}
        selectable={false}
        toolbar={<Button onClick={() => (setErr(null), setOpen(true))}>+ New token</Button>}
      />
      <Modal opened={open} onClose={() => setOpen(false)} title="New API token">
        <Stack gap="sm">
          <ErrorBox error={err} />
          <TextInput label="Description" value={desc} onChange={(e) => setDesc(e.currentTarget.value)} />
          <Switch label="Allow writes" checked={write} onChange={(e) => setWrite(e.currentTarget.checked)} />
          <Group justify="flex-end">
            <Button onClick={create}>Create</Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}

/** Candidates of a fabric: PeeringDB networks we do not peer with yet. */
export function CandidatesPage() {
  const caps = useCapabilities();
  const { search } = useLocation();
  const [fabric, setFabric] = useState<string | null>(search.get('fabric'));
  if (!caps.peeringdb) return <Placeholder title="Candidates" cap="peeringdb" />;
  return (
    <>
      <PageHeader title="Candidates" subtitle="Networks on a fabric without a session from us, ranked" />
      <Group mb="xs">
        <RefSelect
          label="Fabric"
          res="fabrics"
          value={fabric}
          onChange={(v) => setFabric(v)}
          labelOf={(r) => r.name}
          w={260}
          query={{ type: 'ixp' }}
          data-testid="candidates-fabric"
        />
      </Group>
      {fabric && <CandidatesTable key={fabric} fabricId={Number(fabric)} />}
    </>
  );
}

/** A page for a feature whose capability is not installed yet. */
export function Placeholder({ title, cap }: { title: string; cap: keyof Capabilities }) {
  const caps = useCapabilities();
  return (
    <>
      <PageHeader title={title} />
      {caps[cap] ? (
        <Alert color="blue" variant="light">
          The {title} back end is installed; its screen ships with that feature’s UI.
        </Alert>
      ) : (
        <Unavailable cap={cap} what={title} />
      )}
    </>
  );
}
