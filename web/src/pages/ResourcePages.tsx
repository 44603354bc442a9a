// Generic list, detail and form screens, driven by the per-resource configs.
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import {
  Alert,
  Button,
  Checkbox,
  ColorInput,
  Group,
  Modal,
  Paper,
  PasswordInput,
  Select,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Textarea,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  ApiError,
  bulkDeleteResource,
  createResource,
  deleteResource,
  getResource,
  listResource,
  patchResource,
  type FormBody,
  type ListParams,
  type ResourcePath,
} from '../api/client';
import { DataTable, type Column } from '../components/DataTable';
import { RefSelect, nameOrId, type AnyRef } from '../components/RefSelect';
import { useConfirm } from '../components/confirm';
import { BoolBadge, namedColourHex } from '../components/badges';
import { fmtTime, irrErrorText } from '../components/format';
import { asnValue, checkAsn, checkAsSet, checkColour, checkIp, checkPrefix, checkSlug } from '../lib/validate';
import { CONFIGS, REF_TARGET, textToEntries } from '../resources/configs';
import type { FieldSpec, FormValues, Presented, Related, ResourceConfig } from '../resources/types';
import { Link, navigate, useLocation } from '../app/router';
import { useMe, roleAtLeast } from '../app/session';

/** Page header: title, breadcrumbs-ish subtitle and actions. */
export function PageHeader({
  title,
  subtitle,
  actions,
}: {
  title: ReactNode;
  subtitle?: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <Group justify="space-between" mb="xs" wrap="nowrap" className="page-header">
      <div>
        <Title order={3} data-testid="page-title">
          {title}
        </Title>
        {subtitle && (
          <Text size="xs" c="dimmed">
            {subtitle}
          </Text>
        )}
      </div>
      <Group gap={6} wrap="nowrap">
        {actions}
      </Group>
    </Group>
  );
}

/** Shows an API or other error in a box. */
export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const e = error as ApiError;
  return (
    <Alert color="red" variant="light" title={e.status ? `Error ${e.status}` : 'Error'} data-testid="error-box" mb="sm">
      {/^IRR /.test(e.message ?? '') ? <span title={e.message}>{irrErrorText(e.message)}</span> : e.message}
      {e.fields?.length ? (
        <ul style={{ margin: '4px 0 0', paddingLeft: 18 }}>
          {e.fields.map((f) => (
            <li key={f.field + f.message}>
              <b>{f.field}</b>: {f.message}
            </li>
          ))}
        </ul>
      ) : null}
    </Alert>
  );
}

/** The standard list of one resource. */
export function ResourceListPage({ cfg }: { cfg: ResourceConfig }) {
  const qc = useQueryClient();
  const me = useMe().data;
  const canWrite = roleAtLeast(me?.role, 'operator') && me?.can_write !== false;
  const [dialog, ask] = useConfirm();
  return (
    <>
      {dialog}
      <PageHeader title={cfg.title} />
      <DataTable
        key={cfg.path}
        id={cfg.path}
        queryKey={['list', cfg.path]}
        fetch={(p, signal) => listResource(cfg.path, p, signal)}
        columns={cfg.columns}
        filters={cfg.filters}
        defaultOrdering={cfg.defaultOrdering}
        urlState
        rowHref={(r) => `/${cfg.path}/${r.id}`}
        toolbar={
          canWrite && (
            <Button onClick={() => navigate(`/${cfg.path}/new`)} data-testid="add-button">
              + Add
            </Button>
          )
        }
        actions={
          canWrite
            ? [
                {
                  label: 'Delete',
                  color: 'red',
                  run: async (ids) => {
                    const r = await ask({
                      title: `Delete ${ids.length} ${ids.length === 1 ? cfg.singular.toLowerCase() : cfg.title.toLowerCase()}?`,
                      message: 'This cannot be undone; the change log keeps the old values.',
                      confirmLabel: 'Delete',
                    });
                    if (!r.ok) return;
                    try {
                      await bulkDeleteResource(cfg.path, ids);
                      notifications.show({ message: `Deleted ${ids.length}`, color: 'green' });
                    } catch (e) {
                      notifications.show({ title: 'Delete failed', message: (e as Error).message, color: 'red' });
                    }
                    qc.invalidateQueries({ queryKey: ['list'] });
                  },
                },
              ]
            : undefined
        }
      />
    </>
  );
}

