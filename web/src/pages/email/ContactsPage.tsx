// Local contacts per peer ASN (name, role, e-mail, phone), used before PeeringDB's for the same role.
import { useState } from 'react';
import { Button, Group, Paper, Select, TextInput } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { api, ApiError, unwrap } from '../../api/client';
import { ContactRole } from '../../api/enums';
import { DataTable } from '../../components/DataTable';
import { RefSelect } from '../../components/RefSelect';
import { Link } from '../../app/router';
import { roleAtLeast, useMe } from '../../app/session';
import { ErrorBox, PageHeader } from '../ResourcePages';
import { asContactRole, listContacts } from './mailApi';

/** Local contacts, optionally of one peer ASN (?peer_asn=ID), with an add form for operators. */
export function ContactsPage({ peerAsn }: { peerAsn?: number }) {
  const qc = useQueryClient();
  const canEdit = roleAtLeast(useMe().data?.role, 'operator');
  const empty: { peer_asn: string | null; name: string; role: ContactRole; email: string; phone: string } = {
    peer_asn: peerAsn ? String(peerAsn) : null,
    name: '',
    role: 'Policy',
    email: '',
    phone: '',
  };
  const [form, setForm] = useState(empty);
  const [error, setError] = useState<unknown>(null);
  const add = async () => {
    setError(null);
    try {
      unwrap(
        await api.POST('/api/contacts/', {
          body: {
            peer_asn: Number(form.peer_asn),
            name: form.name,
            role: form.role,
            email: form.email,
            phone: form.phone || null,
          },
        }),
      );
      setForm(empty);
      await qc.invalidateQueries({ queryKey: ['list', 'contacts'] });
    } catch (err) {
      setError(err);
    }
  };
  const fe = error instanceof ApiError ? error.byField() : {};
  return (
    <>
      {!peerAsn && (
        <PageHeader
          title="Contacts"
          subtitle="Your own contacts per peer ASN; they come before PeeringDB's for the same role"
        />
      )}
      {canEdit && (
        <Paper withBorder p="sm" mb="sm">
          <ErrorBox error={error} />
          <Group align="flex-end" gap="xs">
            {!peerAsn && (
              <RefSelect
                res="peer-asns"
                label="Peer ASN"
                value={form.peer_asn}
                onChange={(v) => setForm({ ...form, peer_asn: v })}
                labelOf={(r) => `AS${r.asn} ${r.name}`}
                error={fe.peer_asn}
                w={240}
              />
            )}
            <TextInput
              label="Name"
              value={form.name}
              onChange={(e) => setForm({ ...form, name: e.currentTarget.value })}
              error={fe.name}
            />
            <Select
              label="Role"
              data={ContactRole}
              value={form.role}
              onChange={(v) => setForm({ ...form, role: asContactRole(v) })}
              w={150}
            />
            <TextInput
              label="E-mail"
              value={form.email}
              onChange={(e) => setForm({ ...form, email: e.currentTarget.value })}
              error={fe.email}
            />
            <TextInput
              label="Phone"
              value={form.phone}
              onChange={(e) => setForm({ ...form, phone: e.currentTarget.value })}
              error={fe.phone}
              w={150}
            />
            <Button onClick={add} disabled={!form.peer_asn || !form.name || !form.email} data-testid="add-contact">
              Add
            </Button>
          </Group>
        </Paper>
      )}
      <DataTable
        id="contacts"
        queryKey={['list', 'contacts']}
        fetch={listContacts}
        fixed={peerAsn ? { peer_asn: peerAsn } : undefined}
        columns={[
          {
            id: 'peer_asn',
            header: 'Peer',
            cell: (r) =>
              r.peer_asn ? (
                <Link to={`/peer-asns/${r.peer_asn.id}`}>
                  AS{r.peer_asn.asn} {r.peer_asn.name}
                </Link>
              ) : (
                '—'
              ),
            hidden: !!peerAsn,
          },
          { id: 'name', header: 'Name', cell: (r) => r.name, sort: 'name' },
          { id: 'role', header: 'Role', cell: (r) => r.role, sort: 'role' },
          { id: 'email', header: 'E-mail', cell: (r) => r.email, sort: 'email' },
          { id: 'phone', header: 'Phone', cell: (r) => r.phone ?? '' },
        ]}
        filters={[
          { name: 'role', label: 'Role', kind: 'select', options: ContactRole.map((r) => ({ value: r, label: r })) },
        ]}
        selectable={false}
        emptyText="No local contacts."
      />
    </>
  );
}
