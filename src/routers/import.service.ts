// Import of a router's existing BGP sessions: discover its neighbours, match each to a peering
// network (most specific prefix containing the address) and to a peer ASN (existing, else from the
// PeeringDB mirror, else a bare one), preview, then create through the session wizard's write path.
// A neighbour that already has a BGP peer on the router is never imported twice.
import type { Selectable } from 'kysely';
import type { Db, Executor } from '../platform/db.ts';
import { now } from '../platform/db.ts';
import type { PdbNetTable, PeerAsnsTable } from '../platform/db.types.ts';
import { toRole } from '../auth/auth.schema.ts';
import type { PeerState } from '../drivers/driver.types.ts';
import type { SecretBox } from '../platform/crypto.ts';
import { createOne, updateOne, type WriteContext } from '../platform/crud.ts';
import { isIrrSetName, parseIp, parsePrefix, prefixContains, type ParsedPrefix } from '../platform/ip.ts';
import { ValidationError } from '../platform/errors.ts';
import type { Principal } from '../auth/auth.service.ts';
import { createFromWizard } from '../sessions/sessions.service.ts';
import { peeringSessions } from '../sessions/peering-sessions.resource.ts';
import { bgpPeers } from '../bgp/bgp-peers.resource.ts';
import { peerAsns } from '../asns/peer-asns.resource.ts';
import { linkJob } from '../polling/poll.service.ts';
import { neighborKey, readNeighbors } from './drift.service.ts';

export interface ImportItem {
  vrf: string | null;
  peer_ip: string;
  remote_asn: number | null;
  description: string | null;
  state: string;
  /** create: new BGP peer + session; wrap: a session around the existing BGP peer; exists / skip: nothing to do. */
  action: 'create' | 'wrap' | 'exists' | 'skip';
  reason: string | null;
  network: { id: number; name: string; prefix: string } | null;
  peer_asn: { id: number | null; asn: number; name: string; exists: boolean; from_peeringdb: boolean } | null;
  session_id: number | null;
}

export interface ImportResult {
  router: { id: number; name: string };
  dry_run: boolean;
  neighbors: number;
  items: ImportItem[];
  /** Sessions created (or that would be, in a dry run). */
  created: number;
  existing: number;
  skipped: number;
  peer_asns_created: number[];
  /** peer_ips asked for that the router does not have. */
  not_on_router: string[];
}

export interface ImportOptions {
  dryRun: boolean;
  peerIps?: string[];
  secrets?: SecretBox;
  signal: AbortSignal;
  userId?: number | null;
  jobId?: number | null;
  log?: (m: string, level?: 'info' | 'warn' | 'error') => unknown;
}

function validIrr(v: string | null | undefined): string | null {
  if (!v) return null;
  for (const token of v.split(/[\s,]+/)) if (token && isIrrSetName(token)) return token;
  return null;
}

async function principalOf(db: Executor, userId: number | null | undefined): Promise<Principal | null> {
  if (!userId) return null;
  const u = await db.selectFrom('users').select(['id', 'username', 'role']).where('id', '=', userId).executeTakeFirst();
  return u ? { userId: Number(u.id), username: u.username, role: toRole(u.role), via: 'token', canWrite: true } : null;
}

