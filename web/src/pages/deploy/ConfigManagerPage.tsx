// The session's Config Manager (route `/peering-sessions/:id/config-manager`): the candidate rendered
// for the session's router in an editor, one-time commands before / after it, optional one-time
// credentials (held in the server's memory for that job only), confirm timeout, force, an optional
// scheduled time; "Dry run" shows the diff here, "Apply" starts the deployment and opens its page.
// API errors are shown under the field they name.
import { useEffect, useMemo, useRef, useState } from 'react';
import {
  Alert,
  Badge,
  Button,
  Checkbox,
  Grid,
  Group,
  NumberInput,
  Paper,
  PasswordInput,
  Stack,
  Text,
  TextInput,
  Textarea,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { getResource } from '../../api/client';
import { CodeEditor } from '../../components/CodeEditor';
import { asText } from '../../components/format';
import { Link, navigate } from '../../app/router';
import { useCapabilities, useMe, roleAtLeast } from '../../app/session';
import { ErrorBox, PageHeader } from '../ResourcePages';
import { RunView } from '../DeployPages';
import {
  commandLines,
  formErrors,
  isoOfLocal,
  renderRouter,
  startConfigManager,
  untilText,
  type ConfigManagerBody,
  type Started,
} from './deployApi';

/** The one-time credentials the form offers (a subset of what the API takes). */
const CREDENTIAL_FIELDS = ['username', 'password', 'ssh_private_key', 'ssh_passphrase'] as const;
type Credentials = Record<(typeof CREDENTIAL_FIELDS)[number], string>;

const FIELDS = ['candidate', 'commands_before', 'commands_after', 'credentials', 'confirm_timeout', 'force', 'run_at'];

/** The Config Manager of one session. */
export function ConfigManagerPage({ sessionId }: { sessionId: number }) {
  const qc = useQueryClient();
  const caps = useCapabilities();
  const me = useMe().data;
  const canWrite = roleAtLeast(me?.role, 'operator') && me?.can_write !== false;
  const session = useQuery({
    queryKey: ['one', 'peering-sessions', sessionId],
    queryFn: () => getResource('peering-sessions', sessionId),
  });
  const s = session.data?.row;
  const router = useQuery({
    queryKey: ['one', 'routers', s?.router.id],
    queryFn: () => getResource('routers', s!.router.id),
    enabled: Boolean(s),
  });
  // The text a deploy starts from: the router's template over its inventory (rendered once per visit).
  const rendered = useQuery({
    queryKey: ['config-manager-render', s?.router.id],
    queryFn: () => renderRouter(router.data!.row),
    enabled: Boolean(router.data),
    staleTime: Infinity,
    gcTime: 0,
    retry: false,
  });

  const [candidate, setCandidate] = useState<string | null>(null);
  const [before, setBefore] = useState('');
  const [after, setAfter] = useState('');
  const [useCreds, setUseCreds] = useState(false);
  const [creds, setCreds] = useState<Credentials>({
    username: '',
    password: '',
    ssh_private_key: '',
    ssh_passphrase: '',
  });
  const [timeout, setTimeoutValue] = useState<string | number>('');
  const [force, setForce] = useState(false);
  const [runAt, setRunAt] = useState('');
  const [dry, setDry] = useState<{ started: Started; body: string } | null>(null);
  const [busy, setBusy] = useState<'dry' | 'apply' | null>(null);
  const [error, setError] = useState<unknown>(null);
  const result = useRef<HTMLDivElement>(null);
  // A new dry run scrolls its result (status, then the diff) into view below the form.
  useEffect(() => {
    if (dry) result.current?.scrollIntoView({ behavior: 'smooth', block: 'start' });
  }, [dry?.started.deployment.id]);

  // The editor starts from the rendered text; "Reset" goes back to it.
  useEffect(() => {
    if (rendered.data && candidate === null) setCandidate(rendered.data.content);
  }, [rendered.data]);
  const edited = candidate !== null && rendered.data !== undefined && candidate !== rendered.data.content;

  const body = (dryRun: boolean): ConfigManagerBody => {
    const b: ConfigManagerBody = { dry_run: dryRun };
    // Unedited, the candidate is not sent: the job renders the template again (with the session passwords).
    if (edited) b.candidate = candidate!;
    const pre = commandLines(before);
    const post = commandLines(after);
    if (pre.length) b.commands_before = pre;
    if (post.length) b.commands_after = post;
    if (timeout !== '') b.confirm_timeout = Number(timeout);
    if (force) b.force = true;
    if (useCreds) {
      const given: NonNullable<ConfigManagerBody['credentials']> = {};
      for (const k of CREDENTIAL_FIELDS) if (creds[k] !== '') given[k] = creds[k];
      if (Object.keys(given).length) b.credentials = given;
    }
    if (!dryRun && runAt) b.run_at = isoOfLocal(runAt) ?? runAt;
    return b;
  };
  // What the last dry run was given (without dry_run), to say when the form has changed since.
  const signature = (b: ConfigManagerBody) => JSON.stringify({ ...b, dry_run: undefined, run_at: undefined });
  const current = useMemo(
    () => signature(body(true)),
    [candidate, before, after, useCreds, creds, timeout, force, rendered.data],
  );

  const run = async (dryRun: boolean) => {
    setBusy(dryRun ? 'dry' : 'apply');
    setError(null);
    try {
      const b = body(dryRun);
      const out = await startConfigManager(sessionId, b);
      qc.invalidateQueries({ queryKey: ['list', 'deployments'] });
      if (dryRun) setDry({ started: out, body: signature(b) });
      else {
        notifications.show({
          message: `Config Manager: deployment #${out.deployment.id} on ${out.deployment.router.name} ${b.run_at ? `scheduled for ${new Date(b.run_at).toLocaleString()}` : 'started'}`,
          color: 'blue',
        });
        navigate(`/deployments/${out.deployment.id}`);
      }
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };

  if (session.error) return <ErrorBox error={session.error} />;
  if (!s) return <Text size="sm">Loading…</Text>;
  const { byField, rest } = formErrors(error, FIELDS);
  const ready = caps.templates && caps.drivers && canWrite;
  return (
    <Stack gap="sm" data-testid="config-manager">
      <PageHeader
        title="Config Manager"
        subtitle={
          <>
            <Link to={`/peering-sessions/${s.id}`}>
              {s.peer_asn.name} {asText(s.peer_asn.asn)} {s.peer_ip}
            </Link>{' '}
            · on <Link to={`/routers/${s.router.id}`}>{s.router.name}</Link> ·{' '}
            <Link to={`/deployments?router=${s.router.id}`}>its deployments</Link>
          </>
        }
      />
      <Alert color="blue" variant="light" p="xs">
        Edit the candidate, or add commands before or after it, for this deployment only (the template and the inventory
        are not changed). <b>Dry run</b> shows the diff against the router's running configuration and changes nothing;{' '}
        <b>Apply</b> commits it with confirmation, checks the router's health and rolls back by itself if a check fails.
      </Alert>
      {!ready && (
        <Alert color="gray" variant="light" p="xs">
          {!canWrite
            ? 'Your role may look but not deploy (operator or above).'
            : 'Deploying needs the templates and the router drivers, which this installation lacks.'}
        </Alert>
      )}
      <ErrorBox error={rest} />
      <Grid gutter="sm">
        <Grid.Col span={{ base: 12, md: 8 }}>
          <Paper withBorder p="sm" className="panel">
            <Group justify="space-between" mb={6}>
              <Group gap={6}>
                <Title order={5}>Candidate</Title>
                {rendered.data && (
                  <Text size="xs" c="dimmed" data-testid="cm-template">
                    {rendered.data.template.name} v{rendered.data.template.version} ·{' '}
                    {(candidate ?? '').split('\n').length} lines
                  </Text>
                )}
                {edited && (
                  <Badge size="sm" color="orange" variant="light" data-testid="cm-edited">
                    edited
                  </Badge>
                )}
              </Group>
              <Button
                size="xs"
                variant="default"
                disabled={!edited}
                onClick={() => setCandidate(rendered.data?.content ?? '')}
                data-testid="cm-reset"
              >
                Reset to rendered
              </Button>
            </Group>
            {rendered.error ? (
              <ErrorBox error={rendered.error} />
            ) : candidate === null ? (
              <Text size="sm">Rendering…</Text>
            ) : (
              <CodeEditor
                value={candidate}
                onChange={setCandidate}
                language="text"
                height="460px"
                testid="cm-candidate"
              />
            )}
            {byField.candidate && (
              <Text size="xs" c="red" mt={4} data-testid="cm-candidate-error">
                {byField.candidate}
              </Text>
            )}
            <Text size="xs" c="dimmed" mt={4}>
              Sent only when you change it: unchanged, the job renders the template again when it runs (with the session
              passwords this view may hide). An edited candidate replaces the rendered one and must hold the real
              secrets.
            </Text>
          </Paper>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 4 }}>
          <Stack gap="sm">
            <Paper withBorder p="sm" className="panel">
              <Title order={5} mb={6}>
                One-time commands
              </Title>
              <Stack gap={6}>
                <Textarea
                  label="Before the candidate"
                  description="One configuration line per line, this deployment only"
                  placeholder="e.g. a line to load first"
                  value={before}
                  onChange={(e) => setBefore(e.currentTarget.value)}
                  autosize
                  minRows={2}
                  maxRows={10}
                  styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 12 } }}
                  error={byField.commands_before}
                  data-testid="cm-commands-before"
                />
                <Textarea
                  label="After the candidate"
                  description="One configuration line per line, this deployment only"
                  value={after}
                  onChange={(e) => setAfter(e.currentTarget.value)}
                  autosize
                  minRows={2}
                  maxRows={10}
                  styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 12 } }}
                  error={byField.commands_after}
                  data-testid="cm-commands-after"
                />
              </Stack>
            </Paper>
            <Paper withBorder p="sm" className="panel">
              <Checkbox
                label={<b>One-time credentials</b>}
                checked={useCreds}
                onChange={(e) => setUseCreds(e.currentTarget.checked)}
                data-testid="cm-use-credentials"
              />
              {useCreds && (
                <Stack gap={6} mt={6}>
                  <Text size="xs" c="dimmed" data-testid="cm-credentials-note">
                    Held in the server's memory for this job only: never stored, never logged, gone when the job ends.
                    Fields left empty keep the router's stored ones.
                  </Text>
                  <TextInput
                    size="xs"
                    label="Username"
                    value={creds.username}
                    onChange={(e) => setCreds({ ...creds, username: e.currentTarget.value })}
                    autoComplete="off"
                    data-testid="cm-cred-username"
                  />
                  <PasswordInput
                    size="xs"
                    label="Password"
                    value={creds.password}
                    onChange={(e) => setCreds({ ...creds, password: e.currentTarget.value })}
                    autoComplete="new-password"
                    data-testid="cm-cred-password"
                  />
                  <Textarea
                    size="xs"
                    label="SSH private key"
                    placeholder="-----BEGIN OPENSSH PRIVATE KEY-----"
                    value={creds.ssh_private_key}
                    onChange={(e) => setCreds({ ...creds, ssh_private_key: e.currentTarget.value })}
                    autosize
                    minRows={2}
                    maxRows={8}
                    styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 11 } }}
                    data-testid="cm-cred-key"
                  />
                  {creds.ssh_private_key && (
                    <PasswordInput
                      size="xs"
                      label="Key passphrase"
                      value={creds.ssh_passphrase}
                      onChange={(e) => setCreds({ ...creds, ssh_passphrase: e.currentTarget.value })}
                      autoComplete="new-password"
                    />
                  )}
                  {byField.credentials && (
                    <Text size="xs" c="red" data-testid="cm-credentials-error">
                      {byField.credentials}
                    </Text>
                  )}
                </Stack>
              )}
            </Paper>
            <Paper withBorder p="sm" className="panel">
              <Title order={5} mb={6}>
                Options
              </Title>
              <Stack gap={6}>
                <NumberInput
                  size="xs"
                  label="Confirm timeout (seconds)"
                  description="How long the router waits for the confirmation before reverting by itself"
                  placeholder="300 (the server's default)"
                  value={timeout}
                  onChange={setTimeoutValue}
                  allowDecimal={false}
                  error={byField.confirm_timeout}
                  data-testid="cm-confirm-timeout"
                />
                <TextInput
                  size="xs"
                  type="datetime-local"
                  label="Scheduled time (optional)"
                  description={
                    runAt
                      ? `Apply runs ${untilText(isoOfLocal(runAt))} (${isoOfLocal(runAt) ? new Date(isoOfLocal(runAt)!).toLocaleString() : 'not a time'}); a dry run always runs now.`
                      : 'Empty: Apply runs now. A dry run always runs now.'
                  }
                  value={runAt}
                  onChange={(e) => setRunAt(e.currentTarget.value)}
                  error={byField.run_at}
                  data-testid="cm-run-at"
                />
                <Checkbox
                  label="Force"
                  description="Skips the guards (removing many sessions, shrinking a prefix list a lot)"
                  checked={force}
                  onChange={(e) => setForce(e.currentTarget.checked)}
                  data-testid="cm-force"
                />
                {force && (
                  <Alert color="orange" variant="light" p="xs" data-testid="cm-force-warning">
                    Forced: a change that removes sessions or empties prefix lists is applied anyway. The health gate
                    still rolls back a change that breaks untouched sessions.
                  </Alert>
                )}
                {byField.force && (
                  <Text size="xs" c="red">
                    {byField.force}
                  </Text>
                )}
              </Stack>
            </Paper>
            <Group gap={6} justify="flex-end">
              <Button
                variant="default"
                onClick={() => run(true)}
                loading={busy === 'dry'}
                disabled={!ready || busy !== null || candidate === null}
                data-testid="cm-dry-run"
              >
                Dry run
              </Button>
              <Button
                onClick={() => run(false)}
                loading={busy === 'apply'}
                disabled={!ready || busy !== null || candidate === null}
                data-testid="cm-apply"
              >
                {runAt ? 'Schedule' : 'Apply'}
              </Button>
            </Group>
          </Stack>
        </Grid.Col>
      </Grid>
      {dry && (
        <Paper withBorder p="sm" className="panel" data-testid="cm-dry-run-result" ref={result}>
          <Title order={5} mb={6}>
            Dry run
          </Title>
          {dry.body !== current && (
            <Alert color="yellow" variant="light" p="xs" mb={6} data-testid="cm-stale">
              The form changed since this dry run: run it again to see the diff of what Apply would send.
            </Alert>
          )}
          <RunView key={dry.started.deployment.id} started={dry.started} label="dry-run" prefix="cm" />
        </Paper>
      )}
    </Stack>
  );
}

export default ConfigManagerPage;
