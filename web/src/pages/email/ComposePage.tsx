// Compose (the seed's Email action): pick a template for a peer — a session, a peer ASN or a PeeringDB
// network not imported yet, optionally at a fabric — get To (contacts by role), CC, subject and body
// rendered from PeeringDB data, edit them, preview, and send through the outbox.
import { useEffect, useState } from 'react';
import {
  Alert,
  Button,
  Checkbox,
  Group,
  Paper,
  Select,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Textarea,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery } from '@tanstack/react-query';
import { api, ApiError, unwrap } from '../../api/client';
import { RefSelect } from '../../components/RefSelect';
import { navigate, useLocation } from '../../app/router';
import { ErrorBox, PageHeader } from '../ResourcePages';
import {
  fmtAddress,
  listEmailTemplates,
  parseAddresses,
  renderEmail,
  shippedEmailTemplates,
  type RenderedEmail,
} from './mailApi';

const num = (v: string | null) => (v && /^\d+$/.test(v) ? Number(v) : undefined);

/** The template choices: stored ones and the shipped ones they do not override. */
export function useEmailTemplateOptions() {
  const stored = useQuery({
    queryKey: ['list', 'email-templates', 'all'],
    queryFn: ({ signal }) => listEmailTemplates({ limit: 1000 }, signal),
  });
  const shipped = useQuery({
    queryKey: ['email-templates', 'shipped'],
    queryFn: ({ signal }) => shippedEmailTemplates(signal),
  });
  const names = new Set((stored.data?.results ?? []).map((t) => t.name));
  return [
    ...(stored.data?.results ?? []).map((t) => ({ value: t.name, label: `${t.name} (stored v${t.version})` })),
    ...(shipped.data ?? [])
      .filter((t) => !names.has(t.name))
      .map((t) => ({ value: t.name, label: `${t.name} (shipped)` })),
  ];
}