/** Plans the import of `states` onto a router (no writes). */
export async function planImport(
  db: Executor,
  router: { id: number; name: string; local_asn: number },
  states: PeerState[],
  peerIps?: string[],
): Promise<{ items: ImportItem[]; notOnRouter: string[] }> {
  let wanted: Set<string> | null = null;
  const notOnRouter: string[] = [];
  if (peerIps) {
    wanted = new Set(peerIps.map((ip) => parseIp(ip)!.text));
    const present = new Set(states.map((s) => parseIp(s.peer_ip)?.text ?? s.peer_ip));
    for (const ip of wanted) if (!present.has(ip)) notOnRouter.push(ip);
  }
  const selected = states.filter((s) => !wanted || wanted.has(parseIp(s.peer_ip)?.text ?? s.peer_ip));
  const peers = await db
    .selectFrom('bgp_peers as b')
    .leftJoin('peering_sessions as s', 's.bgp_peer_id', 'b.id')
    .select(['b.id', 'b.vrf', 'b.peer_ip', 'b.remote_asn', 's.id as session_id'])
    .where('b.router_id', '=', router.id)
    .execute();
  const byKey = new Map(peers.map((p) => [neighborKey(p.vrf, p.peer_ip), p]));
  const networks = await db.selectFrom('peering_networks').select(['id', 'name', 'prefix', 'family']).execute();
  const connected = new Set(
    (await db.selectFrom('peering_connections').select('network_id').where('router_id', '=', router.id).execute()).map(
      (c) => Number(c.network_id),
    ),
  );
  const parsedNets = networks
    .map((n) => ({ n, p: parsePrefix(n.prefix) as ParsedPrefix }))
    .filter((x) => !('error' in x.p));
  const asns = [...new Set(selected.map((s) => s.remote_asn).filter((a): a is number => a !== null))];
  const known = new Map<number, Pick<Selectable<PeerAsnsTable>, 'id' | 'asn' | 'name'>>();
  const pdb = new Map<
    number,
    Pick<Selectable<PdbNetTable>, 'id' | 'asn' | 'name' | 'irr_as_set' | 'info_prefixes4' | 'info_prefixes6'>
  >();
  for (let i = 0; i < asns.length; i += 500) {
    const chunk = asns.slice(i, i + 500);
    for (const a of await db.selectFrom('peer_asns').select(['id', 'asn', 'name']).where('asn', 'in', chunk).execute())
      known.set(Number(a.asn), a);
    for (const n of await db
      .selectFrom('pdb_net')
      .select(['id', 'asn', 'name', 'irr_as_set', 'info_prefixes4', 'info_prefixes6'])
      .where('asn', 'in', chunk)
      .where('status', '=', 'ok')
      .execute())
      pdb.set(Number(n.asn), n);
  }
  const items: ImportItem[] = [];
  for (const s of selected) {
    const ip = parseIp(s.peer_ip);
    const vrf = !s.vrf || s.vrf === 'default' ? null : s.vrf;
    const item: ImportItem = {
      vrf,
      peer_ip: ip?.text ?? s.peer_ip,
      remote_asn: s.remote_asn,
      description: s.description,
      state: s.admin_down ? 'admin-down' : s.state,
      action: 'skip',
      reason: null,
      network: null,
      peer_asn: null,
      session_id: null,
    };
    items.push(item);
    if (!ip) {
      item.reason = 'the router reported an address Peerdesk cannot parse';
      continue;
    }
    if (s.remote_asn === null) {
      item.reason = 'the router does not report the remote AS';
      continue;
    }
    const a = known.get(s.remote_asn);
    const net = pdb.get(s.remote_asn);
    item.peer_asn = a
      ? { id: Number(a.id), asn: s.remote_asn, name: a.name, exists: true, from_peeringdb: false }
      : { id: null, asn: s.remote_asn, name: net?.name || `AS${s.remote_asn}`, exists: false, from_peeringdb: !!net };
    const match = parsedNets
      .filter((x) => x.p.family === ip.family && prefixContains(x.p, ip))
      .sort(
        (x, y) =>
          y.p.length - x.p.length ||
          Number(connected.has(Number(y.n.id))) - Number(connected.has(Number(x.n.id))) ||
          Number(x.n.id) - Number(y.n.id),
      )[0];
    if (match) item.network = { id: Number(match.n.id), name: match.n.name, prefix: match.n.prefix };
    const existing = byKey.get(neighborKey(vrf, ip.text));
    if (existing?.session_id) {
      item.action = 'exists';
      item.session_id = Number(existing.session_id);
      item.reason = 'already a peering session in Peerdesk';
    } else if (existing) {
      if (Number(existing.remote_asn) !== s.remote_asn) {
        item.reason = `a BGP peer on this address exists with remote AS ${existing.remote_asn}, the router says AS${s.remote_asn}`;
      } else {
        item.action = 'wrap';
        item.reason = 'a BGP peer exists without a session: a session will wrap it';
      }
    } else if (s.remote_asn === router.local_asn) {
      item.reason = `iBGP (AS${s.remote_asn} is the router's own AS): not a peering session`;
    } else {
      item.action = 'create';
    }
  }
  return { items, notOnRouter };
}

