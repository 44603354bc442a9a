// Which filters a session's address family gets, decided once for every template and for the warnings
// (RFC 8212: no policy, no routes). Import is filtered by a prefix list (the family's own, else the
// peer AS's IRR list) and/or import routing policies (the family's, the session's, its AS's, its
// fabric's, its peer group's); export by a prefix list (the family's own, else our AS's IRR list) and/or
// export policies. A family with neither imports (or exports) nothing in the shipped templates.
import type { CallableSpec, FilterEnv } from '../engine/index.ts';
import { TemplateRuntimeError, Undefined, isDict } from '../engine/index.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => isDict(v) && !(v instanceof Map);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const objs = (v: unknown): Obj[] => arr(v).filter(isObj);

/** The resolved filters of one address family of a session. */
export interface FamilyFilters {
  family: 4 | 6;
  afi: 'ipv4' | 'ipv6';
  /** Prefix list applied on import (name, as in `prefix_lists`), or null. */
  import_prefix_list: string | null;
  /** Number of permit entries of that list (0: the list rejects everything). */
  import_prefix_count: number;
  /** Import routing policies (route maps), in order of application. */
  import_policies: string[];
  export_prefix_list: string | null;
  export_prefix_count: number;
  export_policies: string[];
  /** Prefix limit of the family, or null. */
  max_prefixes: number | null;
  /** False: nothing filters this family's imports (no list with entries, no policy): the shipped templates import nothing. */
  import_filtered: boolean;
  /** False: nothing filters this family's exports, so the shipped templates export nothing. */
  export_filtered: boolean;
}

/** The parts of a render context the resolution reads. */
export interface PolicyContext {
  sessions?: unknown;
  prefix_lists?: unknown;
  route_maps?: unknown;
  autonomous_systems?: unknown;
  internet_exchange_points?: unknown;
  peer_groups?: unknown;
  local_as?: unknown;
  router?: unknown;
}

function sessionFamily(s: Obj): 4 | 6 {
  const f = s.family ?? s.ip_version;
  if (f === 4 || f === 6) return f;
  return String(s.peer_ip ?? s.remote_ip ?? '').includes(':') ? 6 : 4;
}

const byWeight = (ps: Obj[]): Obj[] =>
  ps
    .map((p, i) => ({ p, i }))
    .sort((a, b) => Number(a.p.weight ?? 0) - Number(b.p.weight ?? 0) || a.i - b.i)
    .map((x) => x.p);

/** Policy names of one direction for a session family: family, session, AS, fabric, peer group. */
function policyNames(
  ctx: PolicyContext,
  s: Obj,
  af: Obj | undefined,
  dir: 'import' | 'export',
  family: 4 | 6,
): string[] {
  const key = `${dir}_routing_policies`;
  const known = new Map(objs(ctx.route_maps).map((p) => [p.name, p]));
  const asn = Number(s.peer_asn);
  const as = objs(ctx.autonomous_systems).find((a) => Number(a.asn) === asn);
  const net = isObj(s.peering_network) ? s.peering_network : null;
  const fabricId = net && isObj(net.fabric) ? Number(net.fabric.id) : null;
  const fabric =
    fabricId === null ? undefined : objs(ctx.internet_exchange_points).find((x) => Number(x.id) === fabricId);
  const group =
    typeof s.peer_group === 'string' ? objs(ctx.peer_groups).find((g) => g.name === s.peer_group) : undefined;
  const own = af ? af[dir === 'import' ? 'route_map_in' : 'route_map_out'] : null;
  const layers: unknown[] = [
    ...(typeof own === 'string' && own ? [own] : []),
    ...byWeight(objs(s[key])).map((p) => p.name),
    ...byWeight(objs(as?.[key])).map((p) => p.name),
    ...byWeight(objs(fabric?.[key])).map((p) => p.name),
    ...byWeight(objs(group?.[key])).map((p) => p.name),
  ];
  const out: string[] = [];
  for (const n of layers) {
    if (typeof n !== 'string' || !n || out.includes(n)) continue;
    const def = known.get(n);
    // A defined policy applies only in its direction and family; names defined elsewhere always apply.
    if (def) {
      const type = String(def.type ?? 'import-export');
      if (type !== 'import-export' && type !== dir) continue;
      const fam = Number(def.address_family ?? 0);
      if (fam !== 0 && fam !== family) continue;
    }
    out.push(n);
  }
  return out;
}

function listCount(ctx: PolicyContext, name: string | null): number {
  if (!name) return 0;
  const l = objs(ctx.prefix_lists).find((x) => x.name === name);
  return l ? objs(l.entries).filter((e) => (e.action ?? 'permit') === 'permit').length : 0;
}

