// Step 1: session type (relationship), exchange and its networks, notes.
import { useEffect } from 'react';
import { Alert, Checkbox, SegmentedControl, SimpleGrid, Stack, Text, TextInput, Textarea } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { listResource } from '../../api/client';
import { RefSelect } from '../../components/RefSelect';
import { type StepProps } from './state';

export function StepCommon({ s, set, errors }: StepProps) {
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
      const n =
        nets.data.results.find((x) => x.family === fam && x.status === 'active') ??
        nets.data.results.find((x) => x.family === fam);
      if (n) chosen.push(String(n.id));
    }
    if (chosen.length) set({ networks: chosen });
  }, [nets.data]);
  return (
    <Stack gap="sm">
      <SimpleGrid cols={2}>
        <RefSelect
          label="Session type (relationship)"
          res="relationships"
          value={s.relationship}
          onChange={(v, row) => set({ relationship: v, relationshipRow: row })}
          labelOf={(r) => r.name}
          error={errors.relationship}
          data-testid="wizard-relationship"
          placeholder="Choose a type"
        />
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
          <RefSelect
            label="Exchange (fabric)"
            res="fabrics"
            value={s.fabric}
            onChange={(v, row) => set({ fabric: v, fabricRow: row, networks: [] })}
            labelOf={(r) => `${r.name} (${r.type})`}
            error={errors.network && !s.fabric ? errors.network : null}
            data-testid="wizard-fabric"
            required
          />
          <div>
            <Text size="xs" fw={500} mb={4}>
              Networks (LANs) on this exchange
            </Text>
            {!s.fabric && (
              <Text size="xs" c="dimmed">
                Choose an exchange first.
              </Text>
            )}
            {nets.data?.results.map((n) => (
              <Checkbox
                key={n.id}
                mb={4}
                label={`${n.name} — ${n.prefix} (IPv${n.family})`}
                checked={s.networks.includes(String(n.id))}
                onChange={(e) =>
                  set({
                    networks: e.currentTarget.checked
                      ? [
                          ...s.networks.filter(
                            (id) => nets.data!.results.find((x) => String(x.id) === id)?.family !== n.family,
                          ),
                          String(n.id),
                        ]
                      : s.networks.filter((x) => x !== String(n.id)),
                  })
                }
                data-testid={`wizard-network-${n.id}`}
              />
            ))}
            {nets.data && !nets.data.results.length && (
              <Text size="xs" c="orange">
                This exchange has no networks yet.
              </Text>
            )}
            {errors.network && s.fabric && (
              <Text size="xs" c="red">
                {errors.network}
              </Text>
            )}
            {errors.networks && (
              <Text size="xs" c="red">
                {errors.networks}
              </Text>
            )}
          </div>
        </SimpleGrid>
      ) : (
        <Alert variant="light" color="gray">
          No Exchange: a private or local peer (for example a customer or transit session) not on an exchange LAN.
        </Alert>
      )}
      <SimpleGrid cols={2}>
        <Textarea
          label="Notes"
          value={s.notes}
          onChange={(e) => set({ notes: e.currentTarget.value })}
          autosize
          minRows={2}
          error={errors.notes}
          data-testid="wizard-notes"
        />
        <TextInput
          label="Service reference"
          value={s.service_reference}
          onChange={(e) => set({ service_reference: e.currentTarget.value })}
          error={errors.service_reference}
          description="ticket or order id, e.g. NOC-12345"
          data-testid="wizard-service-reference"
        />
      </SimpleGrid>
    </Stack>
  );
}
