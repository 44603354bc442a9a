// Config templates: list, editor (Jinja2 highlighting, syntax errors on their line, live preview,
// version history with diffs), and the Render page (template + router or sessions → config).
import { useEffect, useMemo, useState } from 'react';
import {
  Accordion,
  Alert,
  Badge,
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
  Title,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, listResource, unwrap, type paths, type Schemas } from '../api/client';
import { TemplateOptionsDialect, type ConfigTemplateKind } from '../api/enums';
import { DataTable } from '../components/DataTable';
import { RefMultiSelect, RefSelect } from '../components/RefSelect';
import { CodeEditor, errorLineOf } from '../components/CodeEditor';
import { UnifiedDiff } from '../components/Diff';
import { copyText } from '../components/JobStatus';
import { Unavailable } from '../components/Unavailable';
import { download, fmtTime } from '../components/format';
import { Link, navigate, useLocation } from '../app/router';
import { roleAtLeast, useCapabilities, useMe } from '../app/session';
import { ErrorBox, PageHeader } from './ResourcePages';

/** Templates shipped with Peerdesk, usable by name without being stored. */
export const SHIPPED_TEMPLATES = ['junos.j2', 'eos.j2', 'iosxr.j2', 'sros.j2', 'frr.j2', 'bird2.j2'];

type TemplateOptions = Schemas['TemplateOptions'];
/** The editor's options: every flag set, the dialect only when chosen. */
type Options = Required<Omit<TemplateOptions, 'dialect'>> & Pick<TemplateOptions, 'dialect'>;
type Dialect = TemplateOptionsDialect;
type RenderAnswer = paths['/api/render-config/']['post']['responses'][200]['content']['application/json'];
// The filter sets a template may be written for (options.dialect): plain Jinja2, or NetBox's / Peering Manager's extra filters.
const DIALECT_LABELS: Record<Dialect, string> = {
  jinja2: 'Jinja2',
  netbox: 'NetBox filters',
  'peering-manager': 'Peering Manager filters',
};
const DIALECTS = TemplateOptionsDialect.map((value) => ({ value, label: DIALECT_LABELS[value] }));
const DEFAULT_OPTIONS: Options = {
  trim_blocks: true,
  lstrip_blocks: true,
  keep_trailing_newline: false,
  undefined: 'default',
};

const STARTER = `{# Context: router, sessions, peer_groups, prefix_lists, communities, fabrics … #}
protocols {
    bgp {
{% for s in sessions %}
        neighbor {{ s.remote_ip }} {
            description "{{ s.peer_name }}";
            peer-as {{ s.peer_asn }};
        }
{% endfor %}
    }
}
`;

/** The list of stored templates. */
export function TemplatesListPage() {
  const caps = useCapabilities();
  const me = useMe().data;
  const isAdmin = roleAtLeast(me?.role, 'admin');
  if (!caps.templates)
    return (
      <>
        <PageHeader title="Templates" />
        <Unavailable cap="templates" what="Templates" />
      </>
    );
  return (
    <>
      <PageHeader
        title="Templates"
        subtitle="Jinja2 configuration and e-mail templates, versioned"
        actions={
          <Button variant="default" onClick={() => navigate('/config/render')}>
            Render config
          </Button>
        }
      />
      <DataTable
        id="templates"
        queryKey={['list', 'templates']}
        fetch={(p, signal) => listResource('templates', p, signal)}
        columns={[
          { id: 'name', header: 'Name', cell: (r) => <Link to={`/templates/${r.id}`}>{r.name}</Link>, sort: 'name' },
          { id: 'kind', header: 'Kind', cell: (r) => r.kind },
          { id: 'version', header: 'Version', cell: (r) => `v${r.version}`, align: 'right' },
          { id: 'router_count', header: 'Routers', cell: (r) => r.router_count, align: 'right' },
          { id: 'description', header: 'Description', cell: (r) => r.description ?? <span className="muted">—</span> },
          { id: 'updated_at', header: 'Updated', cell: (r) => fmtTime(r.updated_at) },
        ]}
        rowHref={(r) => `/templates/${r.id}`}
        selectable={false}
        toolbar={
          isAdmin && (
            <Button onClick={() => navigate('/templates/new')} data-testid="add-button">
              + New template
            </Button>
          )
        }
        emptyText="No stored templates yet. The shipped ones (junos.j2, eos.j2, …) can be rendered by name."
      />
    </>
  );
}

// The preview router outlives one editor page: saving a new template reopens it under its id.
let lastPreviewRouter: string | null = null;