/** Compose page; the link carries ?session= or ?peer_asn= or ?peeringdb_net=, optional &fabric= and &template=. */
export function ComposePage() {
  const { search } = useLocation();
  const [link, setLink] = useState({
    session: num(search.get('session')),
    peer_asn: num(search.get('peer_asn')),
    peeringdb_net: num(search.get('peeringdb_net')),
    fabric: num(search.get('fabric')),
  });
  const [template, setTemplate] = useState<string | null>(search.get('template') ?? 'peering-request');
  const [vars, setVars] = useState({ start: '', end: '', description: '', message: '' });
  const [rendered, setRendered] = useState<RenderedEmail | null>(null);
  const [to, setTo] = useState('');
  const [cc, setCc] = useState('');
  const [subject, setSubject] = useState('');
  const [body, setBody] = useState('');
  const [asRequest, setAsRequest] = useState(template === 'peering-request');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [resendWarning, setResendWarning] = useState<string | null>(null);
  const templates = useEmailTemplateOptions();
  const hasPeer = link.session !== undefined || link.peer_asn !== undefined || link.peeringdb_net !== undefined;

  const render = async () => {
    if (!template) return;
    setError(null);
    setBusy(true);
    try {
      const v = Object.fromEntries(Object.entries(vars).filter(([, x]) => x));
      const r = await renderEmail({ template, ...link, vars: v });
      setRendered(r);
      setTo(r.to.map(fmtAddress).join(', '));
      setCc(r.cc.map(fmtAddress).join(', '));
      setSubject(r.subject);
      setBody(r.body);
      setResendWarning(null);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    if (hasPeer && template) void render();
    // Render once for the peer the link names; later changes render on demand.
  }, []);

  const send = async (force = false) => {
    setError(null);
    setBusy(true);
    try {
      const m = unwrap(
        await api.POST('/api/email/send/', {
          body: {
            to: parseAddresses(to),
            cc: parseAddresses(cc),
            subject,
            body,
            template: template ?? undefined,
            ...link,
            as_request: asRequest || undefined,
            force: force || undefined,
          },
        }),
      );
      notifications.show({ message: `Queued: ${m.subject}` });
      navigate(`/outbox/${m.id}`);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'resend_warning') setResendWarning(err.message);
      else setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Stack gap="sm">
      <PageHeader
        title="Compose e-mail"
        subtitle="Data generated from PeeringDB and your inventory; everything stays editable"
      />
      <Paper withBorder p="sm">
        <SimpleGrid cols={{ base: 1, md: 4 }}>
          <Select
            label="Template"
            data={templates}
            value={template}
            onChange={(v) => {
              setTemplate(v);
              setAsRequest(v === 'peering-request');
            }}
            searchable
            data-testid="compose-template"
          />
          <RefSelect
            res="peer-asns"
            label="Peer ASN"
            value={link.peer_asn ? String(link.peer_asn) : null}
            onChange={(v) => setLink({ ...link, peer_asn: num(v), session: undefined, peeringdb_net: undefined })}
            labelOf={(r) => `AS${r.asn} ${r.name}`}
            clearable
          />
          <TextInput
            label="or PeeringDB network id"
            value={link.peeringdb_net ? String(link.peeringdb_net) : ''}
            onChange={(e) =>
              setLink({ ...link, peeringdb_net: num(e.currentTarget.value), peer_asn: undefined, session: undefined })
            }
          />
          <RefSelect
            res="fabrics"
            label="Fabric"
            value={link.fabric ? String(link.fabric) : null}
            onChange={(v) => setLink({ ...link, fabric: num(v) })}
            labelOf={(r) => r.name}
            clearable
          />
        </SimpleGrid>
        {link.session !== undefined && (
          <Text size="xs" c="dimmed" mt={4}>
            About session {link.session} (its peer and fabric).
          </Text>
        )}
        {(template === 'maintenance' || template === 'noc' || template === 'policy' || template === 'technical') && (
          <SimpleGrid cols={{ base: 1, md: 4 }} mt="xs">
            {template === 'maintenance' && (
              <TextInput
                label="Start"
                value={vars.start}
                onChange={(e) => setVars({ ...vars, start: e.currentTarget.value })}
                placeholder="2026-12-01 02:00 UTC"
              />
            )}
            {template === 'maintenance' && (
              <TextInput
                label="End"
                value={vars.end}
                onChange={(e) => setVars({ ...vars, end: e.currentTarget.value })}
              />
            )}
            {template === 'maintenance' && (
              <TextInput
                label="What"
                value={vars.description}
                onChange={(e) => setVars({ ...vars, description: e.currentTarget.value })}
              />
            )}
            {template !== 'maintenance' && (
              <TextInput
                label="Message"
                value={vars.message}
                onChange={(e) => setVars({ ...vars, message: e.currentTarget.value })}
              />
            )}
          </SimpleGrid>
        )}
        <Group mt="sm">
          <Button onClick={render} loading={busy} disabled={!hasPeer || !template} data-testid="render-button">
            Render
          </Button>
        </Group>
      </Paper>
      <ErrorBox error={error} />
      {rendered?.warnings.map((w) => (
        <Alert key={w} color="yellow" data-testid="compose-warning">
          {w}
        </Alert>
      ))}
      {rendered && (
        <Paper withBorder p="sm">
          <Stack gap="xs">
            <TextInput
              label={`To${rendered.to_role ? ` (${rendered.to_role} contacts)` : ''}`}
              value={to}
              onChange={(e) => setTo(e.currentTarget.value)}
              data-testid="compose-to"
            />
            <TextInput label="Cc" value={cc} onChange={(e) => setCc(e.currentTarget.value)} data-testid="compose-cc" />
            <TextInput
              label="Subject"
              value={subject}
              onChange={(e) => setSubject(e.currentTarget.value)}
              data-testid="compose-subject"
            />
            <Textarea
              label="Body"
              value={body}
              onChange={(e) => setBody(e.currentTarget.value)}
              autosize
              minRows={12}
              styles={{ input: { fontFamily: 'monospace' } }}
              data-testid="compose-body"
            />
            <Text size="xs" c="dimmed">
              Contacts:{' '}
              {rendered.contacts
                .map((c) => `${c.role}: ${c.email}${c.source === 'local' ? ' (local)' : ''}`)
                .join(' · ') || 'none'}
            </Text>
            <Checkbox
              label="Track as the peering request for this peer and fabric"
              checked={asRequest}
              onChange={(e) => setAsRequest(e.currentTarget.checked)}
            />
            {resendWarning && (
              <Alert color="orange" title="Already sent recently" data-testid="resend-warning">
                {resendWarning}
                <Group mt="xs">
                  <Button color="orange" onClick={() => send(true)} loading={busy}>
                    Resend anyway
                  </Button>
                </Group>
              </Alert>
            )}
            <Paper withBorder p="xs" bg="var(--mantine-color-default-hover)">
              <Text size="xs" c="dimmed">
                Preview
              </Text>
              <Text size="sm">
                <b>To:</b> {to}
              </Text>
              {cc && (
                <Text size="sm">
                  <b>Cc:</b> {cc}
                </Text>
              )}
              <Text size="sm">
                <b>Subject:</b> {subject}
              </Text>
              <pre style={{ whiteSpace: 'pre-wrap', margin: '6px 0 0' }} data-testid="compose-preview">
                {body}
              </pre>
            </Paper>
            <Group>
              <Button
                onClick={() => send(false)}
                loading={busy}
                disabled={!to.trim() || !subject.trim()}
                data-testid="send-button"
              >
                Send
              </Button>
            </Group>
          </Stack>
        </Paper>
      )}
    </Stack>
  );
}
