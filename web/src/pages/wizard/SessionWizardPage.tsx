// The five-step create-session wizard: type & exchange → router → peer → AS-SET → confirm.
import { useEffect, useState } from 'react';
import { Button, Group, Paper, Stack, Stepper } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { api, ApiError, listResource, unwrap } from '../../api/client';
import { navigate, useLocation } from '../../app/router';
import { useCapabilities } from '../../app/session';
import { ErrorBox, PageHeader } from '../ResourcePages';
import { STEP_OF, initialState, toBody, validateStep, type WizardState } from './state';
import { StepCommon } from './StepCommon';
import { StepRouter } from './StepRouter';
import { StepPeer } from './StepPeer';
import { StepAsSet } from './StepAsSet';
import { StepConfirm } from './StepConfirm';

/** Builds the new peer ASN's IRR prefix lists; the session exists either way, so failures only warn. */
async function importAfterCreate(peerAsnId: number, asSet: string): Promise<void> {
  try {
    const r = unwrap(
      await api.POST('/api/peer-asns/{id}/irr-import/', {
        params: { path: { id: peerAsnId } },
        body: { as_set: asSet },
      }),
    );
    const lists = r.lists
      .map((l) => `${l.prefix_list.name} v${l.version} (${l.prefix_count} prefixes, ${l.status})`)
      .join(', ');
    notifications.show({
      title: `Imported ${asSet}`,
      message: lists || 'no prefixes',
      color: r.lists.some((l) => l.status === 'held') ? 'orange' : 'green',
    });
  } catch (e) {
    notifications.show({
      title: `IRR import of ${asSet} failed`,
      message: `${(e as Error).message} — retry from the peer ASN page.`,
      color: 'red',
      autoClose: false,
    });
  }
}

/** The wizard page. */
export function SessionWizardPage() {
  const qc = useQueryClient();
  const caps = useCapabilities();
  const { search } = useLocation();
  const [step, setStep] = useState(0);
  const [s, setS] = useState<WizardState>(() => initialState(search));
  // A prefilled ASN known locally brings its name and AS-SET along (the user can still change them).
  useEffect(() => {
    const asn = s.asn;
    if (!asn || s.name) return;
    const ctl = new AbortController();
    listResource('peer-asns', { q: asn, limit: 20 }, ctl.signal)
      .then((p) => {
        const row = p.results.find((r) => String(r.asn) === asn);
        if (row)
          setS((x) =>
            x.asn === asn && !x.name
              ? {
                  ...x,
                  name: row.name,
                  peeringdb_id: row.peeringdb_id ?? null,
                  irr_as_set: x.irr_as_set || (row.irr_as_set ?? ''),
                }
              : x,
          );
      })
      .catch(() => {});
    return () => ctl.abort();
    // Once, for the prefilled ASN only (an empty dependency list on purpose).
  }, []);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [serverError, setServerError] = useState<unknown>(null);
  const [creating, setCreating] = useState(false);
  const set = (patch: Partial<WizardState>) => {
    setS((x) => ({ ...x, ...patch }));
    setErrors((e) => {
      const next = { ...e };
      for (const k of Object.keys(patch)) {
        delete next[k];
        delete next[`peer.${k}`];
      }
      if ('networks' in patch || 'fabric' in patch || 'exchangeMode' in patch) delete next.network;
      return next;
    });
  };

  const next = () => {
    const e = validateStep(step, s);
    setErrors(e);
    if (!Object.keys(e).length) setStep((x) => Math.min(4, x + 1));
  };
  const prev = () => setStep((x) => Math.max(0, x - 1));

  const create = async () => {
    for (let i = 0; i < 4; i++) {
      const e = validateStep(i, s);
      if (Object.keys(e).length) {
        setErrors(e);
        setStep(i);
        return;
      }
    }
    setCreating(true);
    setServerError(null);
    try {
      const rows = unwrap(await api.POST('/api/peering-sessions/wizard/', { body: toBody(s) }));
      notifications.show({ message: `Created ${rows.length} session(s)`, color: 'green' });
      if (s.irrImport && s.irr_as_set.trim()) await importAfterCreate(rows[0]!.peer_asn.id, s.irr_as_set.trim());
      qc.invalidateQueries();
      // Several sessions (one per address): the first opens, with links to all of them.
      navigate(
        `/peering-sessions/${rows[0]!.id}${rows.length > 1 ? `?created=${rows.map((r) => r.id).join(',')}` : ''}`,
      );
    } catch (err) {
      const e = err as ApiError;
      const byField = e.byField?.() ?? {};
      setErrors(byField);
      const steps = Object.keys(byField).map((k) => STEP_OF[k.split('.')[0]!] ?? 4);
      if (steps.length) setStep(Math.min(...steps));
      setServerError(err);
    } finally {
      setCreating(false);
    }
  };

  return (
    <Stack gap="sm" maw={1000}>
      <PageHeader
        title="Create New Session"
        subtitle="Peering → Sessions → Add Session"
        actions={
          <Button
            variant="subtle"
            size="xs"
            onClick={() => navigate('/peering-sessions/wrap')}
            data-testid="wizard-wrap-link"
          >
            Wrap an existing BGP peer instead
          </Button>
        }
      />
      <Stepper active={step} onStepClick={(i) => i < step && setStep(i)} size="xs" data-testid="wizard-stepper">
        <Stepper.Step label="Common settings" description="Type & exchange" />
        <Stepper.Step label="Router settings" description="Router, group, ASN, MD5" />
        <Stepper.Step label="Peer settings" description="PeeringDB, local or manual" />
        <Stepper.Step label="AS-SET" description="Optional" />
        <Stepper.Step label="Confirmation" description="Review & create" />
      </Stepper>
      <Paper withBorder p="md" className="panel" data-testid={`wizard-step-${step}`}>
        {serverError && step !== 4 ? <ErrorBox error={serverError} /> : null}
        {step === 0 && <StepCommon s={s} set={set} errors={errors} />}
        {step === 1 && <StepRouter s={s} set={set} errors={errors} />}
        {step === 2 && <StepPeer s={s} set={set} errors={errors} peeringdb={caps.peeringdb} />}
        {step === 3 && <StepAsSet s={s} set={set} errors={errors} irr={caps.irr} />}
        {step === 4 && <StepConfirm s={s} error={serverError} />}
      </Paper>
      <Group justify="space-between">
        <Button variant="default" onClick={() => navigate('/')}>
          Cancel
        </Button>
        <Group gap={6}>
          <Button variant="default" onClick={prev} disabled={step === 0} data-testid="wizard-previous">
            Previous
          </Button>
          {step < 4 ? (
            <Button onClick={next} data-testid="wizard-next">
              Next
            </Button>
          ) : (
            <Button color="green" onClick={create} loading={creating} data-testid="wizard-create">
              Create Session
            </Button>
          )}
        </Group>
      </Group>
    </Stack>
  );
}