/** A related-objects table on a detail page. */
export function RelatedTable({ rel }: { rel: Related }) {
  const cfg = CONFIGS[rel.res]!;
  const columns = rel.columns ? cfg.columns.filter((c) => rel.columns!.includes(c.id)) : cfg.columns;
  return (
    <Paper withBorder p="sm" className="panel" data-testid={`related-${rel.res}`}>
      <DataTable
        id={`related-${rel.res}`}
        queryKey={['list', rel.res, 'related']}
        fetch={(p, signal) => listResource(rel.res, p, signal)}
        columns={columns}
        fixed={rel.fixed}
        defaultOrdering={cfg.defaultOrdering}
        rowHref={(r) => `/${rel.res}/${r.id}`}
        selectable={false}
        pageSize={25}
        title={
          <Title order={5} mr="sm" style={{ whiteSpace: 'nowrap' }}>
            {rel.title}
          </Title>
        }
        toolbar={
          rel.addQuery !== undefined && (
            <Button variant="default" onClick={() => navigate(`/${rel.res}/new?${rel.addQuery}`)}>
              + Add
            </Button>
          )
        }
      />
    </Paper>
  );
}

const HIDDEN_KEYS = new Set(['id', 'version']);

/** Renders one presented value generically (links for references, badges for booleans). */
export function showValue(key: string, v: unknown): ReactNode {
  if (v === null || v === undefined || v === '') return <span className="muted">—</span>;
  if (typeof v === 'boolean') return <BoolBadge value={v} />;
  if (typeof v === 'object' && !Array.isArray(v)) {
    if ('id' in v && REF_TARGET[key]) {
      const name = 'name' in v ? v.name : undefined;
      const asn = 'asn' in v ? v.asn : undefined;
      return <Link to={`/${REF_TARGET[key]}/${v.id}`}>{String(name ?? (asn ? `AS${asn}` : `#${v.id}`))}</Link>;
    }
    return <pre className="json">{JSON.stringify(v, null, 2)}</pre>;
  }
  if (Array.isArray(v))
    return v.length ? <pre className="json">{JSON.stringify(v, null, 2)}</pre> : <span className="muted">none</span>;
  if (typeof v === 'string' && /_at$|_since$/.test(key)) return fmtTime(v);
  return String(v);
}

/** A key/value grid of every field of an object. */
export function FieldGrid<T extends object>({
  row,
  show = {},
  hide = [],
  order,
}: {
  row: T;
  /** Custom renderers of fields, by field name. */
  show?: { [K in keyof T & string]?: (r: T) => ReactNode };
  hide?: string[];
  order?: string[];
}) {
  const fields = new Map<string, unknown>(Object.entries(row));
  const renderers = new Map<string, ((r: T) => ReactNode) | undefined>(Object.entries(show));
  const keys = [...fields.keys()].filter((k) => !HIDDEN_KEYS.has(k) && !hide.includes(k));
  const sorted = order ? [...order.filter((k) => keys.includes(k)), ...keys.filter((k) => !order.includes(k))] : keys;
  const wide = (k: string) => Array.isArray(fields.get(k)) || k === 'comments' || k === 'notes' || k === 'description';
  return (
    <dl className="fields">
      {sorted.map((k) => {
        const render = renderers.get(k);
        return (
          <div key={k} className={wide(k) ? 'wide' : undefined} data-field={k}>
            <dt>{k.replace(/_/g, ' ')}</dt>
            <dd>{render ? render(row) : showValue(k, fields.get(k))}</dd>
          </div>
        );
      })}
    </dl>
  );
}

