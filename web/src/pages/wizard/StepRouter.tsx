// Step 2: router, peer group, local ASN and MD5 password.
import { PasswordInput, SimpleGrid, TextInput } from '@mantine/core';
import { RefSelect } from '../../components/RefSelect';
import { type StepProps } from './state';

export function StepRouter({ s, set, errors }: StepProps) {
  return (
    <SimpleGrid cols={2}>
      <RefSelect
        label="Router"
        res="routers"
        value={s.router}
        onChange={(v, row) =>
          set({
            router: v,
            routerRow: row,
            peer_group: null,
            peerGroupRow: null,
            local_asn: row ? String(row.local_asn) : s.local_asn,
          })
        }
        labelOf={(r) => `${r.name} (AS${r.local_asn})`}
        error={errors.router}
        required
        data-testid="wizard-router"
      />
      <RefSelect
        label="Peer group"
        res="peer-groups"
        value={s.peer_group}
        onChange={(v, row) => set({ peer_group: v, peerGroupRow: row })}
        labelOf={(r) => r.name}
        query={s.router ? { router: s.router } : undefined}
        disabled={!s.router}
        error={errors.peer_group}
        placeholder={s.router ? 'None' : 'Choose a router first'}
        data-testid="wizard-peer-group"
      />
      <TextInput
        label="Local ASN"
        value={s.local_asn}
        onChange={(e) => set({ local_asn: e.currentTarget.value })}
        description="defaults to the router's ASN"
        error={errors.local_asn}
        data-testid="wizard-local-asn"
      />
      <PasswordInput
        label="MD5 password (optional)"
        value={s.md5}
        onChange={(e) => set({ md5: e.currentTarget.value })}
        error={errors.md5}
        autoComplete="new-password"
        data-testid="wizard-md5"
      />
    </SimpleGrid>
  );
}
