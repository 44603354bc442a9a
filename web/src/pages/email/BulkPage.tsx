// Bulk and maintenance mail: one message per peer of every session on a router or fabric, through the
// outbox; and the bulk peering request used by the candidates list.
import { useState } from 'react';
import { Alert, Button, Checkbox, Group, Paper, Select, SimpleGrid, Stack, Table, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { RefSelect } from '../../components/RefSelect';
import { Link, useLocation } from '../../app/router';
import { ErrorBox, PageHeader } from '../ResourcePages';
import { sendBulkEmail, type BulkAnswer } from './mailApi';
import { useEmailTemplateOptions } from './ComposePage';

const num = (v: string | null) => (v && /^\d+$/.test(v) ? Number(v) : undefined);

/** Bulk page (?router=ID or ?fabric=ID preselects the scope). */
export function BulkMailPage() {
  const { search } = useLocation();
  const [router, setRouter] = useState<string | null>(search.get('router'));
  const [fabric, setFabric] = useState<string | null>(search.get('fabric'));
  const [template, setTemplate] = useState<string | null>(search.get('template') ?? 'maintenance');
  const [vars, setVars] = useState({ start: '', end: '', description: '' });
  const [asRequest, setAsRequest] = useState(false);
  const [result, setResult] = useState<BulkAnswer | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const templates = useEmailTemplateOptions();
  const send = async () => {
    if (!template) return;
    setError(null);
    setBusy(true);
    try {
      setResult(
        await sendBulkEmail({
          template,
          router: num(router),
          fabric: num(fabric),
          vars: Object.fromEntries(Object.entries(vars).filter(([, v]) => v)),
          as_request: asRequest || undefined,
        }),
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Stack gap="sm">
      <PageHeader
        title="Bulk and maintenance mail"
        subtitle="One message per peer of every session on a router or fabric, each through the outbox"
      />
      <Paper withBorder p="sm">
        <SimpleGrid cols={{ base: 1, md: 3 }}>
          <Select label="Template" data={templates} value={template} onChange={setTemplate} />
          <RefSelect
            res="routers"
            label="Router"
            value={router}
            onChange={(v) => setRouter(v)}
            labelOf={(r) => r.name}
            clearable
          />
          <RefSelect
            res="fabrics"
            label="Fabric"
            value={fabric}
            onChange={(v) => setFabric(v)}
            labelOf={(r) => r.name}
            clearable
          />
          <TextInput
            label="Start"
            value={vars.start}
            onChange={(e) => setVars({ ...vars, start: e.currentTarget.value })}
            placeholder="2026-12-01 02:00 UTC"
          />
          <TextInput label="End" value={vars.end} onChange={(e) => setVars({ ...vars, end: e.currentTarget.value })} />
          <TextInput
            label="What"
            value={vars.description}
            onChange={(e) => setVars({ ...vars, description: e.currentTarget.value })}
          />
        </SimpleGrid>
        <Checkbox
          mt="xs"
          label="Track as peering requests"
          checked={asRequest}
          onChange={(e) => setAsRequest(e.currentTarget.checked)}
        />
        <Group mt="sm">
          <Button onClick={send} loading={busy} disabled={!template || (!router && !fabric)} data-testid="bulk-send">
            Queue one message per peer
          </Button>
        </Group>
      </Paper>
      <ErrorBox error={error} />
      {result && <BulkResult result={result} />}
    </Stack>
  );
}

/** What a bulk call queued and skipped. */
export function BulkResult({ result }: { result: BulkAnswer }) {
  return (
    <Stack gap="xs">
      <Alert color={result.skipped.length ? 'yellow' : 'green'}>
        {result.queued.length} queued, {result.skipped.length} skipped
      </Alert>
      <Table withTableBorder data-testid="bulk-result">
        <Table.Tbody>
          {result.queued.map((q) => (
            <Table.Tr key={`q${q.outbox_id}`}>
              <Table.Td>AS{q.asn}</Table.Td>
              <Table.Td>
                <Link to={`/outbox/${q.outbox_id}`}>{q.to.join(', ')}</Link>
              </Table.Td>
            </Table.Tr>
          ))}
          {result.skipped.map((s, i) => (
            <Table.Tr key={`s${i}`}>
              <Table.Td>AS{s.asn}</Table.Td>
              <Table.Td c="orange">{s.reason}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}

/** "Request peering" for selected candidates (PeeringDB network ids) at one fabric. */
export async function bulkPeeringRequest(peeringdbNets: number[], fabric?: number | null): Promise<BulkAnswer> {
  const res = await sendBulkEmail({
    template: 'peering-request',
    peeringdb_nets: peeringdbNets,
    fabric: fabric ?? undefined,
    as_request: true,
  });
  notifications.show({
    color: res.skipped.length ? 'yellow' : undefined,
    message: `${res.queued.length} requests queued${res.skipped.length ? `, ${res.skipped.length} skipped (no contact or already closed)` : ''}`,
  });
  return res;
}