/** The IRR prefix list of an AS for one family, if the context holds one. */
function irrList(ctx: PolicyContext, asn: number | null, family: 4 | 6): string | null {
  if (asn === null || !Number.isFinite(asn)) return null;
  const l = objs(ctx.prefix_lists).find(
    (x) => x.source === 'irr' && Number(x.asn) === asn && Number(x.family) === family,
  );
  return l ? String(l.name) : null;
}

/** Resolves the filters of one family of a session (the rule every template and warning uses). */
export function resolveFamilyFilters(ctx: PolicyContext, s: Obj, family?: 4 | 6): FamilyFilters {
  const fam = family ?? sessionFamily(s);
  const afi = fam === 4 ? 'ipv4' : 'ipv6';
  const af = objs(s.address_families).find((a) => a.afi === afi && (a.safi ?? 'unicast') === 'unicast');
  const ownIn = typeof af?.prefix_list_in === 'string' && af.prefix_list_in ? af.prefix_list_in : null;
  const ownOut = typeof af?.prefix_list_out === 'string' && af.prefix_list_out ? af.prefix_list_out : null;
  const localAsn = isObj(ctx.local_as)
    ? Number(ctx.local_as.asn)
    : isObj(ctx.router)
      ? Number(ctx.router.local_asn)
      : null;
  const import_prefix_list = ownIn ?? irrList(ctx, Number(s.peer_asn), fam);
  const export_prefix_list = ownOut ?? irrList(ctx, localAsn, fam);
  const import_policies = policyNames(ctx, s, af, 'import', fam);
  const export_policies = policyNames(ctx, s, af, 'export', fam);
  const importCount = listCount(ctx, import_prefix_list);
  const exportCount = listCount(ctx, export_prefix_list);
  const afMax = af?.max_prefixes;
  const sessMax = s[`ipv${fam}_max_prefixes`];
  const max =
    typeof afMax === 'number' && afMax > 0 ? afMax : typeof sessMax === 'number' && sessMax > 0 ? sessMax : null;
  return {
    family: fam,
    afi,
    import_prefix_list,
    import_prefix_count: importCount,
    import_policies,
    export_prefix_list,
    export_prefix_count: exportCount,
    export_policies,
    max_prefixes: max,
    // An empty list filters everything out: no better than no filter at all (and worth a warning).
    import_filtered: (import_prefix_list !== null && importCount > 0) || import_policies.length > 0,
    export_filtered: (export_prefix_list !== null && exportCount > 0) || export_policies.length > 0,
  };
}

/** The unicast families of a session (its own family when it lists none), each resolved. */
export function resolveSessionFamilies(ctx: PolicyContext, s: Obj): FamilyFilters[] {
  const fams = [
    ...new Set(
      objs(s.address_families)
        .filter((a) => (a.safi ?? 'unicast') === 'unicast')
        .map((a) => (a.afi === 'ipv6' ? 6 : 4) as 4 | 6),
    ),
  ];
  return (fams.length ? fams : [sessionFamily(s)]).map((fam) => resolveFamilyFilters(ctx, s, fam));
}

const isSession = (v: unknown): v is Obj => isObj(v) && ('remote_ip' in v || 'peer_ip' in v) && 'peer_asn' in v;
// Plain objects, like the rest of the context: attribute access and `is defined` behave the same.
const toDict = (x: FamilyFilters): Obj => ({ ...x });
const f = (params: string[], fn: (env: FilterEnv, value: never, ...args: never[]) => unknown): CallableSpec => ({
  fn: fn as CallableSpec['fn'],
  params,
});

/** The policy filters, keyed by name. */
export const POLICY_FILTERS: Record<string, CallableSpec> = {
  /** `{% for af in s | session_families %}`: one resolved dict per unicast family of the session. */
  session_families: f([], (e, v: unknown) => {
    if (!isSession(v)) throw new TemplateRuntimeError('session_families needs a session');
    return resolveSessionFamilies(e.vars() as PolicyContext, v).map(toDict);
  }),
  /** `{% set p = s | session_filters(4) %}`: the resolved filters of one family (default: the session's). */
  session_filters: f(['family'], (e, v: unknown, family: unknown = null) => {
    if (!isSession(v)) throw new TemplateRuntimeError('session_filters needs a session');
    const fam =
      family === null || family instanceof Undefined ? undefined : Number(String(family).replace(/^ipv/i, ''));
    if (fam !== undefined && fam !== 4 && fam !== 6)
      throw new TemplateRuntimeError('session_filters: family must be 4 or 6');
    return toDict(resolveFamilyFilters(e.vars() as PolicyContext, v, fam as 4 | 6 | undefined));
  }),
};