/** Editor of one template (new when id is null). */
export function TemplateEditorPage({ id }: { id: number | null }) {
  const qc = useQueryClient();
  const me = useMe().data;
  const isAdmin = roleAtLeast(me?.role, 'admin');
  const [name, setName] = useState('');
  // New templates are router configs; an old `email` kind is kept as it is (and pointed to the mail editor).
  const [kind, setKind] = useState<ConfigTemplateKind>('router');
  const [description, setDescription] = useState('');
  const [body, setBody] = useState(id ? '' : STARTER);
  const [options, setOptions] = useState<Options>(DEFAULT_OPTIONS);
  const [saveError, setSaveError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const [loaded, setLoaded] = useState(id === null);

  const tpl = useQuery({
    queryKey: ['template', id],
    queryFn: async () => unwrap(await api.GET('/api/templates/{id}/', { params: { path: { id: id! } } })),
    enabled: id !== null,
  });
  useEffect(() => {
    const t = tpl.data;
    if (!t || loaded) return;
    setName(t.name);
    setKind(t.kind);
    setDescription(t.description ?? '');
    setBody(t.body);
    setOptions({ ...DEFAULT_OPTIONS, trim_blocks: false, lstrip_blocks: false, ...t.options });
    setLoaded(true);
  }, [tpl.data]);
  const versions = useQuery({
    queryKey: ['template-versions', id],
    queryFn: async () => unwrap(await api.GET('/api/templates/{id}/versions/', { params: { path: { id: id! } } })),
    enabled: id !== null,
  });

  // Live preview against a router or chosen sessions, debounced so typing stays smooth.
  const [target, setTarget] = useState<'router' | 'sessions'>('router');
  const [router, setRouterState] = useState<string | null>(lastPreviewRouter);
  const setRouter = (v: string | null) => {
    lastPreviewRouter = v;
    setRouterState(v);
  };
  const [sessions, setSessions] = useState<string[]>([]);
  const [dBody] = useDebouncedValue(body, 400);
  const [dOptions] = useDebouncedValue(options, 400);
  const hasTarget = target === 'router' ? Boolean(router) : sessions.length > 0;
  const preview = useQuery({
    queryKey: ['template-preview', dBody, dOptions, target, router, sessions],
    queryFn: async ({ signal }) =>
      unwrap(
        await api.POST('/api/templates/preview/', {
          body: {
            body: dBody,
            options: dOptions,
            ...(target === 'router' ? { router: Number(router) } : { sessions: sessions.map(Number) }),
          },
          signal,
        }),
      ),
    enabled: hasTarget && loaded && dBody.trim().length > 0,
    retry: false,
    placeholderData: (prev) => prev,
  });
  const previewError = preview.error as ApiError | null;
  const fieldMsg = (e: unknown) => (e instanceof ApiError ? (e.byField().body ?? null) : null);
  // The save error wins (it is what the user just asked for); else a syntax error seen by the preview.
  const bodyError = fieldMsg(saveError) ?? fieldMsg(previewError);
  const errorLine = errorLineOf(bodyError);

  const save = async () => {
    setSaving(true);
    setSaveError(null);
    const payload = { name: name.trim(), kind, body, options, description: description.trim() || null };
    try {
      const saved =
        id === null
          ? unwrap(await api.POST('/api/templates/', { body: payload }))
          : unwrap(await api.PATCH('/api/templates/{id}/', { params: { path: { id } }, body: payload }));
      notifications.show({ message: `Saved ${saved.name} (version ${saved.version})`, color: 'green' });
      qc.invalidateQueries({ queryKey: ['template-versions', saved.id] });
      qc.invalidateQueries({ queryKey: ['list', 'templates'] });
      if (id === null) navigate(`/templates/${saved.id}`, { replace: true });
      else qc.invalidateQueries({ queryKey: ['template', id] });
    } catch (e) {
      setSaveError(e);
    } finally {
      setSaving(false);
    }
  };

  if (tpl.error) return <ErrorBox error={tpl.error} />;
  if (!loaded) return <Text size="sm">Loading…</Text>;
  const otherErrors = saveError instanceof ApiError ? saveError.fields.filter((f) => f.field !== 'body') : [];
  return (
    <Stack gap="sm">
      <PageHeader
        title={id === null ? 'New template' : name}
        subtitle={
          <>
            <Link to="/templates">Templates</Link>
            {tpl.data ? ` · #${id} · version ${tpl.data.version} · updated ${fmtTime(tpl.data.updated_at)}` : ''}
          </>
        }
        actions={
          <>
            {id !== null && (
              <Button variant="default" onClick={() => navigate(`/config/render?template=${id}`)}>
                Render…
              </Button>
            )}
            {isAdmin && (
              <Button onClick={save} loading={saving} disabled={!name.trim()} data-testid="template-save">
                Save
              </Button>
            )}
          </>
        }
      />
      {saveError && !bodyError ? <ErrorBox error={saveError} /> : null}
      {/* Config templates are router configs; e-mail templates have their own editor. */}
      {kind === 'email' && (
        <Alert color="orange" variant="light" p="xs" data-testid="template-email-kind">
          This is an old e-mail template stored among the config templates. E-mail templates now live under{' '}
          <Link to="/email-templates">E-mail templates</Link>.
        </Alert>
      )}
      <Group align="flex-end" gap="sm">
        <TextInput
          label="Name"
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          required
          w={260}
          data-testid="template-name"
          error={otherErrors.find((f) => f.field === 'name')?.message}
          readOnly={!isAdmin}
        />
        <Select
          label="Dialect"
          data={DIALECTS}
          value={options.dialect ?? 'jinja2'}
          onChange={(v) => setOptions({ ...options, dialect: (v as Dialect | null) ?? 'jinja2' })}
          w={200}
          allowDeselect={false}
          data-testid="template-dialect"
        />
        <TextInput
          label="Description"
          value={description}
          onChange={(e) => setDescription(e.currentTarget.value)}
          style={{ flex: 1 }}
        />
      </Group>
      <Group gap="md">
        <Checkbox
          size="xs"
          label="trim_blocks"
          checked={options.trim_blocks}
          onChange={(e) => setOptions({ ...options, trim_blocks: e.currentTarget.checked })}
        />
        <Checkbox
          size="xs"
          label="lstrip_blocks"
          checked={options.lstrip_blocks}
          onChange={(e) => setOptions({ ...options, lstrip_blocks: e.currentTarget.checked })}
        />
        <Checkbox
          size="xs"
          label="keep_trailing_newline"
          checked={options.keep_trailing_newline}
          onChange={(e) => setOptions({ ...options, keep_trailing_newline: e.currentTarget.checked })}
        />
        <Checkbox
          size="xs"
          label="strict undefined"
          checked={options.undefined === 'strict'}
          onChange={(e) => setOptions({ ...options, undefined: e.currentTarget.checked ? 'strict' : 'default' })}
        />
      </Group>
      <div className="editor-grid">
        <Stack gap={6}>
          <Text size="xs" fw={600} c="dimmed" tt="uppercase">
            Template (Jinja2)
          </Text>
          <CodeEditor
            value={body}
            onChange={(v) => (setBody(v), setSaveError(null))}
            errorLine={errorLine}
            readOnly={!isAdmin}
            height="460px"
            testid="template-editor"
          />
          {bodyError && (
            <Alert color="red" variant="light" p="xs" data-testid="template-error">
              <b>{errorLine ? `Line ${errorLine}` : 'Template error'}</b>: {bodyError}
            </Alert>
          )}
        </Stack>
        <Stack gap={6}>
          <Group justify="space-between" align="flex-end">
            <Text size="xs" fw={600} c="dimmed" tt="uppercase">
              Live preview {preview.data ? `· ${preview.data.session_count} session(s)` : ''}{' '}
              {preview.isFetching ? '· rendering…' : ''}
            </Text>
            <SegmentedControl
              size="xs"
              data={[
                { value: 'router', label: 'Router' },
                { value: 'sessions', label: 'Sessions' },
              ]}
              value={target}
              onChange={(v) => setTarget(v as 'router' | 'sessions')}
            />
          </Group>
          {target === 'router' ? (
            <RefSelect
              res="routers"
              value={router}
              onChange={(v) => setRouter(v)}
              labelOf={(r) => `${r.name} (AS${r.local_asn})`}
              placeholder="Preview against a router…"
              data-testid="preview-router"
            />
          ) : (
            <RefMultiSelect
              res="peering-sessions"
              value={sessions}
              onChange={setSessions}
              labelOf={(r) => `AS${r.peer_asn.asn} ${r.peer_ip} on ${r.router.name}`}
              placeholder="Preview for sessions…"
              data-testid="preview-sessions"
            />
          )}
          {!hasTarget && (
            <Text size="xs" c="dimmed">
              Choose a router or sessions to see the rendered config as you type.
            </Text>
          )}
          {previewError && !fieldMsg(previewError) && (
            <Alert color="orange" variant="light" p="xs" data-testid="preview-error">
              {previewError.message}
              {previewError.fields.map((f) => ` ${f.field}: ${f.message}`).join(';')}
            </Alert>
          )}
          {hasTarget && preview.data && (
            <pre
              className="config"
              style={{ height: 420, opacity: previewError ? 0.5 : 1 }}
              data-testid="template-preview"
            >
              {preview.data.content}
            </pre>
          )}
        </Stack>
      </div>
      {id !== null && (
        <Paper withBorder p="sm" className="panel" data-testid="template-versions">
          <Title order={5} mb={6}>
            Version history
          </Title>
          {versions.data && (
            <Accordion
              key={versions.data.length}
              multiple
              defaultValue={versions.data.length > 1 ? [String(versions.data[0]!.version)] : []}
              variant="contained"
            >
              {versions.data.map((v) => (
                <Accordion.Item key={v.version} value={String(v.version)}>
                  <Accordion.Control>
                    <Group gap={8}>
                      <Badge size="sm" variant="light">
                        v{v.version}
                      </Badge>
                      <Text size="sm">{fmtTime(v.created_at)}</Text>
                      <Text size="xs" c="dimmed">
                        by {v.created_by ?? 'system'}
                      </Text>
                      {v.diff && <DiffStat diff={v.diff} />}
                    </Group>
                  </Accordion.Control>
                  <Accordion.Panel>
                    <UnifiedDiff text={v.diff} testid={`template-diff-${v.version}`} />
                    {isAdmin && v.version !== tpl.data?.version && (
                      <Button
                        size="compact-xs"
                        variant="subtle"
                        mt={4}
                        onClick={() => (
                          setBody(v.body),
                          setOptions({
                            ...DEFAULT_OPTIONS,
                            trim_blocks: false,
                            lstrip_blocks: false,
                            ...v.options,
                          })
                        )}
                      >
                        Load this version into the editor
                      </Button>
                    )}
                  </Accordion.Panel>
                </Accordion.Item>
              ))}
            </Accordion>
          )}
        </Paper>
      )}
    </Stack>
  );
}

function DiffStat({ diff }: { diff: string }) {
  const lines = diff.split('\n');
  const add = lines.filter((l) => l.startsWith('+') && !l.startsWith('+++')).length;
  const del = lines.filter((l) => l.startsWith('-') && !l.startsWith('---')).length;
  return (
    <Text size="xs" className="mono">
      <span style={{ color: 'var(--mantine-color-green-7)' }}>+{add}</span>{' '}
      <span style={{ color: 'var(--mantine-color-red-7)' }}>−{del}</span>
    </Text>
  );
}

/** Render page: a template for a router, or for sessions (`?sessions=1,2`). */
export function RenderPage() {
  const caps = useCapabilities();
  const { search } = useLocation();
  const sessionIds = useMemo(
    () =>
      (search.get('sessions') ?? '')
        .split(',')
        .filter((x) => /^\d+$/.test(x))
        .map(Number),
    [search],
  );
  const [template, setTemplate] = useState<string | null>(search.get('template'));
  const [router, setRouter] = useState<string | null>(search.get('router'));
  const [routerRow, setRouterRow] = useState<Schemas['Router'] | null>(null);
  const [withContext, setWithContext] = useState(false);
  const [result, setResult] = useState<RenderAnswer | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const stored = useQuery({
    queryKey: ['list', 'templates', 'all'],
    queryFn: () => listResource('templates', { limit: 500, kind: 'router' }),
  });
  // For sessions, the first session's router picks the default template (its own, else its platform's shipped one).
  const firstSession = useQuery({
    queryKey: ['render-session', sessionIds[0]],
    queryFn: async () =>
      unwrap(await api.GET('/api/peering-sessions/{id}/', { params: { path: { id: sessionIds[0]! } } })),
    enabled: sessionIds.length > 0,
  });
  const routerId = sessionIds.length ? firstSession.data?.router?.id : router ? Number(router) : null;
  const routerFull = useQuery({
    queryKey: ['one-router', routerId],
    queryFn: async () => unwrap(await api.GET('/api/routers/{id}/', { params: { path: { id: routerId! } } })),
    enabled: Boolean(routerId),
  });
  useEffect(() => {
    const r = routerFull.data ?? routerRow;
    if (template || !r) return;
    if (r.config_template) setTemplate(String(r.config_template.id));
    else if (r.platform?.driver && SHIPPED_TEMPLATES.includes(`${r.platform.driver}.j2`))
      setTemplate(`${r.platform.driver}.j2`);
  }, [routerFull.data, routerRow]);

  const options = [
    {
      group: 'Stored templates',
      items: (stored.data?.results ?? []).map((t) => ({ value: String(t.id), label: `${t.name} (v${t.version})` })),
    },
    { group: 'Shipped templates', items: SHIPPED_TEMPLATES.map((t) => ({ value: t, label: t })) },
  ];
  const ready = Boolean(template) && (sessionIds.length > 0 || Boolean(router));
  const render = async () => {
    if (!template) return;
    setBusy(true);
    setError(null);
    try {
      const body = {
        template: /^\d+$/.test(template) ? Number(template) : template,
        ...(sessionIds.length ? { sessions: sessionIds } : { router: Number(router) }),
        include_context: withContext,
      };
      setResult(unwrap(await api.POST('/api/render-config/', { body })));
    } catch (e) {
      setError(e);
      setResult(null);
    } finally {
      setBusy(false);
    }
  };
  // Sessions mode renders at once when the template is known: the user came for the config.
  useEffect(() => {
    if (sessionIds.length && template && !result && !error) void render();
  }, [template, sessionIds.join(',')]);

  const title = 'Render config';
  if (!caps.templates)
    return (
      <>
        <PageHeader title={title} />
        <Unavailable cap="templates" what={title} />
      </>
    );
  const fileName = `${result?.router?.name ?? 'config'}-${String(result?.template?.name ?? 'template').replace(/\.j2$/, '')}.conf`;
  return (
    <Stack gap="sm">
      <PageHeader
        title={title}
        subtitle={
          sessionIds.length ? (
            <>
              For{' '}
              {sessionIds.length === 1 ? (
                <Link to={`/peering-sessions/${sessionIds[0]}`}>session #{sessionIds[0]}</Link>
              ) : (
                `${sessionIds.length} sessions`
              )}
              {firstSession.data
                ? ` · AS${firstSession.data.peer_asn.asn} ${firstSession.data.peer_ip} on ${firstSession.data.router.name}`
                : ''}
            </>
          ) : (
            'A template rendered over the inventory of one router'
          )
        }
      />
      <Group align="flex-end" gap="sm">
        {!sessionIds.length && (
          <RefSelect
            label="Router"
            res="routers"
            value={router}
            // The reference select hands back its row untyped; it is a router here.
            onChange={(v, row) => (setRouter(v), setRouterRow(row as Schemas['Router'] | null), setResult(null))}
            labelOf={(r) => `${r.name} (AS${r.local_asn})`}
            w={280}
            required
            data-testid="render-router"
          />
        )}
        <Select
          label="Template"
          data={options}
          value={template}
          onChange={(v) => (setTemplate(v), setResult(null))}
          searchable
          w={280}
          required
          data-testid="render-template"
          comboboxProps={{ withinPortal: true }}
        />
        <Checkbox
          label="Include context"
          checked={withContext}
          onChange={(e) => setWithContext(e.currentTarget.checked)}
          mb={8}
        />
        <Button onClick={render} loading={busy} disabled={!ready} data-testid="render-button">
          Render
        </Button>
      </Group>
      <ErrorBox error={error} />
      {result && (
        <Paper withBorder p="sm" className="panel">
          <Group justify="space-between" mb={6}>
            <Text size="sm">
              <b>{result.template.name}</b> v{result.template.version}{' '}
              {result.router ? (
                <>
                  for <Link to={`/routers/${result.router.id}`}>{result.router.name}</Link>
                </>
              ) : null}{' '}
              · {result.session_count} session(s) · {result.content.split('\n').length} lines
            </Text>
            <Group gap={6}>
              <Button
                size="xs"
                variant="default"
                onClick={() =>
                  copyText(result.content).then(() =>
                    notifications.show({ message: 'Copied to the clipboard', color: 'green' }),
                  )
                }
                data-testid="render-copy"
              >
                Copy
              </Button>
              <Button
                size="xs"
                variant="default"
                onClick={() => download(fileName, result.content, 'text/plain')}
                data-testid="render-download"
              >
                Download
              </Button>
            </Group>
          </Group>
          <pre className="config" data-testid="render-output">
            {result.content}
          </pre>
          {withContext && result.context !== undefined && (
            <SimpleGrid cols={1} mt="sm">
              <Text size="xs" fw={600} c="dimmed" tt="uppercase">
                Context
              </Text>
              <pre className="config" style={{ maxHeight: 320 }}>
                {JSON.stringify(result.context, null, 2)}
              </pre>
            </SimpleGrid>
          )}
        </Paper>
      )}
    </Stack>
  );
}