/** The detail page of one object: every field, related tables, extra panels. */
export function ResourceDetailPage({ cfg, id }: { cfg: ResourceConfig; id: number }) {
  const qc = useQueryClient();
  const me = useMe().data;
  const canWrite = roleAtLeast(me?.role, 'operator') && me?.can_write !== false;
  const [dialog, ask] = useConfirm();
  const q = useQuery({ queryKey: ['one', cfg.path, id], queryFn: () => getResource(cfg.path, id) });
  const row = q.data?.row;
  // A referenced object: the API refuses with the count and accepts a replacement to move them to.
  const [inUse, setInUse] = useState<string | null>(null);
  const remove = async (replaceWith?: number) => {
    try {
      await deleteResource(cfg.path, id, replaceWith);
      notifications.show({ message: `${cfg.singular} deleted`, color: 'green' });
      setInUse(null);
      qc.invalidateQueries();
      navigate(`/${cfg.path}`);
    } catch (e) {
      const err = e as ApiError;
      if (err.status === 409 && /replace_with/.test(err.message)) setInUse(err.message);
      else notifications.show({ title: 'Delete failed', message: err.message, color: 'red' });
    }
  };
  const del = async () => {
    const r = await ask({
      title: `Delete ${cfg.singular.toLowerCase()} ${row ? cfg.label(row) : ''}?`,
      message:
        'This cannot be undone; the change log keeps the old values. Objects that use it are never changed silently: if any do, you are asked what to move them to.',
      confirmLabel: 'Delete',
    });
    if (r.ok) await remove();
  };
  if (q.error) return <ErrorBox error={q.error} />;
  if (!row) return <Text size="sm">Loading…</Text>;
  return (
    <Stack gap="sm">
      {dialog}
      {inUse && (
        <ReplaceDialog
          cfg={cfg}
          id={id}
          message={inUse}
          onCancel={() => setInUse(null)}
          onReplace={(target) => remove(target)}
        />
      )}
      <PageHeader
        title={cfg.label(row)}
        subtitle={
          <>
            <Link to={`/${cfg.path}`}>{cfg.title}</Link> · #{row.id} · updated {fmtTime(row.updated_at)} ·{' '}
            <Link to={`/changes?object_type=${encodeURIComponent(objectTypeOf(cfg.path))}&object_id=${row.id}`}>
              history
            </Link>
          </>
        }
        actions={
          canWrite && (
            <>
              <Button variant="default" onClick={() => navigate(`/${cfg.path}/${id}/edit`)} data-testid="edit-button">
                Edit
              </Button>
              <Button color="red" variant="light" onClick={del} data-testid="delete-button">
                Delete
              </Button>
            </>
          )
        }
      />
      <Paper withBorder p="sm" className="panel">
        <FieldGrid row={row} show={cfg.show} hide={cfg.hideOnDetail} order={cfg.fields.map((f) => f.name)} />
      </Paper>
      {cfg.panels?.(row)}
      {cfg.related?.(row).map((rel) => (
        <RelatedTable key={rel.title} rel={rel} />
      ))}
    </Stack>
  );
}

