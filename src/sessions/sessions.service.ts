// Session workflows beyond CRUD: the one session-creation path (wizard and candidates), admin up/down,
// delete with the BGP peer.
import { z } from 'zod';
import type { Selectable } from 'kysely';
import { asn, ipAddress, irrAsSet, name as nameField, optText } from '../platform/fields.ts';
import { createOne, updateOne, deleteOne, loadRow, missingReference, type WriteContext } from '../platform/crud.ts';
import { ValidationError, ConflictError } from '../platform/errors.ts';
import { now } from '../platform/db.ts';
import type { PeerAsnsTable, PeeringNetworksTable, RoutersTable } from '../platform/db.types.ts';
import { parseIp, parsePrefix, prefixContains, type ParsedPrefix } from '../platform/ip.ts';
import { peeringDbDefaults } from '../peeringdb/peer-asn-defaults.ts';
import { sourceAddressFor } from '../fabrics/fabrics.resource.ts';
import { peeringSessions } from './peering-sessions.resource.ts';
import { bgpPeers } from '../bgp/bgp-peers.resource.ts';
import { peerAsns } from '../asns/peer-asns.resource.ts';

export const wizardInput = z
  .object({
    relationship: z.number().int().min(1).nullable().optional().describe('step 1: session type'),
    network: z.number().int().min(1).nullable().optional().describe('step 1: exchange LAN; null = "No Exchange"'),
    networks: z
      .array(z.number().int().min(1))
      .max(8)
      .optional()
      .describe('step 1: exchange LANs (v4 and v6) when they differ per family'),
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
        addresses: z
          .array(ipAddress)
          .max(16)
          .optional()
          .describe(
            'further peer addresses (e.g. every PeeringDB address chosen): one session per address, with ipv4/ipv6',
          ),
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
 * The name every creation path gives a session's BGP peer: `AS64512 - Example Peer (LINX LON1 198.51.100.42)`.
 * The address makes it unique per peer (a member with two addresses gets two names).
 */
export function sessionPeerName(asnValue: number, peerName: string, fabricName: string | null, ip: string): string {
  const tail = ` (${fabricName ? `${fabricName} ` : ''}${ip})`;
  const head = `AS${asnValue} - ${peerName}`;
  return head.slice(0, Math.max(20, 200 - tail.length)) + tail;
}

/**
 * The peer ASN of an ASN, created when missing with PeeringDB's name, AS-SET, max-prefixes and
 * network id (the mirror's values; `given` wins for name, AS-SET and PeeringDB id). The one way
 * the wizard and the candidates' bulk create make peer ASNs.
 */
export async function ensurePeerAsn(
  ctx: WriteContext,
  asnValue: number,
  given: { name?: string | null; irr_as_set?: string | null; peeringdb_id?: number | null } = {},
): Promise<{ row: Selectable<PeerAsnsTable>; created: boolean }> {
  const found = await ctx.db.selectFrom('peer_asns').selectAll().where('asn', '=', asnValue).executeTakeFirst();
  if (found) return { row: found, created: false };
  const pdb = await peeringDbDefaults(ctx.db, asnValue);
  const created = await createOne(peerAsns, ctx, {
    asn: asnValue,
    name: (given.name ?? pdb.name ?? `AS${asnValue}`).slice(0, 200),
    irr_as_set: given.irr_as_set ?? pdb.irr_as_set ?? null,
    ipv4_max_prefixes: pdb.ipv4_max_prefixes ?? null,
    ipv6_max_prefixes: pdb.ipv6_max_prefixes ?? null,
    peeringdb_id: given.peeringdb_id ?? pdb.peeringdb_id ?? null,
  });
  const id = Number(created.id);
  if (pdb.peeringdb_id)
    await ctx.db.updateTable('peer_asns').set({ peeringdb_synced_at: now() }).where('id', '=', id).execute();
  const row = await ctx.db.selectFrom('peer_asns').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  return { row, created: true };
}

/** What one session needs; shared by the wizard and the candidates' bulk create. */
export interface PeerSessionSpec {
  router: Pick<Selectable<RoutersTable>, 'id' | 'name' | 'local_asn'>;
  peerAsn: Pick<Selectable<PeerAsnsTable>, 'id' | 'asn' | 'name'>;
  ip: string;
  network: Pick<Selectable<PeeringNetworksTable>, 'id'> | null;
  fabricName: string | null;
  source?: string | null;
  localAsn?: number;
  peerGroup?: number | null;
  md5?: string | null;
  enabled?: boolean;
  relationship?: number | null;
  serviceReference?: string | null;
  notes?: string | null;
}

/**
 * Creates one session: wraps the router's existing BGP peer on that address when it has no session
 * yet (filling a missing source address), else creates the BGP peer; then the peering session.
 * The one write path of sessions with their BGP peers.
 */
export async function createPeerSession(
  ctx: WriteContext,
  spec: PeerSessionSpec,
): Promise<{ sessionId: number; bgpPeerId: number; wrapped: boolean }> {
  const ip = parseIp(spec.ip)!;
  const source =
    spec.source ??
    (spec.network ? await sourceAddressFor(ctx.db, Number(spec.router.id), Number(spec.network.id)) : null);
  const existing = await ctx.db
    .selectFrom('bgp_peers')
    .selectAll()
    .where('router_id', '=', spec.router.id)
    .where('vrf', '=', '')
    .where('peer_ip', '=', ip.text)
    .executeTakeFirst();
  let peerId: number;
  let wrapped = false;
  if (existing) {
    const taken = await ctx.db
      .selectFrom('peering_sessions')
      .select('id')
      .where('bgp_peer_id', '=', existing.id)
      .executeTakeFirst();
    if (taken)
      throw new ConflictError(
        `${spec.router.name} already has a session with ${ip.text} (session ${taken.id}); edit that session instead`,
        [{ field: 'peer_ip', message: 'already has a peering session' }],
        'bgp_peer_taken',
      );
    if (Number(existing.remote_asn) !== Number(spec.peerAsn.asn))
      throw new ConflictError(
        `${spec.router.name} has a BGP peer ${ip.text} with AS${existing.remote_asn}, not AS${spec.peerAsn.asn}`,
        [{ field: 'peer_ip', message: `existing BGP peer is AS${existing.remote_asn}` }],
      );
    peerId = Number(existing.id);
    wrapped = true;
    if (!existing.source_ip && source) await updateOne(bgpPeers, ctx, peerId, { source_ip: source }, null);
  } else {
    const peer = await createOne(bgpPeers, ctx, {
      router: Number(spec.router.id),
      name: sessionPeerName(Number(spec.peerAsn.asn), spec.peerAsn.name, spec.fabricName, ip.text),
      peer_ip: ip.text,
      source_ip: source,
      local_asn: spec.localAsn ?? Number(spec.router.local_asn),
      remote_asn: Number(spec.peerAsn.asn),
      peer_group: spec.peerGroup ?? null,
      enabled: spec.enabled ?? true,
      password: spec.md5 ?? null,
    });
    peerId = Number(peer.id);
  }
  const session = await createOne(peeringSessions, ctx, {
    bgp_peer: peerId,
    peer_asn: Number(spec.peerAsn.id),
    relationship: spec.relationship ?? null,
    network: spec.network ? Number(spec.network.id) : null,
    service_reference: spec.serviceReference ?? null,
    notes: spec.notes ?? null,
  });
  return { sessionId: Number(session.id), bgpPeerId: peerId, wrapped };
}

/**
 * Creates what the wizard confirmed, in the caller's transaction: the peer ASN if new, and per
 * address (ipv4, ipv6 and `addresses`) a session, wrapping an unwrapped BGP peer of the router on
 * that address or creating one. Returns the session ids.
 */
export async function createFromWizard(ctx: WriteContext, input: WizardInput): Promise<number[]> {
  const addrs: { ip: string; fam: 4 | 6; field: string }[] = [];
  const seen = new Set<string>();
  const add = (raw: string | null | undefined, field: string, want?: 4 | 6) => {
    if (!raw) return;
    const ip = parseIp(raw)!;
    if (want && ip.family !== want) throw new ValidationError(field, `${raw} is not an IPv${want} address`);
    if (seen.has(ip.text)) return;
    seen.add(ip.text);
    addrs.push({ ip: ip.text, fam: ip.family as 4 | 6, field });
  };
  add(input.peer.ipv4, 'peer.ipv4', 4);
  add(input.peer.ipv6, 'peer.ipv6', 6);
  (input.peer.addresses ?? []).forEach((a, i) => add(a, `peer.addresses.${i}`));
  if (!addrs.length) throw new ValidationError('peer.ipv4', 'give the peer at least one IPv4 or IPv6 address');
  for (const [field, fam] of [
    ['peer.source_ipv4', 4],
    ['peer.source_ipv6', 6],
  ] as const) {
    const v = input.peer[field === 'peer.source_ipv4' ? 'source_ipv4' : 'source_ipv6'];
    if (v && parseIp(v)!.family !== fam) throw new ValidationError(field, `${v} is not an IPv${fam} address`);
  }
  const router = await ctx.db
    .selectFrom('routers')
    .select(['id', 'name', 'local_asn'])
    .where('id', '=', input.router)
    .executeTakeFirst();
  if (!router) throw missingReference('router', 'routers', input.router);
  // Networks: one given for all families, or a list from which each address picks its own LAN.
  const networkIds = input.networks ?? (input.network ? [input.network] : []);
  const networks: Selectable<PeeringNetworksTable>[] = [];
  for (const [i, id] of networkIds.entries()) {
    const n = await ctx.db.selectFrom('peering_networks').selectAll().where('id', '=', id).executeTakeFirst();
    if (!n) throw missingReference(input.networks ? `networks.${i}` : 'network', 'peering_networks', id);
    networks.push(n);
  }
  const fabricNames = new Map<number, string>();
  for (const n of networks) {
    const f = await ctx.db.selectFrom('fabrics').select('name').where('id', '=', n.fabric_id).executeTakeFirst();
    fabricNames.set(Number(n.id), f?.name ?? n.name);
  }

  const { row: asnRow } = await ensurePeerAsn(ctx, input.peer.asn, {
    name: input.peer.name,
    irr_as_set: input.irr_as_set ?? null,
    peeringdb_id: input.peer.peeringdb_id ?? null,
  });
  if (input.irr_as_set && !asnRow.irr_as_set)
    await updateOne(peerAsns, ctx, Number(asnRow.id), { irr_as_set: input.irr_as_set }, null);
  const ids: number[] = [];
  for (const a of addrs) {
    const ip = parseIp(a.ip)!;
    const ofFamily = networks.filter((n) => Number(n.family) === a.fam);
    const network =
      ofFamily.find((n) => prefixContains(parsePrefix(n.prefix) as ParsedPrefix, ip)) ?? ofFamily[0] ?? null;
    if (networks.length && !network)
      throw new ValidationError(a.field, `the chosen exchange has no IPv${a.fam} network`);
    try {
      const { sessionId } = await createPeerSession(ctx, {
        router,
        peerAsn: asnRow,
        ip: a.ip,
        network,
        fabricName: network ? (fabricNames.get(Number(network.id)) ?? null) : null,
        source: (a.fam === 4 ? input.peer.source_ipv4 : input.peer.source_ipv6) ?? null,
        localAsn: input.local_asn,
        peerGroup: input.peer_group ?? null,
        md5: input.md5 ?? null,
        enabled: input.enabled,
        relationship: input.relationship ?? null,
        serviceReference: input.service_reference ?? null,
        notes: input.notes ?? null,
      });
      ids.push(sessionId);
    } catch (err) {
      // Errors about the address or its network belong to the wizard's address field.
      if (err instanceof ValidationError || err instanceof ConflictError)
        err.fields.forEach((f) => (f.field = f.field === 'peer_ip' || f.field === 'network' ? a.field : f.field));
      throw err;
    }
  }
  return ids;
}

/** Deletes sessions and, when asked, the BGP peers they wrap. */
export async function deleteSessions(ctx: WriteContext, sessionIds: number[], withBgpPeers: boolean): Promise<void> {
  for (const id of sessionIds) {
    const s = await loadRow(peeringSessions, ctx.db, id);
    await deleteOne(peeringSessions, ctx, id, null);
    if (withBgpPeers) await deleteOne(bgpPeers, ctx, Number(s.bgp_peer_id), null);
  }
}
