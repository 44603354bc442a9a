// What a new peer ASN takes from the PeeringDB mirror (name, AS-SET, max-prefixes, network id):
// one place, so the wizard and the candidates' bulk create make identical peer ASNs.
import type { Executor } from '../platform/db.ts';
import { isIrrSetName } from '../platform/ip.ts';

/** The first valid AS-SET (or ASN) token of a PeeringDB `irr_as_set` value, or null. */
export function validIrr(v: string | null | undefined): string | null {
  if (!v) return null;
  for (const token of v.split(/[\s,]+/)) if (token && isIrrSetName(token)) return token;
  return null;
}

/** PeeringDB uses 0 / null for "not given": never a limit. */
function positive(v: unknown): number | null {
  const n = v === null || v === undefined ? null : Number(v);
  return n && n > 0 ? n : null;
}

/** Peer ASN fields from the mirror for an ASN (empty object when the mirror does not know it). */
export interface PeeringDbDefaults {
  name?: string;
  irr_as_set?: string | null;
  ipv4_max_prefixes?: number | null;
  ipv6_max_prefixes?: number | null;
  peeringdb_id?: number;
}

/** Reads the mirror's network of an ASN into peer ASN fields. */
export async function peeringDbDefaults(db: Executor, asn: number): Promise<PeeringDbDefaults> {
  const net = await db.selectFrom('pdb_net').selectAll().where('asn', '=', asn).executeTakeFirst();
  if (!net) return {};
  return {
    name: typeof net.name === 'string' && net.name.trim() ? net.name.trim() : undefined,
    irr_as_set: validIrr(net.irr_as_set),
    ipv4_max_prefixes: positive(net.info_prefixes4),
    ipv6_max_prefixes: positive(net.info_prefixes6),
    peeringdb_id: Number(net.id),
  };
}
