// Session workflows beyond CRUD: the five-step wizard's create, admin up/down, delete with the BGP peer.
import { z } from 'zod';
import { asn, ipAddress, irrAsSet, name as nameField, optText } from '../platform/fields.ts';
import { assertExists, createOne, loadRow, updateOne, deleteOne, type Row, type WriteContext } from '../platform/crud.ts';
import { ValidationError, ConflictError } from '../platform/errors.ts';
import { parseIp } from '../platform/ip.ts';
import { peeringSessions } from './peering-sessions.resource.ts';
import { bgpPeers } from '../bgp/bgp-peers.resource.ts';
import { peerAsns } from '../asns/peer-asns.resource.ts';

export const wizardInput = z
  .object({
    relationship: z.number().int().min(1).nullable().optional().describe('step 1: session type'),
    network: z.number().int().min(1).nullable().optional().describe('step 1: exchange LAN; null = "No Exchange"'),
    networks: z.array(z.number().int().min(1)).max(4).optional().describe('step 1: exchange LANs (v4 and v6) when they differ per family'),
    notes: optText,
    service_reference: z.string().trim().max(200).nullable().optional(),
    router: z.number().int().min(1).describe('step 2'),
    peer_group: z.number().int().min(1).nullable().optional().describe('step 2'),
    local_asn: asn.optional().describe("step 2: defaults to the router's"),
    md5: z.string().min(1).max(80).nullable().optional().describe('step 2: optional MD5 password'),
    peer: z
      .object({
        asn,
        name: nameField,
        ipv4: ipAddress.nullable().optional(),
        ipv6: ipAddress.nullable().optional(),
        source_ipv4: ipAddress.nullable().optional(),
        source_ipv6: ipAddress.nullable().optional(),
        peeringdb_id: z.number().int().min(1).nullable().optional(),
      })
      .strict()
      .describe('step 3: from PeeringDB, a local peer, or typed by hand'),
    irr_as_set: irrAsSet.nullable().optional().describe('step 4: optional AS-SET'),
    enabled: z.boolean().optional(),
  })
  .strict();

export type WizardInput = z.infer<typeof wizardInput>;

/**
 * Creates what the wizard confirmed, in the caller's transaction: the peer ASN if new, one BGP
 * peer per address (v4 and/or v6) and a peering session for each. Returns the session ids.
 */
export async function createFromWizard(ctx: WriteContext, input: WizardInput): Promise<number[]> {
  const addrs = [
    { ip: input.peer.ipv4, src: input.peer.source_ipv4, fam: 4, field: 'peer.ipv4' },
    { ip: input.peer.ipv6, src: input.peer.source_ipv6, fam: 6, field: 'peer.ipv6' },
  ].filter((a) => a.ip);
  if (!addrs.length) throw new ValidationError('peer.ipv4', 'give the peer at least one IPv4 or IPv6 address');
  for (const a of addrs) {
    if (parseIp(a.ip!)!.family !== a.fam) throw new ValidationError(a.field, `${a.ip} is not an IPv${a.fam} address`);
  }
  const router = await assertExists(ctx.db, 'routers', input.router, 'router');
  // Networks: one given for all families, or a list from which each address picks its own LAN.
  const networkIds = input.networks ?? (input.network ? [input.network] : []);
  const networks: Row[] = [];
  for (const [i, id] of networkIds.entries()) networks.push((await assertExists(ctx.db, 'peering_networks', id, input.networks ? `networks.${i}` : 'network'))!);

  // Source address: given, else our connection's address on that LAN.
  const connections = networks.length
    ? await ctx.db.selectFrom('peering_connections').selectAll().where('network_id', 'in', networks.map((n) => n.id)).where('router_id', '=', input.router).execute()
    : [];

  let asnRow = await ctx.db.selectFrom('peer_asns').selectAll().where('asn', '=', input.peer.asn).executeTakeFirst();
  if (asnRow && input.irr_as_set && !asnRow.irr_as_set) {
    await updateOne(peerAsns, ctx, Number(asnRow.id), { irr_as_set: input.irr_as_set }, null);
  }
  if (!asnRow) {
    asnRow = await createOne(peerAsns, ctx, { asn: input.peer.asn, name: input.peer.name, irr_as_set: input.irr_as_set ?? null, peeringdb_id: input.peer.peeringdb_id ?? null });
  }
  const ids: number[] = [];
  for (const a of addrs) {
    const network = networks.find((n) => Number(n.family) === a.fam) ?? null;
    if (networks.length && !network) throw new ValidationError(a.field, `the chosen exchange has no IPv${a.fam} network`);
    const conn = network ? connections.find((c) => Number(c.network_id) === Number(network.id)) : undefined;
    const source = a.src ?? (conn ? (a.fam === 4 ? conn.ipv4_address : conn.ipv6_address) : null) ?? null;
    let peer: Row;
    try {
      peer = await createOne(bgpPeers, ctx, {
        router: input.router,
        name: `AS${input.peer.asn} - ${input.peer.name}${network ? ` (${network.name})` : ''}`.slice(0, 200),
        peer_ip: a.ip,
        source_ip: source,
        local_asn: input.local_asn ?? Number(router!.local_asn),
        remote_asn: input.peer.asn,
        peer_group: input.peer_group ?? null,
        enabled: input.enabled ?? true,
        password: input.md5 ?? null,
      });
    } catch (err) {
      if (err instanceof ValidationError || err instanceof ConflictError) {
        err.fields.forEach((f) => (f.field = f.field === 'peer_ip' ? a.field : f.field === 'peer_group' ? 'peer_group' : f.field));
      }
      throw err;
    }
    const session = await createOne(peeringSessions, ctx, {
      bgp_peer: Number(peer.id),
      peer_asn: Number(asnRow.id),
      relationship: input.relationship ?? null,
      network: network ? Number(network.id) : null,
      service_reference: input.service_reference ?? null,
      notes: input.notes ?? null,
    }).catch((err) => {
      if (err instanceof ValidationError && err.fields[0]?.field === 'network') err.fields[0].field = a.field;
      throw err;
    });
    ids.push(Number(session.id));
  }
  return ids;
}

/** Sets admin state (enabled) of the BGP peers behind sessions; returns the updated session rows. */
export async function setAdminState(ctx: WriteContext, sessionIds: number[], enabled: boolean): Promise<Row[]> {
  const out: Row[] = [];
  for (const id of sessionIds) {
    const s = await loadRow(peeringSessions, ctx.db, id);
    await updateOne(bgpPeers, ctx, Number(s.bgp_peer_id), { enabled }, null);
    out.push(await loadRow(peeringSessions, ctx.db, id));
  }
  return out;
}

/** Deletes sessions and, when asked, the BGP peers they wrap. */
export async function deleteSessions(ctx: WriteContext, sessionIds: number[], withBgpPeers: boolean): Promise<void> {
  for (const id of sessionIds) {
    const s = await loadRow(peeringSessions, ctx.db, id);
    await deleteOne(peeringSessions, ctx, id, null);
    if (withBgpPeers) await deleteOne(bgpPeers, ctx, Number(s.bgp_peer_id), null);
  }
}
