// Maintenance from the sessions list: take every session of a router or an exchange down (with an
// optional RFC 8203 shutdown message), see the active maintenances and end one (each session returns to
// the admin state it had before).
import { useState } from 'react';
import { Button, Group, Modal, SegmentedControl, Stack, Table, Text, TextInput } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, type paths, type Schemas } from '../api/client';
import { RefSelect } from '../components/RefSelect';
import { fmtTime } from '../components/format';
import { Link } from '../app/router';
import { ErrorBox } from './ResourcePages';
import { showAdminResult } from './SessionsList';

/** What the dialog reads of a selected session: its router and exchange. */
type SelectedSession = Pick<Schemas['PeeringSession'], 'router' | 'fabric'>;
/** A maintenance start's or end's answer: the maintenance and the admin action on its sessions. */
type MaintenanceAnswer = paths['/api/maintenances/{id}/end/']['post']['responses'][200]['content']['application/json'];

/** The router (or exchange) the selected rows share, as a string id; null when they differ or none is selected. */
function shared(rows: SelectedSession[], pick: (r: SelectedSession) => number | null | undefined): string | null {
  const ids = new Set(rows.map((r) => pick(r) ?? null));
  const [only] = [...ids];
  return ids.size === 1 && only !== null && only !== undefined ? String(only) : null;
}

/** The maintenance dialog; `rows` are the selected sessions (their router/exchange is preselected). */
export function MaintenanceModal({
  rows,
  onClose,
  onDone,
}: {
  rows: SelectedSession[];
  onClose: () => void;
  onDone: () => void;
}) {
  const qc = useQueryClient();
  const preRouter = shared(rows, (r) => r.router?.id);
  const preFabric = shared(rows, (r) => r.fabric?.id);
  const [scope, setScope] = useState<'router' | 'fabric'>(preRouter || !preFabric ? 'router' : 'fabric');
  const [router, setRouter] = useState<string | null>(preRouter);
  const [fabric, setFabric] = useState<string | null>(preFabric);
  const [message, setMessage] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const active = useQuery({
    queryKey: ['maintenances', 'active'],
    queryFn: async () => unwrap(await api.GET('/api/maintenances/', { params: { query: { status: 'active' } } })),
  });
  const target = scope === 'router' ? router : fabric;

  const finish = (what: string, res: MaintenanceAnswer) => {
    showAdminResult(what, res.action);
    qc.invalidateQueries({ queryKey: ['maintenances'] });
    onDone();
  };
  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      const msg = message.trim() || null;
      const body =
        scope === 'router' ? { router: Number(target), message: msg } : { fabric: Number(target), message: msg };
      const res = unwrap(await api.POST('/api/maintenances/', { body }));
      const m = res.maintenance;
      finish(`Maintenance of ${m.router?.name ?? m.fabric?.name} started`, res);
      onClose();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const end = async (m: Schemas['Maintenance']) => {
    setError(null);
    try {
      const res = unwrap(await api.POST('/api/maintenances/{id}/end/', { params: { path: { id: m.id } } }));
      finish(`Maintenance of ${m.router?.name ?? m.fabric?.name} ended`, res);
    } catch (e) {
      setError(e);
    }
  };

  return (
    <Modal opened onClose={onClose} title={<b>Maintenance</b>} size="lg" centered>
      <Stack gap="sm" data-testid="maintenance-modal">
        <ErrorBox error={error} />
        <Text size="sm">
          Starting a maintenance shuts down every session of a router or an exchange on the routers and records each
          session's admin state; ending it brings back up only those that were up before.
        </Text>
        <Group align="flex-end" gap="sm">
          <SegmentedControl
            size="xs"
            value={scope}
            onChange={(v) => setScope(v as 'router' | 'fabric')}
            data={[
              { value: 'router', label: 'Router' },
              { value: 'fabric', label: 'Exchange' },
            ]}
            data-testid="maintenance-scope"
          />
          {scope === 'router' ? (
            <RefSelect
              label="Router"
              res="routers"
              value={router}
              onChange={(v) => setRouter(v)}
              labelOf={(r) => r.name}
              w={240}
              data-testid="maintenance-router"
            />
          ) : (
            <RefSelect
              label="Exchange"
              res="fabrics"
              value={fabric}
              onChange={(v) => setFabric(v)}
              labelOf={(r) => r.name}
              w={240}
              data-testid="maintenance-fabric"
            />
          )}
        </Group>
        <TextInput
          label="Shutdown message (RFC 8203, optional)"
          value={message}
          onChange={(e) => setMessage(e.currentTarget.value)}
          maxLength={255}
          placeholder="e.g. planned maintenance, back at 14:00 UTC"
          data-testid="maintenance-message"
        />
        <Group justify="flex-end" gap={6}>
          <Button variant="default" onClick={onClose}>
            Close
          </Button>
          <Button color="orange" onClick={start} loading={busy} disabled={!target} data-testid="maintenance-start">
            Start maintenance
          </Button>
        </Group>
        <Text size="xs" fw={600} c="dimmed" tt="uppercase">
          Active maintenances
        </Text>
        {active.data?.length ? (
          <Table fz="xs" data-testid="maintenance-active">
            <Table.Tbody>
              {active.data.map((m) => (
                <Table.Tr key={m.id}>
                  <Table.Td>
                    {m.router ? (
                      <Link to={`/routers/${m.router.id}`}>{m.router.name}</Link>
                    ) : (
                      m.fabric && <Link to={`/fabrics/${m.fabric.id}`}>{m.fabric.name}</Link>
                    )}
                  </Table.Td>
                  <Table.Td>since {fmtTime(m.started_at)}</Table.Td>
                  <Table.Td>
                    {m.sessions} session(s){m.already_down ? `, ${m.already_down} already down` : ''}
                  </Table.Td>
                  <Table.Td className="clip">{m.message ?? ''}</Table.Td>
                  <Table.Td>
                    <Button
                      size="compact-xs"
                      variant="default"
                      onClick={() => end(m)}
                      data-testid={`maintenance-end-${m.id}`}
                    >
                      End
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        ) : (
          <Text size="xs" c="dimmed">
            {active.isLoading ? 'Loading…' : 'None.'}
          </Text>
        )}
      </Stack>
    </Modal>
  );
}