/** Asks which object takes over the references of one being deleted. */
function ReplaceDialog({
  cfg,
  id,
  message,
  onCancel,
  onReplace,
}: {
  cfg: ResourceConfig;
  id: number;
  message: string;
  onCancel: () => void;
  onReplace: (target: number) => void;
}) {
  const [target, setTarget] = useState<string | null>(null);
  return (
    <Modal opened onClose={onCancel} title={<b>{cfg.singular} in use</b>} centered>
      <Stack gap="sm" data-testid="replace-dialog">
        <Text size="sm">{message.replace(/; name a replacement.*$/, '.')}</Text>
        <RefSelect
          label={`Move them to another ${cfg.singular.toLowerCase()}`}
          res={cfg.path}
          value={target}
          onChange={(v) => setTarget(v && Number(v) !== id ? v : null)}
          labelOf={(r) => cfg.label(r)}
          data-testid="replace-with"
        />
        <Group justify="flex-end" gap={6}>
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button
            color="red"
            disabled={!target}
            onClick={() => onReplace(Number(target))}
            data-testid="replace-confirm"
          >
            Move and delete
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** Change-log object type of a resource path (peer-asns → peer-asn). */
export function objectTypeOf(path: string): string {
  return path.replace(/ies$/, 'y').replace(/s$/, '');
}

// ---------- forms -------------------------------------------------------------------------------

/** A form input's value: text, or a checkbox's state. */
type FormValue = FormValues[string];
type Values = FormValues;

function initialValue(f: FieldSpec, row: Presented | null, search: URLSearchParams): FormValue {
  if (row) {
    const v = f.get ? f.get(row) : row[f.name];
    if (f.kind === 'password') return '';
    if (f.kind === 'bool') return Boolean(v);
    if (v === null || v === undefined) return '';
    if (typeof v === 'object' && 'id' in v) return String((v as { id: number }).id);
    return String(v);
  }
  const fromUrl = search.get(f.name);
  if (fromUrl !== null) return f.kind === 'bool' ? fromUrl === 'true' : fromUrl;
  if (f.kind === 'bool')
    return f.name === 'enabled' || f.name === 'polling_enabled' || f.name.startsWith('follow_peeringdb');
  return '';
}

/** The error of a check, or null when it passes. */
const errorOf = (r: { ok: true } | { ok: false; error: string }) => (r.ok ? null : r.error);

/** Client-side checks with the API's field rules (lib/validate); the API stays the authority. */
export function validateField(f: FieldSpec, v: FormValue | undefined): string | null {
  if (f.kind === 'bool' || typeof v === 'boolean') return null;
  const s = v?.trim() ?? '';
  if (s === '') return f.required ? 'is required' : null;
  switch (f.kind) {
    case 'int': {
      if (!/^-?\d+$/.test(s)) return 'must be a whole number';
      const n = Number(s);
      if (f.min !== undefined && n < f.min) return `must be at least ${f.min}`;
      if (f.max !== undefined && n > f.max) return `must be at most ${f.max}`;
      return null;
    }
    case 'asn':
      return errorOf(checkAsn(s));
    case 'ip':
      return errorOf(checkIp(s));
    case 'prefix':
      return errorOf(checkPrefix(s));
    case 'slug':
      return errorOf(checkSlug(s));
    case 'color':
      return errorOf(checkColour(s));
    case 'asset':
      return errorOf(checkAsSet(s));
    case 'json':
      try {
        if (f.name === 'entries') textToEntries(s);
        else JSON.parse(s);
        return null;
      } catch (e) {
        return (e as Error).message;
      }
    default:
      return null;
  }
}

function toBody(fields: FieldSpec[], values: Values, editing: boolean): FormBody {
  const body: FormBody = {};
  for (const f of fields) {
    if (editing && f.createOnly) continue;
    const v = values[f.name];
    if (f.kind === 'bool') {
      body[f.name] = Boolean(v);
      continue;
    }
    const s = typeof v === 'string' ? v.trim() : undefined;
    if (s === '' || s === undefined) {
      if (f.emptyAs === 'null' && (editing || s === '')) body[f.name] = null;
      continue;
    }
    switch (f.kind) {
      case 'int':
      case 'ref':
        body[f.name] = Number(s);
        break;
      case 'asn':
        body[f.name] = asnValue(s);
        break;
      case 'select':
        body[f.name] = /^\d+$/.test(s) && (f.name === 'family' || f.name === 'address_family') ? Number(s) : s;
        break;
      case 'json':
        body[f.name] = f.name === 'entries' ? textToEntries(s) : JSON.parse(s);
        break;
      case 'color':
        // A typed colour name is saved as that colour (its hex digits when the badges know it).
        body[f.name] = namedColourHex(s) ?? s.replace(/^#/, '').toLowerCase();
        break;
      default:
        body[f.name] = s;
    }
  }
  return body;
}

/** One input for a field spec. */
export function FieldInput({
  f,
  value: raw,
  onChange,
  error,
  values,
}: {
  f: FieldSpec;
  value: FormValue | undefined;
  onChange: (v: FormValue) => void;
  error?: string | null;
  values: Values;
}) {
  const value = typeof raw === 'string' ? raw : '';
  const common = { label: f.label, description: f.help, error, required: f.required, 'data-testid': `field-${f.name}` };
  switch (f.kind) {
    case 'bool':
      return (
        <Checkbox
          mt={f.help ? 0 : 22}
          label={f.label}
          description={f.help}
          checked={Boolean(raw)}
          onChange={(e) => onChange(e.currentTarget.checked)}
          data-testid={`field-${f.name}`}
          error={error}
        />
      );
    case 'textarea':
    case 'json':
      return (
        <Textarea
          {...common}
          value={value}
          onChange={(e) => onChange(e.currentTarget.value)}
          autosize
          minRows={f.kind === 'json' ? 4 : 2}
          maxRows={16}
          styles={f.kind === 'json' ? { input: { fontFamily: 'var(--mantine-font-family-monospace)' } } : undefined}
        />
      );
    case 'select':
      return (
        <Select
          {...common}
          data={f.options ?? []}
          value={value || null}
          onChange={(v) => onChange(v ?? '')}
          clearable={!f.required}
        />
      );
    case 'ref':
      return f.ref ? (
        <RefField
          {...common}
          refs={f}
          value={value || null}
          onChange={(v) => onChange(v ?? '')}
          query={f.refQuery?.(values)}
        />
      ) : null;
    case 'password':
      return (
        <PasswordInput
          {...common}
          value={value}
          onChange={(e) => onChange(e.currentTarget.value)}
          autoComplete="new-password"
        />
      );
    case 'color':
      // fixOnBlur off: Mantine would otherwise reset a typed name ("red") to the last valid hex on blur.
      return (
        <ColorInput
          {...common}
          value={value && /^[0-9a-f]{6}$/i.test(value) ? `#${value}` : value}
          onChange={(v) => onChange(v)}
          format="hex"
          fixOnBlur={false}
          swatches={['#f44336', '#2196f3', '#4caf50', '#ffeb3b', '#ff9800', '#9c27b0', '#9e9e9e', '#009688']}
        />
      );
    default:
      return (
        <TextInput
          {...common}
          value={value}
          onChange={(e) => onChange(e.currentTarget.value)}
          className={['ip', 'prefix', 'asn'].includes(f.kind) ? 'mono-input' : undefined}
        />
      );
  }
}

/** A reference field: a select over the referenced resource, labelled by that resource's objects. */
function RefField<K extends ResourcePath>({
  refs,
  ...p
}: {
  refs: AnyRef<K>;
  value: string | null;
  onChange: (v: string | null) => void;
  query: ListParams | undefined;
  label: string;
  description?: string;
  error?: string | null;
  required?: boolean;
  'data-testid': string;
}) {
  return <RefSelect {...p} res={refs.ref} labelOf={refs.refLabel ?? nameOrId} />;
}

/** Create or edit form of one resource; server errors land next to their field. */
export function ResourceFormPage({ cfg, id }: { cfg: ResourceConfig; id: number | null }) {
  const qc = useQueryClient();
  const { search } = useLocation();
  const existing = useQuery({
    queryKey: ['one', cfg.path, id],
    queryFn: () => getResource(cfg.path, id!),
    enabled: id !== null,
  });
  const fields = cfg.fields.filter((f) => !(id !== null && f.createOnly));
  const [values, setValues] = useState<Values | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    if (id === null) setValues(Object.fromEntries(cfg.fields.map((f) => [f.name, initialValue(f, null, search)])));
    else if (existing.data && !values)
      setValues(Object.fromEntries(cfg.fields.map((f) => [f.name, initialValue(f, existing.data!.row, search)])));
  }, [existing.data, id]);
  const set = (name: string, v: FormValue) => {
    setValues((vs) => ({ ...vs!, [name]: v }));
    setErrors((e) => {
      const { [name]: _drop, ...rest } = e;
      return rest;
    });
  };
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!values) return;
    const errs: Record<string, string> = {};
    for (const f of fields) {
      const msg = validateField(f, values[f.name]);
      if (msg) errs[f.name] = msg;
    }
    setErrors(errs);
    setFormError(null);
    if (Object.keys(errs).length) return;
    setSaving(true);
    try {
      const body = toBody(fields, values, id !== null);
      const row =
        id === null
          ? await createResource(cfg.path, body)
          : await patchResource(cfg.path, id, body, existing.data?.etag);
      notifications.show({ message: `${cfg.singular} ${id === null ? 'created' : 'saved'}`, color: 'green' });
      qc.invalidateQueries();
      navigate(cfg.path === 'peering-sessions' ? `/peering-sessions/${row.id}` : `/${cfg.path}/${row.id}`);
    } catch (err) {
      const apiErr = err as ApiError;
      const byField = apiErr.byField?.() ?? {};
      const known: Record<string, string> = {};
      for (const [k, m] of Object.entries(byField)) {
        const name = k.split('.')[0]!;
        if (fields.some((f) => f.name === name)) known[name] = m;
      }
      setErrors(known);
      if (apiErr.status === 412)
        setFormError(new Error('Someone else changed this object since you opened it. Reload to see their changes.'));
      else if (Object.keys(known).length < (apiErr.fields?.length ?? 0) || !apiErr.fields?.length) setFormError(err);
    } finally {
      setSaving(false);
    }
  };
  const title =
    id === null
      ? cfg.path === 'peering-sessions'
        ? 'Wrap a BGP peer in a session'
        : `Add ${cfg.singular.toLowerCase()}`
      : `Edit ${existing.data ? cfg.label(existing.data.row) : ''}`;
  const grid = useMemo(() => fields, [fields.length]);
  if (existing.error) return <ErrorBox error={existing.error} />;
  if (!values) return <Text size="sm">Loading…</Text>;
  return (
    <form onSubmit={submit} noValidate data-testid={`form-${cfg.path}`}>
      <PageHeader title={title} subtitle={<Link to={`/${cfg.path}`}>{cfg.title}</Link>} />
      <Paper withBorder p="md" maw={900} className="panel">
        <Stack gap="sm">
          <ErrorBox error={formError} />
          <SimpleGrid cols={2} spacing="sm" verticalSpacing="xs">
            {grid.map((f) => (
              <div key={f.name} style={f.span === 2 ? { gridColumn: 'span 2' } : undefined}>
                <FieldInput
                  f={f}
                  value={values[f.name]}
                  onChange={(v) => set(f.name, v)}
                  error={errors[f.name]}
                  values={values}
                />
              </div>
            ))}
          </SimpleGrid>
          <Group justify="flex-end" gap={6}>
            <Button variant="default" onClick={() => window.history.back()}>
              Cancel
            </Button>
            <Button type="submit" loading={saving} data-testid="save-button">
              {id === null ? 'Create' : 'Save'}
            </Button>
          </Group>
        </Stack>
      </Paper>
    </form>
  );
}

/** Routes `/<resource>[/new|/:id|/:id/edit]` to the generic screens. */
export function resourceRoute(path: string): ReactNode | null {
  const parts = path.split('/').filter(Boolean);
  const cfg = CONFIGS[parts[0] ?? ''];
  if (!cfg) return null;
  if (parts.length === 1) return <ResourceListPage key={cfg.path} cfg={cfg} />;
  if (parts[1] === 'new' && parts.length === 2) return <ResourceFormPage key={`${cfg.path}-new`} cfg={cfg} id={null} />;
  const id = Number(parts[1]);
  if (!Number.isInteger(id)) return null;
  if (parts.length === 2) return <ResourceDetailPage key={`${cfg.path}-${id}`} cfg={cfg} id={id} />;
  if (parts[2] === 'edit' && parts.length === 3)
    return <ResourceFormPage key={`${cfg.path}-${id}-edit`} cfg={cfg} id={id} />;
  return null;
}

export type { Column, ResourcePath };
