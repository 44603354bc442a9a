// Step 4: the peer's AS-SET, checked against the IRR and optionally imported.
import { useState } from 'react';
import { Alert, Button, Group, Paper, Stack, Text, TextInput } from '@mantine/core';
import { api, listResource, unwrap } from '../../api/client';
import { irrErrorText } from '../../components/format';
import { asnValue } from '../../lib/validate';
import { Unavailable, unavailableText } from '../../components/Unavailable';
import { IrrReport, ImportResult, type IrrImportAnswer, type IrrSetReport } from '../IrrPages';
import { validateStep, type StepProps } from './state';

export function StepAsSet({ s, set, errors, irr }: StepProps & { irr: boolean }) {
  const [known, setKnown] = useState<{ ok: boolean; text: string } | null>(null);
  const [report, setReport] = useState<IrrSetReport | null>(null);
  const [irrError, setIrrError] = useState<string | null>(null);
  const [imported, setImported] = useState<IrrImportAnswer | null>(null);
  const [busy, setBusy] = useState<'validate' | 'import' | null>(null);
  const asSet = s.irr_as_set.trim();
  const reset = () => (setKnown(null), setReport(null), setIrrError(null), setImported(null));

  // The IRR half of validation: members, depth, loops and prefix counts (slower: a whois round trip).
  const [irrChecking, setIrrChecking] = useState(false);
  const checkIrr = async () => {
    if (!irr) return;
    setIrrChecking(true);
    try {
      const r = unwrap(await api.POST('/api/irr/validate/', { body: { as_set: asSet, check_irr: true } }));
      setReport(r.irr);
    } catch (e) {
      setIrrError((e as Error).message);
    } finally {
      setIrrChecking(false);
    }
  };
  const validate = async () => {
    if (!asSet) return;
    const e = validateStep(3, s);
    if (Object.keys(e).length) return setKnown({ ok: false, text: e.irr_as_set! });
    setBusy('validate');
    reset();
    // "Known to Peerdesk" answers at once from the database; the IRR report follows when it arrives.
    const local = (async () => {
      try {
        const r = unwrap(await api.POST('/api/irr/validate/', { body: { as_set: asSet, check_irr: false } }));
        if (r.known.length || r.prefix_lists.length)
          setKnown({
            ok: true,
            text: `Known to Peerdesk: ${r.known.map((a) => `AS${a.asn} ${a.name}`).join(', ') || 'no peer ASN'}${r.prefix_lists.length ? `; ${r.prefix_lists.length} IRR prefix list(s): ${r.prefix_lists.map((l) => l.name).join(', ')}` : ''}.`,
          });
        else
          setKnown({
            ok: false,
            text: `${asSet} is not known to Peerdesk yet.${irr ? ' Use Import to build its prefix lists from the IRR.' : ''}`,
          });
      } catch (err) {
        setKnown({ ok: false, text: irrErrorText((err as Error).message) });
      }
    })();
    // The button is done when the local answer is; the IRR report shows up below when it arrives.
    void checkIrr();
    await local;
    setBusy(null);
  };
  const doImport = async () => {
    const e = validateStep(3, s);
    if (Object.keys(e).length) return setKnown({ ok: false, text: e.irr_as_set! });
    setBusy('import');
    reset();
    try {
      const asn = asnValue(s.asn);
      const existing =
        asn === null ? null : (await listResource('peer-asns', { asn, limit: 1 })).results.find((a) => a.asn === asn);
      if (existing) {
        // The peer ASN exists already: build its lists now.
        setImported(
          unwrap(
            await api.POST('/api/peer-asns/{id}/irr-import/', {
              params: { path: { id: existing.id } },
              body: { as_set: asSet },
            }),
          ),
        );
        set({ irrImport: false });
      } else {
        // A new peer ASN is made by Create: check the set now and import right after the session exists.
        await checkIrr();
        set({ irrImport: true });
      }
    } catch (err) {
      setKnown({ ok: false, text: irrErrorText((err as Error).message) });
    } finally {
      setBusy(null);
    }
  };
  return (
    <Stack gap="sm">
      <Text size="sm" c="dimmed">
        Optional: the AS-SET enables prefix filtering for this peer.
      </Text>
      <Group align="flex-end" gap={6}>
        <TextInput
          label="AS-SET"
          placeholder="AS-EXAMPLE or RIPE::AS-EXAMPLE"
          value={s.irr_as_set}
          onChange={(e) => (set({ irr_as_set: e.currentTarget.value, irrImport: false }), reset())}
          error={errors.irr_as_set}
          w={320}
          className="mono-input"
          data-testid="wizard-as-set"
        />
        <Button
          variant="default"
          onClick={validate}
          disabled={!asSet}
          loading={busy === 'validate'}
          data-testid="wizard-validate"
        >
          Validate
        </Button>
        {irr ? (
          <Button
            variant="default"
            onClick={doImport}
            disabled={!asSet}
            loading={busy === 'import'}
            data-testid="wizard-import"
          >
            Import
          </Button>
        ) : (
          <span title={unavailableText('irr')}>
            <Button variant="default" disabled data-testid="wizard-import">
              Import
            </Button>
          </span>
        )}
      </Group>
      {!irr && <Unavailable cap="irr" what="IRR import" />}
      {known && (
        <Alert color={known.ok ? 'green' : 'orange'} variant="light" p="xs" data-testid="wizard-asset-result">
          {known.text}
        </Alert>
      )}
      {irrChecking && (
        <Text size="xs" c="dimmed" data-testid="wizard-irr-checking">
          Checking {asSet} in the IRR…
        </Text>
      )}
      {report && (
        <Paper withBorder p="xs" data-testid="wizard-irr-report">
          <IrrReport report={report} />
        </Paper>
      )}
      {irrError && (
        <Alert color="red" variant="light" p="xs" data-testid="wizard-irr-error">
          IRR check failed: {irrErrorText(irrError)}
        </Alert>
      )}
      {imported && <ImportResult r={imported} />}
      {s.irrImport && (
        <Alert color="blue" variant="light" p="xs" data-testid="wizard-import-pending">
          <Group justify="space-between">
            <span>
              AS{s.asn} is new: <b>Create Session</b> will create it and then import{' '}
              <span className="mono">{asSet}</span> into its IRR prefix lists.
            </span>
            <Button size="compact-xs" variant="subtle" onClick={() => set({ irrImport: false })}>
              Don’t import
            </Button>
          </Group>
        </Alert>
      )}
    </Stack>
  );
}
