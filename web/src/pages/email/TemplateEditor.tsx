// E-mail templates: stored (versioned) and shipped ones, and the editor (subject, body in the Jinja2
// editor with the syntax error on its line, recipient roles, versions with diffs, preview for a peer).
import { useEffect, useState } from 'react';
import {
  Accordion,
  Badge,
  Button,
  Group,
  MultiSelect,
  Paper,
  Select,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, unwrap } from '../../api/client';
import { ContactRole, EmailTemplatePurpose } from '../../api/enums';
import { CodeEditor, errorLineOf } from '../../components/CodeEditor';
import { UnifiedDiff } from '../../components/Diff';
import { DataTable } from '../../components/DataTable';
import { RefSelect } from '../../components/RefSelect';
import { fmtTime } from '../../components/format';
import { Link, navigate, useLocation } from '../../app/router';
import { roleAtLeast, useMe } from '../../app/session';
import { ErrorBox, PageHeader } from '../ResourcePages';
import {
  asContactRoles,
  asPurpose,
  listEmailTemplates,
  renderEmail,
  shippedEmailTemplates,
  type RenderedEmail,
} from './mailApi';

/** The editor's fields (the API presents purpose and roles as plain strings: read through asPurpose / asContactRoles). */
interface TemplateForm {
  name: string;
  purpose: EmailTemplatePurpose;
  subject: string;
  body: string;
  recipient_roles: ContactRole[];
  description: string;
}

/** Stored templates and the shipped ones. */
export function EmailTemplatesPage() {
  const canEdit = roleAtLeast(useMe().data?.role, 'operator');
  const shipped = useQuery({
    queryKey: ['email-templates', 'shipped'],
    queryFn: ({ signal }) => shippedEmailTemplates(signal),
  });
  return (
    <Stack gap="sm">
      <PageHeader
        title="E-mail templates"
        subtitle="Subject and body in Jinja2, versioned; a stored template overrides the shipped one of the same name"
      />
      <DataTable
        id="email-templates"
        queryKey={['list', 'email-templates']}
        fetch={listEmailTemplates}
        columns={[
          {
            id: 'name',
            header: 'Name',
            cell: (r) => <Link to={`/email-templates/${r.id}`}>{r.name}</Link>,
            sort: 'name',
          },
          { id: 'purpose', header: 'Purpose', cell: (r) => r.purpose, sort: 'purpose' },
          { id: 'roles', header: 'To (roles in order)', cell: (r) => r.recipient_roles.join(' → ') },
          { id: 'version', header: 'Version', cell: (r) => `v${r.version}`, align: 'right' },
          { id: 'updated_at', header: 'Updated', cell: (r) => fmtTime(r.updated_at), sort: 'updated_at' },
        ]}
        rowHref={(r) => `/email-templates/${r.id}`}
        selectable={false}
        toolbar={
          canEdit && (
            <Button onClick={() => navigate('/email-templates/new')} data-testid="add-button">
              + New template
            </Button>
          )
        }
        emptyText="No stored e-mail templates: the shipped ones below are used."
      />
      <Title order={5}>Shipped</Title>
      <Paper withBorder p="sm">
        <Stack gap={4}>
          {(shipped.data ?? []).map((t) => (
            <Group key={t.name} gap="xs">
              <Text size="sm" fw={500}>
                {t.name}
              </Text>
              <Text size="xs" c="dimmed">
                {t.recipient_roles.join(' → ')}
              </Text>
              {t.overridden && (
                <Badge size="xs" variant="light">
                  overridden
                </Badge>
              )}
              {canEdit && !t.overridden && (
                <Button
                  size="compact-xs"
                  variant="subtle"
                  onClick={() => navigate(`/email-templates/new?from=${encodeURIComponent(t.name)}`)}
                >
                  Customise
                </Button>
              )}
            </Group>
          ))}
        </Stack>
      </Paper>
    </Stack>
  );
}