/** Discovers a router's neighbours and previews (dry run) or performs their import, in one transaction. */
export async function importSessions(db: Db, routerId: number, opts: ImportOptions): Promise<ImportResult> {
  if (opts.peerIps) {
    const bad = opts.peerIps.findIndex((ip) => !parseIp(ip));
    if (bad >= 0) throw new ValidationError(`peer_ips.${bad}`, `${opts.peerIps[bad]} is not an IP address`);
  }
  const { router, states } = await readNeighbors(db, routerId, opts);
  if (opts.jobId) await linkJob(db, opts.jobId, [router.id], 'router.import');
  const plan = await planImport(db, router, states, opts.peerIps);
  const result: ImportResult = {
    router: { id: router.id, name: router.name },
    dry_run: opts.dryRun,
    neighbors: states.length,
    items: plan.items,
    created: 0,
    existing: 0,
    skipped: 0,
    peer_asns_created: [],
    not_on_router: plan.notOnRouter,
  };
  const todo = plan.items.filter((i) => i.action === 'create' || i.action === 'wrap');
  if (!opts.dryRun && todo.length) {
    if (!opts.secrets) throw new Error('import needs the secret key');
    const principal = await principalOf(db, opts.userId);
    const byIp = new Map(states.map((s) => [neighborKey(s.vrf, s.peer_ip), s]));
    await db.transaction().execute(async (tx) => {
      const ctx: WriteContext = {
        db: tx,
        principal,
        secrets: opts.secrets!,
        requestId: opts.jobId ? `job-${opts.jobId}` : undefined,
      };
      const asnIds = new Map<number, number>();
      for (const item of todo) {
        const s = byIp.get(neighborKey(item.vrf, item.peer_ip))!;
        const asn = item.remote_asn!;
        // The peer ASN: existing, else synced from the PeeringDB mirror, else a bare one.
        let asnId = item.peer_asn!.id ?? asnIds.get(asn) ?? null;
        if (asnId === null) {
          const net = await tx
            .selectFrom('pdb_net')
            .selectAll()
            .where('asn', '=', asn)
            .where('status', '=', 'ok')
            .executeTakeFirst();
          const row = await createOne(peerAsns, ctx, {
            asn,
            name: String(net?.name || `AS${asn}`).slice(0, 200),
            irr_as_set: validIrr(net?.irr_as_set),
            ipv4_max_prefixes: net?.info_prefixes4 || null,
            ipv6_max_prefixes: net?.info_prefixes6 || null,
            peeringdb_id: net ? Number(net.id) : null,
          });
          asnId = Number(row.id);
          if (net)
            await tx.updateTable('peer_asns').set({ peeringdb_synced_at: now() }).where('id', '=', asnId).execute();
          result.peer_asns_created.push(asnId);
        }
        asnIds.set(asn, asnId);
        item.peer_asn = { ...item.peer_asn!, id: asnId };
        if (item.action === 'wrap') {
          const peer = await tx
            .selectFrom('bgp_peers')
            .select('id')
            .where('router_id', '=', router.id)
            .where('vrf', '=', item.vrf ?? '')
            .where('peer_ip', '=', item.peer_ip)
            .executeTakeFirstOrThrow();
          const session = await createOne(peeringSessions, ctx, {
            bgp_peer: Number(peer.id),
            peer_asn: asnId,
            network: item.network?.id ?? null,
          });
          item.session_id = Number(session.id);
        } else {
          const fam = parseIp(item.peer_ip)!.family;
          const local = s.local_ip && parseIp(s.local_ip)?.family === fam ? parseIp(s.local_ip)!.text : null;
          const [sessionId] = await createFromWizard(ctx, {
            router: router.id,
            network: item.network?.id ?? null,
            local_asn: s.local_asn ?? undefined,
            enabled: !s.admin_down,
            peer: {
              asn,
              name: item.peer_asn!.name,
              ...(fam === 4 ? { ipv4: item.peer_ip, source_ipv4: local } : { ipv6: item.peer_ip, source_ipv6: local }),
            },
          });
          item.session_id = sessionId!;
          // The wizard has no VRF or description; the router's own values complete the BGP peer.
          if (item.vrf || item.description) {
            const peerId = Number(
              (
                await tx
                  .selectFrom('peering_sessions')
                  .select('bgp_peer_id')
                  .where('id', '=', sessionId!)
                  .executeTakeFirstOrThrow()
              ).bgp_peer_id,
            );
            await updateOne(
              bgpPeers,
              ctx,
              peerId,
              {
                ...(item.vrf ? { vrf: item.vrf } : {}),
                ...(item.description ? { description: item.description.slice(0, 10_000) } : {}),
              },
              null,
            );
          }
        }
      }
    });
    for (const item of todo)
      opts.log?.(
        `${router.name}: imported ${item.peer_ip} AS${item.remote_asn} as session ${item.session_id}${item.network ? ` on ${item.network.name}` : ''}`,
      );
  }
  result.created = todo.length;
  result.existing = plan.items.filter((i) => i.action === 'exists').length;
  result.skipped = plan.items.filter((i) => i.action === 'skip').length;
  opts.log?.(
    `${router.name}: ${states.length} neighbours; ${opts.dryRun ? 'would import' : 'imported'} ${result.created}, ${result.existing} already in Peerdesk, ${result.skipped} skipped`,
  );
  return result;
}