/** The editor of one e-mail template (new when id is null; ?from=NAME starts from a shipped one). */
export function EmailTemplateEditorPage({ id }: { id: number | null }) {
  const qc = useQueryClient();
  const { search } = useLocation();
  const canEdit = roleAtLeast(useMe().data?.role, 'operator');
  const [form, setForm] = useState<TemplateForm>({
    name: '',
    purpose: 'other',
    subject: '',
    body: '',
    recipient_roles: ['Policy', 'Technical', 'NOC'],
    description: '',
  });
  const [error, setError] = useState<unknown>(null);
  const [previewPeer, setPreviewPeer] = useState<string | null>(null);
  const [preview, setPreview] = useState<RenderedEmail | null>(null);
  const existing = useQuery({
    queryKey: ['email-template', id],
    enabled: id !== null,
    queryFn: async ({ signal }) =>
      unwrap(await api.GET('/api/email-templates/{id}/', { params: { path: { id: id! } }, signal })),
  });
  const versions = useQuery({
    queryKey: ['email-template', id, 'versions'],
    enabled: id !== null,
    queryFn: async ({ signal }) =>
      unwrap(await api.GET('/api/email-templates/{id}/versions/', { params: { path: { id: id! } }, signal })),
  });
  const from = search.get('from');
  const shipped = useQuery({
    queryKey: ['email-templates', 'shipped'],
    enabled: id === null && !!from,
    queryFn: ({ signal }) => shippedEmailTemplates(signal),
  });
  useEffect(() => {
    const t = existing.data;
    if (t)
      setForm({
        name: t.name,
        purpose: asPurpose(t.purpose),
        subject: t.subject,
        body: t.body,
        recipient_roles: asContactRoles(t.recipient_roles),
        description: t.description ?? '',
      });
  }, [existing.data]);
  useEffect(() => {
    const t = shipped.data?.find((x) => x.name === from);
    if (t)
      setForm({
        name: t.name,
        purpose: asPurpose(t.purpose),
        subject: t.subject,
        body: t.body,
        recipient_roles: asContactRoles(t.recipient_roles),
        description: `customised from the shipped ${t.name}`,
      });
  }, [shipped.data, from]);
  const save = async () => {
    setError(null);
    try {
      const body = { ...form, description: form.description || null };
      const saved = unwrap(
        id === null
          ? await api.POST('/api/email-templates/', { body })
          : await api.PATCH('/api/email-templates/{id}/', { params: { path: { id } }, body }),
      );
      notifications.show({ message: `Saved ${saved.name} v${saved.version}` });
      await qc.invalidateQueries({ queryKey: ['email-template', saved.id] });
      await qc.invalidateQueries({ queryKey: ['list', 'email-templates'] });
      if (id === null) navigate(`/email-templates/${saved.id}`, { replace: true });
    } catch (err) {
      setError(err);
    }
  };
  const runPreview = async () => {
    try {
      setPreview(await renderEmail({ template: id ?? form.name, peer_asn: Number(previewPeer) }));
    } catch (err) {
      setError(err);
    }
  };
  const fieldErr = error instanceof ApiError ? error.byField() : {};
  return (
    <Stack gap="sm">
      <PageHeader
        title={id === null ? 'New e-mail template' : form.name}
        subtitle="Context: peer, contacts.<role>, to, us, fabric (our_addresses, their_addresses), fabrics, router, sessions, session, request (history), vars"
        actions={
          canEdit && (
            <Button onClick={save} data-testid="save-button">
              Save
            </Button>
          )
        }
      />
      <ErrorBox error={error} />
      <Group grow align="flex-start">
        <TextInput
          label="Name"
          value={form.name}
          onChange={(e) => setForm({ ...form, name: e.currentTarget.value })}
          error={fieldErr.name}
          readOnly={!canEdit}
        />
        <Select
          label="Purpose"
          data={EmailTemplatePurpose}
          value={form.purpose}
          onChange={(v) => setForm({ ...form, purpose: asPurpose(v) })}
          readOnly={!canEdit}
        />
        <MultiSelect
          label="To: first role with contacts"
          data={ContactRole}
          value={form.recipient_roles}
          onChange={(v) => setForm({ ...form, recipient_roles: asContactRoles(v) })}
          readOnly={!canEdit}
        />
      </Group>
      <TextInput
        label="Subject"
        value={form.subject}
        onChange={(e) => setForm({ ...form, subject: e.currentTarget.value })}
        error={fieldErr.subject}
        readOnly={!canEdit}
        styles={{ input: { fontFamily: 'monospace' } }}
      />
      <CodeEditor
        value={form.body}
        onChange={canEdit ? (v) => setForm({ ...form, body: v }) : undefined}
        readOnly={!canEdit}
        errorLine={fieldErr.body ? errorLineOf(fieldErr.body) : null}
        height="380px"
        testid="email-template-body"
      />
      <TextInput
        label="Description"
        value={form.description}
        onChange={(e) => setForm({ ...form, description: e.currentTarget.value })}
        readOnly={!canEdit}
      />
      {id !== null && (
        <Paper withBorder p="sm">
          <Group align="flex-end">
            <RefSelect
              res="peer-asns"
              label="Preview for peer ASN (saved version)"
              value={previewPeer}
              onChange={(v) => setPreviewPeer(v)}
              labelOf={(r) => `AS${r.asn} ${r.name}`}
              w={320}
            />
            <Button variant="default" onClick={runPreview} disabled={!previewPeer}>
              Preview
            </Button>
          </Group>
          {preview && (
            <Stack gap={2} mt="xs">
              <Text size="sm">
                <b>To:</b> {preview.to.map((a) => a.address).join(', ') || '—'}
              </Text>
              <Text size="sm">
                <b>Subject:</b> {preview.subject}
              </Text>
              <pre style={{ whiteSpace: 'pre-wrap', margin: 0 }} data-testid="email-template-preview">
                {preview.body}
              </pre>
            </Stack>
          )}
        </Paper>
      )}
      {id !== null && (
        <Accordion variant="contained">
          {(versions.data ?? []).map((v) => (
            <Accordion.Item key={v.version} value={String(v.version)}>
              <Accordion.Control>
                v{v.version} · {fmtTime(v.created_at)} · {v.created_by ?? 'system'}
              </Accordion.Control>
              <Accordion.Panel>
                {v.diff ? (
                  <UnifiedDiff text={v.diff} />
                ) : (
                  <Text size="sm" c="dimmed">
                    First version.
                  </Text>
                )}
              </Accordion.Panel>
            </Accordion.Item>
          ))}
        </Accordion>
      )}
    </Stack>
  );
}
